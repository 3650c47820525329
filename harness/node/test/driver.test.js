'use strict';
// Tests of harness/node/driver.js against the real sailor (2.7.8, installed
// in testdata/fixture by `npm ci`), a tiny fixture component and a tiny mock
// platform API. Run: node --test harness/node/test/
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const { startPlatform, startDriver, sailorEnv, sleep, DRIVER } = require('../testdata/helpers');

const FIXTURE = path.join(__dirname, '..', 'testdata', 'fixture');
const STEP_CONFIG = { oauth: { access_token: 'A1', refresh_token: 'R1' }, _account: 'acc1' };

if (!fs.existsSync(path.join(FIXTURE, 'node_modules', 'elasticio-sailor-nodejs'))) {
  throw new Error(`the fixture's sailor is not installed: run \`npm ci\` in ${FIXTURE}`);
}

// run starts a platform and a driver for fn, waits for ready (or fatal) and
// returns both; the test must call done().
async function run(t, fn, extraEnv) {
  const platform = await startPlatform(STEP_CONFIG);
  const driver = startDriver(FIXTURE, sailorEnv(platform.url, fn, extraEnv));
  t.after(async () => {
    driver.child.kill('SIGKILL');
    await driver.exited;
    await platform.close();
  });
  return { platform, driver };
}

// idle comes when the component has nothing pending, after processed; the
// tests of other events leave it out (its place depends on timing), and
// the idle tests below look at it.
const names = (events) => events.filter((e) => e.ev !== 'idle').map((e) => (e.ev === 'emit' ? `emit:${e.name}` : e.ev === 'amqp' ? `amqp:${e.op}` : e.ev === 'emit-settled' ? `settled:${e.id}` : e.ev));

function assertSeq(events) {
  events.forEach((e, i) => {
    assert.equal(e.seq, i + 1, 'seq counts 1, 2, 3, ...');
    assert.equal(typeof e.t, 'number');
    assert.ok('msg' in e);
  });
}

test('a promise-returning action: emit data, end, then processed', async (t) => {
  const { driver } = await run(t, 'promise');
  const ready = await driver.waitFor((e) => e.ev === 'ready' || e.ev === 'fatal');
  assert.equal(ready.ev, 'ready');
  assert.equal(ready.sailorVersion, '2.7.8');
  assert.equal(ready.node, process.version);
  assert.equal(ready.msg, null);
  driver.send({ cmd: 'message', id: 'm1', messageId: 'mid-1', body: { hello: 'world' }, clockOffsetMs: 0 });
  await driver.waitFor((e) => e.ev === 'processed');
  assert.deepEqual(names(driver.events), [
    'ready', 'emit:data', 'amqp:sendData', 'settled:1', 'emit:end', 'amqp:ack', 'settled:2', 'processed',
  ]);
  assertSeq(driver.events);
  const data = driver.events.find((e) => e.ev === 'emit');
  assert.deepEqual(data.args, [{ body: { echo: { hello: 'world' } } }]);
  assert.equal(data.msg, 'm1');
  assert.deepEqual(driver.events.find((e) => e.op === 'ack').payload, 'mid-1');
  assert.equal(driver.events.at(-1).msg, 'm1');
  assert.equal(driver.events.at(-1).error, undefined);

  // A second message with its own id; the first id may even come again, as
  // ack forgets it like the real connection does.
  driver.send({ cmd: 'message', id: 'm2', messageId: 'mid-1', body: { n: 2 } });
  await driver.waitFor((e) => e.ev === 'processed' && e.msg === 'm2');
  assert.ok(driver.events.some((e) => e.ev === 'emit' && e.msg === 'm2' && e.name === 'data'));
  driver.send({ cmd: 'exit' });
  assert.deepEqual(await driver.exited, { code: 0, signal: null });
});

test('a callback-style action that emits without await: every emit and its settlement is recorded', async (t) => {
  const { driver, platform } = await run(t, 'callback');
  await driver.waitFor((e) => e.ev === 'ready');
  driver.send({ cmd: 'message', id: 'm1', messageId: 'mid-1', body: {} });
  await driver.waitFor((e) => e.ev === 'processed');
  await driver.waitFor((e) => e.ev === 'emit-settled' && e.id === 1);
  await driver.waitFor((e) => e.ev === 'emit-settled' && e.id === 2);
  const emits = driver.events.filter((e) => e.ev === 'emit').map((e) => e.name);
  assert.deepEqual(emits, ['updateKeys', 'data', 'end']);
  // The emits are all recorded before end's ack; the data publish and the
  // PUT may come after it (the sailor does not wait for them).
  const idx = (pred) => driver.events.findIndex(pred);
  assert.ok(idx((e) => e.name === 'updateKeys') < idx((e) => e.op === 'ack'));
  assert.ok(idx((e) => e.ev === 'emit-settled' && e.id === 3) < idx((e) => e.ev === 'processed'));
  for (const id of [1, 2, 3]) {
    assert.equal(driver.events.find((e) => e.ev === 'emit-settled' && e.id === id).ok, true);
  }
  assert.equal(platform.puts.length, 1);
  assertSeq(driver.events);
});

