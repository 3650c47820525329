'use strict';
// The platform's Secrets service, as a Secrets-mode component reaches it:
// GET {ELASTICIO_API_URI}/v2/workspaces/{ELASTICIO_WORKSPACE_ID}/secrets/{secretId}
// to read the credential, POST …/refresh to have the platform refresh it.
// Both use Basic auth with the task's API user and key.
const http = require('http');
const https = require('https');

const TIMEOUT_MS = 30000;

function send(method, url, { headers = {}, body } = {}) {
  const lib = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
      res.on('error', reject);
    });
    req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error(`${method} ${url.split('?')[0]} timed out after ${TIMEOUT_MS} ms`)));
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

class SecretError extends Error {}

function secretURL(cfg) {
  if (!cfg.secretId) throw new SecretError('the credential has no secretId: this component needs a Secrets credential');
  const base = process.env.ELASTICIO_API_URI.replace(/\/$/, '');
  return `${base}/v2/workspaces/${process.env.ELASTICIO_WORKSPACE_ID}/secrets/${encodeURIComponent(cfg.secretId)}`;
}

function authHeader() {
  const user = process.env.ELASTICIO_API_USERNAME;
  const key = process.env.ELASTICIO_API_KEY;
  return `Basic ${Buffer.from(`${user}:${key}`).toString('base64')}`;
}

// credentialsOf checks a Secrets answer and returns its credentials; a
// secret in state error is the platform saying the account must be
// authorised again.
function credentialsOf(res, what) {
  if (res.status !== 200) throw new SecretError(`the platform answered ${res.status} to ${what}`);
  const json = parseJSON(res.text);
  const attrs = json && json.data && json.data.attributes;
  if (!attrs) throw new SecretError(`the platform answered ${what} without data.attributes`);
  if (attrs.state === 'error') {
    throw new SecretError(`the credential's secret is in state error (${attrs.error || 'no reason given'}); authorise the account again`);
  }
  const creds = attrs.credentials || {};
  if (!creds.access_token) throw new SecretError(`the platform answered ${what} with a secret that has no access_token`);
  return creds;
}

async function readSecret(cfg) {
  const res = await send('GET', secretURL(cfg), { headers: { Authorization: authHeader(), Accept: 'application/json' } });
  return credentialsOf(res, 'the secret read');
}

async function refreshSecret(cfg) {
  const res = await send('POST', `${secretURL(cfg)}/refresh`, { headers: { Authorization: authHeader(), Accept: 'application/json', 'Content-Length': '0' } });
  return credentialsOf(res, 'the refresh request');
}

module.exports = { send, parseJSON, readSecret, refreshSecret, SecretError };
