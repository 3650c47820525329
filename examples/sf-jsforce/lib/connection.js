'use strict';
// A jsforce connection for one message, built from the account's stored
// tokens, the way elastic.io's own Salesforce component does it
// (elasticio/salesforce-component, lib/helpers/sfConnection.js): jsforce
// refreshes the session by itself when Salesforce answers 401, and every
// refresh is handed to the platform with updateKeys.
const jsforce = require('jsforce');

const API_VERSION = '59.0';

exports.createConnection = function createConnection(cfg, emitter) {
  const conn = new jsforce.Connection({
    oauth2: {
      clientId: process.env.OAUTH_CLIENT_ID,
      clientSecret: process.env.OAUTH_CLIENT_SECRET,
      loginUrl: 'https://login.salesforce.com',
    },
    instanceUrl: cfg.oauth.instance_url,
    accessToken: cfg.oauth.access_token,
    refreshToken: cfg.oauth.refresh_token,
    version: API_VERSION,
  });

  // jsforce fires 'refresh' with the new access token and the token
  // endpoint's response after each successful refresh.
  conn.on('refresh', (accessToken, res) => {
    emitter.logger.info('Salesforce session refreshed; updating the stored keys');
    emitter.emit('updateKeys', { oauth: res });
  });

  return conn;
};
