'use strict';
// A syntax error on line 5 (a missing closing parenthesis), as a bad merge
// leaves one: Node cannot compile the file, so the container never starts.

exports.process = async function process(msg, cfg {
  return { body: msg.body };
};
