'use strict';
// A tiny TLS mock of the Salesforce and Microsoft token endpoints and APIs,
// for the examples' smoke test. The examples keep their real https hosts;
// the repository's redirect preload (internal/nodepreload/redirect.js) sends
// those connections here, and NODE_EXTRA_CA_CERTS makes Node trust the test
// CA made with openssl. This is not the real mock (mockprovider/, in Go): it
// knows just enough to drive each example through its refresh path.
const fs = require('fs');
const os = require('os');
const path = require('path');
const https = require('https');
const { execFileSync } = require('child_process');

const HOSTS = ['login.salesforce.com', '*.my.salesforce.com', 'login.microsoftonline.com', 'graph.microsoft.com'];
const INSTANCE = 'https://org1.my.salesforce.com';

// makeCerts writes a CA and a server certificate for HOSTS into a new
// temporary directory and returns their paths.
function makeCerts() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refreshproof-tls-'));
  const f = (n) => path.join(dir, n);
  const ossl = (...args) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'),
    '-days', '2', '-subj', '/CN=refreshproof test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  ossl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=refreshproof mock');
  fs.writeFileSync(f('ext.cnf'), `subjectAltName=${HOSTS.map((h) => `DNS:${h}`).join(',')},IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  ossl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-out', f('server.pem'), '-days', '2', '-extfile', f('ext.cnf'));
  return { dir, ca: f('ca.pem'), cert: f('server.pem'), key: f('server.key') };
}

// Provider is the state of one mock run. Options:
//   rotate: 'none' | 'keep-old' | 'reuse-detection' (Salesforce default none,
//           Microsoft always issues a new refresh token and keeps old ones)
//   api: 'ok' | 'always-401' | 'forbidden'
//   token: 'ok' | 'reject'
//   tokenUnavailable: how many token requests answer 503 first (default 0)
class Provider {
  constructor(kind, opts = {}) {
    this.kind = kind;
    this.opts = Object.assign({ api: 'ok', token: 'ok', rotate: kind === 'microsoft' ? 'keep-old' : 'none' }, opts);
    this.access = new Set();
    this.refresh = new Set(['RT-0']);
    this.used = new Set();
    this.n = 0;
    this.journal = [];
  }

  tokenCalls() { return this.journal.filter((r) => r.kind === 'token'); }
  apiCalls() { return this.journal.filter((r) => r.kind === 'api'); }

  handle(req, body, res) {
    const host = String(req.headers.host || '').split(':')[0];
    const url = new URL(req.url, `https://${host}`);
    const json = (status, obj, headers) => {
      res.writeHead(status, Object.assign({ 'Content-Type': 'application/json;charset=UTF-8' }, headers));
      res.end(JSON.stringify(obj));
    };
    if (req.method === 'POST' && (host === 'login.salesforce.com' || host === 'login.microsoftonline.com') && /\/token$/.test(url.pathname)) {
      const form = new URLSearchParams(body);
      const rt = form.get('refresh_token');
      this.journal.push({ kind: 'token', host, refreshToken: rt, clientId: form.get('client_id') });
      return this.token(rt, json);
    }
    const auth = String(req.headers.authorization || '');
    const at = auth.replace(/^Bearer /, '');
    this.journal.push({ kind: 'api', host, path: url.pathname, query: url.search, accessToken: at });
    const ok = this.access.has(at) && this.opts.api !== 'always-401';
    if (this.kind === 'microsoft') {
      if (this.opts.api === 'forbidden') return json(403, { error: { code: 'ErrorAccessDenied', message: 'Access is denied. Check credentials and try again.' } });
      if (!ok) return json(401, { error: { code: 'InvalidAuthenticationToken', message: 'Lifetime validation failed, the token is expired.' } });
      return json(200, { value: [{ id: 'm1', subject: 'Hello' }, { id: 'm2', subject: 'Quarterly report' }] });
    }
    if (this.opts.api === 'forbidden') return json(403, [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
    if (!ok) return json(401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }], { 'WWW-Authenticate': 'Token' });
    return json(200, { totalSize: 1, done: true, records: [{ attributes: { type: 'Account' }, Id: '001', Name: 'Acme' }] });
  }

  token(rt, json) {
    const ms = this.kind === 'microsoft';
    const fail = (desc) => json(400, ms
      ? { error: 'invalid_grant', error_description: `AADSTS70008: ${desc}\r\nTrace ID: 0\r\nCorrelation ID: 0`, error_codes: [70008] }
      : { error: 'invalid_grant', error_description: desc });
    if (this.tokenCalls().length <= (this.opts.tokenUnavailable || 0)) {
      return json(503, ms
        ? { error: 'temporarily_unavailable', error_description: 'AADSTS90033: A transient error has occurred. Please try again.', error_codes: [90033] }
        : { error: 'unavailable', error_description: 'service unavailable' }, { 'Retry-After': '1' });
    }
    if (this.opts.token === 'reject') return fail('expired access/refresh token');
    if (!this.refresh.has(rt)) {
      if (this.opts.rotate === 'reuse-detection' && this.used.has(rt)) {
        this.refresh.clear();
        this.access.clear();
      }
      return fail('expired access/refresh token');
    }
    this.n += 1;
    const at = `AT-${this.n}`;
    this.access.add(at);
    let newRT;
    if (this.opts.rotate !== 'none') {
      newRT = `RT-${this.n}`;
      this.refresh.add(newRT);
      if (this.opts.rotate === 'reuse-detection') {
        this.refresh.delete(rt);
        this.used.add(rt);
      }
    }
    if (ms) {
      return json(200, { token_type: 'Bearer', scope: 'openid offline_access User.Read Mail.Read', expires_in: 3599, ext_expires_in: 3599, access_token: at, refresh_token: newRT });
    }
    const out = { access_token: at };
    if (newRT) out.refresh_token = newRT;
    Object.assign(out, { signature: 'c2lnbmF0dXJl', scope: 'api refresh_token', instance_url: INSTANCE, id: 'https://login.salesforce.com/id/00D000000000001AAA/005000000000001AAA', token_type: 'Bearer', issued_at: String(Date.now()) });
    return json(200, out);
  }
}

// startProviders serves one Provider over TLS on 127.0.0.1; provider may be
// replaced between runs (server.provider = ...).
async function startProviders(certs) {
  const server = https.createServer({ cert: fs.readFileSync(certs.cert), key: fs.readFileSync(certs.key) }, (req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => server.provider.handle(req, body, res));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

// initialKeys is what the platform stored after the authorization: an
// access token the provider no longer accepts and refresh token RT-0.
function initialKeys(kind) {
  if (kind === 'microsoft') {
    return { token_type: 'Bearer', scope: 'openid offline_access User.Read Mail.Read', expires_in: 3599, ext_expires_in: 3599, access_token: 'AT-expired', refresh_token: 'RT-0' };
  }
  return { access_token: 'AT-expired', refresh_token: 'RT-0', signature: 'c2lnbmF0dXJl', scope: 'api refresh_token', instance_url: INSTANCE, id: 'https://login.salesforce.com/id/00D000000000001AAA/005000000000001AAA', token_type: 'Bearer', issued_at: '1700000000000' };
}

module.exports = { makeCerts, startProviders, Provider, initialKeys, HOSTS };
