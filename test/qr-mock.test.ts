/**
 * The mock's scan-to-sign-in stand-in over plain HTTP (feishu-api.md §6.2): the QR page a
 * desktop frames, the phone that scans and approves, and the rules for the tmp_code the suite
 * authorize page accepts — single use, short-lived, bound to the goto's app, state and
 * redirect_uri, refused elsewhere.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_APP, DEFAULT_USERS, startMockFeishu, type MockFeishu } from '../lib/testing/index.js';
import { scanQrSvg } from './helpers/qr.js';

const CALLBACK = 'http://127.0.0.1:9/auth/feishu-qr/callback';
/** Another registered redirect URL of the same app. */
const ELSEWHERE = 'http://127.0.0.1:9/auth/elsewhere/callback';
const OTHER_APP = { ...DEFAULT_APP, appId: 'cli_b6other0000000a1', appSecret: 'other-secret-0000000000', redirectUris: [CALLBACK] };

let mock: MockFeishu;

before(async () => {
  mock = await startMockFeishu({ apps: [{ ...DEFAULT_APP, redirectUris: [CALLBACK, ELSEWHERE] }, OTHER_APP] });
});
after(() => mock.close());

function suiteGoto(clientId = mock.app.appId, state = 'st4te', redirectUri = CALLBACK): string {
  const q = new URLSearchParams({ client_id: clientId, redirect_uri: redirectUri, response_type: 'code', state });
  return `${mock.hosts.passport}/suite/passport/oauth/authorize?${q}`;
}

interface Shown {
  readonly session: string;
  readonly scanUrl: string;
}

/** The desktop: frames the QR page for `goto` as the SDK does, and reads the QR code as a phone's camera would. */
async function showQr(goto: string): Promise<Shown> {
  const res = await fetch(`${mock.hosts.passport}/suite/passport/sso/qr?goto=${encodeURIComponent(goto)}&sdk_version=1.0.3`);
  assert.equal(res.status, 200);
  const html = await res.text();
  const scanUrl = scanQrSvg(html);
  assert.ok(scanUrl, 'the QR code decodes');
  const session = /var id = "([^"]+)"/.exec(html)?.[1];
  assert.ok(session);
  return { session, scanUrl };
}

async function poll(session: string): Promise<{ status: string; tmp_code?: string }> {
  const res = await fetch(`${mock.hosts.passport}/mock/qr/poll?session=${encodeURIComponent(session)}`);
  return (await res.json()) as { status: string; tmp_code?: string };
}

/** The phone: opens the scanned URL, picks `user`, presses Approve. */
async function approveOnPhone(scanUrl: string, user = 1): Promise<Response> {
  const page = await fetch(scanUrl);
  assert.equal(page.status, 200);
  const token = /name="token" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  return fetch(new URL('/mock/qr/scan', scanUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, user: String(user), decision: 'approve' }),
  });
}

async function tmpCodeFor(goto: string, user = 1): Promise<string> {
  const { session, scanUrl } = await showQr(goto);
  assert.equal((await approveOnPhone(scanUrl, user)).status, 200);
  const answer = await poll(session);
  assert.equal(answer.status, 'approved');
  assert.ok(answer.tmp_code);
  return answer.tmp_code;
}

async function authorize(url: string): Promise<Response> {
  return fetch(url, { redirect: 'manual' });
}

