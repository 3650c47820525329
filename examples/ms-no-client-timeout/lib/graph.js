'use strict';
// A small Microsoft Graph client on Node's https module. It refreshes the
// access token when Graph answers 401, once per request, and hands the new
// tokens to the platform with updateKeys.
const https = require('https');

const TOKEN_URL = 'https://login.microsoftonline.com/common/oauth2/v2.0/token';
const GRAPH_URL = 'https://graph.microsoft.com/v1.0';
const REFRESH_ATTEMPTS = 3;
const MAX_RETRY_AFTER_MS = 2000;

// The platform never updates cfg inside a running container, so the newest
// tokens live here, per account, for the later messages.
const tokensByAccount = new Map();
const refreshing = new Map();

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function send(method, url, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function parseJSON(text) {
  try {
    return JSON.parse(text);
  } catch (e) {
    return undefined;
  }
}

function currentTokens(cfg) {
  return tokensByAccount.get(cfg._account) || cfg.oauth;
}

class RefreshError extends Error {}

async function requestTokens(refreshToken) {
  const form = new URLSearchParams({
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: process.env.OAUTH_CLIENT_ID,
    client_secret: process.env.OAUTH_CLIENT_SECRET,
  }).toString();
  let lastProblem;
  for (let attempt = 1; attempt <= REFRESH_ATTEMPTS; attempt++) {
    if (attempt > 1) await sleep(250 * (attempt - 1));
    let res;
    try {
      res = await send('POST', TOKEN_URL, {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: form,
      });
    } catch (err) {
      lastProblem = err.message;
      continue; // network errors are worth another try
    }
    const json = parseJSON(res.text);
    if (res.status >= 500) {
      lastProblem = `the token endpoint answered ${res.status}`;
      continue;
    }
    if (res.status !== 200) {
      const reason = json && json.error ? `${json.error}: ${String(json.error_description || '').split('\r\n')[0]}` : `HTTP ${res.status}`;
      throw new RefreshError(`Microsoft refused to refresh the access token (${reason})`);
    }
    if (!json || typeof json.access_token !== 'string' || json.access_token === '') {
      throw new RefreshError('Microsoft answered the token refresh with a malformed token response (no access_token)');
    }
    return json;
  }
  throw new RefreshError(`could not refresh the access token: ${lastProblem}; gave up after ${REFRESH_ATTEMPTS} attempts`);
}

// refresh returns newer tokens than `stale`: if another request of this
// container already refreshed, its tokens; if one is refreshing, the same
// refresh (one token request for many concurrent 401s).
function refresh(ctx, cfg, stale) {
  const key = cfg._account;
  const current = currentTokens(cfg);
  if (current.access_token !== stale.access_token) return Promise.resolve(current);
  if (refreshing.has(key)) return refreshing.get(key);
  const p = (async () => {
    ctx.logger.info('Graph refused the access token; refreshing it');
    const response = await requestTokens(current.refresh_token);
    // The platform replaces the stored keys with what we emit: emit the whole
    // token response, and keep our refresh token if none came back.
    const tokens = Object.assign({}, response);
    if (!tokens.refresh_token) tokens.refresh_token = current.refresh_token;
    tokensByAccount.set(key, tokens);
    await ctx.emit('updateKeys', { oauth: tokens });
    return tokens;
  })();
  refreshing.set(key, p);
  const forget = () => refreshing.delete(key);
  p.then(forget, forget);
  return p;
}

function graphError(res) {
  const json = parseJSON(res.text);
  const e = json && json.error;
  return e && e.code ? `${e.code}: ${e.message}` : `HTTP ${res.status}`;
}

// get calls Graph with the newest access token, refreshing once on 401.
async function get(ctx, cfg, resource) {
  const url = GRAPH_URL + resource;
  const call = (tokens) => send('GET', url, { headers: { Authorization: `Bearer ${tokens.access_token}`, Accept: 'application/json' } });
  let tokens = currentTokens(cfg);
  let res = await call(tokens);
  if (res.status === 401) {
    tokens = await refresh(ctx, cfg, tokens);
    res = await call(tokens);
    if (res.status === 401) {
      throw new Error(`Graph answered 401 again after the access token was refreshed (${graphError(res)})`);
    }
  }
  if (res.status === 429 || res.status === 503) {
    // Wait as long as Retry-After asks; when that is longer than a message
    // should wait, report a retryable error rather than retry early.
    const wait = (Number(res.headers['retry-after']) || 1) * 1000;
    if (wait <= MAX_RETRY_AFTER_MS) {
      ctx.logger.info(`Graph answered ${res.status}; retrying once in ${wait} ms`);
      await sleep(wait);
      res = await call(tokens);
    }
  }
  if (res.status !== 200) {
    throw new Error(`Graph answered ${res.status} for GET ${resource.split('?')[0]} (${graphError(res)})`);
  }
  const json = parseJSON(res.text);
  if (!json) throw new Error(`Graph answered GET ${resource.split('?')[0]} with a body that is not JSON`);
  return json;
}

module.exports = { get };