test('updateKeys reaches PUT /v1/accounts/{id} with body {"keys": ...}', async (t) => {
  const { driver, platform } = await run(t, 'updateKeys');
  await driver.waitFor((e) => e.ev === 'ready');
  driver.send({ cmd: 'message', id: 'm1', messageId: 'mid-1', body: {} });
  await driver.waitFor((e) => e.ev === 'processed');
  assert.deepEqual(platform.puts.map((p) => [p.account, p.body]), [
    ['acc1', { keys: { oauth: { access_token: 'new-access', refresh_token: 'R1' } } }],
  ]);
  const put = platform.requests.find((r) => r.method === 'PUT');
  assert.equal(put.auth, `Basic ${Buffer.from('task-user:task-key').toString('base64')}`);
  assert.deepEqual(names(driver.events).slice(1, 4), ['emit:updateKeys', 'settled:1', 'emit:data']);
});

test('the action sees the virtual clock: start offset, clock command and per-message offset', async (t) => {
  const hour = 3600 * 1000;
  const { driver } = await run(t, 'clock', { REFRESHPROOF_CLOCK_OFFSET_MS: String(hour) });
  await driver.waitFor((e) => e.ev === 'ready');
  const seen = async (id) => {
    const ev = await driver.waitFor((e) => e.ev === 'emit' && e.name === 'data' && e.msg === id);
    return { body: ev.args[0].body, t: ev.t };
  };
  const near = (got, want, what) => assert.ok(Math.abs(got - want) < 2000, `${what}: got ${got}, want about ${want}`);

  driver.send({ cmd: 'message', id: 'm1', messageId: 'a', body: {} });
  let { body, t: at } = await seen('m1');
  near(body.now, at + hour, 'Date.now() with the start offset');
  near(body.newDate, at + hour, 'new Date()');
  near(new Date(body.dateString).getTime(), at + hour, 'Date()');
  near(body.sub, at + hour, 'a Date subclass');
  assert.equal(body.fixed, 0);
  assert.equal(body.parse, 1000);
  assert.equal(body.isDate, true);
  assert.equal(body.subIsDate, true);

  driver.send({ cmd: 'clock', offsetMs: 3 * hour });
  driver.send({ cmd: 'message', id: 'm2', messageId: 'b', body: {} });
  ({ body, t: at } = await seen('m2'));
  near(body.now, at + 3 * hour, 'after the clock command');

  driver.send({ cmd: 'message', id: 'm3', messageId: 'c', body: {}, clockOffsetMs: -hour });
  ({ body, t: at } = await seen('m3'));
  near(body.now, at - hour, 'with the message\'s clockOffsetMs');
});

test('an uncaught exception is reported, then the driver exits 4', async (t) => {
  const { driver } = await run(t, 'crash');
  await driver.waitFor((e) => e.ev === 'ready');
  driver.send({ cmd: 'message', id: 'm1', messageId: 'mid-1', body: {} });
  const ev = await driver.waitFor((e) => e.ev === 'uncaughtException');
  assert.equal(ev.error.message, 'boom outside the promise');
  assert.equal(ev.error.name, 'Error');
  assert.match(ev.error.stack, /crash\.js/);
  assert.equal(ev.msg, 'm1');
  assert.deepEqual(await driver.exited, { code: 4, signal: null });
  assert.equal(driver.events.at(-1).ev, 'uncaughtException');
});

test('an unknown function is fatal in the load phase: fatal event, exit 3', async (t) => {
  const { driver } = await run(t, 'noSuchAction');
  const ev = await driver.waitFor((e) => e.ev === 'fatal');
  assert.equal(ev.phase, 'load');
  assert.match(ev.error.message, /"noSuchAction" is not found in component\.json/);
  assert.deepEqual(await driver.exited, { code: 3, signal: null });
  assert.deepEqual(names(driver.events), ['fatal']);
});

