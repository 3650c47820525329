'use strict';
// Query: runs body.query (SOQL) with GET {instance_url}/services/data/v67.0/query;
// body.concurrency asks for that many calls in parallel.
const salesforce = require('../salesforce');

exports.process = async function query(msg, cfg) {
  const body = msg.body || {};
  if (!body.query) throw new Error('the message has no query');
  const calls = Math.max(1, Math.min(Number(body.concurrency) || 1, 20));
  const results = await Promise.all(Array.from({ length: calls }, () => salesforce.query(this, cfg, body.query)));
  return { body: { totalSize: results[0].totalSize, records: results[0].records || [] } };
};
