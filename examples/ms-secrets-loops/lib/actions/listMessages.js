'use strict';
// List messages: GET /me/messages?$top=N (or body.resource) from Microsoft Graph.
const graph = require('../graph');

exports.process = async function listMessages(msg, cfg) {
  const body = msg.body || {};
  const resource = body.resource || '/me/messages';
  const top = Number(body.top) || 10;
  const page = await graph.get(this, cfg, `${resource}${resource.includes('?') ? '&' : '?'}$top=${top}`);
  const value = page.value || [];
  return { body: { count: value.length, subjects: value.map((m) => m.subject) } };
};
