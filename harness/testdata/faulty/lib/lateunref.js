// Emits end first, then data and updateKeys from an unref'd timer, which
// Node does not list among what keeps it alive.
exports.process = function process(msg, cfg) {
  this.emit('end');
  setTimeout(() => {
    this.emit('data', { body: { late: true } });
    this.emit('updateKeys', { oauth: cfg.oauth });
  }, 150).unref();
};
