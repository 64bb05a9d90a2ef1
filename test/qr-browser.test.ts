/// <reference lib="dom" />
// ^ playwright-core's types name DOM classes; the root tsconfig has no DOM lib.
/**
 * Scan-to-sign-in in a real browser, as a newcomer tries it in mock mode: the example's sign-in
 * page shows the QR code (the mock's stand-in for Feishu's web QR SDK), the "Open the phone
 * page" link beside it (the mock's stand-in for scanning) opens the phone page in a new tab,
 * the user approves there, and the first tab lands on the profile page.
 * With UPDATE_SCREENSHOTS=1 the sign-in page with its QR code is saved as docs/qr-signin.png.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_APP, QR_SDK_PATH, startMockFeishu, type MockFeishu } from 'passport-feishu-oauth2/testing';
import { type Browser, type BrowserContext } from 'playwright-core';
import { createExampleApp } from '../example/app.js';
import { launchChromium, SHOTS } from './helpers/chromium.js';


let mock: MockFeishu;
let server: Server;
let base: string;
let browser: Browser;
let integrity: string;

before(async () => {
  const ready: { app?: RequestListener } = {};
  server = createServer((req, res) => ready.app?.(req, res)).listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // As example/server.ts does: both callbacks registered exactly.
  mock = await startMockFeishu({ apps: [{ ...DEFAULT_APP, redirectUris: [`${base}/auth/feishu/callback`, `${base}/auth/feishu-qr/callback`] }] });
  // The SDK pinned by Subresource Integrity, as an app that reviewed Feishu's file would pin it.
  const sdk = Buffer.from(await (await fetch(`${mock.hosts.open}${QR_SDK_PATH}`)).arrayBuffer());
  integrity = `sha384-${createHash('sha384').update(sdk).digest('base64')}`;
  ready.app = createExampleApp({
    feishu: {
      appId: mock.app.appId,
      appSecret: mock.app.appSecret,
      domain: mock.hosts,
      jssdkURL: `${mock.hosts.open}/mock/h5sdk.js`,
      qrSdkURL: `${mock.hosts.open}${QR_SDK_PATH}`,
      qrSdkIntegrity: integrity,
    },
    sessionSecret: 'qr-browser-test-secret',
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

/** A browser profile of its own, kept on loopback. */
async function context(t: { after(fn: () => Promise<void>): void }, viewport: { width: number; height: number }): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport });
  t.after(() => ctx.close());
  await ctx.route((url) => url.hostname !== '127.0.0.1', (route) => route.abort());
  return ctx;
}

