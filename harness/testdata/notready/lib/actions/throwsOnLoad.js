'use strict';
// Checks its configuration when it is loaded, as some components do, and
// throws before the sailor can call anything.
const region = process.env.REFRESHPROOF_FIXTURE_REGION;
if (!region) {
  throw new Error('REFRESHPROOF_FIXTURE_REGION is not set');
}

exports.process = async function process(msg) {
  return { body: { region, echo: msg.body } };
};
