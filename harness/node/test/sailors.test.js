'use strict';
// The driver on every sailor release installed under harness/testdata/sailors
// (one lock file each; `make deps` installs them) and on the not-ready
// fixture (harness/testdata/notready, sailor 2.6.27). Each release runs the
// driver fixture's promise and updateKeys actions from a scratch component
// whose node_modules is that release's, so no provider is involved.
// Run: node --test harness/node/test/
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { startPlatform, startDriver, sailorEnv } = require('../testdata/helpers');

const TESTDATA = path.resolve(__dirname, '..', '..', 'testdata');
const SAILORS = path.join(TESTDATA, 'sailors');
const FIXTURE = path.join(__dirname, '..', 'testdata', 'fixture');
const STEP_CONFIG = { oauth: { access_token: 'A1', refresh_token: 'R1' }, _account: 'acc1' };

const versions = fs.readdirSync(SAILORS).filter((v) => v !== 'component').sort();

// scratchComponent makes a component directory with the driver fixture's
// component.json and actions and the given release's node_modules.
function scratchComponent(t, version) {
  const modules = path.join(SAILORS, version, 'node_modules');
  if (!fs.existsSync(path.join(modules, 'elasticio-sailor-nodejs'))) {
    throw new Error(`sailor ${version} is not installed: run \`npm ci\` in ${path.join(SAILORS, version)} (make deps)`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `refreshproof-sailor-${version}-`));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.copyFileSync(path.join(FIXTURE, 'component.json'), path.join(dir, 'component.json'));
  fs.cpSync(path.join(FIXTURE, 'lib'), path.join(dir, 'lib'), { recursive: true });
  fs.symlinkSync(modules, path.join(dir, 'node_modules'), 'dir');
  return dir;
}

async function run(t, dir, fn) {
  const platform = await startPlatform(STEP_CONFIG);
  const driver = startDriver(dir, sailorEnv(platform.url, fn));
  t.after(async () => {
    driver.child.kill('SIGKILL');
    await driver.exited;
    await platform.close();
  });
  return { platform, driver };
}

for (const version of versions) {
  test(`sailor ${version}: data, end and ack with the message id; the id can come again after ack`, async (t) => {
    const { driver } = await run(t, scratchComponent(t, version), 'promise');
    const ready = await driver.waitFor((e) => e.ev === 'ready' || e.ev === 'fatal');
    assert.equal(ready.ev, 'ready', JSON.stringify(ready));
    assert.equal(ready.sailorVersion, version);
    // Only 2.7.7 and later have the message store.
    const [, minor, patch] = version.split('.').map(Number);
    assert.equal(ready.messagesDB, minor > 7 || (minor === 7 && patch >= 7));

    for (const id of ['m1', 'm2']) {
      driver.send({ cmd: 'message', id, messageId: 'same-id', body: { n: id } });
      await driver.waitFor((e) => e.ev === 'processed' && e.msg === id);
      await driver.waitFor((e) => e.ev === 'amqp' && e.op === 'ack' && e.msg === id);
      // Up to 2.6.7 the executor does not await the data emit before end,
      // so the publish may come after the ack.
      await driver.waitFor((e) => e.ev === 'amqp' && e.op === 'sendData' && e.msg === id);
      const mine = driver.events.filter((e) => e.msg === id);
      const emits = mine.filter((e) => e.ev === 'emit').map((e) => e.name);
      assert.deepEqual(emits, ['data', 'end'], `${id}: ${JSON.stringify(mine)}`);
      assert.deepEqual(mine.find((e) => e.ev === 'emit').args, [{ body: { echo: { n: id } } }]);
      assert.equal(mine.find((e) => e.op === 'ack').payload, 'same-id');
      assert.deepEqual(mine.find((e) => e.op === 'sendData').headers.parentMessageId, 'same-id');
    }
  });

  test(`sailor ${version}: updateKeys reaches the platform as {"keys": ...}`, async (t) => {
    const { driver, platform } = await run(t, scratchComponent(t, version), 'updateKeys');
    await driver.waitFor((e) => e.ev === 'ready');
    driver.send({ cmd: 'message', id: 'm1', messageId: 'mid-1', body: {} });
    await driver.waitFor((e) => e.ev === 'processed');
    assert.deepEqual(platform.puts.map((p) => [p.account, p.body]), [
      ['acc1', { keys: { oauth: { access_token: 'new-access', refresh_token: 'R1' } } }],
    ]);
  });
}

