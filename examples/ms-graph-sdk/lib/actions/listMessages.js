'use strict';
// List messages: GET /me/messages?$top=N (or body.resource) with the Graph
// SDK; body.concurrency asks for that many calls in parallel.
const { createClient } = require('../graph');

exports.process = async function listMessages(msg, cfg) {
  const body = msg.body || {};
  const resource = body.resource || '/me/messages';
  const top = Number(body.top) || 10;
  const client = createClient(cfg, this);
  const calls = Math.max(1, Math.min(Number(body.concurrency) || 1, 20));
  const pages = await Promise.all(Array.from({ length: calls }, () => client.api(resource).top(top).get()));
  const value = pages[0].value || [];
  return { body: { count: value.length, subjects: value.map((m) => m.subject) } };
};
