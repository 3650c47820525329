// Ends the message but leaves a ref'd interval running for the life of
// the process, as a component with its own poller or cache sweeper does:
// the driver never finds it idle, so the runner waits its quiet window.
let ticker = null;
exports.process = async function process(msg, cfg) {
  if (ticker === null) ticker = setInterval(() => {}, 1000);
  this.emit('data', { body: { ticking: true } });
  this.emit('end');
};