describe('scan-to-sign-in on the mock', () => {
  test('the QR code carries the phone page; after Approve the desktop gets a tmp_code once and the suite page redirects with code and state', async () => {
    const goto = suiteGoto();
    const { session, scanUrl } = await showQr(goto);
    assert.ok(scanUrl.startsWith(`${mock.hosts.passport}/mock/qr/scan?token=`), scanUrl);
    assert.deepEqual(await poll(session), { status: 'waiting' });

    assert.equal((await approveOnPhone(scanUrl, 1)).status, 200);
    const answer = await poll(session);
    assert.equal(answer.status, 'approved');
    assert.deepEqual(await poll(session), { status: 'done' }, 'the tmp_code is handed out once');
    assert.equal((await fetch(scanUrl)).status, 400, 'a scanned and approved QR code cannot be approved again');

    const res = await authorize(`${goto}&tmp_code=${answer.tmp_code}`);
    assert.equal(res.status, 302, 'no consent page: the user consented on the phone');
    const location = new URL(res.headers.get('location') ?? '');
    assert.equal(`${location.origin}${location.pathname}`, CALLBACK);
    assert.equal(location.searchParams.get('state'), 'st4te');
    const code = location.searchParams.get('code');
    assert.ok(code);

    // The code is an ordinary suite code, for the user chosen on the phone.
    const token = await fetch(`${mock.hosts.passport}/suite/passport/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', client_id: mock.app.appId, client_secret: mock.app.appSecret, code, redirect_uri: CALLBACK }),
    });
    const { access_token } = (await token.json()) as { access_token: string };
    const info = await fetch(`${mock.hosts.passport}/suite/passport/oauth/userinfo`, { headers: { authorization: `Bearer ${access_token}` } });
    assert.equal(((await info.json()) as { name: string }).name, DEFAULT_USERS[1]?.name);
  });

  test('a tmp_code works once', async () => {
    const goto = suiteGoto();
    const tmpCode = await tmpCodeFor(goto);
    assert.equal((await authorize(`${goto}&tmp_code=${tmpCode}`)).status, 302);
    const again = await authorize(`${goto}&tmp_code=${tmpCode}`);
    assert.equal(again.status, 400);
    assert.match(await again.text(), /20003/);
  });

  test('an unknown tmp_code is refused', async () => {
    const res = await authorize(`${suiteGoto()}&tmp_code=tmp_made-up`);
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('location'), null);
  });

  test('a tmp_code expires a minute after the phone approved', async () => {
    const goto = suiteGoto();
    const tmpCode = await tmpCodeFor(goto);
    mock.advance(61_000);
    const res = await authorize(`${goto}&tmp_code=${tmpCode}`);
    assert.equal(res.status, 400);
    assert.match(await res.text(), /20004/);
  });

  test('a QR code not scanned within three minutes expires', async () => {
    const { session, scanUrl } = await showQr(suiteGoto());
    mock.advance(3 * 60_000 + 1000);
    assert.deepEqual(await poll(session), { status: 'expired' });
    assert.equal((await fetch(scanUrl)).status, 400);
  });

  test("a tmp_code is bound to the goto's client_id", async () => {
    const tmpCode = await tmpCodeFor(suiteGoto(mock.app.appId));
    const res = await authorize(`${suiteGoto(OTHER_APP.appId)}&tmp_code=${tmpCode}`);
    assert.equal(res.status, 400);
    assert.match(await res.text(), /20024/);
    // Tried on the wrong app, it is spent: it does not work on its own app afterwards either.
    assert.equal((await authorize(`${suiteGoto(mock.app.appId)}&tmp_code=${tmpCode}`)).status, 400);
  });

  test("a tmp_code is bound to the goto's state: approved for one visitor's sign-in, it does not finish another's", async () => {
    const tmpCode = await tmpCodeFor(suiteGoto(mock.app.appId, 'attacker-state'));
    const res = await authorize(`${suiteGoto(mock.app.appId, 'victim-state')}&tmp_code=${tmpCode}`);
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('location'), null);
    assert.match(await res.text(), /20024/);
    assert.equal((await authorize(`${suiteGoto(mock.app.appId, 'attacker-state')}&tmp_code=${tmpCode}`)).status, 400, 'and it is spent');
  });

  test("a tmp_code is bound to the goto's redirect_uri, even another one registered for the app", async () => {
    const tmpCode = await tmpCodeFor(suiteGoto());
    const res = await authorize(`${suiteGoto(mock.app.appId, 'st4te', ELSEWHERE)}&tmp_code=${tmpCode}`);
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('location'), null);
    assert.match(await res.text(), /20024/);
  });

  test('only the suite authorize page takes a tmp_code: accounts.* (v2/v3) and open.* (v1) refuse it', async () => {
    const q = new URLSearchParams({ client_id: mock.app.appId, redirect_uri: CALLBACK, response_type: 'code', state: 's' });
    const accountsGoto = `${mock.hosts.accounts}/open-apis/authen/v1/authorize?${q}`;
    const tmpCode = await tmpCodeFor(accountsGoto);
    const accounts = await authorize(`${accountsGoto}&tmp_code=${tmpCode}`);
    assert.equal(accounts.status, 400);
    assert.equal(accounts.headers.get('location'), null);
    assert.match(await accounts.text(), /only by the suite authorize page/);

    const v1 = await authorize(`${mock.hosts.open}/open-apis/authen/v1/authorize?${new URLSearchParams({ app_id: mock.app.appId, redirect_uri: CALLBACK, state: 's' })}&tmp_code=${tmpCode}`);
    assert.equal(v1.status, 400);
    assert.equal(v1.headers.get('location'), null);
  });

  test('beside the code, an "Open the phone page" link leads to the phone page the code carries, in a new tab', async () => {
    const res = await fetch(`${mock.hosts.passport}/suite/passport/sso/qr?goto=${encodeURIComponent(suiteGoto())}&sdk_version=1.0.3`);
    const html = await res.text();
    const link = /<a id="phone-link" href="([^"]+)" target="_blank"[^>]*>Open the phone page<\/a>/.exec(html);
    assert.ok(link, 'the QR page has the link');
    const href = link[1]!.replaceAll('&amp;', '&');
    assert.equal(href, scanQrSvg(html), 'the link and the QR code open the same page');
    assert.equal((await approveOnPhone(href)).status, 200, 'the linked page approves the sign-in');
  });

  test('the QR page refuses a goto that is not a Feishu authorize URL of a known app', async () => {
    const frame = (goto: string): Promise<Response> => fetch(`${mock.hosts.passport}/suite/passport/sso/qr?goto=${encodeURIComponent(goto)}&sdk_version=1.0.3`);
    assert.equal((await frame('https://evil.example/suite/passport/oauth/authorize?client_id=' + mock.app.appId)).status, 400);
    assert.equal((await frame(suiteGoto('cli_unknown'))).status, 400);
    assert.equal((await frame('not a url')).status, 400);
  });

  test('the SDK stand-in frames the passport host and matches 1.0.3 messages', async () => {
    const res = await fetch(`${mock.hosts.open}/mock/qr/LarkSSOSDKWebQRCode-1.0.3.js`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /javascript/);
    const script = await res.text();
    assert.ok(script.includes(JSON.stringify(mock.hosts.passport)));
    assert.match(script, /\/suite\/passport\/sso\/qr\?goto=/);
    assert.match(script, /sdk_version=1\.0\.3/);
  });
});
