'use strict';
// The JavaScript API: run `refreshproof check` from a component's own test
// suite and get the run record back.

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { binaryPath } = require('./lib/binary');

// Options whose value is passed as a flag, by option name.
const valueFlags = {
  provider: '--provider',
  action: '--action',
  strategy: '--strategy',
  config: '--config',
  labelFilter: '--label-filter',
  credentialField: '--credential-field',
  keysPolicy: '--keys-policy',
  junitReport: '--junit-report',
  markdownReport: '--markdown-report',
  htmlReport: '--html-report',
};

function toArgs(options, jsonReport) {
  const args = ['check', path.resolve(options.dir || '.')];
  for (const [name, flag] of Object.entries(valueFlags)) {
    if (options[name] !== undefined && options[name] !== null) args.push(`${flag}=${options[name]}`);
  }
  const list = (v) => (Array.isArray(v) ? v.join(',') : String(v));
  if (options.scenarios !== undefined) args.push(`--scenarios=${list(options.scenarios)}`);
  if (options.skip !== undefined) args.push(`--skip=${list(options.skip)}`);
  if (options.clientIdEnv !== undefined) args.push(`--client-id-env=${list(options.clientIdEnv)}`);
  if (options.clientSecretEnv !== undefined) args.push(`--client-secret-env=${list(options.clientSecretEnv)}`);
  if (options.body !== undefined) args.push(`--body=${JSON.stringify(options.body)}`);
  if (options.cfg !== undefined) args.push(`--cfg=${JSON.stringify(options.cfg)}`);
  if (options.timeout !== undefined) {
    args.push(`--timeout=${typeof options.timeout === 'number' ? `${options.timeout}ms` : options.timeout}`);
  }
  if (options.parallel !== undefined) args.push(`--parallel=${options.parallel}`);
  if (options.reveal) args.push('--reveal');
  args.push(`--json-report=${jsonReport}`);
  if (options.args) args.push(...options.args);
  return args;
}

function lastLine(s) {
  const lines = s.trim().split('\n');
  return lines[lines.length - 1] || '';
}

/**
 * check runs `refreshproof check` on a component and resolves to the run
 * record (the --json-report file, parsed) with exitCode, stdout and stderr
 * added. It resolves on exit 0 (every rule passed) and on exit 1 (a rule
 * failed: look at run.exitCode and run.results); it rejects on exit 2
 * (the run could not be made), with the tool's message.
 */
function check(options = {}) {
  return new Promise((resolve, reject) => {
    let bin;
    try {
      bin = options.binary || binaryPath();
    } catch (err) {
      reject(err);
      return;
    }
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'refreshproof-'));
    const report = path.join(tmp, 'run.json');
    const cleanup = () => fs.rmSync(tmp, { recursive: true, force: true });
    const child = spawn(bin, toArgs(options, report), {
      cwd: options.cwd,
      env: options.env ? { ...process.env, ...options.env } : process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: options.signal,
      windowsHide: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
      if (options.onOutput) options.onOutput(d, 'stdout');
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
      if (options.onOutput) options.onOutput(d, 'stderr');
    });
    child.on('error', (err) => {
      cleanup();
      reject(err.name === 'AbortError' ? err : new Error(`refreshproof: cannot run ${bin}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      const fail = (message) => {
        const err = new Error(message);
        err.exitCode = code;
        err.stdout = stdout;
        err.stderr = stderr;
        cleanup();
        reject(err);
      };
      if (signal) return fail(`refreshproof check was ended by ${signal}`);
      if (code !== 0 && code !== 1) {
        return fail(`refreshproof check could not run (exit ${code}): ${lastLine(stderr).replace(/^refreshproof: /, '')}`);
      }
      let run;
      try {
        run = JSON.parse(fs.readFileSync(report, 'utf8'));
      } catch (err) {
        return fail(`refreshproof check exited ${code} without a readable run record: ${err.message}`);
      }
      cleanup();
      run.exitCode = code;
      run.stdout = stdout;
      run.stderr = stderr;
      resolve(run);
    });
  });
}

/**
 * failures lists the results of a run record that failed the gate.
 */
function failures(run) {
  return (run.results || []).filter((r) => r.status === 'failed');
}

module.exports = { check, failures, binaryPath };
