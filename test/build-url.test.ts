import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FeishuStrategy, type FeishuFlow } from '../lib/index.js';
import { startMockFeishu, type MockFeishu } from '../lib/testing/index.js';
import { buildApp, pathOf } from './helpers/app.js';

let mock: MockFeishu;
before(async () => {
  mock = await startMockFeishu({ consent: 'auto' });
});
after(() => mock.close());

const AUTHORIZE: Readonly<Record<Exclude<FeishuFlow, 'mini-program'>, { host: 'open' | 'accounts' | 'passport'; path: string; app: 'app_id' | 'client_id' }>> = {
  v1: { host: 'open', path: '/open-apis/authen/v1/authorize', app: 'app_id' },
  v2: { host: 'accounts', path: '/open-apis/authen/v1/authorize', app: 'client_id' },
  v3: { host: 'accounts', path: '/open-apis/authen/v1/authorize', app: 'client_id' },
  suite: { host: 'passport', path: '/suite/passport/oauth/authorize', app: 'client_id' },
};

describe('buildAuthorizationURL', () => {
  for (const flow of ['v1', 'v2', 'v3', 'suite'] as const) {
    const pkce = flow === 'v2' || flow === 'v3';
    test(`${flow}: the URL a redirect would use, and the ordinary callback completes the sign-in`, async () => {
      const { agent } = buildApp(mock, { flow, pkce });
      const { url } = (await agent.get('/authorize-url').expect(200)).body as { url: string };
      const parsed = new URL(url);
      const expected = AUTHORIZE[flow];
      assert.equal(parsed.origin + parsed.pathname, mock.hosts[expected.host] + expected.path);
      assert.equal(parsed.searchParams.get(expected.app), mock.app.appId);
      assert.ok(parsed.searchParams.get('state'), 'state saved and sent');
      assert.equal(parsed.searchParams.has('code_challenge'), pkce);

      const answer = await fetch(url, { redirect: 'manual' });
      const callback = await agent.get(pathOf(answer.headers.get('location') ?? ''));
      assert.equal(callback.status, 200, JSON.stringify(callback.body));
      assert.equal(callback.body.profile.id, mock.users[0]!.open_id);
    });
  }

  test('the state it saved is checked: a URL built for another session does not complete here', async () => {
    const { agent } = buildApp(mock, { flow: 'v2', pkce: true });
    const other = buildApp(mock, { flow: 'v2', pkce: true });
    const { url } = (await other.agent.get('/authorize-url')).body as { url: string };
    const answer = await fetch(url, { redirect: 'manual' });
    const callback = await agent.get(pathOf(answer.headers.get('location') ?? ''));
    assert.equal(callback.headers.location, '/failed');
  });

  test('PKCE: the verifier saved with the state is the one sent, so Feishu accepts the exchange', async () => {
    const { agent } = buildApp(mock, { flow: 'v3', pkce: true });
    mock.resetCalls();
    const { url } = (await agent.get('/authorize-url')).body as { url: string };
    assert.equal(new URL(url).searchParams.get('code_challenge_method'), 'S256');
    const answer = await fetch(url, { redirect: 'manual' });
    assert.equal((await agent.get(pathOf(answer.headers.get('location') ?? ''))).status, 200);
    assert.equal(mock.calls.v3Token, 1);
  });

  test('options such as scope and prompt reach the URL', async () => {
    const strategy = new FeishuStrategy({ clientID: 'cli_x', clientSecret: 's', flow: 'v2', callbackURL: 'https://app.example.com/cb' }, () => undefined);
    const url = new URL(await strategy.buildAuthorizationURL({ query: {}, headers: {} } as never, { scope: ['offline_access'], prompt: 'consent' }));
    assert.equal(url.searchParams.get('scope'), 'offline_access');
    assert.equal(url.searchParams.get('prompt'), 'consent');
  });

  test('a state store that cannot save (no session) rejects with its error', async () => {
    const strategy = new FeishuStrategy({ clientID: 'cli_x', clientSecret: 's', state: true, callbackURL: 'https://app.example.com/cb' }, () => undefined);
    await assert.rejects(strategy.buildAuthorizationURL({ query: {}, headers: {} } as never), /session/i);
  });
});
