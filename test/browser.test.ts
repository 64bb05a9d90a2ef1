/// <reference lib="dom" />
// ^ playwright-core's types name DOM classes (HTMLElement, Node); the root tsconfig has no DOM lib.
/**
 * The example app in a real browser: headless Chromium (Debian's `chromium`, which .ci/run
 * installs) signs in through the mock Feishu's consent page, by password, and in-app.
 * It screenshots the sign-in and profile pages into test-results/ (git-ignored); with
 * UPDATE_SCREENSHOTS=1 it refreshes the README's copies in docs/ instead. Fonts differ between
 * machines, so a plain test run must not rewrite tracked files.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_APP, startMockFeishu, type MockFeishu } from 'passport-feishu-oauth2/testing';
import { type Browser, type Page } from 'playwright-core';
import { createExampleApp } from '../example/app.js';
import { launchChromium, SHOTS } from './helpers/chromium.js';


let mock: MockFeishu;
let server: Server;
let base: string;
let browser: Browser;

before(async () => {
  // The app listens first: the mock accepts only its exact callback URL, port included.
  const ready: { app?: RequestListener } = {};
  server = createServer((req, res) => ready.app?.(req, res)).listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  mock = await startMockFeishu({ apps: [{ ...DEFAULT_APP, redirectUris: [`${base}/auth/feishu/callback`] }] });
  ready.app = createExampleApp({
    feishu: { appId: mock.app.appId, appSecret: mock.app.appSecret, domain: mock.hosts, jssdkURL: `${mock.hosts.open}/mock/h5sdk.js` },
    sessionSecret: 'browser-test-secret',
    mockOrigin: mock.origin,
    logger: { info: () => undefined, error: (line) => console.error(line) },
  });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await mock?.close();
});

/** A fresh browser profile per case, kept on loopback: anything else (the mock's avatar URLs) is refused. */
async function freshPage(t: { after(fn: () => Promise<void>): void }): Promise<{ page: Page; errors: Error[] }> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  t.after(() => context.close());
  await context.route((url) => url.hostname !== '127.0.0.1', (route) => route.abort());
  const page = await context.newPage();
  const errors: Error[] = [];
  page.on('pageerror', (err) => errors.push(err));
  return { page, errors };
}

/** From the app's sign-in page through the mock's consent page, pressing `button`. */
async function throughConsent(page: Page, button: 'Allow' | 'Deny', start = 'Sign in with Feishu'): Promise<void> {
  await page.getByRole('link', { name: start }).click();
  await page.waitForURL((url) => url.origin === mock.origin);
  await page.getByRole('button', { name: button }).click();
  await page.waitForURL((url) => url.origin === base);
}

describe('the example app in Chromium', () => {
  test('Sign in with Feishu, Allow: the profile shows the mock user', async (t) => {
    const { page, errors } = await freshPage(t);
    const user = mock.users[0]!;
    await page.goto(`${base}/`);
    await page.waitForURL(`${base}/login`);
    await page.screenshot({ path: path.join(SHOTS, 'signin.png') });

    await throughConsent(page, 'Allow');
    assert.equal(new URL(page.url()).pathname, '/profile');
    assert.equal(await page.locator('h1').textContent(), user.name);
    const fields = await page.locator('.fields').innerText();
    for (const value of [user.open_id, user.union_id, user.tenant_key]) assert.ok(fields.includes(value), `profile shows ${value}`);
    // The avatar URL is off loopback, so it fails and the initial shows instead.
    await page.locator('.person .avatar img').waitFor({ state: 'detached' });
    await page.screenshot({ path: path.join(SHOTS, 'profile.png') });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/login`);
    assert.deepEqual(errors, []);
  });

  test('Deny: the failure page shows why', async (t) => {
    const { page } = await freshPage(t);
    await page.goto(`${base}/login`);
    await throughConsent(page, 'Deny');
    assert.equal(new URL(page.url()).pathname, '/login/failed');
    assert.match((await page.locator('h1').textContent()) ?? '', /didn't complete/);
    assert.match(await page.locator('.failure-message').innerText(), /cancel|den(y|ied)|declin/i);
  });

  test('password sign-in, then Feishu linked to that account by open_id', async (t) => {
    const { page } = await freshPage(t);
    const user = mock.users[1]!;
    await page.goto(`${base}/login`);
    await page.getByLabel('Username').fill('demo');
    await page.getByLabel('Password').fill('wrong');
    await page.getByRole('button', { name: 'Sign in with password' }).click();
    await page.waitForURL(`${base}/login?failed=password`);
    assert.match(await page.getByRole('alert').innerText(), /Wrong username or password/);

    await page.getByLabel('Username').fill('demo');
    await page.getByLabel('Password').fill('demo');
    await page.getByRole('button', { name: 'Sign in with password' }).click();
    await page.waitForURL(`${base}/profile`);
    assert.equal(await page.locator('h1').textContent(), 'Demo User');

    // Link: pick the second mock user on the consent page.
    // A form button now (a same-origin POST marks the session), no longer a link to /auth/feishu.
    await page.getByRole('button', { name: 'Link your Feishu account' }).click();
    await page.waitForURL((url) => url.origin === mock.origin);
    await page.getByText(user.en_name).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${base}/profile`);
    assert.equal(await page.locator('h1').textContent(), 'Demo User');
    assert.ok((await page.locator('.fields').innerText()).includes(user.open_id));

    // Signed out, the same Feishu user comes back to the demo account.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/login`);
    await page.getByRole('link', { name: 'Sign in with Feishu' }).click();
    await page.getByText(user.en_name).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${base}/profile`);
    assert.equal(await page.locator('h1').textContent(), 'Demo User');
  });

  test('in-app sign-in: JSSDK code, POST /auth/feishu/inapp, profile', async (t) => {
    const { page, errors } = await freshPage(t);
    const before = mock.calls.jsapi;
    await page.goto(`${base}/inapp`);
    await page.waitForURL(`${base}/profile`);
    assert.equal(await page.locator('h1').textContent(), mock.users[0]!.name);
    assert.ok(mock.calls.jsapi >= before + 2, 'the page loaded the JSSDK shim and asked it for a code');
    assert.deepEqual(errors, []);
  });
});
