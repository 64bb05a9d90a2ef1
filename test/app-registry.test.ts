import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseProfile } from '../lib/index.js';
import type { FeishuApp } from '../lib/apps/app-options.js';
import { AppRegistry, DEFAULT_APP_CACHE_SIZE, secretFingerprint } from '../lib/apps/app-registry.js';
import { UnknownAppError } from '../lib/apps/many-apps.js';
import { keepsAppState, readingApp, savingApp, type AppStateStore } from '../lib/apps/app-state.js';

function counting(capacity?: number) {
  const built: FeishuApp[] = [];
  const registry = new AppRegistry((app: FeishuApp) => {
    built.push(app);
    return { built: built.length };
  }, capacity);
  return { registry, built };
}

const app: FeishuApp = { clientID: 'cli_one', clientSecret: 'secret-one' };

describe('AppRegistry', () => {
  test('keeps 1000 apps by default', () => {
    assert.equal(DEFAULT_APP_CACHE_SIZE, 1000);
    assert.equal(counting().registry.capacity, 1000);
  });

  test('an equal answer reuses the built app; a fresh object with the same values too', () => {
    const { registry, built } = counting();
    const first = registry.get(app);
    assert.equal(registry.get({ ...app }), first);
    assert.equal(built.length, 1);
  });

  test('a different secret, domain, brand, appType, assertion provider or ticket builds another app', () => {
    const { registry, built } = counting();
    registry.get(app);
    const variants: FeishuApp[] = [
      { ...app, clientSecret: 'secret-two' },
      { ...app, domain: 'lark' },
      { ...app, domain: { open: 'http://a', accounts: 'http://b', passport: 'http://c' } },
      { ...app, domain: { open: 'http://a', accounts: 'http://b', passport: 'http://d' } },
      { ...app, brand: 'lark' },
      { ...app, appType: 'store' },
      { ...app, appType: 'store', appTicket: 'ticket-1' },
      { ...app, appType: 'store', appTicket: 'ticket-2' },
      { ...app, appType: 'store', appTicket: () => 'from a function' },
      { ...app, clientAssertion: () => 'a' },
      { ...app, clientAssertion: () => 'b' },
      { ...app, clientID: 'cli_two' },
    ];
    for (const variant of variants) registry.get(variant);
    assert.equal(built.length, 1 + variants.length);
    assert.equal(registry.size, 1 + variants.length);
  });

  test("Feishu's names for the credentials key the same as OAuth's", () => {
    const { registry, built } = counting();
    registry.get(app);
    registry.get({ appId: 'cli_one', appSecret: 'secret-one' } as unknown as FeishuApp);
    assert.equal(built.length, 1);
  });

  test('the same assertion provider keys the same app', () => {
    const { registry, built } = counting();
    const provider = () => 'jwt';
    registry.get({ ...app, clientAssertion: provider });
    registry.get({ ...app, clientAssertion: provider });
    assert.equal(built.length, 1);
  });

  test('drops the least recently used app beyond capacity, and rebuilds it on its next use', () => {
    const { registry, built } = counting(2);
    const one = { clientID: 'cli_1', clientSecret: 's' };
    const two = { clientID: 'cli_2', clientSecret: 's' };
    const three = { clientID: 'cli_3', clientSecret: 's' };
    registry.get(one);
    registry.get(two);
    registry.get(one); // one is now the most recently used
    registry.get(three); // drops two
    assert.equal(registry.size, 2);
    assert.equal(built.length, 3);
    registry.get(one);
    assert.equal(built.length, 3, 'one was kept');
    registry.get(two);
    assert.equal(built.length, 4, 'two was rebuilt');
    assert.equal(registry.size, 2);
  });

  test('a build that throws keeps nothing', () => {
    const registry = new AppRegistry(() => {
      throw new TypeError('bad app');
    });
    assert.throws(() => registry.get(app), TypeError);
    assert.equal(registry.size, 0);
  });

  test('the secret fingerprint holds no part of the secret and tells secrets apart', () => {
    const secret = 'mock-app-secret-Xk2vQ9tL7pR4wZ8s';
    const fingerprint = secretFingerprint(secret);
    assert.ok(!secret.includes(fingerprint.slice(0, 6)) && !fingerprint.includes(secret.slice(0, 6)));
    assert.notEqual(secretFingerprint('a'), secretFingerprint('b'));
    assert.equal(secretFingerprint('a'), secretFingerprint('a'));
  });
});

