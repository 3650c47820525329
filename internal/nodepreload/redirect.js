'use strict';
// refreshproof: preloaded into a Node.js process (node --require) to send
// connections for the mocked provider hosts to the mock, unchanged
// otherwise: the Host header and the TLS server name stay the real host's,
// so certificate checks stay on (the mock's CA comes in through
// NODE_EXTRA_CA_CERTS). It patches net.connect, net.createConnection and
// tls.connect, which the http and https modules, axios, node-fetch, jsforce
// and the global fetch (undici) all reach.
const net = require('net');
const tls = require('tls');
const fs = require('fs');

let cfg;
try {
  cfg = JSON.parse(process.env.REFRESHPROOF_REDIRECT || 'null');
} catch (e) {
  process.stderr.write('refreshproof: REFRESHPROOF_REDIRECT is not JSON; host redirect is off\n');
}
if (cfg && cfg.target) {
  const hosts = (cfg.hosts || []).map((h) => String(h).toLowerCase());
  const matches = (host) => {
    host = String(host || '').toLowerCase().replace(/\.$/, '');
    return hosts.some((h) => (h.startsWith('*.') ? host.endsWith(h.slice(1)) && host.length > h.length - 1 : host === h));
  };
  const loopback = (host) => {
    host = String(host || '').replace(/^\[|\]$/g, '');
    return host === '' || host === 'localhost' || host === '::1' || /^127\./.test(host) || host === '0.0.0.0';
  };
  const note = (event) => {
    if (!cfg.log) return;
    try {
      fs.appendFileSync(cfg.log, JSON.stringify(Object.assign({ time: Date.now(), pid: process.pid }, event)) + '\n');
    } catch (e) { /* the log is best effort; the connection outcome is not */ }
  };
  const refuse = (host, port, Socket) => {
    const err = new Error(`refreshproof: blocked a connection to ${host}:${port}: only the mocked provider hosts and loopback are reachable during a run`);
    err.code = 'EREFRESHPROOFBLOCKED';
    note({ event: 'blocked', host, port });
    process.stderr.write(err.message + '\n');
    const s = new Socket();
    process.nextTick(() => s.destroy(err));
    return s;
  };
  // rewrite returns the options to use, or null to leave them.
  const rewrite = (opts, isTLS) => {
    if (!opts || opts.path) return null; // unix sockets
    const host = opts.host || opts.hostname || 'localhost';
    if (matches(host)) {
      note({ event: 'redirected', host, port: opts.port, tls: isTLS });
      const o = Object.assign({}, opts, { host: cfg.target.host, port: cfg.target.port });
      delete o.hostname;
      delete o.lookup;
      if (isTLS) o.servername = opts.servername || host;
      return o;
    }
    if (cfg.block && !loopback(host)) return { blocked: host, port: opts.port };
    return null;
  };

  const origNet = net.connect;
  const patchedNet = function connect(...args) {
    const normalized = net._normalizeArgs(args);
    const o = rewrite(normalized[0], false);
    if (o && o.blocked) return refuse(o.blocked, o.port, net.Socket);
    if (!o) return origNet.apply(this, args);
    return origNet.call(this, o, normalized[1]);
  };
  net.connect = patchedNet;
  net.createConnection = patchedNet;

  const origTLS = tls.connect;
  tls.connect = function connect(...args) {
    // tls.connect(options[, cb]) or (port[, host][, options][, cb]).
    let opts = {};
    let cb;
    if (args.length && typeof args[args.length - 1] === 'function') cb = args.pop();
    if (typeof args[0] === 'object' && args[0] !== null) {
      opts = Object.assign({}, args[0]);
    } else {
      opts = Object.assign({}, typeof args[2] === 'object' ? args[2] : typeof args[1] === 'object' ? args[1] : {});
      opts.port = args[0];
      if (typeof args[1] === 'string') opts.host = args[1];
    }
    const o = rewrite(opts, true);
    if (o && o.blocked) return refuse(o.blocked, o.port, tls.TLSSocket);
    return cb ? origTLS.call(this, o || opts, cb) : origTLS.call(this, o || opts);
  };
}
