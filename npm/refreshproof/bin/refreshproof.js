#!/usr/bin/env node
'use strict';
// The refreshproof command: runs this platform's prebuilt binary with the
// same arguments and standard streams, and ends as it ends (exit code or
// signal), so `npx refreshproof check` behaves as the binary does in a
// shell and in CI.

const { spawn } = require('child_process');
const { binaryPath } = require('../lib/binary');

let bin;
try {
  bin = binaryPath();
} catch (err) {
  console.error(`refreshproof: ${err.message}`);
  process.exit(2);
}

const child = spawn(bin, process.argv.slice(2), { stdio: 'inherit', windowsHide: true });

// A terminal's Ctrl-C reaches the whole process group; a signal sent to
// this process alone (CI cancelling a job, kill PID) must reach the binary
// too, so that it stops its component and the mock servers.
const signals = process.platform === 'win32' ? ['SIGINT', 'SIGBREAK'] : ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
const forward = (sig) => {
  if (child.exitCode === null && child.signalCode === null) child.kill(sig);
};
for (const sig of signals) process.on(sig, forward);

child.on('error', (err) => {
  console.error(`refreshproof: cannot run ${bin}: ${err.message}`);
  process.exit(2);
});

child.on('exit', (code, signal) => {
  for (const sig of signals) process.removeListener(sig, forward);
  if (signal) {
    // End by the same signal, so the caller sees what the binary saw.
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code === null ? 2 : code);
});
