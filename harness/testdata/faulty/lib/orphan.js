const { spawn } = require('child_process');
// Starts a long-lived process and forgets it.
exports.process = async function process() {
  const child = spawn('sleep', ['300'], { stdio: 'ignore' });
  require('fs').writeFileSync(process_env('ORPHAN_PID_FILE'), String(child.pid));
  return { body: { started: child.pid } };
};
function process_env(k) { return process.env[k]; }
