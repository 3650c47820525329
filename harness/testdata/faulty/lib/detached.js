const { spawn } = require('child_process');
// Starts a process in its own session (setsid: out of the process group)
// that holds the component's stdout and stderr, and forgets it. With
// LEFTOVER_HANG set, the message then never ends.
exports.process = async function process() {
  const child = spawn('setsid', ['sleep', env('LEFTOVER_SLEEP')], { stdio: 'inherit', detached: true });
  child.unref();
  if (env('LEFTOVER_HANG')) {
    await new Promise(() => {});
  }
  return { body: { started: child.pid } };
};
function env(k) { return process.env[k]; }
