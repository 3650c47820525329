'use strict';
// Requires a package the component never listed in package.json.
const client = require('refreshproof-no-such-package');

exports.process = async function process(msg) {
  return { body: client.echo(msg.body) };
};