test('a missing main file is fatal: fatal event, exit 3', async (t) => {
  const { driver } = await run(t, 'missingMain');
  const ev = await driver.waitFor((e) => e.ev === 'fatal');
  assert.equal(ev.phase, 'load');
  assert.match(ev.error.message, /Cannot find module '.*\/lib\/actions\/nope\.js'/);
  assert.equal(ev.error.code, 'MODULE_NOT_FOUND');
  assert.deepEqual(await driver.exited, { code: 3, signal: null });
});

test('a platform that does not answer the step is fatal in the prepare phase', async (t) => {
  const { driver } = await run(t, 'promise', { ELASTICIO_API_URI: 'http://127.0.0.1:1' });
  const ev = await driver.waitFor((e) => e.ev === 'fatal');
  assert.equal(ev.phase, 'prepare');
  assert.deepEqual(await driver.exited, { code: 3, signal: null });
});

test('a missing ELASTICIO_ variable is fatal in the prepare phase', async (t) => {
  const { driver } = await run(t, 'promise', { ELASTICIO_API_KEY: '' });
  const ev = await driver.waitFor((e) => e.ev === 'fatal');
  assert.equal(ev.phase, 'prepare');
  assert.match(ev.error.message, /ELASTICIO_API_KEY is missing/);
  assert.deepEqual(await driver.exited, { code: 3, signal: null });
});

test('a thrown error becomes emit error, end, reject; processed has no error', async (t) => {
  const { driver } = await run(t, 'throws');
  await driver.waitFor((e) => e.ev === 'ready');
  driver.send({ cmd: 'message', id: 'm1', messageId: 'mid-1', body: {} });
  await driver.waitFor((e) => e.ev === 'processed');
  assert.deepEqual(names(driver.events), [
    'ready', 'emit:error', 'amqp:sendError', 'settled:1', 'emit:end', 'amqp:reject', 'settled:2', 'processed',
  ]);
  const err = driver.events.find((e) => e.name === 'error').args[0];
  assert.equal(err.name, 'Error');
  assert.equal(err.message, 'refresh failed: invalid_grant');
});

test('an unbound emit is marked, and the sailor rejects it (detached) or drops it (on another object)', async (t) => {
  const { driver, platform } = await run(t, 'unbound');
  await driver.waitFor((e) => e.ev === 'ready');
  driver.send({ cmd: 'message', id: 'm1', messageId: 'a', body: { mode: 'detached' } });
  await driver.waitFor((e) => e.ev === 'processed' && e.msg === 'm1');
  driver.send({ cmd: 'message', id: 'm2', messageId: 'b', body: { mode: 'wrapper' } });
  await driver.waitFor((e) => e.ev === 'processed' && e.msg === 'm2');

  const uk = driver.events.filter((e) => e.name === 'updateKeys');
  assert.equal(uk.length, 2);
  assert.ok(uk.every((e) => e.unbound === true));
  const settled = (e) => driver.events.find((s) => s.ev === 'emit-settled' && s.id === e.id);
  assert.equal(settled(uk[0]).ok, false);
  assert.match(settled(uk[0]).error.message, /reading '\$events'/);
  assert.equal(settled(uk[1]).ok, true);
  assert.equal(settled(uk[1]).handled, false);
  assert.deepEqual(platform.puts, []);
});

test('emits after end are recorded and still published', async (t) => {
  const { driver } = await run(t, 'unbound');
  await driver.waitFor((e) => e.ev === 'ready');
  driver.send({ cmd: 'message', id: 'm1', messageId: 'a', body: { mode: 'afterEnd' } });
  await driver.waitFor((e) => e.ev === 'emit-settled' && e.id === 4);
  assert.deepEqual(names(driver.events), [
    'ready', 'emit:end', 'amqp:ack', 'settled:1', 'processed',
    'emit:data', 'amqp:sendData', 'settled:2', 'emit:data', 'amqp:sendData', 'settled:3', 'emit:end', 'settled:4',
  ]);
});

test('idle follows processed when the component left nothing pending', async (t) => {
  const { driver } = await run(t, 'promise');
  await driver.waitFor((e) => e.ev === 'ready');
  driver.send({ cmd: 'message', id: 'm1', messageId: 'a', body: {} });
  const idle = await driver.waitFor((e) => e.ev === 'idle');
  const processed = driver.events.find((e) => e.ev === 'processed');
  assert.ok(processed && processed.seq < idle.seq, 'idle comes after processed');
  assert.equal(idle.msg, 'm1');
  assert.ok(idle.t - processed.t < 100, `idle ${idle.t - processed.t} ms after processed`);
});

