'use strict';
// Throws from a callback it schedules while it loads, outside any promise:
// an uncaught exception, which ends the container before it is ready.
process.nextTick(() => {
  throw new Error('the cache warmer crashed');
});

exports.process = async function process(msg) {
  return { body: msg.body };
};
