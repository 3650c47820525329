// Callback style without ever emitting end: the sailor has no timeout.
exports.process = function process() {
  setInterval(() => {}, 1000);
};
