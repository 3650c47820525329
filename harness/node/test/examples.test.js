'use strict';
// Smoke test of the example components (examples/*): each one runs through
// the driver, with its own installed sailor, against a tiny TLS mock of the
// providers (testdata/providers.js) reached through the repository's redirect
// preload, in a few situations that separate the compliant examples from
// the broken ones. Needs `npm ci` in each example and openssl.
// Run: node --test harness/node/test/
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const { startPlatform, startDriver, sailorEnv, sleep } = require('../testdata/helpers');
const { makeCerts, startProviders, Provider, initialKeys, HOSTS } = require('../testdata/providers');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const EXAMPLES = path.join(ROOT, 'examples');
const PRELOAD = path.join(ROOT, 'internal', 'nodepreload', 'redirect.js');

function readExample(name) {
  const dir = path.join(EXAMPLES, name);
  const yaml = fs.readFileSync(path.join(dir, 'refreshproof.yaml'), 'utf8');
  const field = (k) => (new RegExp(`^${k}:\\s*(\\S+)`, 'm').exec(yaml) || [])[1];
  return { name, dir, provider: field('provider'), fn: field('function'), strategy: field('strategy') };
}

// This smoke test covers the first hand-written examples, each with one
// known mistake, against a mock small enough to read. Every example, these
// included, is judged against the real mocks by the Go tests of
// `refreshproof check` (internal/cli TestCheckExamples), which is where a
// new example's verdicts are asserted.
const SMOKE_EXAMPLES = [
  'ms-graph-on401', 'ms-graph-every-call', 'sf-query-on401', 'sf-drops-refresh-token',
  'ms-emits-access-token-only', 'ms-retries-twice', 'sf-loops-on-401', 'ms-swallows-refresh-failure',
  'sf-refreshes-on-403', 'ms-logs-token', 'sf-cfg-refresh-token', 'ms-unbound-emit',
];

const examples = SMOKE_EXAMPLES.map(readExample);

const certs = makeCerts();
test.after(() => fs.rmSync(certs.dir, { recursive: true, force: true }));

const bodyFor = (ex, extra) => Object.assign(ex.provider === 'microsoft'
  ? { resource: '/me/messages', top: 10 }
  : { query: 'SELECT Id, Name FROM Account LIMIT 10' }, extra);

