'use strict';
// Tests of the JavaScript API against the installed package. Run from a
// component directory where refreshproof is installed from its packed
// tarballs (internal/tools/npmpack's test does that): require resolves
// the package as a user's test would.

const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');
const { check, failures } = require('refreshproof');

const dir = process.env.REFRESHPROOF_COMPONENT || path.join(__dirname, '..');
const scenarios = ['expired-access-token', 'valid-token'];

test('a failed rule resolves with the run record and exit code 1', { timeout: 120_000 }, async () => {
  const run = await check({ dir, scenarios, parallel: 1 });
  assert.strictEqual(run.exitCode, 1, run.stderr);
  assert.strictEqual(run.component.provider, 'salesforce');
  assert.deepStrictEqual([...new Set(failures(run).map((r) => r.ruleId))], ['R06']);
  assert.ok(run.results.some((r) => r.status === 'passed'), 'no rule passed');
  assert.match(run.stdout, /--- FAIL R06 on salesforce\/expired-access-token/);
});

test('a skipped rule is not judged', { timeout: 120_000 }, async () => {
  const run = await check({ dir, scenarios, skip: ['R06'], parallel: 1 });
  assert.strictEqual(run.exitCode, 0, run.stdout);
  assert.deepStrictEqual(failures(run), []);
});

test('a run that cannot be made rejects with the reason', { timeout: 60_000 }, async () => {
  await assert.rejects(check({ dir, provider: 'salesforc', scenarios }), (err) => {
    assert.strictEqual(err.exitCode, 2);
    assert.match(err.message, /could not run \(exit 2\).*did you mean "salesforce"/);
    return true;
  });
  await assert.rejects(check({ dir: path.join(dir, 'no-such-dir') }), /exit 2/);
});

test('an aborted run rejects with an AbortError', { timeout: 60_000 }, async () => {
  const ac = new AbortController();
  const p = check({ dir, signal: ac.signal });
  setTimeout(() => ac.abort(), 200);
  await assert.rejects(p, { name: 'AbortError' });
});
