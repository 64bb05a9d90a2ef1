import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_APP, startMockFeishu, type MockFeishu } from '../lib/testing/index.js';
import { buildApp } from './helpers/app.js';

/**
 * The mock is as strict as Feishu where Feishu would refuse (feishu-api.md §8, §10), so a
 * client mistake fails a test here before it fails a sign-in in production.
 */

const CALLBACK = 'http://localhost:3000/auth/feishu/callback';

let mock: MockFeishu;
before(async () => {
  mock = await startMockFeishu({ apps: [{ ...DEFAULT_APP }, { ...DEFAULT_APP, appId: 'cli_norefresh0000000', refreshEnabled: false }] });
});
after(() => mock.close());

async function post(url: string, fields: Record<string, string>, options: { form?: boolean; bearer?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': options.form ? 'application/x-www-form-urlencoded' : 'application/json' };
  if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
  const res = await fetch(url, { method: 'POST', headers, body: options.form ? new URLSearchParams(fields).toString() : JSON.stringify(fields) });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: the 404 page
  }
  return { status: res.status, text, json };
}

async function page(url: string) {
  const res = await fetch(url, { redirect: 'manual' });
  return { status: res.status, text: await res.text(), location: res.headers.get('location') };
}

function v2Token(fields: Record<string, string>, host = mock.hosts.open) {
  return post(`${host}/open-apis/authen/v2/oauth/token`, { client_id: mock.app.appId, client_secret: mock.app.appSecret, ...fields });
}

describe('three hosts, three origins', () => {
  test('each host has its own origin', () => {
    const { open, accounts, passport } = mock.hosts;
    assert.equal(new Set([open, accounts, passport]).size, 3);
    assert.equal(mock.origin, open);
  });

  const wrong: Array<[string, () => Promise<{ status: number; text: string }>]> = [
    ['the v2 token endpoint on accounts', () => v2Token({ grant_type: 'authorization_code', code: 'x' }, mock.hosts.accounts)],
    ['the v3 token endpoint on open', () => post(`${mock.hosts.open}/oauth/v3/token`, { grant_type: 'authorization_code' })],
    ['the app-token endpoint on accounts', () => post(`${mock.hosts.accounts}/open-apis/auth/v3/app_access_token/internal`, { app_id: mock.app.appId, app_secret: mock.app.appSecret })],
    ['the suite token endpoint on open', () => post(`${mock.hosts.open}/suite/passport/oauth/token`, { grant_type: 'authorization_code' }, { form: true })],
    ['user_info on passport', () => page(`${mock.hosts.passport}/open-apis/authen/v1/user_info`)],
    ['the suite authorize page on accounts', () => page(`${mock.hosts.accounts}/suite/passport/oauth/authorize?client_id=${mock.app.appId}&response_type=code`)],
  ];
  for (const [name, call] of wrong) {
    test(`${name} is Feishu's bare 404`, async () => {
      const res = await call();
      assert.equal(res.status, 404);
      assert.equal(res.text, '404 page not found');
    });
  }

  test('singleOrigin serves every path on one origin, as a proxy does', async () => {
    const single = await startMockFeishu({ singleOrigin: true });
    try {
      assert.deepEqual(single.hosts, { open: single.origin, accounts: single.origin, passport: single.origin });
      const v1 = await page(`${single.origin}/open-apis/authen/v1/authorize?app_id=${single.app.appId}&redirect_uri=${encodeURIComponent(CALLBACK)}`);
      const v2 = await page(`${single.origin}/open-apis/authen/v1/authorize?client_id=${single.app.appId}&response_type=code&redirect_uri=${encodeURIComponent(CALLBACK)}`);
      assert.deepEqual([v1.status, v2.status], [200, 200]);
    } finally {
      await single.close();
    }
  });
});