test('idle waits for a timer the component left: a late updateKeys comes first', async (t) => {
  const { driver } = await run(t, 'late');
  await driver.waitFor((e) => e.ev === 'ready');
  driver.send({ cmd: 'message', id: 'm1', messageId: 'a', body: { delayMs: 150 } });
  const idle = await driver.waitFor((e) => e.ev === 'idle');
  const processed = driver.events.find((e) => e.ev === 'processed');
  const keys = driver.events.find((e) => e.ev === 'emit' && e.name === 'updateKeys');
  assert.ok(keys, 'the late updateKeys was emitted');
  assert.ok(processed.seq < keys.seq && keys.seq < idle.seq, `order: processed ${processed.seq}, updateKeys ${keys.seq}, idle ${idle.seq}`);
  assert.ok(idle.t - processed.t >= 140, 'idle only after the timer ran');
  assert.equal(driver.events.filter((e) => e.ev === 'idle').length, 1, 'idle is reported once');
});

test('arguments are made JSON-safe and big events are truncated', async (t) => {
  const { driver } = await run(t, 'shapes');
  await driver.waitFor((e) => e.ev === 'ready');
  driver.send({ cmd: 'message', id: 'm1', messageId: 'a', body: { size: 300 * 1024 } });
  await driver.waitFor((e) => e.ev === 'processed');
  for (const line of driver.raw) {
    assert.ok(Buffer.byteLength(line) <= 256 * 1024, 'every event line fits in 256 KiB');
  }
  const custom = driver.events.find((e) => e.name === 'custom');
  const [odd, undef, big] = custom.args;
  assert.deepEqual(odd.buf, { type: 'Buffer', length: 5, base64Preview: Buffer.from('hello').toString('base64') });
  assert.equal(odd.err.name, 'TypeError');
  assert.equal(odd.err.message, 'bad');
  assert.equal(odd.when, '1970-01-01T00:00:00.000Z');
  assert.equal(odd.fn, '[Function named]');
  assert.equal(odd.self, '[Circular]');
  assert.equal(undef, null);
  assert.equal(big, '7');
  assert.equal(driver.events.find((e) => e.ev === 'emit-settled' && e.id === custom.id).handled, false);

  const data = driver.events.find((e) => e.name === 'data');
  assert.equal(data.truncated, true);
  assert.equal(typeof data.args, 'string');
  assert.ok(data.args.startsWith('[{"body":{"big":"xxx'));
  const send = driver.events.find((e) => e.op === 'sendData');
  assert.equal(send.truncated, true);
});

test('malformed commands are protocol errors; stdin EOF exits 0', async (t) => {
  const { driver } = await run(t, 'promise');
  await driver.waitFor((e) => e.ev === 'ready');
  driver.send('this is not json');
  driver.send('[1,2]');
  driver.send({ cmd: 'dance' });
  driver.send({ cmd: 'clock', offsetMs: 'soon' });
  driver.send({ cmd: 'message', id: 'm1', messageId: 'a', body: {} });
  await driver.waitFor((e) => e.ev === 'processed');
  const errors = driver.events.filter((e) => e.ev === 'protocol-error');
  assert.deepEqual(errors.map((e) => e.line), ['this is not json', '[1,2]', '{"cmd":"dance"}', '{"cmd":"clock","offsetMs":"soon"}']);
  driver.child.stdin.end();
  assert.deepEqual(await driver.exited, { code: 0, signal: null });
  // Nothing but JSON lines on the event pipe.
  for (const line of driver.raw) JSON.parse(line);
});

test('without fd 3 the events go to stderr with a prefix', async () => {
  const platform = await startPlatform(STEP_CONFIG);
  try {
    const child = require('child_process').spawn(process.execPath, [DRIVER], {
      cwd: FIXTURE,
      env: Object.assign(sailorEnv(platform.url, 'promise'), { REFRESHPROOF_SAILOR: path.join(FIXTURE, 'node_modules', 'elasticio-sailor-nodejs') }),
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c) => { stderr += c; });
    const exited = new Promise((r) => child.on('exit', (code) => r(code)));
    for (let i = 0; i < 100 && !stderr.includes('"ready"'); i++) await sleep(50);
    child.stdin.end(JSON.stringify({ cmd: 'exit' }) + '\n');
    assert.equal(await exited, 0);
    assert.match(stderr, /^refreshproof-event: \{"seq":1,.*"ev":"ready"/m);
  } finally {
    await platform.close();
  }
});
