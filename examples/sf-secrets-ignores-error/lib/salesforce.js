'use strict';
// Salesforce REST calls with a token the platform's Secrets service keeps:
// the secret is read for every message, the API host is the instance_url
// the platform stores under undefined_params, and on 401 the platform is
// asked to refresh once, then the request is replayed once.
const platform = require('./platform');

const API_VERSION = 'v67.0';
const MAX_RETRY_AFTER_MS = 2000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function instanceURL(creds) {
  const url = (creds.undefined_params || {}).instance_url || creds.instance_url;
  if (!url) throw new platform.SecretError('the secret has no instance_url (undefined_params.instance_url)');
  return url;
}

function apiError(res) {
  const json = platform.parseJSON(res.text);
  const first = Array.isArray(json) ? json[0] : undefined;
  return first && first.errorCode ? `${first.errorCode}: ${first.message}` : `HTTP ${res.status}`;
}

async function query(ctx, cfg, soql) {
  const call = (creds) => platform.send('GET', `${instanceURL(creds)}/services/data/${API_VERSION}/query?q=${encodeURIComponent(soql)}`, {
    headers: { Authorization: `Bearer ${creds.access_token}`, Accept: 'application/json' },
  });
  let creds = await platform.readSecret(cfg);
  let res = await call(creds);
  if (res.status === 401) {
    ctx.logger.info('Salesforce refused the session; asking the platform to refresh the secret');
    creds = await platform.refreshSecret(cfg);
    res = await call(creds);
    if (res.status === 401) {
      throw new Error(`Salesforce answered 401 again after the platform refreshed the secret (${apiError(res)})`);
    }
  }
  if (res.status === 429 || res.status === 503) {
    const wait = (Number(res.headers['retry-after']) || 1) * 1000;
    if (wait <= MAX_RETRY_AFTER_MS) {
      ctx.logger.info(`Salesforce answered ${res.status}; retrying once in ${wait} ms`);
      await sleep(wait);
      res = await call(creds);
    }
  }
  if (res.status !== 200) throw new Error(`Salesforce answered ${res.status} to the query (${apiError(res)})`);
  const json = platform.parseJSON(res.text);
  if (!json) throw new Error('Salesforce answered the query with a body that is not JSON');
  return json;
}

module.exports = { query };
