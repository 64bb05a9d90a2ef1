// The floors: the least work a Feishu login needs, as plain passport-strategies, over
// plain node:http with a keep-alive agent: no strategy can do less.
// - v1 (FloorStrategy): state in the session, one code exchange (Bearer app_access_token, JSON
//   body) with an app token cached until it expires, the user taken from the token answer.
// - v2 (FloorV2Strategy): state in the session, the standard OAuth code exchange (client id and
//   secret in the JSON body), then user_info with the user's token: two calls in a row.
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { Strategy } from 'passport-strategy';

// The idle timeout stays under the mock's keep-alive timeout (Node's Agent only honours the
// server's Keep-Alive hint when it has a timeout of its own), as a real client should.
const agent = new Agent({ keepAlive: true, timeout: 60_000 });

function postJSON(url, body, bearer) {
  const payload = JSON.stringify(body);
  const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) };
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  return send(url, 'POST', headers, payload);
}

function getJSON(url, bearer) {
  return send(url, 'GET', { authorization: `Bearer ${bearer}` }, undefined);
}

function send(url, method, headers, payload) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => {
        try {
          resolve(JSON.parse(text));
        } catch (err) {
          reject(err);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * The state both floors keep in the session. Without a code: a nonce saved, and a redirect to
 * `authorize(redirectURI, nonce)`; returns undefined. With one: the nonce checked and spent;
 * returns the code, or undefined after a 403.
 */
function codeOrRedirect(strategy, req, authorize) {
  const { code, state } = req.query;
  if (!code) {
    const nonce = randomBytes(12).toString('base64url');
    req.session.floorState = nonce;
    strategy.redirect(authorize(encodeURIComponent(`http://${req.headers.host}${strategy.callbackPath}`), nonce));
    return undefined;
  }
  if (!state || state !== req.session.floorState) {
    strategy.fail({ message: 'Invalid state' }, 403);
    return undefined;
  }
  delete req.session.floorState;
  return code;
}

/** Hands the user to the verify callback, and its answer to passport. */
function verified(strategy, accessToken, refreshToken, user) {
  strategy.verify(accessToken, refreshToken, { id: user.open_id, displayName: user.name }, (err, done) => {
    if (err) return strategy.error(err);
    strategy.success(done);
  });
}

export class FloorStrategy extends Strategy {
  constructor({ origin, appId, appSecret, callbackPath }, verify) {
    super();
    this.name = 'floor';
    this.appId = appId;
    this.appSecret = appSecret;
    this.callbackPath = callbackPath;
    this.authorizeURL = `${origin}/open-apis/authen/v1/authorize`;
    this.appTokenURL = `${origin}/open-apis/auth/v3/app_access_token/internal`;
    this.tokenURL = `${origin}/open-apis/authen/v1/access_token`;
    this.verify = verify;
    // passport runs each request on Object.create(strategy): shared state lives in an object.
    /** `fetches` counts app-token requests, as our strategy's `appTokens.fetches` does. */
    this.appTokens = { fetches: 0, cached: undefined, inflight: undefined };
  }

  getAppToken() {
    const tokens = this.appTokens;
    if (tokens.cached && tokens.cached.expiresAt > Date.now()) return Promise.resolve(tokens.cached.token);
    if (tokens.inflight) return tokens.inflight;
    tokens.fetches += 1;
    tokens.inflight = postJSON(this.appTokenURL, { app_id: this.appId, app_secret: this.appSecret })
      .then((body) => {
        if (body.code !== 0) throw new Error(`app_access_token: ${body.code} ${body.msg}`);
        tokens.cached = { token: body.app_access_token, expiresAt: Date.now() + (body.expire - 300) * 1000 };
        return body.app_access_token;
      })
      .finally(() => (tokens.inflight = undefined));
    return tokens.inflight;
  }

  authenticate(req) {
    const code = codeOrRedirect(this, req, (redirectURI, nonce) => `${this.authorizeURL}?app_id=${this.appId}&redirect_uri=${redirectURI}&state=${nonce}`);
    if (!code) return;
    this.getAppToken()
      .then((appToken) => postJSON(this.tokenURL, { grant_type: 'authorization_code', code }, appToken))
      .then(
        (body) => (body.code === 0 ? verified(this, body.data.access_token, body.data.refresh_token, body.data) : this.fail({ message: body.msg }, 400)),
        (err) => this.error(err),
      );
  }
}

/** The v2 floor: the same state handling, then the two calls a v2 login cannot do without. */
export class FloorV2Strategy extends Strategy {
  constructor({ origin, appId, appSecret, callbackPath }, verify) {
    super();
    this.name = 'floor-v2';
    this.appId = appId;
    this.appSecret = appSecret;
    this.callbackPath = callbackPath;
    this.authorizeURL = `${origin}/open-apis/authen/v1/authorize`;
    this.tokenURL = `${origin}/open-apis/authen/v2/oauth/token`;
    this.userInfoURL = `${origin}/open-apis/authen/v1/user_info`;
    this.verify = verify;
    /** A v2 app fetches no app token: the count stays 0, as ours does. */
    this.appTokens = { fetches: 0 };
  }

  authenticate(req) {
    const code = codeOrRedirect(this, req, (redirectURI, nonce) => `${this.authorizeURL}?client_id=${this.appId}&response_type=code&redirect_uri=${redirectURI}&state=${nonce}`);
    if (!code) return;
    let tokens;
    postJSON(this.tokenURL, { grant_type: 'authorization_code', client_id: this.appId, client_secret: this.appSecret, code, redirect_uri: `http://${req.headers.host}${this.callbackPath}` })
      .then((body) => {
        if (body.code !== 0 || !body.access_token) throw Object.assign(new Error(body.error_description ?? 'token'), { login: true });
        tokens = body;
        return getJSON(this.userInfoURL, body.access_token);
      })
      .then(
        (body) => (body.code === 0 ? verified(this, tokens.access_token, tokens.refresh_token, body.data) : this.fail({ message: body.msg }, 400)),
        (err) => (err.login ? this.fail({ message: err.message }, 400) : this.error(err)),
      );
  }
}
