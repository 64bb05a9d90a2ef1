/**
 * What the strategy checks at run time for JavaScript callers (and for options built by
 * spreading a config object, which TypeScript's excess-property check does not see): unknown
 * option names, an `idField` outside Feishu's ids, a sign-in started with no callbackURL, and
 * a refresh with no refresh token. Each message names what to change.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Request } from 'express';
import { FeishuStrategy, type FeishuFlow, type FeishuStrategyOptions, type FeishuVerifyFunction } from '../lib/index.js';
import { editDistance, nearestName } from '../lib/checks/nearest-name.js';
import { OPTION_NAMES } from '../lib/checks/option-names.js';
import { startMockFeishu, type MockFeishu } from '../lib/testing/index.js';
import { buildApp, login } from './helpers/app.js';
import { run } from './helpers/harness.js';

const verify: FeishuVerifyFunction = (_accessToken, _refreshToken, profile, done) => done(null, profile);
const valid = { clientID: 'cli_a1b2c3d4e5f6', clientSecret: 'app-secret-0123456789' };
const CALLBACK = 'https://app.example.com/auth/feishu/callback';

function construct(options: object): FeishuStrategy {
  return new FeishuStrategy(options as FeishuStrategyOptions, verify);
}

describe('unknown option names', () => {
  for (const [typo, meant] of [
    ['callbackUrl', 'callbackURL'],
    ['callbackurl', 'callbackURL'],
    ['appID', 'appId'],
    ['clientId', 'clientID'],
    ['scopes', 'scope'],
    ['clientSecert', 'clientSecret'],
    ['passReqToCallBack', 'passReqToCallback'],
    ['tenant', 'tenants'],
    ['idfield', 'idField'],
  ] as const) {
    test(`${typo} is a TypeError that suggests ${meant}`, () => {
      assert.throws(() => construct({ ...valid, callbackURL: CALLBACK, [typo]: 'x' }), {
        name: 'TypeError',
        message: `FeishuStrategy: unknown option "${typo}" (did you mean ${meant}?)`,
      });
    });
  }

  test('a name close to none points to the Options table', () => {
    assert.throws(() => construct({ ...valid, trustProxy: true }), {
      name: 'TypeError',
      message: 'FeishuStrategy: unknown option "trustProxy" (see the Options table in the README)',
    });
  });

  test('an unknown name is refused even when its value is undefined', () => {
    assert.throws(() => construct({ ...valid, callbackUrl: undefined }), { name: 'TypeError', message: /unknown option "callbackUrl"/ });
  });

  test("every option passport-oauth2 reads is known, and so accepted", () => {
    const strategy = construct({
      ...valid,
      callbackURL: CALLBACK,
      scope: ['auth:user.id:read'],
      scopeSeparator: ' ',
      state: false,
      store: false,
      sessionKey: 'oauth2:feishu',
      skipUserProfile: false,
      proxy: true,
      customHeaders: { 'x-app': 'a' },
      passReqToCallback: false,
    });
    assert.equal(strategy.name, 'feishu');
    for (const name of ['callbackURL', 'scope', 'scopeSeparator', 'state', 'pkce', 'store', 'sessionKey', 'skipUserProfile', 'proxy', 'customHeaders', 'passReqToCallback']) {
      assert.ok(OPTION_NAMES.includes(name), name);
    }
  });

  test('a typo of an option is caught before any other check', () => {
    // Without the name check, the missing secret would be reported and the typo left unseen.
    assert.throws(() => construct({ clientID: valid.clientID, clientSecert: valid.clientSecret }), { message: /did you mean clientSecret\?/ });
  });
});

describe('nearestName', () => {
  test('letter case costs nothing: a case-insensitive match wins over a one-letter edit', () => {
    assert.equal(nearestName('TOKENURL', ['tokenURL', 'tokenURLs']), 'tokenURL');
  });

  test('allows one edit per three letters, at least one', () => {
    assert.equal(nearestName('nme', ['name']), 'name');
    assert.equal(nearestName('nm', ['name']), undefined);
    assert.equal(nearestName('sessinKy', ['sessionKey']), 'sessionKey');
    assert.equal(nearestName('zzzzzzzzz', OPTION_NAMES), undefined);
  });

  test('edit distance counts insertions, deletions and substitutions', () => {
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('scope', 'scope'), 0);
  });
});

describe('idField', () => {
  for (const idField of ['email', 'mobile', 'employee_no', 'OPEN_ID', '']) {
    test(`${JSON.stringify(idField)} is a TypeError listing Feishu's ids`, () => {
      assert.throws(() => construct({ ...valid, idField }), {
        name: 'TypeError',
        message: `FeishuStrategy: idField must be one of open_id, union_id, user_id (an id Feishu issues), got ${JSON.stringify(idField)}`,
      });
    });
  }

  test('a value that is not a string names its type, not its contents', () => {
    assert.throws(() => construct({ ...valid, idField: { field: 'email' } }), { message: /got object$/ });
  });

  for (const idField of ['open_id', 'union_id', 'user_id', undefined]) {
    test(`${String(idField)} is accepted`, () => {
      assert.ok(construct({ ...valid, idField }));
    });
  }
});

const NO_CALLBACK = /^FeishuStrategy: a sign-in cannot start without a callbackURL\. Set callbackURL in the strategy options \(or in this route's passport\.authenticate options\) to the URL of your callback route, and register it under Security Settings › Redirect URLs in the developer console\.$/;

describe('a sign-in with no callbackURL', () => {
  for (const flow of ['v1', 'v2', 'v3', 'suite'] as const satisfies readonly FeishuFlow[]) {
    test(`${flow}: the sign-in start is a Passport error saying what to set, with no redirect`, async () => {
      const outcome = await run(construct({ ...valid, flow }), {});
      assert.equal(outcome.kind, 'error');
      assert.match(outcome.err.message, NO_CALLBACK);
    });
  }

  test('a callbackURL given to passport.authenticate is enough', async () => {
    const outcome = await run(construct(valid), {}, { callbackURL: CALLBACK });
    assert.equal(outcome.kind, 'redirect');
    assert.equal(new URL(outcome.url).searchParams.get('redirect_uri'), CALLBACK);
  });

  test("an empty callbackURL is none, and so is a per-call value that is not a string", async () => {
    const empty = await run(construct({ ...valid, callbackURL: '' }), {});
    assert.equal(empty.kind, 'error');
    assert.match(empty.err.message, NO_CALLBACK);
    for (const callbackURL of ['', 42]) {
      const outcome = await run(construct(valid), {}, { callbackURL });
      assert.equal(outcome.kind, 'error', JSON.stringify(callbackURL));
      assert.match(outcome.err.message, NO_CALLBACK);
    }
  });

  test('buildAuthorizationURL rejects with the same message', async () => {
    await assert.rejects(construct(valid).buildAuthorizationURL({ headers: { host: 'app.example.com' }, url: '/login' } as Request), { message: NO_CALLBACK });
  });

  test('a callback (Feishu sent a Deny) is judged as before: no callbackURL is needed to read it', async () => {
    const outcome = await run(construct(valid), { query: { error: 'access_denied' } });
    assert.equal(outcome.kind, 'fail');
  });

  describe('through Express and the mock', () => {
    let mock: MockFeishu;
    before(async () => {
      mock = await startMockFeishu();
    });
    after(() => mock.close());

    test("the sign-in route answers 500 with the message, and Feishu's authorize page is never asked", async () => {
      const { agent } = buildApp(mock, { callbackURL: undefined });
      mock.resetCalls();
      const res = await agent.get('/login');
      assert.equal(res.status, 500);
      assert.match((res.body as { message: string }).message, NO_CALLBACK);
      assert.equal(mock.calls.authorize, 0);
    });
  });
});

describe('refreshAccessToken without a refresh token', () => {
  for (const flow of ['v2', 'v3'] as const) {
    test(`${flow}: the TypeError says to request offline_access`, async () => {
      await assert.rejects(construct({ ...valid, flow }).refreshAccessToken(''), {
        name: 'TypeError',
        message: `refreshAccessToken requires a refresh token (flow ${flow} issues one only when the scope includes 'offline_access': add it to the strategy's scope, enable it for the app, and sign in again)`,
      });
    });
  }

  for (const flow of ['v1', 'suite'] as const) {
    test(`${flow}: the TypeError says only that a refresh token is needed`, async () => {
      await assert.rejects(construct({ ...valid, flow }).refreshAccessToken(''), { name: 'TypeError', message: 'refreshAccessToken requires a refresh token' });
    });
  }

  describe('against the mock', () => {
    let mock: MockFeishu;
    before(async () => {
      mock = await startMockFeishu({ consent: 'auto' });
    });
    after(() => mock.close());

    test("v2 without offline_access: verify gets refreshToken '' and refreshing it says what to add", async () => {
      const { agent, strategy } = buildApp(mock, { flow: 'v2', scope: 'auth:user.id:read' });
      const res = await login(agent);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const { refreshToken } = res.body as { refreshToken: string };
      assert.equal(refreshToken, '');
      await assert.rejects(strategy.refreshAccessToken(refreshToken), { message: /add it to the strategy's scope/ });
    });
  });
});
