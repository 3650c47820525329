'use strict';
// Helpers shared by the driver's tests: a tiny mock platform API and a
// driver process with its event pipe on fd 3.
const http = require('http');
const path = require('path');
const { spawn } = require('child_process');

const DRIVER = path.join(__dirname, '..', 'driver.js');

// startPlatform serves the two platform endpoints the sailor calls:
// GET /v1/tasks/{flow}/steps/{step} (the step with config) and
// PUT /v1/accounts/{id} (updateKeys). puts records every PUT in order.
async function startPlatform(config) {
  const puts = [];
  const requests = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, auth: req.headers.authorization });
      if (req.method === 'GET' && /^\/v1\/tasks\/[^/]+\/steps\/[^/]+$/.test(req.url)) {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ id: 'step_1', config, snapshot: {}, variables: {}, is_passthrough: false }));
        return;
      }
      const m = /^\/v1\/accounts\/([^/]+)$/.exec(req.url);
      if (req.method === 'PUT' && m) {
        puts.push({ account: decodeURIComponent(m[1]), body: JSON.parse(body || 'null'), t: Date.now() });
        res.setHeader('Content-Type', 'application/json');
        res.end('{}');
        return;
      }
      res.statusCode = 404;
      res.end('{"error":"not found"}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return { url, puts, requests, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

function sailorEnv(apiUri, fn, extra) {
  return Object.assign({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ELASTICIO_FLOW_ID: 'flow1',
    ELASTICIO_EXEC_ID: 'exec1',
    ELASTICIO_STEP_ID: 'step_1',
    ELASTICIO_CONTAINER_ID: 'container1',
    ELASTICIO_WORKSPACE_ID: 'ws1',
    ELASTICIO_USER_ID: 'user1',
    ELASTICIO_COMP_ID: 'comp1',
    ELASTICIO_FUNCTION: fn,
    ELASTICIO_API_URI: apiUri,
    ELASTICIO_API_USERNAME: 'task-user',
    ELASTICIO_API_KEY: 'task-key',
    ELASTICIO_AMQP_URI: 'amqp://in-memory',
    ELASTICIO_LISTEN_MESSAGES_ON: 'in',
    ELASTICIO_PUBLISH_MESSAGES_TO: 'out',
    ELASTICIO_DATA_ROUTING_KEY: 'data',
    ELASTICIO_ERROR_ROUTING_KEY: 'error',
    ELASTICIO_REBOUND_ROUTING_KEY: 'rebound',
    ELASTICIO_SNAPSHOT_ROUTING_KEY: 'snapshot',
    ELASTICIO_MESSAGE_CRYPTO_IV: '0123456789abcdef',
    ELASTICIO_MESSAGE_CRYPTO_PASSWORD: 'password',
    ELASTICIO_COMPONENT_PATH: '',
    ELASTICIO_API_REQUEST_RETRY_ATTEMPTS: '1',
    LOG_LEVEL: 'warn',
  }, extra || {});
}

// startDriver runs the driver in componentDir and collects its events.
function startDriver(componentDir, env) {
  const child = spawn(process.execPath, [DRIVER], {
    cwd: componentDir,
    env: Object.assign({ REFRESHPROOF_SAILOR: path.join(componentDir, 'node_modules', 'elasticio-sailor-nodejs') }, env),
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  const events = [];
  const raw = [];
  let stdout = '';
  let stderr = '';
  const waiters = [];
  const check = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i];
      const found = events.find(w.pred);
      if (found) { waiters.splice(i, 1); clearTimeout(w.timer); w.resolve(found); }
    }
  };
  let buf = '';
  child.stdio[3].setEncoding('utf8');
  child.stdio[3].on('data', (chunk) => {
    buf += chunk;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      raw.push(line);
      events.push(JSON.parse(line));
    }
    check();
  });
  child.stdout.on('data', (c) => { stdout += c; });
  child.stderr.on('data', (c) => { stderr += c; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    events,
    raw,
    exited,
    get stdout() { return stdout; },
    get stderr() { return stderr; },
    send(cmd) { child.stdin.write((typeof cmd === 'string' ? cmd : JSON.stringify(cmd)) + '\n'); },
    waitFor(pred, timeoutMs = 15000) {
      return new Promise((resolve, reject) => {
        const w = { pred, resolve };
        w.timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`timed out waiting for an event; got:\n${raw.join('\n')}\nstderr:\n${stderr}\nstdout:\n${stdout.slice(-4000)}`));
        }, timeoutMs);
        waiters.push(w);
        check();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        try { child.stdin.end(); } catch (e) { /* already closed */ }
      }
      return exited;
    },
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = { startPlatform, startDriver, sailorEnv, sleep, DRIVER };
