import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveHosts } from '../lib/endpoints.js';
import { BRAND_HOSTS, FeishuStrategy, FLOWS, type FeishuFlow } from '../lib/index.js';

/** Every URL each flow talks to, per brand (feishu-api.md §0-§5), and what `domain` accepts. */

const verify = () => undefined;
const credentials = { clientID: 'cli_a5ca35a685b0x26e', clientSecret: 's3cr3t' };

/** Feishu's endpoints by flow; Lark's are the same paths on larksuite.com. */
const FEISHU: Readonly<Record<FeishuFlow, FeishuStrategy['endpoints']>> = {
  v1: {
    authorization: 'https://open.feishu.cn/open-apis/authen/v1/authorize',
    token: 'https://open.feishu.cn/open-apis/authen/v1/access_token',
    refresh: 'https://open.feishu.cn/open-apis/authen/v1/refresh_access_token',
    userInfo: 'https://open.feishu.cn/open-apis/authen/v1/user_info',
    appAccessToken: 'https://open.feishu.cn/open-apis/auth/v3/app_access_token/internal',
  },
  v2: {
    authorization: 'https://accounts.feishu.cn/open-apis/authen/v1/authorize',
    token: 'https://open.feishu.cn/open-apis/authen/v2/oauth/token',
    refresh: 'https://open.feishu.cn/open-apis/authen/v2/oauth/token',
    userInfo: 'https://open.feishu.cn/open-apis/authen/v1/user_info',
    appAccessToken: 'https://open.feishu.cn/open-apis/auth/v3/app_access_token/internal',
  },
  v3: {
    authorization: 'https://accounts.feishu.cn/open-apis/authen/v1/authorize',
    token: 'https://accounts.feishu.cn/oauth/v3/token',
    refresh: 'https://accounts.feishu.cn/oauth/v3/token',
    userInfo: 'https://open.feishu.cn/open-apis/authen/v1/user_info',
    appAccessToken: 'https://open.feishu.cn/open-apis/auth/v3/app_access_token/internal',
  },
  suite: {
    authorization: 'https://passport.feishu.cn/suite/passport/oauth/authorize',
    token: 'https://passport.feishu.cn/suite/passport/oauth/token',
    refresh: 'https://passport.feishu.cn/suite/passport/oauth/token',
    userInfo: 'https://passport.feishu.cn/suite/passport/oauth/userinfo',
    appAccessToken: 'https://open.feishu.cn/open-apis/auth/v3/app_access_token/internal',
  },
  // No authorize page: the code comes from tt.login.
  'mini-program': {
    authorization: '',
    token: 'https://open.feishu.cn/open-apis/mina/v2/tokenLoginValidate',
    refresh: 'https://open.feishu.cn/open-apis/authen/v1/refresh_access_token',
    userInfo: 'https://open.feishu.cn/open-apis/authen/v1/user_info',
    appAccessToken: 'https://open.feishu.cn/open-apis/auth/v3/app_access_token/internal',
  },
};

describe('endpoints by flow and brand', () => {
  for (const flow of Object.keys(FEISHU) as FeishuFlow[]) {
    test(`${flow} on Feishu (the default domain) and on Lark`, () => {
      assert.deepEqual(new FeishuStrategy({ ...credentials, flow }, verify).endpoints, FEISHU[flow]);
      const lark = Object.fromEntries(Object.entries(FEISHU[flow]).map(([name, url]) => [name, url.replace('.feishu.cn', '.larksuite.com')]));
      assert.deepEqual(new FeishuStrategy({ ...credentials, flow, domain: 'lark' }, verify).endpoints, lark);
    });
  }

  test('store apps get their app_access_token from the store endpoint', () => {
    const strategy = new FeishuStrategy({ ...credentials, appType: 'store' }, verify);
    assert.equal(strategy.endpoints.appAccessToken, 'https://open.feishu.cn/open-apis/auth/v3/app_access_token');
  });

  test('the brand tables are exported as documented', () => {
    assert.deepEqual(BRAND_HOSTS.feishu, { open: 'https://open.feishu.cn', accounts: 'https://accounts.feishu.cn', passport: 'https://passport.feishu.cn' });
    assert.deepEqual(Object.keys(FLOWS), ['v1', 'v2', 'v3', 'suite', 'mini-program']);
  });

  test('FLOWS says how each authorize page names the app: app_id in v1, client_id in the OAuth flows', () => {
    const names = Object.fromEntries(Object.entries(FLOWS).map(([flow, spec]) => [flow, spec.authorize?.clientIdParam ?? null]));
    // A mini-program has no authorize page: its code comes from tt.login.
    assert.deepEqual(names, { v1: 'app_id', v2: 'client_id', v3: 'client_id', suite: 'client_id', 'mini-program': null });
  });
});

describe('domain', () => {
  test("'feishu' and 'lark' are the brands' hosts", () => {
    assert.equal(resolveHosts('feishu'), BRAND_HOSTS.feishu);
    assert.equal(resolveHosts('lark'), BRAND_HOSTS.lark);
  });

  test('an origin serves all three hosts; a path or query on it is dropped', () => {
    const origin = 'https://feishu.example.com:8443';
    assert.deepEqual(resolveHosts(`${origin}/some/path?x=1`), { open: origin, accounts: origin, passport: origin });
  });

  test('anything else is a TypeError that quotes what was given', () => {
    for (const domain of ['open.feishu.cn', 'file:///etc/feishu', 'mailto:admin@example.com', 'data:text/plain,feishu']) {
      assert.throws(() => resolveHosts(domain), (err: unknown) => err instanceof TypeError && err.message.includes(JSON.stringify(domain)), domain);
    }
  });
});
