'use strict';
// Takes REFRESHPROOF_FIXTURE_LOAD_MS (default 3000) to load, as a component
// that builds a large cache at start-up does; a shorter time limit stops it
// before it is ready. With REFRESHPROOF_FIXTURE_MARK (a file path) only the
// containers after the first are slow: the first creates the file.
const fs = require('fs');

const mark = process.env.REFRESHPROOF_FIXTURE_MARK;
let slow = true;
if (mark) {
  try {
    fs.writeFileSync(mark, String(process.pid), { flag: 'wx' });
    slow = false;
  } catch (e) {
    // already there: a later container
  }
}
if (slow) {
  const ms = Number(process.env.REFRESHPROOF_FIXTURE_LOAD_MS || 3000);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

exports.process = async function process(msg) {
  return { body: msg.body };
};