describe('app state', () => {
  type Cb = (...args: unknown[]) => void;
  function sessionStore(pkce: boolean) {
    const saved: unknown[] = [];
    const store: AppStateStore = pkce
      ? {
          store: (_req: unknown, verifier: unknown, state: unknown, _meta: unknown, cb: unknown) => {
            saved.push({ verifier, state });
            (cb as Cb)(null, 'handle');
          },
          verify: (_req: unknown, _provided: unknown, cb: unknown) => (cb as Cb)(null, 'the-verifier', (saved[0] as { state: unknown }).state),
        }
      : {
          store: (_req: unknown, state: unknown, _meta: unknown, cb: unknown) => {
            saved.push({ state });
            (cb as Cb)(null, 'handle');
          },
          verify: (_req: unknown, _provided: unknown, _meta: unknown, cb: unknown) => (cb as Cb)(null, true, (saved[0] as { state: unknown }).state),
        };
    return { store, saved };
  }

  test('only a store that takes the app state keeps it', () => {
    assert.equal(keepsAppState({ store: (_a: unknown, _b: unknown) => undefined, verify: () => undefined }), false);
    assert.equal(keepsAppState({ store: (_a: unknown, _b: unknown, _c: unknown) => undefined, verify: () => undefined }), false);
    assert.equal(keepsAppState(sessionStore(false).store), true);
    assert.equal(keepsAppState(sessionStore(true).store), true);
  });

  for (const pkce of [false, true]) {
    test(`${pkce ? 'PKCE' : 'plain'} store: the app id rides with the state and the app state comes back as it was`, () => {
      const { store, saved } = sessionStore(pkce);
      const saving = savingApp(store, 'cli_app');
      assert.equal(saving.store.length, pkce ? 5 : 4, 'passport-oauth2 calls it by this arity');
      const handles: unknown[] = [];
      if (pkce) saving.store({}, 'v', { returnTo: '/x' }, {}, (_e: unknown, h: unknown) => handles.push(h));
      else saving.store({}, { returnTo: '/x' }, {}, (_e: unknown, h: unknown) => handles.push(h));
      assert.deepEqual(handles, ['handle']);
      assert.deepEqual((saved[0] as { state: unknown }).state, { feishuAppId: 'cli_app', state: { returnTo: '/x' } });

      const seen: unknown[] = [];
      const reading = readingApp(store, (appId, resume) => {
        seen.push(appId);
        resume();
      });
      assert.equal(reading.verify.length, pkce ? 3 : 4);
      const results: unknown[] = [];
      const cb = (...args: unknown[]) => results.push(args);
      if (pkce) reading.verify({}, 'handle', cb);
      else reading.verify({}, 'handle', {}, cb);
      assert.deepEqual(seen, ['cli_app']);
      assert.deepEqual(results, [[null, pkce ? 'the-verifier' : true, { returnTo: '/x' }]]);
    });
  }

  test('no app state: only the app id is saved, and nothing comes back', () => {
    const { store, saved } = sessionStore(false);
    savingApp(store, 'cli_app').store({}, undefined, {}, () => undefined);
    assert.deepEqual((saved[0] as { state: unknown }).state, { feishuAppId: 'cli_app' });
    const results: unknown[] = [];
    readingApp(store, (_appId, resume) => resume()).verify({}, 'h', {}, (...args: unknown[]) => results.push(args));
    assert.deepEqual(results, [[null, true, undefined]]);
  });

  test('a failed check goes on to passport-oauth2 untouched, and a state without an app id reads as none', () => {
    const failing: AppStateStore = {
      store: () => undefined,
      verify: (_req: unknown, _p: unknown, cb: unknown) => (cb as Cb)(null, false, { message: 'Invalid authorization request state.' }),
    };
    const asked: unknown[] = [];
    const results: unknown[] = [];
    readingApp(failing, (appId) => asked.push(appId)).verify({}, 'x', (...args: unknown[]) => results.push(args));
    assert.equal(asked.length, 0);
    assert.deepEqual(results, [[null, false, { message: 'Invalid authorization request state.' }]]);

    for (const state of [undefined, null, 'cli_app', { feishuAppId: '' }, { feishuAppId: 7 }, { appId: 'cli_app' }]) {
      const plain: AppStateStore = { store: () => undefined, verify: (_req: unknown, _p: unknown, cb: unknown) => (cb as Cb)(null, true, state) };
      readingApp(plain, (appId) => asked.push(appId)).verify({}, 'x', () => undefined);
    }
    assert.deepEqual(asked, [undefined, undefined, undefined, undefined, undefined, undefined]);
  });

  test('an error from the store goes on to passport-oauth2', () => {
    const oops = new Error('session store down');
    const broken: AppStateStore = { store: () => undefined, verify: (_req: unknown, _p: unknown, cb: unknown) => (cb as Cb)(oops) };
    const results: unknown[] = [];
    readingApp(broken, () => assert.fail('no app is read')).verify({}, 'x', (...args: unknown[]) => results.push(args[0]));
    assert.deepEqual(results, [oops]);
  });
});

describe('UnknownAppError', () => {
  test('names itself and the app, when the id looks like one', () => {
    assert.equal(new UnknownAppError(undefined).name, 'UnknownAppError');
    assert.equal(new UnknownAppError(undefined).message, 'No Feishu app signs in here.');
    assert.equal(new UnknownAppError('cli_a1b2').message, 'No Feishu app cli_a1b2 is known here.');
    assert.equal(new UnknownAppError('cli_a1b2').appId, 'cli_a1b2');
    for (const id of ['<script>', 'x'.repeat(65), 'cli_a\n', ' cli_a', 'cli_a ']) {
      assert.equal(new UnknownAppError(id).message, 'No Feishu app (id not shown) is known here.', id);
    }
    assert.equal(new UnknownAppError('x'.repeat(64)).message, `No Feishu app ${'x'.repeat(64)} is known here.`);
  });
});

describe('parseProfile appId', () => {
  test('is set when given, and left out when not', () => {
    assert.equal(parseProfile({ open_id: 'ou_1' }, { provider: 'feishu', appId: 'cli_x' }).appId, 'cli_x');
    assert.equal('appId' in parseProfile({ open_id: 'ou_1' }, { provider: 'feishu' }), false);
  });
});
