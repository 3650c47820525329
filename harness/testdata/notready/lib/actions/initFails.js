'use strict';
// The init hook fails: the sailor stops the container before the first
// message.
exports.init = async function init() {
  throw new Error('init could not warm its cache');
};

exports.process = async function process(msg) {
  return { body: msg.body };
};
