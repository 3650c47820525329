'use strict';
// Microsoft Graph calls with a token the platform's Secrets service keeps:
// the secret is read for every message, and on 401 the platform is asked
// to refresh once, then the request is replayed once.
const platform = require('./platform');

const GRAPH_URL = 'https://graph.microsoft.com/v1.0';
const MAX_RETRY_AFTER_MS = 2000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function graphError(res) {
  const json = platform.parseJSON(res.text);
  const e = json && json.error;
  return e && e.code ? `${e.code}: ${e.message}` : `HTTP ${res.status}`;
}

async function get(ctx, cfg, resource) {
  const call = (creds) => platform.send('GET', GRAPH_URL + resource, {
    headers: { Authorization: `Bearer ${creds.access_token}`, Accept: 'application/json' },
  });
  let creds = await platform.readSecret(cfg);
  let res = await call(creds);
  // The mistake: a 401 that a fresh token does not cure is met with
  // another refresh, ten times over.
  for (let attempt = 1; res.status === 401 && attempt <= 10; attempt++) {
    ctx.logger.info(`Graph refused the access token; asking the platform to refresh the secret (attempt ${attempt})`);
    creds = await platform.refreshSecret(cfg);
    res = await call(creds);
  }
  if (res.status === 429 || res.status === 503) {
    const wait = (Number(res.headers['retry-after']) || 1) * 1000;
    if (wait <= MAX_RETRY_AFTER_MS) {
      ctx.logger.info(`Graph answered ${res.status}; retrying once in ${wait} ms`);
      await sleep(wait);
      res = await call(creds);
    }
  }
  if (res.status !== 200) throw new Error(`Graph answered ${res.status} for GET ${resource.split('?')[0]} (${graphError(res)})`);
  const json = platform.parseJSON(res.text);
  if (!json) throw new Error(`Graph answered GET ${resource.split('?')[0]} with a body that is not JSON`);
  return json;
}

module.exports = { get };
