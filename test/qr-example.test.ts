/**
 * The example's QR panel over HTTP: the sign-in page still hands out no session, the goto
 * route is for our own page only, and a tmp_code from the phone completes the sign-in
 * through the QR strategy's own callback.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type supertest from 'supertest';
import { SAME_ORIGIN, startExample, type RunningExample } from './helpers/example-app.js';
import { pathOf } from './helpers/app.js';
import { scanQrSvg } from './helpers/qr.js';
import { signInPage } from '../example/views.js';

type Answer = Awaited<ReturnType<supertest.Agent['get']>>;

function cookiesOf(res: Answer): string[] {
  const header: unknown = res.headers['set-cookie'];
  return Array.isArray(header) ? (header as string[]) : [];
}

let example: RunningExample;
before(async () => {
  example = await startExample({ qr: true });
});
after(() => example.close());

/** The phone's part: frame the QR page for `goto`, read the code, approve as user 1; the desktop's tmp_code. */
async function approveOnPhone(goto: string): Promise<string> {
  const { passport } = example.mock.hosts;
  const frame = await (await fetch(`${passport}/suite/passport/sso/qr?goto=${encodeURIComponent(goto)}&sdk_version=1.0.3`)).text();
  const scanUrl = scanQrSvg(frame);
  assert.ok(scanUrl);
  const token = /name="token" value="([^"]+)"/.exec(await (await fetch(scanUrl)).text())?.[1] ?? '';
  const approved = await fetch(`${passport}/mock/qr/scan`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, user: '1', decision: 'approve' }),
  });
  assert.equal(approved.status, 200);
  const session = /var id = "([^"]+)"/.exec(frame)?.[1] ?? '';
  const answer = (await (await fetch(`${passport}/mock/qr/poll?session=${session}`)).json()) as { tmp_code?: string };
  assert.ok(answer.tmp_code);
  return answer.tmp_code;
}

describe('the example with the QR panel', () => {
  test('the sign-in page shows the QR panel with the SDK script and still sets no cookie', async () => {
    const res = await example.visitor().get('/login');
    assert.equal(res.status, 200);
    assert.ok(res.text.includes(`src="${example.mock.hosts.open}/mock/qr/LarkSSOSDKWebQRCode-1.0.3.js"`));
    assert.match(res.text, /id="feishu-qr"/);
    assert.deepEqual(cookiesOf(res), []);
  });

  test('in mock mode the QR panel says that the link under the code stands in for the phone; with real Feishu it does not', async () => {
    const res = await example.visitor().get('/login');
    assert.match(res.text, /id="qr-mock-hint">No phone needed in mock mode: <em>Open the phone page<\/em>, under the code, stands in for scanning it\./);
    assert.doesNotMatch(signInPage({ brand: 'Feishu' }, undefined, 'https://lf-package-cn.feishucdn.com/sdk.js'), /qr-mock-hint|phone page/);
  });

  test('the goto route refuses another site and creates no session for it', async () => {
    const res = await example.visitor().get('/auth/feishu-qr/goto').set('sec-fetch-site', 'cross-site');
    assert.equal(res.status, 403);
    assert.deepEqual(cookiesOf(res), []);
  });

  test('goto: the suite authorize URL with a saved state; the tmp_code completes the sign-in on the QR callback', async () => {
    const agent = example.visitor();
    const res = await agent.get('/auth/feishu-qr/goto').set(SAME_ORIGIN);
    assert.equal(res.status, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.match(cookiesOf(res).join('\n'), /^acme\.sid=/m);
    const { goto } = res.body as { goto: string };
    const url = new URL(goto);
    assert.equal(url.origin + url.pathname, `${example.mock.hosts.passport}/suite/passport/oauth/authorize`);
    assert.equal(url.searchParams.get('redirect_uri'), `${example.base}/auth/feishu-qr/callback`);
    assert.ok(url.searchParams.get('state'));

    const tmpCode = await approveOnPhone(goto);
    const authorize = await fetch(`${goto}&tmp_code=${tmpCode}`, { redirect: 'manual' });
    assert.equal(authorize.status, 302);
    const callback = await agent.get(pathOf(authorize.headers.get('location') ?? ''));
    assert.equal(callback.headers.location, '/profile');
    const profile = await agent.get('/profile');
    assert.ok(profile.text.includes(example.mock.users[1]!.open_id));
  });

  test("a goto fetched by one visitor does not complete another visitor's sign-in", async () => {
    const owner = example.visitor();
    const { goto } = (await owner.get('/auth/feishu-qr/goto').set(SAME_ORIGIN)).body as { goto: string };
    const tmpCode = await approveOnPhone(goto);
    const authorize = await fetch(`${goto}&tmp_code=${tmpCode}`, { redirect: 'manual' });
    const victim = example.visitor();
    await victim.get('/auth/feishu-qr/goto').set(SAME_ORIGIN);
    const callback = await victim.get(pathOf(authorize.headers.get('location') ?? ''));
    assert.match(String(callback.headers.location), /^\/login\/failed\?reason=/);
  });
});