describe("each generation's authorize page checks its own parameters", () => {
  const redirect = `redirect_uri=${encodeURIComponent(CALLBACK)}`;
  const app = `${DEFAULT_APP.appId}`;
  const cases: Array<[string, () => string, number | undefined]> = [
    ['v1 with app_id', () => `${mock.hosts.open}/open-apis/authen/v1/authorize?app_id=${app}&${redirect}`, undefined],
    ['v1 (oldest path) with app_id', () => `${mock.hosts.open}/open-apis/authen/v1/index?app_id=${app}&${redirect}`, undefined],
    ['v1 with client_id', () => `${mock.hosts.open}/open-apis/authen/v1/authorize?client_id=${app}&${redirect}`, 20001],
    ['v1 with response_type=code', () => `${mock.hosts.open}/open-apis/authen/v1/authorize?app_id=${app}&response_type=code&${redirect}`, 20001],
    ['v2 with client_id and response_type=code', () => `${mock.hosts.accounts}/open-apis/authen/v1/authorize?client_id=${app}&response_type=code&${redirect}`, undefined],
    ['v2 with app_id', () => `${mock.hosts.accounts}/open-apis/authen/v1/authorize?app_id=${app}&response_type=code&${redirect}`, 20001],
    ['v2 without response_type', () => `${mock.hosts.accounts}/open-apis/authen/v1/authorize?client_id=${app}&${redirect}`, 20001],
    ['suite with client_id and response_type=code', () => `${mock.hosts.passport}/suite/passport/oauth/authorize?client_id=${app}&response_type=code&${redirect}`, undefined],
    ['suite with response_type=token', () => `${mock.hosts.passport}/suite/passport/oauth/authorize?client_id=${app}&response_type=token&${redirect}`, 20001],
    ['an unknown app', () => `${mock.hosts.accounts}/open-apis/authen/v1/authorize?client_id=cli_nobody&response_type=code&${redirect}`, 20048],
  ];
  for (const [name, url, code] of cases) {
    test(`${name}: ${code === undefined ? 'the consent page' : `error ${code}`}`, async () => {
      const res = await page(url());
      if (code === undefined) {
        assert.equal(res.status, 200);
        assert.match(res.text, /wants to sign you in/);
      } else {
        assert.equal(res.status, 400);
        assert.match(res.text, new RegExp(`Error code <code>${code}</code>`));
      }
    });
  }
});

describe('registered redirect URLs are matched exactly', () => {
  const cases: Array<[string, string, boolean]> = [
    ['the registered URL', CALLBACK, true],
    ['the registered URL with a query', `${CALLBACK}?next=%2F`, true],
    ['another path', 'http://localhost:3000/auth/feishu/other', false],
    ['another port', 'http://localhost:3001/auth/feishu/callback', false],
    ['another scheme', 'https://localhost:3000/auth/feishu/callback', false],
    ['another host', 'http://evil.example:3000/auth/feishu/callback', false],
  ];
  for (const [name, uri, ok] of cases) {
    test(`${name}: ${ok ? 'accepted' : '20029'}`, async () => {
      const res = await page(`${mock.hosts.open}/open-apis/authen/v1/authorize?app_id=${mock.app.appId}&redirect_uri=${encodeURIComponent(uri)}`);
      assert.equal(res.status, ok ? 200 : 400);
      if (!ok) assert.match(res.text, /Error code <code>20029<\/code>/);
    });
  }

  test("a strategy whose callbackURL is not registered meets 20029 on Feishu's page", async () => {
    const { agent } = buildApp(mock, { callbackURL: 'http://localhost:3000/auth/other/callback' });
    const start = await agent.get('/login');
    const res = await page(start.headers.location ?? '');
    assert.equal(res.status, 400);
    assert.match(res.text, /Error code <code>20029<\/code>/);
  });
});

