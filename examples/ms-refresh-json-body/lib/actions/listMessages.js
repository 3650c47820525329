'use strict';
// List messages: GET /me/messages?$top=N (or body.resource) from Microsoft
// Graph; body.concurrency asks for that many calls in parallel.
const graph = require('../graph');

exports.process = async function listMessages(msg, cfg) {
  const body = msg.body || {};
  const resource = body.resource || '/me/messages';
  const top = Number(body.top) || 10;
  const path = `${resource}${resource.includes('?') ? '&' : '?'}$top=${top}`;
  const calls = Math.max(1, Math.min(Number(body.concurrency) || 1, 20));
  const pages = await Promise.all(Array.from({ length: calls }, () => graph.get(this, cfg, path)));
  const value = pages[0].value || [];
  return { body: { count: value.length, subjects: value.map((m) => m.subject) } };
};
