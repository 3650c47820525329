'use strict';
// Query: runs body.query (SOQL) with GET {instance_url}/services/data/v67.0/query.
const salesforce = require('../salesforce');

exports.process = async function query(msg, cfg) {
  const body = msg.body || {};
  if (!body.query) throw new Error('the message has no query');
  const result = await salesforce.query(this, cfg, body.query);
  return { body: { totalSize: result.totalSize, records: result.records || [] } };
};