describe('scan-to-sign-in in Chromium', () => {
  test('the desktop shows the QR code, its "Open the phone page" link stands in for the phone, the desktop lands on the profile', async (t) => {
    const browserContext = await context(t, { width: 1000, height: 700 });
    const desktop = await browserContext.newPage();
    const errors: Error[] = [];
    desktop.on('pageerror', (err) => errors.push(err));
    // The page runs under the example's Content-Security-Policy: anything it blocks is reported here.
    const blocked: string[] = [];
    desktop.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) blocked.push(message.text());
    });
    const login = await desktop.goto(`${base}/login`);
    assert.match((await login?.allHeaders())?.['content-security-policy'] ?? '', /frame-ancestors 'none'/, 'the page is served with the CSP');
    assert.equal(await desktop.locator(`script[src$="${QR_SDK_PATH}"]`).getAttribute('integrity'), integrity, 'the SDK is pinned by its hash');
    const qrFrame = desktop.frameLocator('#feishu-qr iframe');
    await qrFrame.locator('svg').waitFor();
    await desktop.screenshot({ path: path.join(SHOTS, 'qr-signin.png') });

    // One browser: the link beside the code opens the phone page in a new tab.
    const [phone] = await Promise.all([browserContext.waitForEvent('page'), qrFrame.getByRole('link', { name: 'Open the phone page' }).click()]);
    await phone.waitForLoadState();
    assert.ok(phone.url().startsWith(`${mock.hosts.passport}/mock/qr/scan?`), `the link opens the mock's phone page: ${phone.url()}`);
    phone.on('pageerror', (err) => errors.push(err));
    const user = mock.users[1]!;
    await phone.getByText(user.en_name).click();
    await phone.getByRole('button', { name: 'Approve' }).click();
    await phone.getByRole('heading', { name: 'Approved' }).waitFor();

    await desktop.waitForURL(`${base}/profile`);
    assert.equal(await qrFrame.getByRole('link', { name: 'Open the phone page' }).count(), 0, 'the QR page is gone with the sign-in');
    assert.equal(await desktop.locator('h1').textContent(), user.name);
    assert.ok((await desktop.locator('.fields').innerText()).includes(user.open_id));
    assert.equal(mock.calls.suiteToken, 1, 'the code was exchanged on the suite token endpoint');
    assert.deepEqual(errors, []);
    assert.deepEqual(blocked, [], 'the CSP blocked nothing the sign-in needs');
  });

  test('a message from another origin does not sign anyone in', async (t) => {
    const page = await (await context(t, { width: 1000, height: 700 })).newPage();
    await page.goto(`${base}/login`);
    await page.frameLocator('#feishu-qr iframe').locator('svg').waitFor();
    // The page itself (not the QR frame) posts a well-formed message, then a marker. Messages
    // are delivered in order, so once the marker arrives the page has judged the forged one.
    const status = await page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          window.addEventListener('message', (event) => {
            if (event.data === 'marker') resolve(document.getElementById('qr-status')?.textContent ?? '');
          });
          window.postMessage({ source: 'qrcode', tmp_code: 'tmp_forged' }, '*');
          window.postMessage('marker', '*');
        }),
    );
    assert.match(status, /scan the code/, 'matchOrigin refused the message: the page did not start signing in');
    assert.equal(new URL(page.url()).pathname, '/login');
  });

  test('a message from a window of the QR origin that is not the QR frame (a popup) does not sign anyone in', async (t) => {
    const page = await (await context(t, { width: 1000, height: 700 })).newPage();
    await page.goto(`${base}/login`);
    await page.frameLocator('#feishu-qr iframe').locator('svg').waitFor();
    // The attacker's stand-in: any page of the QR frame's origin that holds a reference to the
    // sign-in page (here a popup it opened; an opener works the same) posts a well-formed message.
    const [popup] = await Promise.all([page.waitForEvent('popup'), page.evaluate((url) => void window.open(url), `${mock.hosts.passport}/mock/qr/poll?session=none`)]);
    await popup.waitForLoadState();
    assert.equal(new URL(popup.url()).origin, mock.hosts.passport, 'the popup is of the origin matchOrigin accepts');
    await page.evaluate(() => {
      (window as unknown as { judged: Promise<string> }).judged = new Promise<string>((resolve) => {
        window.addEventListener('message', (event) => {
          if (event.data === 'marker') resolve(document.getElementById('qr-status')?.textContent ?? '');
        });
      });
    });
    await popup.evaluate(() => {
      window.opener.postMessage({ source: 'qrcode', tmp_code: 'tmp_from_the_attackers_phone' }, '*');
      window.opener.postMessage('marker', '*');
    });
    const status = await page.evaluate(() => (window as unknown as { judged: Promise<string> }).judged);
    assert.match(status, /scan the code/, 'the page did not start signing in');
    assert.equal(new URL(page.url()).pathname, '/login');
  });

  test('an SDK file that does not match the pinned integrity hash is not run: the page says so', async (t) => {
    const tampered = createExampleApp({
      feishu: {
        appId: mock.app.appId,
        appSecret: mock.app.appSecret,
        domain: mock.hosts,
        jssdkURL: `${mock.hosts.open}/mock/h5sdk.js`,
        qrSdkURL: `${mock.hosts.open}${QR_SDK_PATH}`,
        qrSdkIntegrity: `sha384-${createHash('sha384').update('another file').digest('base64')}`,
      },
      sessionSecret: 'qr-browser-test-secret',
      mockOrigin: mock.origin,
      logger: { info: () => undefined, error: (line) => console.error(line) },
    });
    const other = createServer(tampered).listen(0, '127.0.0.1');
    await once(other, 'listening');
    t.after(() => new Promise<void>((resolve) => other.close(() => resolve())));
    const page = await (await context(t, { width: 1000, height: 700 })).newPage();
    await page.goto(`http://127.0.0.1:${(other.address() as AddressInfo).port}/login`);
    await page.getByText('The QR code could not load').waitFor();
    assert.equal(await page.locator('#feishu-qr iframe').count(), 0);
  });

  test("under the CSP, the profile's link form reaches Feishu's consent page and links the account", async (t) => {
    const page = await (await context(t, { width: 1000, height: 700 })).newPage();
    const blocked: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) blocked.push(message.text());
    });
    await page.goto(`${base}/login`);
    await page.getByLabel('Username').fill('demo');
    await page.getByLabel('Password').fill('demo');
    await page.getByRole('button', { name: 'Sign in with password' }).click();
    await page.waitForURL(`${base}/profile`);
    // The form POSTs to us, and the answer redirects to the mock's authorize page on another origin.
    await page.getByRole('button', { name: /Link your Feishu account/ }).click();
    await page.waitForURL((url) => url.origin === mock.hosts.open || url.origin === mock.hosts.accounts);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${base}/profile`);
    const badges = await page.locator('.badges .badge').allInnerTexts();
    assert.deepEqual(badges.sort(), ['Feishu', 'Password']);
    assert.deepEqual(blocked, []);
  });
});