const NOTREADY = path.join(TESTDATA, 'notready');

test('a syntax error in the step\'s module: fatal in the load phase with the file and line', async (t) => {
  const { driver } = await run(t, NOTREADY, 'syntaxError');
  const ev = await driver.waitFor((e) => e.ev === 'fatal');
  assert.equal(ev.phase, 'load');
  assert.equal(ev.error.name, 'SyntaxError');
  assert.deepEqual(ev.location, { file: 'lib/actions/syntaxError.js', line: 5 });
  assert.match(ev.error.stack, /\n\s*\^/);
  assert.deepEqual(await driver.exited, { code: 3, signal: null });
});

test('a missing package: fatal in the load phase naming the module and the requiring file', async (t) => {
  const { driver } = await run(t, NOTREADY, 'missingModule');
  const ev = await driver.waitFor((e) => e.ev === 'fatal');
  assert.equal(ev.phase, 'load');
  assert.equal(ev.missingModule, 'refreshproof-no-such-package');
  assert.equal(ev.location.file, 'lib/actions/missingModule.js');
  assert.equal(ev.location.line, 3);
  assert.ok(ev.requireStack[0].endsWith(path.join('lib', 'actions', 'missingModule.js')));
});

test('a throw while loading keeps its own message (the sailor\'s reader would replace it)', async (t) => {
  const { driver } = await run(t, NOTREADY, 'throwsOnLoad');
  const ev = await driver.waitFor((e) => e.ev === 'fatal');
  assert.equal(ev.phase, 'load');
  assert.equal(ev.error.message, 'REFRESHPROOF_FIXTURE_REGION is not set');
  assert.equal(ev.location.line, 6);
});

test('a failing init hook is fatal in the init phase, after the module loaded', async (t) => {
  const { driver } = await run(t, NOTREADY, 'initFails');
  const ev = await driver.waitFor((e) => e.ev === 'fatal');
  assert.equal(ev.phase, 'init');
  assert.equal(ev.error.message, 'init could not warm its cache');
  assert.equal(ev.location.file, 'lib/actions/initFails.js');
});

test('a sailor without what the driver needs is fatal in the sailor phase', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'refreshproof-fake-sailor-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const lib = path.join(dir, 'node_modules', 'elasticio-sailor-nodejs', 'lib');
  fs.mkdirSync(lib, { recursive: true });
  fs.writeFileSync(path.join(lib, '..', 'package.json'), '{"name":"elasticio-sailor-nodejs","version":"2.6.99"}');
  fs.writeFileSync(path.join(lib, 'sailor.js'), 'exports.Sailor = class Sailor {};\n');
  fs.writeFileSync(path.join(lib, 'executor.js'), 'exports.TaskExec = class TaskExec { emit() {} };\n');
  fs.writeFileSync(path.join(lib, 'settings.js'), 'exports.readFrom = () => ({});\n');
  fs.copyFileSync(path.join(FIXTURE, 'component.json'), path.join(dir, 'component.json'));
  const { driver } = await run(t, dir, 'promise');
  const ev = await driver.waitFor((e) => e.ev === 'fatal');
  assert.equal(ev.phase, 'sailor');
  assert.match(ev.error.message, /sailor 2\.6\.99 .* lacks what the driver needs: Sailor\.prototype\.prepare, Sailor\.prototype\.startup, Sailor\.prototype\.processMessage, Sailor\.prototype\.runHookInit \(or init\)/);
});
