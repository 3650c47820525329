'use strict';
// A small Salesforce REST client on axios. It refreshes the access token
// when the API answers 401, once per request, follows the org's
// instance_url from the refresh response, and hands the new tokens to the
// platform with updateKeys.
const axios = require('axios');

const TOKEN_URL = 'https://login.salesforce.com/services/oauth2/token';
const API_VERSION = 'v67.0';
const TIMEOUT_MS = 10000;
const REFRESH_ATTEMPTS = 3;
const MAX_RETRY_AFTER_MS = 2000;

// validateStatus: every status is an answer to look at, not an exception.
const client = axios.create({ timeout: TIMEOUT_MS, validateStatus: () => true });

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
      res = await client.post(TOKEN_URL, form, {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      });
    } catch (err) {
      lastProblem = err.code === 'ECONNABORTED' ? `the token request timed out after ${TIMEOUT_MS} ms` : err.message;
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
    // Salesforce sends a refresh_token only when it rotates them, so keep
    // ours for this container when it did not.
    const tokens = Object.assign({}, response);
    if (!tokens.refresh_token) tokens.refresh_token = current.refresh_token;
    if (!tokens.instance_url) tokens.instance_url = current.instance_url;
    tokensByAccount.set(key, tokens);
    // The platform stores the whole token response.
    await ctx.emit('updateKeys', { oauth: response });
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

// query runs a SOQL query with the newest tokens, refreshing once on 401.
async function query(ctx, cfg, soql) {
  const call = (tokens) => client.get(`${tokens.instance_url}/services/data/${API_VERSION}/query`, {
    params: { q: soql },
    headers: { Authorization: `Bearer ${tokens.access_token}`, Accept: 'application/json' },
  });
  let tokens = currentTokens(cfg);
  let res = await call(tokens);
  if (res.status === 401) {
    tokens = await refresh(ctx, cfg, tokens);
    res = await call(tokens);
    if (res.status === 401) {
      throw new Error(`Salesforce answered 401 again after the access token was refreshed (${apiError(res)})`);
    }
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