describe('a Lark app and a Feishu mock do not mix, on any endpoint', () => {
  let feishu: MockFeishu;
  const lark = { ...DEFAULT_APP, appId: 'cli_lark00000000000', brand: 'lark' as const };
  before(async () => {
    feishu = await startMockFeishu({ apps: [lark] });
  });
  after(() => feishu.close());

  test('the authorize page of every generation shows 20046', async () => {
    const redirect = `redirect_uri=${encodeURIComponent(CALLBACK)}`;
    for (const url of [
      `${feishu.hosts.open}/open-apis/authen/v1/authorize?app_id=${lark.appId}&${redirect}`,
      `${feishu.hosts.accounts}/open-apis/authen/v1/authorize?client_id=${lark.appId}&response_type=code&${redirect}`,
      `${feishu.hosts.passport}/suite/passport/oauth/authorize?client_id=${lark.appId}&response_type=code&${redirect}`,
    ]) {
      const res = await page(url);
      assert.equal(res.status, 400, url);
      assert.match(res.text, /Error code <code>20046<\/code>/, url);
    }
  });

  test('the server-side endpoints refuse it too', async () => {
    const creds = { client_id: lark.appId, client_secret: lark.appSecret };
    const code = feishu.issueCode({ appId: lark.appId, redirectUri: CALLBACK });
    const appToken = await post(`${feishu.hosts.open}/open-apis/auth/v3/app_access_token/internal`, { app_id: lark.appId, app_secret: lark.appSecret });
    assert.equal(appToken.json.code, 10014);
    const v2 = await post(`${feishu.hosts.open}/open-apis/authen/v2/oauth/token`, { ...creds, grant_type: 'authorization_code', code, redirect_uri: CALLBACK });
    assert.equal(v2.json.code, 20046);
    const v3 = await post(`${feishu.hosts.accounts}/oauth/v3/token`, { ...creds, grant_type: 'authorization_code', code, redirect_uri: CALLBACK });
    assert.equal(v3.json.code, 20046);
    const suite = await post(`${feishu.hosts.passport}/suite/passport/oauth/token`, { ...creds, grant_type: 'authorization_code', code, redirect_uri: CALLBACK }, { form: true });
    assert.deepEqual([suite.status, suite.json.error], [400, 'invalid_client']);
    const jsapi = await fetch(`${feishu.origin}/mock/jsapi/code?app_id=${lark.appId}`).then((r) => r.json() as Promise<Record<string, unknown>>);
    assert.equal(jsapi.code, 10200);
  });

  test('a Feishu app on a Lark mock is refused the same way', async () => {
    const larkMock = await startMockFeishu({ brand: 'lark' });
    try {
      const res = await page(`${larkMock.hosts.accounts}/open-apis/authen/v1/authorize?client_id=${larkMock.app.appId}&response_type=code&redirect_uri=${encodeURIComponent(CALLBACK)}`);
      assert.match(res.text, /Error code <code>20046<\/code>/);
    } finally {
      await larkMock.close();
    }
  });
});

