import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FeishuStrategy, type FeishuStrategyOptions } from '../lib/index.js';
import { run } from './helpers/harness.js';

const verify = () => undefined;
const base = { clientID: 'cli_a5ca35a685b0x26e', clientSecret: 's3cr3t', callbackURL: 'https://app.example.com/auth/feishu/callback' };

async function authorizeURL(options: Partial<FeishuStrategyOptions>, authOptions: Record<string, unknown> = {}): Promise<string> {
  const strategy = new FeishuStrategy({ ...base, ...options } as FeishuStrategyOptions, verify);
  const outcome = await run(strategy, {}, authOptions);
  assert.equal(outcome.kind, 'redirect');
  return outcome.url;
}

describe('authorize URLs', () => {
  test('v1 (default) names the app app_id and sends no response_type', async () => {
    assert.equal(
      await authorizeURL({ scope: ['contact:user.email:readonly', 'offline_access'], state: false }, { state: 'RANDOMSTATE' }),
      'https://open.feishu.cn/open-apis/authen/v1/authorize?redirect_uri=https%3A%2F%2Fapp.example.com%2Fauth%2Ffeishu%2Fcallback&scope=contact%3Auser.email%3Areadonly%20offline_access&state=RANDOMSTATE&app_id=cli_a5ca35a685b0x26e',
    );
  });

  test('v1 drops response_type=code wherever it stands, last too (an authorizationURL that already names the app and the redirect)', async () => {
    // Parameters already in the URL keep their place, so response_type, added after them, ends the query.
    const url = await authorizeURL({ authorizationURL: 'https://open.feishu.cn/open-apis/authen/v1/authorize?client_id=cli_x&redirect_uri=x', state: false });
    assert.equal(url, 'https://open.feishu.cn/open-apis/authen/v1/authorize?app_id=cli_a5ca35a685b0x26e&redirect_uri=https%3A%2F%2Fapp.example.com%2Fauth%2Ffeishu%2Fcallback&');
  });

  test('v2 is standard OAuth on accounts.feishu.cn', async () => {
    assert.equal(
      await authorizeURL({ flow: 'v2', scope: 'offline_access' }, { state: 'xyz', prompt: 'consent' }),
      'https://accounts.feishu.cn/open-apis/authen/v1/authorize?prompt=consent&response_type=code&redirect_uri=https%3A%2F%2Fapp.example.com%2Fauth%2Ffeishu%2Fcallback&scope=offline_access&state=xyz&client_id=cli_a5ca35a685b0x26e',
    );
  });

  test('the suite flow goes to passport.feishu.cn', async () => {
    assert.equal(
      await authorizeURL({ flow: 'suite' }, { state: 'state123456' }),
      'https://passport.feishu.cn/suite/passport/oauth/authorize?response_type=code&redirect_uri=https%3A%2F%2Fapp.example.com%2Fauth%2Ffeishu%2Fcallback&state=state123456&client_id=cli_a5ca35a685b0x26e',
    );
  });

  const larkHosts: Array<[FeishuStrategyOptions['flow'], string]> = [
    ['v1', 'https://open.larksuite.com/open-apis/authen/v1/authorize'],
    ['v2', 'https://accounts.larksuite.com/open-apis/authen/v1/authorize'],
    ['v3', 'https://accounts.larksuite.com/open-apis/authen/v1/authorize'],
    ['suite', 'https://passport.larksuite.com/suite/passport/oauth/authorize'],
  ];
  for (const [flow, page] of larkHosts) {
    test(`domain 'lark' sends ${flow} logins to ${new URL(page).host}`, async () => {
      const url = new URL(await authorizeURL({ flow, domain: 'lark' }));
      assert.equal(url.origin + url.pathname, page);
    });
  }

  test('Lark maps every server-side endpoint too', () => {
    const strategy = new FeishuStrategy({ ...base, domain: 'lark', flow: 'v3' }, verify);
    assert.deepEqual(strategy.endpoints, {
      authorization: 'https://accounts.larksuite.com/open-apis/authen/v1/authorize',
      token: 'https://accounts.larksuite.com/oauth/v3/token',
      refresh: 'https://accounts.larksuite.com/oauth/v3/token',
      userInfo: 'https://open.larksuite.com/open-apis/authen/v1/user_info',
      appAccessToken: 'https://open.larksuite.com/open-apis/auth/v3/app_access_token/internal',
    });
    assert.equal(strategy.brand, 'lark');
  });

  // Written out rather than derived from the table, so a host mix-up in lib/endpoints.ts fails here.
  const SERVER_SIDE: Readonly<Record<string, Readonly<Record<'token' | 'refresh' | 'userInfo', string>>>> = {
    v1: { token: 'open/open-apis/authen/v1/access_token', refresh: 'open/open-apis/authen/v1/refresh_access_token', userInfo: 'open/open-apis/authen/v1/user_info' },
    v2: { token: 'open/open-apis/authen/v2/oauth/token', refresh: 'open/open-apis/authen/v2/oauth/token', userInfo: 'open/open-apis/authen/v1/user_info' },
    v3: { token: 'accounts/oauth/v3/token', refresh: 'accounts/oauth/v3/token', userInfo: 'open/open-apis/authen/v1/user_info' },
    suite: {
      token: 'passport/suite/passport/oauth/token',
      refresh: 'passport/suite/passport/oauth/token',
      userInfo: 'passport/suite/passport/oauth/userinfo',
    },
  };
  for (const [brand, tld] of [['feishu', 'feishu.cn'], ['lark', 'larksuite.com']] as const) {
    for (const [flow, urls] of Object.entries(SERVER_SIDE)) {
      test(`${brand} ${flow}: token, refresh and user info on their own hosts`, () => {
        const strategy = new FeishuStrategy({ ...base, domain: brand, flow: flow as 'v1' }, verify);
        const expand = (where: string) => `https://${where.slice(0, where.indexOf('/'))}.${tld}${where.slice(where.indexOf('/'))}`;
        assert.deepEqual(
          { token: strategy.endpoints.token, refresh: strategy.endpoints.refresh, userInfo: strategy.endpoints.userInfo },
          { token: expand(urls.token), refresh: expand(urls.refresh), userInfo: expand(urls.userInfo) },
        );
      });
    }
  }

  test('domain takes one origin per host, as the mock serves them', () => {
    const hosts = { open: 'http://127.0.0.1:4001/x', accounts: 'http://127.0.0.1:4002', passport: 'http://127.0.0.1:4003' };
    const v3 = new FeishuStrategy({ ...base, domain: hosts, flow: 'v3' }, verify).endpoints;
    assert.equal(v3.authorization, 'http://127.0.0.1:4002/open-apis/authen/v1/authorize');
    assert.equal(v3.token, 'http://127.0.0.1:4002/oauth/v3/token');
    assert.equal(v3.userInfo, 'http://127.0.0.1:4001/open-apis/authen/v1/user_info');
    assert.equal(new FeishuStrategy({ ...base, domain: hosts, flow: 'suite' }, verify).endpoints.token, 'http://127.0.0.1:4003/suite/passport/oauth/token');
    assert.throws(() => new FeishuStrategy({ ...base, domain: { ...hosts, passport: 'not a url' } }, verify), /domain\.passport/);
  });

  test('a custom origin serves every path, and explicit URLs win over it', () => {
    const strategy = new FeishuStrategy({ ...base, domain: 'http://127.0.0.1:4000/ignored/path', tokenURL: 'https://proxy.example.com/token' }, verify);
    assert.equal(strategy.endpoints.authorization, 'http://127.0.0.1:4000/open-apis/authen/v1/authorize');
    assert.equal(strategy.endpoints.token, 'https://proxy.example.com/token');
    assert.equal(strategy.endpoints.appAccessToken, 'http://127.0.0.1:4000/open-apis/auth/v3/app_access_token/internal');
  });

  test('state: true stores a nonce in the session and sends it', async () => {
    const strategy = new FeishuStrategy({ ...base, state: true }, verify);
    const session: Record<string, unknown> = {};
    const outcome = await run(strategy, { session });
    assert.equal(outcome.kind, 'redirect');
    const state = new URL(outcome.kind === 'redirect' ? outcome.url : '').searchParams.get('state');
    assert.ok(state && state.length >= 16);
    assert.deepEqual(session['oauth2:open.feishu.cn'], { state });
  });

  test('PKCE (v2) sends an S256 challenge', async () => {
    const url = new URL(await authorizeURL({ flow: 'v2', state: true, pkce: true }));
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.match(url.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
  });
});

describe('constructor checks', () => {
  test('name defaults to feishu and can be changed', () => {
    assert.equal(new FeishuStrategy(base, verify).name, 'feishu');
    assert.equal(new FeishuStrategy({ ...base, name: 'lark-intl' }, verify).name, 'lark-intl');
  });

  test('appId/appSecret are aliases of clientID/clientSecret', () => {
    const strategy = new FeishuStrategy({ appId: 'cli_alias', appSecret: 'x' }, verify);
    assert.equal(strategy.appId, 'cli_alias');
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['no clientID', { clientSecret: 'x' }, /requires a clientID/],
    ['no clientSecret', { clientID: 'cli_x' }, /requires a clientSecret/],
    ['an unknown flow', { ...base, flow: 'v9' }, /flow must be one of/],
    ['a bad domain', { ...base, domain: 'not a url' }, /domain must be/],
    ['a zero timeout', { ...base, timeout: 0 }, /timeout must be/],
    ['PKCE on v1', { ...base, state: true, pkce: true }, /PKCE only in flows v2 and v3/],
  ];
  for (const [name, options, message] of bad) {
    test(`${name} is a TypeError`, () => {
      assert.throws(() => new FeishuStrategy(options as FeishuStrategyOptions, verify), { name: 'TypeError', message });
    });
  }

  test('a missing verify callback is a TypeError', () => {
    assert.throws(() => new FeishuStrategy(base, undefined as never), { name: 'TypeError', message: /verify callback/ });
  });
});
