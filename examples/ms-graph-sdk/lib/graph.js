'use strict';
// Microsoft Graph through the official JavaScript SDK
// (@microsoft/microsoft-graph-client). The SDK asks an AuthenticationProvider
// for an access token before every request; ours is the pattern of
// Microsoft's own Node.js Graph tutorial: simple-oauth2 keeps the token,
// and when it has expired (or expires within five minutes) it is refreshed
// with the refresh token and the new token is stored, here with updateKeys.
const { Client } = require('@microsoft/microsoft-graph-client');
const { AuthorizationCode } = require('simple-oauth2');

const EXPIRY_WINDOW_SECONDS = 300;

const oauth2 = new AuthorizationCode({
  client: {
    id: process.env.OAUTH_CLIENT_ID,
    secret: process.env.OAUTH_CLIENT_SECRET,
  },
  auth: {
    tokenHost: 'https://login.microsoftonline.com',
    authorizePath: '/common/oauth2/v2.0/authorize',
    tokenPath: '/common/oauth2/v2.0/token',
  },
});

class SimpleOAuth2AuthenticationProvider {
  constructor(cfg, emitter) {
    this.accessToken = oauth2.createToken(cfg.oauth);
    this.emitter = emitter;
  }

  async getAccessToken() {
    if (this.accessToken.expired(EXPIRY_WINDOW_SECONDS)) {
      this.emitter.logger.info('The Microsoft access token has expired; refreshing it');
      this.accessToken = await this.accessToken.refresh();
      await this.emitter.emit('updateKeys', { oauth: this.accessToken.token });
    }
    return this.accessToken.token.access_token;
  }
}

exports.createClient = function createClient(cfg, emitter) {
  return Client.initWithMiddleware({
    authProvider: new SimpleOAuth2AuthenticationProvider(cfg, emitter),
  });
};