describe('v2/v3 token rules', () => {
  const verifier = 'v'.repeat(43);
  const challenge = createHash('sha256').update(verifier).digest('base64url');

  for (const [name, bad] of [
    ['42 characters', 'v'.repeat(42)],
    ['129 characters', 'v'.repeat(129)],
    ['a character outside [A-Za-z0-9-._~]', `${'v'.repeat(42)}+`],
  ] as const) {
    test(`a code_verifier of ${name} is 20049`, async () => {
      // A plain challenge equal to the verifier, so only its format can fail.
      const code = mock.issueCode({ redirectUri: CALLBACK, codeChallenge: bad, codeChallengeMethod: 'plain' });
      const res = await v2Token({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: bad });
      assert.deepEqual([res.status, res.json.code], [400, 20049]);
    });
  }

  test('a 43-character S256 verifier passes', async () => {
    const code = mock.issueCode({ redirectUri: CALLBACK, codeChallenge: challenge, codeChallengeMethod: 'S256' });
    const res = await v2Token({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: verifier });
    assert.equal(res.json.code, 0);
  });

  const granted = 'offline_access auth:user.id:read';
  for (const [name, scope, code] of [
    ['a repeated scope', 'auth:user.id:read auth:user.id:read', 20067],
    ['a scope the user did not grant', 'contact:user.email:readonly', 20068],
  ] as const) {
    test(`narrowing with ${name} is ${code}`, async () => {
      const issued = mock.issueCode({ redirectUri: CALLBACK, scope: granted });
      const res = await v2Token({ grant_type: 'authorization_code', code: issued, redirect_uri: CALLBACK, scope });
      assert.deepEqual([res.status, res.json.code, res.json.error], [400, code, 'invalid_scope']);
    });
  }

  test('a narrowed token carries only the scope asked for (no offline_access, no refresh token)', async () => {
    const issued = mock.issueCode({ redirectUri: CALLBACK, scope: granted });
    const res = await v2Token({ grant_type: 'authorization_code', code: issued, redirect_uri: CALLBACK, scope: 'auth:user.id:read' });
    assert.equal(res.json.scope, 'auth:user.id:read');
    assert.equal(res.json.refresh_token, undefined);
  });

  test('a refresh narrows too, and a repeated scope is refused there as well', async () => {
    const issued = mock.issueCode({ redirectUri: CALLBACK, scope: granted });
    const first = await v2Token({ grant_type: 'authorization_code', code: issued, redirect_uri: CALLBACK });
    const refresh = first.json.refresh_token as string;
    const dup = await v2Token({ grant_type: 'refresh_token', refresh_token: refresh, scope: 'offline_access offline_access' });
    assert.equal(dup.json.code, 20067);
  });

  test('with the refresh switch off, a refresh is 20074', async () => {
    const app = mock.apps[1]!;
    const issued = mock.issueCode({ appId: app.appId, redirectUri: CALLBACK, scope: 'offline_access' });
    const creds = { client_id: app.appId, client_secret: app.appSecret };
    const first = await post(`${mock.hosts.open}/open-apis/authen/v2/oauth/token`, { ...creds, grant_type: 'authorization_code', code: issued, redirect_uri: CALLBACK });
    const res = await post(`${mock.hosts.open}/open-apis/authen/v2/oauth/token`, { ...creds, grant_type: 'refresh_token', refresh_token: first.json.refresh_token as string });
    assert.deepEqual([res.status, res.json.code], [400, 20074]);
  });

  test('after a refresh the old access token works for about a minute, then not', async () => {
    const issued = mock.issueCode({ redirectUri: CALLBACK, scope: 'offline_access' });
    const first = await v2Token({ grant_type: 'authorization_code', code: issued, redirect_uri: CALLBACK });
    const second = await v2Token({ grant_type: 'refresh_token', refresh_token: first.json.refresh_token as string });
    const userInfo = (token: string) => fetch(`${mock.hosts.open}/open-apis/authen/v1/user_info`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json() as Promise<Record<string, unknown>>);
    assert.equal((await userInfo(first.json.access_token as string)).code, 0, 'still valid right after the refresh');
    mock.advance(61_000);
    assert.equal((await userInfo(first.json.access_token as string)).code, 99991677, 'expired a minute later');
    assert.equal((await userInfo(second.json.access_token as string)).code, 0, 'the new one is valid');
  });
});

describe('in-app (JSAPI) codes', () => {
  for (const [api, seconds, ok] of [
    ['requestAccess', 179, true],
    ['requestAccess', 181, false],
    ['requestAuthCode', 299, true],
  ] as const) {
    test(`a ${api} code ${ok ? 'still works' : 'has expired'} after ${seconds} s`, async () => {
      const { code } = (await fetch(`${mock.origin}/mock/jsapi/code?api=${api}&app_id=${mock.app.appId}`).then((r) => r.json())) as { code: string };
      mock.advance(seconds * 1000);
      const res = await v2Token({ grant_type: 'authorization_code', code });
      assert.equal(res.json.code, ok ? 0 : 20004);
    });
  }
});

describe('the suite userinfo', () => {
  test('answers a bad token as OAuth invalid_token', async () => {
    const res = await fetch(`${mock.hosts.passport}/suite/passport/oauth/userinfo`, { headers: { authorization: 'Bearer nope' } });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: string }).error, 'invalid_token');
  });
});
