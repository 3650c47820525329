'use strict';
// Query: runs body.query (SOQL) with jsforce's Connection#query;
// body.concurrency asks for that many queries in parallel on the same
// connection.
const { createConnection } = require('../connection');

exports.process = async function query(msg, cfg) {
  const body = msg.body || {};
  if (!body.query) throw new Error('the message has no query');
  const conn = createConnection(cfg, this);
  const calls = Math.max(1, Math.min(Number(body.concurrency) || 1, 20));
  const results = await Promise.all(Array.from({ length: calls }, () => conn.query(body.query)));
  return { body: { totalSize: results[0].totalSize, records: results[0].records } };
};
