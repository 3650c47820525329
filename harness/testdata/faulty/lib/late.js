// Emits end first, then data and updateKeys after a delay, without await.
exports.process = function process(msg, cfg) {
  this.emit('end');
  setTimeout(() => {
    this.emit('data', { body: { late: true } });
    this.emit('updateKeys', { oauth: cfg.oauth });
  }, 100);
};
