'use strict';
// A small Salesforce REST client on Node's https module. It refreshes the
// access token when the API answers 401, follows the org's instance_url
// from the refresh response, and hands the new tokens to the platform with
// updateKeys.
const https = require('https');

const TOKEN_URL = 'https://login.salesforce.com/services/oauth2/token';
const API_VERSION = 'v67.0';
const TIMEOUT_MS = 10000;
const REFRESH_ATTEMPTS = 3;
const MAX_RETRY_AFTER_MS = 2000;
const MAX_SESSION_REFRESHES = 50;

// send makes one request; data is the parsed JSON body, or the text when
// the body is not JSON.
function send(method, url, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => {
        let data = text;
        try {
          data = JSON.parse(text);
        } catch (e) {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode, headers: res.headers, data });
      });
      res.on('error', reject);
    });
    req.setTimeout(TIMEOUT_MS, () => {
      const err = new Error(`${method} ${url.split('?')[0]} timed out after ${TIMEOUT_MS} ms`);
      err.code = 'ETIMEDOUT';
      req.destroy(err);
    });
    req.on('error', reject);
    req.end(body);
  });
}

// The platform never updates cfg inside a running container, so the newest
// tokens live here, per account, for the later messages. With refresh-token
// rotation this is what keeps the current refresh token.
const tokensByAccount = new Map();
const refreshing = new Map();

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

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
      continue; // timeouts and network errors are worth another try
    }
    if (res.status >= 500) {
      lastProblem = `the token endpoint answered ${res.status}`;
      continue;
    }
    const data = res.data;
    if (res.status !== 200) {
      const reason = data && data.error ? `${data.error}: ${data.error_description}` : `HTTP ${res.status}`;
      throw new RefreshError(`Salesforce refused to refresh the access token (${reason})`);
    }
    if (!data || typeof data !== 'object' || typeof data.access_token !== 'string' || data.access_token === '') {
      throw new RefreshError('Salesforce answered the token refresh with a malformed token response (no access_token)');
    }
    return data;
  }
  throw new RefreshError(`could not refresh the access token: ${lastProblem}; gave up after ${REFRESH_ATTEMPTS} attempts`);
}

// refresh returns newer tokens than `stale`: if another request of this
// container already refreshed, its tokens; if one is refreshing, the same
// refresh (Salesforce refuses concurrent refreshes with one refresh token).
function refresh(ctx, cfg, stale) {
  const key = cfg._account;
  const current = currentTokens(cfg);
  if (current.access_token !== stale.access_token) return Promise.resolve(current);
  if (refreshing.has(key)) return refreshing.get(key);
  const p = (async () => {
    ctx.logger.info('Salesforce refused the session; refreshing the access token');
    const response = await requestTokens(current.refresh_token);
    // The platform replaces the stored keys with what we emit: emit the whole
    // response; Salesforce sends a refresh_token only when it rotates them,
    // so keep ours when it did not.
    const tokens = Object.assign({}, response);
    if (!tokens.refresh_token) tokens.refresh_token = current.refresh_token;
    if (!tokens.instance_url) tokens.instance_url = current.instance_url;
    tokensByAccount.set(key, tokens);
    await ctx.emit('updateKeys', { oauth: tokens });
    return tokens;
  })();
  refreshing.set(key, p);
  const forget = () => refreshing.delete(key);
  p.then(forget, forget);
  return p;
}

function apiError(res) {
  const first = Array.isArray(res.data) ? res.data[0] : undefined;
  return first && first.errorCode ? `${first.errorCode}: ${first.message}` : `HTTP ${res.status}`;
}

// query runs a SOQL query with the newest tokens; while the session is
// refused it refreshes and tries again (as jsforce does).
async function query(ctx, cfg, soql) {
  const call = (tokens) => send('GET', `${tokens.instance_url}/services/data/${API_VERSION}/query?q=${encodeURIComponent(soql)}`, {
    headers: { Authorization: `Bearer ${tokens.access_token}`, Accept: 'application/json' },
  });
  let tokens = currentTokens(cfg);
  let res = await call(tokens);
  for (let refreshes = 0; res.status === 401; refreshes++) {
    if (refreshes === MAX_SESSION_REFRESHES) {
      throw new Error(`Salesforce kept answering 401 after ${refreshes} refreshes (${apiError(res)})`);
    }
    tokens = await refresh(ctx, cfg, tokens);
    res = await call(tokens);
  }
  if (res.status === 429 || res.status === 503) {
    // Wait as long as Retry-After asks; when that is longer than a message
    // should wait, report a retryable error rather than retry early.
    const wait = (Number(res.headers['retry-after']) || 1) * 1000;
    if (wait <= MAX_RETRY_AFTER_MS) {
      ctx.logger.info(`Salesforce answered ${res.status}; retrying once in ${wait} ms`);
      await sleep(wait);
      res = await call(tokens);
    }
  }
  if (res.status !== 200) {
    throw new Error(`Salesforce answered ${res.status} to the query (${apiError(res)})`);
  }
  if (!res.data || typeof res.data !== 'object') throw new Error('Salesforce answered the query with a body that is not JSON');
  return res.data;
}

module.exports = { query, RefreshError };
