'use strict';
// Prints every token it holds, as a careless component logs them: the
// refresh token 3000 times (more than the harness keeps of a stream), in
// pieces written separately and percent-encoded, and the id_token; then it
// refreshes and does the same with the new tokens, and emits them.
const https = require('https');

const TOKEN_URL = 'https://login.microsoftonline.com/common/oauth2/v2.0/token';

function post(url, form) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(form);
  });
}

function print(tokens) {
  const rt = tokens.refresh_token;
  for (let i = 0; i < 3000; i++) {
    process.stdout.write(`RT=${rt}\n`);
    if (i % 100 === 0) {
      // A token in two writes, and in a URL.
      process.stdout.write(`split RT=${rt.slice(0, 11)}`);
      process.stdout.write(`${rt.slice(11)}\n`);
      process.stderr.write(`GET /x?refresh_token=${encodeURIComponent(rt)}\n`);
    }
  }
  console.log(`id_token=${tokens.id_token}`);
  console.error(`tokens: ${JSON.stringify(tokens)}`);
}

exports.process = async function printSecrets(msg, cfg) {
  print(cfg.oauth);
  const form = new URLSearchParams({
    grant_type: 'refresh_token', refresh_token: cfg.oauth.refresh_token,
    client_id: process.env.OAUTH_CLIENT_ID, client_secret: process.env.OAUTH_CLIENT_SECRET,
    scope: 'openid offline_access User.Read',
  }).toString();
  const res = await post(TOKEN_URL, form);
  if (res.status !== 200) throw new Error(`refresh failed: ${res.status} ${res.text}`);
  const tokens = JSON.parse(res.text);
  print(tokens);
  console.log(`client secret ${process.env.OAUTH_CLIENT_SECRET}`);
  await this.emit('updateKeys', { oauth: tokens });
  return { body: { idToken: tokens.id_token, refreshToken: tokens.refresh_token } };
};