// runCase runs the messages through one fresh container and returns what
// happened: the driver's events, the provider journal, the platform PUTs.
async function runCase(ex, providerOpts, messages, between) {
  const provider = new Provider(ex.provider, providerOpts);
  const server = await startProviders(certs);
  server.provider = provider;
  const platform = await startPlatform({ oauth: initialKeys(ex.provider), _account: 'acc1' });
  const redirect = { target: { host: '127.0.0.1', port: server.address().port }, hosts: HOSTS, block: true };
  const driver = startDriver(ex.dir, sailorEnv(platform.url, ex.fn, {
    NODE_OPTIONS: `--require ${PRELOAD}`,
    REFRESHPROOF_REDIRECT: JSON.stringify(redirect),
    NODE_EXTRA_CA_CERTS: certs.ca,
    OAUTH_CLIENT_ID: 'client-1',
    OAUTH_CLIENT_SECRET: 'secret-1',
    REFRESHPROOF_CLOCK_OFFSET_MS: '0',
  }));
  try {
    const ready = await driver.waitFor((e) => e.ev === 'ready' || e.ev === 'fatal');
    assert.equal(ready.ev, 'ready', `${ex.name} did not start: ${JSON.stringify(ready)}`);
    for (let i = 0; i < messages.length; i++) {
      const id = `m${i + 1}`;
      if (i > 0 && between) between(provider);
      driver.send({ cmd: 'message', id, messageId: `${ex.name}-${id}`, body: bodyFor(ex, messages[i]) });
      await driver.waitFor((e) => e.ev === 'processed' && e.msg === id, 60000);
      await quiet(driver);
    }
    driver.send({ cmd: 'exit' });
    const exit = await driver.exited;
    assert.equal(exit.code, 0, driver.stderr);
    const per = (id) => driver.events.filter((e) => e.msg === id);
    return {
      provider,
      puts: platform.puts,
      driver,
      messages: messages.map((m, i) => {
        const evs = per(`m${i + 1}`);
        return {
          data: evs.filter((e) => e.ev === 'emit' && e.name === 'data').map((e) => e.args[0]),
          errors: evs.filter((e) => e.ev === 'emit' && e.name === 'error').map((e) => e.args[0].message),
        };
      }),
      updateKeys: driver.events.filter((e) => e.ev === 'emit' && e.name === 'updateKeys'),
    };
  } finally {
    driver.child.kill('SIGKILL');
    await driver.exited;
    await platform.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

// quiet waits until every emit has settled and nothing happened for 250 ms.
async function quiet(driver) {
  for (;;) {
    const n = driver.events.length;
    await sleep(250);
    const open = driver.events.filter((e) => e.ev === 'emit').length - driver.events.filter((e) => e.ev === 'emit-settled').length;
    if (n === driver.events.length && open === 0) return;
  }
}

const is = (name) => (ex) => ex.name === name;
const compliant = ['ms-graph-on401', 'ms-graph-every-call', 'sf-query-on401'];

test('every example has the files it needs', () => {
  const all = fs.readdirSync(EXAMPLES).filter((n) => fs.statSync(path.join(EXAMPLES, n)).isDirectory());
  assert.ok(all.length >= examples.length);
  for (const ex of all.map(readExample)) {
    for (const f of ['component.json', 'package.json', 'package-lock.json', 'README.md', 'refreshproof.yaml']) {
      assert.ok(fs.existsSync(path.join(ex.dir, f)), `${ex.name}/${f}`);
    }
    const comp = JSON.parse(fs.readFileSync(path.join(ex.dir, 'component.json'), 'utf8'));
    assert.ok(comp.actions[ex.fn], `${ex.name}: action ${ex.fn}`);
    assert.ok(fs.existsSync(path.join(ex.dir, comp.actions[ex.fn].main)), `${ex.name}: main`);
    if (!SMOKE_EXAMPLES.includes(ex.name)) continue;
    assert.equal(comp.credentials.oauth2.client_id, '{{OAUTH_CLIENT_ID}}');
    assert.ok(comp.credentials.fields.oauth);
    const pkg = JSON.parse(fs.readFileSync(path.join(ex.dir, 'package.json'), 'utf8'));
    assert.equal(pkg.dependencies['elasticio-sailor-nodejs'], '2.7.8');
    assert.ok(['microsoft', 'salesforce'].includes(ex.provider));
    assert.ok(['on-401', 'every-call', 'before-expiry'].includes(ex.strategy));
  }
});

for (const ex of examples) {
  test(`${ex.name}: expired access token, then rotation across two messages`, async () => {
    // Between the messages the provider forgets every access token, as if
    // the clock had moved past their lifetime.
    const opts = ex.provider === 'salesforce' ? { rotate: 'reuse-detection' } : {};
    const r = await runCase(ex, opts, [{}, {}], (p) => p.access.clear());
    const presented = r.provider.tokenCalls().map((c) => c.refreshToken);
    assert.ok(r.provider.tokenCalls().every((c) => c.clientId === 'client-1'));
    if (is('sf-cfg-refresh-token')(ex)) {
      // The second message presents the rotated-out RT-0: the family is revoked.
      assert.deepEqual(presented, ['RT-0', 'RT-0']);
      assert.equal(r.messages[0].errors.length, 0);
      assert.match(r.messages[1].errors[0], /invalid_grant/);
      return;
    }
    assert.deepEqual(presented, ['RT-0', 'RT-1'], 'refreshes with the newest refresh token');
    for (const m of r.messages) {
      assert.deepEqual(m.errors, []);
      assert.equal(m.data.length, 1);
    }
    const keys = r.puts.map((p) => p.body.keys);
    if (is('ms-unbound-emit')(ex)) {
      assert.deepEqual(keys, []);
      assert.ok(r.updateKeys.length === 2 && r.updateKeys.every((e) => e.unbound === true));
      return;
    }
    assert.equal(keys.length, 2);
    assert.ok(r.puts.every((p) => p.account === 'acc1'));
    if (is('ms-emits-access-token-only')(ex)) {
      assert.deepEqual(keys[1], { oauth: { access_token: 'AT-2' } });
    } else if (is('sf-drops-refresh-token')(ex)) {
      assert.equal(keys[1].oauth.access_token, 'AT-2');
      assert.equal(keys[1].oauth.refresh_token, 'RT-2', 'a rotating response carries its refresh token');
      assert.equal(keys[0].oauth.id.startsWith('https://login.salesforce.com/id/'), true);
    } else {
      assert.equal(keys[1].oauth.access_token, 'AT-2');
      assert.equal(keys[1].oauth.refresh_token, 'RT-2');
      if (ex.provider === 'microsoft') assert.equal(keys[1].oauth.expires_in, 3599);
      else assert.equal(keys[1].oauth.instance_url, 'https://org1.my.salesforce.com');
    }
    const logged = r.driver.stdout.includes('RT-1');
    assert.equal(logged, is('ms-logs-token')(ex), 'only ms-logs-token logs a refresh token');
  });

  test(`${ex.name}: a non-rotating refresh keeps the refresh token in the keys`, async () => {
    const r = await runCase(ex, { rotate: 'none' }, [{}]);
    assert.deepEqual(r.messages[0].errors, []);
    if (is('ms-unbound-emit')(ex)) return assert.deepEqual(r.puts, []);
    const oauth = r.puts[0].body.keys.oauth;
    if (is('sf-drops-refresh-token')(ex) || is('ms-emits-access-token-only')(ex)) {
      assert.equal(oauth.refresh_token, undefined, 'the stored refresh token is erased');
    } else {
      assert.equal(oauth.refresh_token, 'RT-0');
    }
  });

  test(`${ex.name}: every API call answers 401`, async () => {
    const r = await runCase(ex, { api: 'always-401' }, [{}]);
    const want = { 'ms-retries-twice': 2, 'sf-loops-on-401': 50 }[ex.name] || 1;
    assert.equal(r.provider.tokenCalls().length, want);
    assert.equal(r.messages[0].errors.length, 1);
    assert.match(r.messages[0].errors[0], /401/);
    assert.equal(r.messages[0].data.length, 0);
  });

  test(`${ex.name}: the refresh is refused`, async () => {
    const r = await runCase(ex, { token: 'reject' }, [{}]);
    assert.equal(r.provider.tokenCalls().length, 1, 'a refused refresh is not retried');
    assert.equal(r.provider.apiCalls().length, ex.strategy === 'every-call' ? 0 : 1, 'no API call after a refused refresh');
    assert.deepEqual(r.puts, []);
    if (is('ms-swallows-refresh-failure')(ex)) {
      assert.deepEqual(r.messages[0].errors, []);
      assert.deepEqual(r.messages[0].data, [{ body: {} }]);
      assert.match(r.driver.stdout, /could not refresh/);
      return;
    }
    assert.equal(r.messages[0].data.length, 0);
    assert.match(r.messages[0].errors[0], /refused to refresh the access token \(invalid_grant/);
  });

  test(`${ex.name}: the token endpoint answers 503 twice, then works`, async () => {
    const r = await runCase(ex, { tokenUnavailable: 2 }, [{}]);
    assert.equal(r.provider.tokenCalls().length, 3, 'two more attempts after a 503');
    assert.deepEqual(r.messages[0].errors, []);
    assert.equal(r.messages[0].data.length, 1);
  });

  test(`${ex.name}: the API answers 403`, async () => {
    const r = await runCase(ex, { api: 'forbidden' }, [{}]);
    const want = ex.strategy === 'every-call' || is('sf-refreshes-on-403')(ex) ? 1 : 0;
    assert.equal(r.provider.tokenCalls().length, want);
    assert.match(r.messages[0].errors[0], /403/);
  });

  test(`${ex.name}: three concurrent calls get 401`, async () => {
    const r = await runCase(ex, {}, [{ concurrency: 3 }]);
    assert.equal(r.provider.tokenCalls().length, 1, 'one refresh for all');
    assert.equal(r.provider.apiCalls().length, ex.strategy === 'every-call' ? 3 : 6);
    assert.deepEqual(r.messages[0].errors, []);
    assert.equal(r.updateKeys.length, 1);
  });
}

test('the compliant examples are the three named in the brief', () => {
  assert.deepEqual(examples.filter((ex) => compliant.includes(ex.name)).map((e) => e.name).sort(), compliant.slice().sort());
});
