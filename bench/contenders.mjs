// The contenders: each builds its passport strategy against the mock Feishu at `origin`.
// All use `state: true` (a nonce in the session) and the same verify, so the only
// difference between them is the strategy.
import { createRequire } from 'node:module';
import { FloorStrategy, FloorV2Strategy } from './floor.mjs';

const require = createRequire(import.meta.url);
export const CALLBACK_PATH = '/auth/feishu/callback';

/** The same for everyone: keep a small user in the session. */
function verify(accessToken, refreshToken, profile, done) {
  done(null, { id: profile.id, name: profile.displayName ?? profile.name });
}

/** Our strategy from the build in `dist` (a folder path relative to this file, or absolute). */
function ours(label, dist, flow) {
  return {
    label,
    create: ({ origin, appId, appSecret }) => {
      const { FeishuStrategy } = require(`${dist}/index.js`);
      return new FeishuStrategy({ clientID: appId, clientSecret: appSecret, domain: origin, flow, callbackURL: CALLBACK_PATH, state: true }, verify);
    },
    appTokenFetches: (strategy) => strategy.appTokens.fetches,
  };
}

/**
 * passport-feishu adds `app_id` to the authorize URL but keeps OAuth's `client_id` and
 * `response_type`, which the mock's v1 page refuses (Feishu documents only `app_id` there).
 * They are dropped on the way out; the cost is the browser's step, not the measured app's.
 */
function withV1Parameters(strategy) {
  const authenticate = strategy.authenticate;
  strategy.authenticate = function (req, options) {
    const redirect = this.redirect;
    this.redirect = (url, status) => {
      const location = new URL(url);
      location.searchParams.delete('client_id');
      location.searchParams.delete('response_type');
      redirect.call(this, location.href, status);
    };
    authenticate.call(this, req, options);
  };
  return strategy;
}

export const CONTENDERS = {
  'ours-v1': ours('passport-feishu-oauth2 (v1)', '../dist', 'v1'),
  'ours-v2': ours('passport-feishu-oauth2 (v2)', '../dist', 'v2'),
  'passport-feishu': {
    label: 'passport-feishu@1.0.1',
    create: ({ origin, appId, appSecret }) => {
      const FeishuStrategy = require('passport-feishu');
      // Every URL it calls is an option; appType 'internal' (its default 'public' needs an app_ticket).
      return withV1Parameters(new FeishuStrategy(
        {
          clientID: appId,
          clientSecret: appSecret,
          callbackURL: CALLBACK_PATH,
          state: true,
          appType: 'internal',
          authorizationURL: `${origin}/open-apis/authen/v1/index`,
          tokenURL: `${origin}/open-apis/authen/v1/access_token`,
          appTokenURL: `${origin}/open-apis/auth/v3/app_access_token/internal`,
          userProfileURL: `${origin}/open-apis/authen/v1/user_info`,
        },
        verify,
      ));
    },
    appTokenFetches: () => undefined, // it keeps no count; the mock's count is the figure
  },
  floor: {
    label: 'floor (hand-written v1)',
    create: ({ origin, appId, appSecret }) => new FloorStrategy({ origin, appId, appSecret, callbackPath: CALLBACK_PATH }, verify),
    appTokenFetches: (strategy) => strategy.appTokens.fetches,
  },
  'floor-v2': {
    label: 'floor v2 (hand-written code exchange + user_info)',
    create: ({ origin, appId, appSecret }) => new FloorV2Strategy({ origin, appId, appSecret, callbackPath: CALLBACK_PATH }, verify),
    appTokenFetches: (strategy) => strategy.appTokens.fetches,
  },
};

// BENCH_ALT_DIST=/path/to/other/dist adds 'alt-v1': another build of ours, to try a lib/
// change side by side with ../dist in the same run (e.g. a copy of dist with one file changed).
if (process.env.BENCH_ALT_DIST) {
  CONTENDERS['alt-v1'] = ours(`passport-feishu-oauth2 (v1) from ${process.env.BENCH_ALT_DIST}`, process.env.BENCH_ALT_DIST.replace(/\/$/, ''), 'v1');
}
