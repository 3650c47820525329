const { spawn } = require('child_process');
// Starts an ordinary child that ignores SIGTERM (its sleep inherits the
// ignored signal) and holds stdout and stderr, and forgets it.
exports.process = async function process() {
  const child = spawn('sh', ['-c', `trap '' TERM; sleep ${env('LEFTOVER_SLEEP')}; :`], { stdio: 'inherit' });
  child.unref();
  return { body: { started: child.pid } };
};
function env(k) { return process.env[k]; }
