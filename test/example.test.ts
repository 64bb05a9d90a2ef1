/**
 * The example app as an attacker meets it, over real HTTP against the mock Feishu: visitors
 * who must not see each other's accounts, crafted callback links, cross-site POSTs, broken
 * bodies, and Feishu errors whose details must stay in the server log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type supertest from 'supertest';
import { feishuSignIn, inAppCode, SAME_ORIGIN, startExample, type RunningExample } from './helpers/example-app.js';

type Answer = Awaited<ReturnType<supertest.Agent['get']>>;

function cookiesOf(res: Answer): string[] {
  const header: unknown = res.headers['set-cookie'];
  return Array.isArray(header) ? (header as string[]) : [];
}

/** The status line, headers and body of an answer, as one string to search. */
function wholeAnswer(res: Answer): string {
  return `${res.status}\n${JSON.stringify(res.headers)}\n${res.text}`;
}

async function passwordSignIn(agent: supertest.Agent, password = 'demo'): Promise<Answer> {
  return agent.post('/login/password').set(SAME_ORIGIN).type('form').send({ username: 'demo', password });
}

describe('the demo password account', () => {
  let example: RunningExample;
  before(async () => {
    example = await startExample();
  });
  after(() => example.close());

  test('a second visitor signing in with demo / demo sees nothing of what the first one linked', async () => {
    const linked = example.mock.users[1]!;
    const first = example.visitor();
    assert.equal((await passwordSignIn(first)).headers.location, '/profile');
    assert.equal((await first.post('/auth/link/feishu').set(SAME_ORIGIN)).status, 303);
    const link = await feishuSignIn(first, { user: 1 });
    assert.equal(link.headers.location, '/profile');
    const firstProfile = await first.get('/profile');
    assert.ok(firstProfile.text.includes(linked.open_id), 'the first visitor linked Feishu');
    assert.match(firstProfile.text, /Demo User/, 'to the demo account');

    const second = example.visitor();
    assert.equal((await passwordSignIn(second)).headers.location, '/profile');
    const secondProfile = await second.get('/profile');
    assert.equal(secondProfile.status, 200);
    assert.match(secondProfile.text, /Demo User/);
    for (const value of [linked.open_id, linked.union_id, linked.user_id, linked.name, linked.en_name, linked.tenant_key]) {
      assert.ok(!secondProfile.text.includes(value), `the second visitor must not see ${value}`);
    }
    assert.match(secondProfile.text, /Link your Feishu account/);

    // The first visitor's account is untouched, and still theirs.
    assert.ok((await first.get('/profile')).text.includes(linked.open_id));
  });

  test('a wrong password shows a fixed text and creates no session', async () => {
    const visitor = example.visitor();
    const res = await passwordSignIn(visitor, 'wrong');
    assert.equal(res.headers.location, '/login?failed=password');
    assert.deepEqual(cookiesOf(res), []);
    const page = await visitor.get(res.headers.location);
    assert.match(page.text, /Wrong username or password/);
    assert.deepEqual(cookiesOf(page), []);
  });
});

describe('anonymous visitors get no session', () => {
  let example: RunningExample;
  before(async () => {
    example = await startExample();
  });
  after(() => example.close());

  for (const path of ['/', '/login', '/login?failed=password', '/inapp', '/login/failed?reason=cancelled', '/profile', '/style.css']) {
    test(`GET ${path} sets no cookie`, async () => {
      const res = await example.visitor().get(path);
      assert.ok(res.status < 400, `GET ${path} answered ${res.status}`);
      assert.deepEqual(cookiesOf(res), []);
    });
  }

  test('starting a Feishu sign-in does set one (the state nonce lives in it)', async () => {
    const res = await example.visitor().get('/auth/feishu');
    assert.equal(res.status, 302);
    assert.match(cookiesOf(res).join('\n'), /^acme\.sid=/m);
  });
});

describe('TRUST_PROXY', () => {
  let proxied: RunningExample;
  let direct: RunningExample;
  before(async () => {
    proxied = await startExample({ trustProxy: 'loopback' });
    direct = await startExample();
  });
  after(async () => {
    await proxied.close();
    await direct.close();
  });

  test('behind a trusted proxy that says https, the session cookie is Secure', async () => {
    const res = await passwordSignIn(proxied.visitor().set('x-forwarded-proto', 'https'));
    const cookie = cookiesOf(res).find((c) => c.startsWith('acme.sid='));
    assert.ok(cookie, 'a session cookie');
    assert.match(cookie, /;\s*Secure/i);
    assert.match(cookie, /;\s*HttpOnly/i);
    assert.match(cookie, /;\s*SameSite=Lax/i);
  });

  test('the state cookie of a Feishu sign-in is Secure too, and the redirect_uri is https', async () => {
    const res = await proxied.visitor().get('/auth/feishu').set('x-forwarded-proto', 'https');
    assert.match(cookiesOf(res).join('\n'), /;\s*Secure/i);
    const redirectUri = new URL(res.headers.location ?? '').searchParams.get('redirect_uri') ?? '';
    assert.ok(redirectUri.startsWith('https://'), redirectUri);
  });

  test('behind a trusted proxy, X-Forwarded-Host names the host of the redirect_uri', async () => {
    const res = await proxied.visitor().get('/auth/feishu').set({ 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.com' });
    assert.equal(new URL(res.headers.location ?? '').searchParams.get('redirect_uri'), 'https://app.example.com/auth/feishu/callback');
  });

  test("TRUST_PROXY as an address that is not the client's: a direct client's X-Forwarded-Host and -Proto are not believed", async () => {
    // Express compiles '10.0.0.0/8' into its `trust proxy fn`; 127.0.0.1 is not in it.
    const other = await startExample({ trustProxy: '10.0.0.0/8', qr: true, flow: 'v2' });
    try {
      const forged = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' };
      const start = await other.visitor().get('/auth/feishu').set(forged);
      assert.equal(new URL(start.headers.location ?? '').searchParams.get('redirect_uri'), `${other.base}/auth/feishu/callback`);
      const goto = await other.visitor().get('/auth/feishu-qr/goto').set(SAME_ORIGIN).set(forged);
      assert.equal(new URL((goto.body as { goto: string }).goto).searchParams.get('redirect_uri'), `${other.base}/auth/feishu-qr/callback`);
      // And the sign-in still completes: the callback resolves the same URL (flow v2 checks it repeats).
      const visitor = other.visitor();
      assert.equal((await feishuSignIn(visitor)).headers.location, '/profile');
    } finally {
      await other.close();
    }
  });

  test('TRUST_PROXY as a hop count trusts the hop in front, as Express does', async () => {
    const hops = await startExample({ trustProxy: 1 });
    try {
      const res = await hops.visitor().get('/auth/feishu').set({ 'x-forwarded-proto': 'https', 'x-forwarded-host': 'app.example.com' });
      assert.equal(new URL(res.headers.location ?? '').searchParams.get('redirect_uri'), 'https://app.example.com/auth/feishu/callback');
    } finally {
      await hops.close();
    }
  });

  test('without TRUST_PROXY, X-Forwarded-Proto is ignored: no Secure over plain HTTP', async () => {
    const res = await passwordSignIn(direct.visitor().set('x-forwarded-proto', 'https'));
    const cookie = cookiesOf(res).find((c) => c.startsWith('acme.sid='));
    assert.ok(cookie, 'a session cookie');
    assert.doesNotMatch(cookie, /Secure/i);
  });
});

describe('bad and oversized request bodies', () => {
  let example: RunningExample;
  before(async () => {
    example = await startExample();
  });
  after(() => example.close());

  const MARKER = 'BODY-MARKER-5d1c';

  test('a form larger than the limit: 413 and a fixed text', async () => {
    const res = await example.visitor().post('/login/password').set(SAME_ORIGIN).type('form').send(`username=demo&password=${MARKER}${'x'.repeat(4096)}`);
    assert.equal(res.status, 413);
    assert.match(res.text, /The form you sent is too large\./);
    assert.doesNotMatch(res.text, /entity|too large"|request size|PayloadTooLarge/i);
    assert.ok(!res.text.includes(MARKER));
  });

  test('a form with too many fields: 413', async () => {
    const fields = Array.from({ length: 30 }, (_, i) => `f${i}=1`).join('&');
    const res = await example.visitor().post('/login/password').set(SAME_ORIGIN).type('form').send(fields);
    assert.equal(res.status, 413);
    assert.doesNotMatch(res.text, /too many parameters/i);
  });

  test('broken JSON to the in-app route: 400 with a fixed JSON text, not the parser message', async () => {
    const res = await example.visitor().post('/auth/feishu/inapp').set(SAME_ORIGIN).set('content-type', 'application/json').send(`{"code": "${MARKER}`);
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, { error: 'The request body could not be read.' });
  });

  test('JSON larger than the limit: 413 with a fixed JSON text', async () => {
    const res = await example.visitor().post('/auth/feishu/inapp').set(SAME_ORIGIN).send({ code: `${MARKER}${'x'.repeat(8192)}` });
    assert.equal(res.status, 413);
    assert.deepEqual(res.body, { error: 'The request body is too large.' });
  });

  test('an unsupported charset: 400 with the same fixed text', async () => {
    const res = await example.visitor().post('/auth/feishu/inapp').set(SAME_ORIGIN).set('content-type', 'application/json; charset=koi8-r').send(`{"code":"${MARKER}"}`);
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, { error: 'The request body could not be read.' });
  });
});

describe('the in-app route reads one code only', () => {
  let example: RunningExample;
  before(async () => {
    example = await startExample();
  });
  after(() => example.close());

  test('a code in the query and another in the body: 400, and neither is sent to Feishu', async () => {
    const { mock } = example;
    const [queryCode, bodyCode] = [await inAppCode(mock), await inAppCode(mock)];
    const calls = mock.serverCalls;
    const res = await example.visitor().post(`/auth/feishu/inapp?code=${queryCode}`).set(SAME_ORIGIN).send({ code: bodyCode });
    assert.equal(res.status, 400);
    assert.deepEqual(cookiesOf(res), []);
    assert.equal(mock.serverCalls, calls, 'no call to Feishu');

    // Both codes are still unused: each signs in when sent the one accepted way.
    for (const code of [bodyCode, queryCode]) {
      const ok = await example.visitor().post('/auth/feishu/inapp').set(SAME_ORIGIN).send({ code });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.user.name, mock.users[0]!.name);
    }
  });

  test('the same code in the query and the body: also 400 (the query is not read)', async () => {
    const code = await inAppCode(example.mock);
    const res = await example.visitor().post(`/auth/feishu/inapp?code=${code}`).set(SAME_ORIGIN).send({ code });
    assert.equal(res.status, 400);
  });

  test('a used code: 401 with the fixed text for it, not Feishu\'s message', async () => {
    const code = await inAppCode(example.mock);
    assert.equal((await example.visitor().post('/auth/feishu/inapp').set(SAME_ORIGIN).send({ code })).status, 200);
    const again = await example.visitor().post('/auth/feishu/inapp').set(SAME_ORIGIN).send({ code });
    assert.equal(again.status, 401);
    assert.equal(again.body.reason, 'code');
    assert.doesNotMatch(again.text, /20065|20003|has been used|code passed|log id/i);
  });
});

describe('failure pages show fixed texts only', () => {
  let example: RunningExample;
  before(async () => {
    example = await startExample();
  });
  after(() => example.close());

  const PAYLOAD = '<script>alert("pwned-7f3e")</script>';

  async function followFailure(path: string): Promise<{ first: Answer; page: Answer }> {
    const visitor = example.visitor();
    const first = await visitor.get(path);
    assert.equal(first.status, 302);
    const page = await visitor.get(first.headers.location ?? '');
    assert.equal(page.status, 200);
    return { first, page };
  }

  function assertNoPayload(...texts: string[]): void {
    for (const text of texts) {
      assert.ok(!text.includes('pwned-7f3e'), 'the crafted description leaked');
      assert.ok(!/&lt;script|<script>alert/.test(text), 'the crafted markup leaked');
    }
  }

  test('a crafted access_denied link with an error_description', async () => {
    const { first, page } = await followFailure(`/auth/feishu/callback?error=access_denied&error_description=${encodeURIComponent(PAYLOAD)}`);
    assert.equal(first.headers.location, '/login/failed?reason=cancelled');
    assert.match(page.text, /You cancelled the Feishu sign-in\./);
    assertNoPayload(wholeAnswer(first), wholeAnswer(page), example.logs.join('\n'));
  });

  test('another error with a description, or markup as the error itself', async () => {
    for (const query of [`error=server_error&error_description=${encodeURIComponent(PAYLOAD)}`, `error=${encodeURIComponent(PAYLOAD)}`]) {
      const { first, page } = await followFailure(`/auth/feishu/callback?${query}`);
      assert.equal(first.headers.location, '/login/failed?reason=refused');
      assert.match(page.text, /Feishu could not complete the sign-in\./);
      assertNoPayload(wholeAnswer(first), wholeAnswer(page), example.logs.join('\n'));
    }
  });

  test('a description with neither error nor code starts a new sign-in, carrying nothing of it', async () => {
    const res = await example.visitor().get(`/auth/feishu/callback?error_description=${encodeURIComponent(PAYLOAD)}`);
    assert.equal(res.status, 302);
    assert.ok((res.headers.location ?? '').startsWith(`${example.mock.origin}/`), 'to Feishu');
    assertNoPayload(wholeAnswer(res), decodeURIComponent(res.headers.location ?? ''));
  });

  test('the failure page itself takes nothing from its query but a known reason', async () => {
    const res = await example.visitor().get(`/login/failed?reason=${encodeURIComponent(PAYLOAD)}&error_description=${encodeURIComponent(PAYLOAD)}&message=${encodeURIComponent(PAYLOAD)}`);
    assert.match(res.text, /The Feishu sign-in could not finish\./);
    assertNoPayload(res.text);
  });

  test('the in-app route with a crafted error in its query', async () => {
    const res = await example.visitor().post(`/auth/feishu/inapp?error=access_denied&error_description=${encodeURIComponent(PAYLOAD)}`).set(SAME_ORIGIN).send({ code: 'x' });
    assert.equal(res.status, 400);
    assertNoPayload(wholeAnswer(res));
  });

  test('Deny on the consent page, and a callback whose state was never issued', async () => {
    const denied = await feishuSignIn(example.visitor(), { decision: 'deny' });
    assert.equal(denied.headers.location, '/login/failed?reason=cancelled');
    const forged = await followFailure('/auth/feishu/callback?code=abc&state=forged');
    assert.equal(forged.first.headers.location, '/login/failed?reason=state');
    assert.match(forged.page.text, /expired or was opened in another browser/);
  });
});

describe('cross-site requests are refused', () => {
  let example: RunningExample;
  before(async () => {
    example = await startExample();
  });
  after(() => example.close());

  async function signedIn(): Promise<supertest.Agent> {
    const visitor = example.visitor();
    assert.equal((await passwordSignIn(visitor)).headers.location, '/profile');
    return visitor;
  }

  test('logout from another site, by any signal, leaves the visitor signed in', async () => {
    const visitor = await signedIn();
    const attempts: Array<Record<string, string>> = [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      // Sec-Fetch-Site wins over an Origin that looks right.
      { 'sec-fetch-site': 'cross-site', origin: example.base },
      // Neither header: a non-browser client or a very old browser; refused.
      {},
    ];
    for (const headers of attempts) {
      const res = await visitor.post('/logout').set(headers);
      assert.equal(res.status, 403, JSON.stringify(headers));
      assert.equal((await visitor.get('/profile')).status, 200, `still signed in after ${JSON.stringify(headers)}`);
    }
  });

  test('logout is POST only', async () => {
    const visitor = await signedIn();
    const res = await visitor.get('/logout');
    assert.equal(res.status, 405);
    assert.equal(res.headers.allow, 'POST');
    assert.equal((await visitor.get('/profile')).status, 200);
  });

  test('logout from our own page signs out, by Sec-Fetch-Site or by Origin', async () => {
    for (const headers of [SAME_ORIGIN, { origin: example.base }]) {
      const visitor = await signedIn();
      const res = await visitor.post('/logout').set(headers);
      assert.equal(res.status, 302);
      assert.equal(res.headers.location, '/login');
      assert.equal((await visitor.get('/profile')).headers.location, '/login');
    }
  });

  test('a cross-site password sign-in or in-app code (login CSRF) is refused', async () => {
    const visitor = example.visitor();
    const password = await visitor.post('/login/password').set('sec-fetch-site', 'cross-site').type('form').send({ username: 'demo', password: 'demo' });
    assert.equal(password.status, 403);
    assert.deepEqual(cookiesOf(password), []);
    const calls = example.mock.serverCalls;
    const inApp = await visitor.post('/auth/feishu/inapp').set('origin', 'https://evil.example').send({ code: await inAppCode(example.mock) });
    assert.equal(inApp.status, 403);
    assert.equal(example.mock.serverCalls, calls);
  });
});

describe("Feishu's errors stay in the server log", () => {
  let example: RunningExample;
  before(async () => {
    example = await startExample();
  });
  after(() => example.close());

  const MSG = 'FEISHU-MSG-MARKER-91ab';

  /** The Feishu log id the page or JSON shows, which must also be in the log line with the details. */
  function assertSupportCanFindIt(shownLogId: string | undefined, ref: string | undefined, details: RegExp): void {
    assert.match(shownLogId ?? '', /^2026[0-9A-F]{24}$/, 'the mock\'s X-Tt-Logid is shown');
    assert.match(ref ?? '', /^[0-9a-f]{12}$/);
    const line = example.logs.find((l) => l.includes(ref ?? '-'));
    assert.ok(line, 'a log line carries the reference');
    assert.ok(line.startsWith('error '));
    assert.ok(line.includes(shownLogId ?? '-'), 'and the Feishu log id');
    assert.match(line, details);
  }

  test('web sign-in: a generic 502 page with a reference and Feishu\'s log id; message and hint only in the log', async () => {
    example.mock.inject('v1Token', { kind: 'error', code: 20029, msg: MSG });
    const res = await feishuSignIn(example.visitor());
    assert.equal(res.status, 502);
    assert.match(res.text, /We could not sign you in/);
    assert.ok(!res.text.includes(MSG), 'Feishu\'s message is not shown');
    assert.doesNotMatch(res.text, /20029|Security Settings|redirect URL|FeishuTokenError/, 'nor its code or the setup hint');
    const ref = /<code class="ref">([^<]+)<\/code>/.exec(res.text)?.[1];
    const logId = /<code class="feishu-log-id">([^<]+)<\/code>/.exec(res.text)?.[1];
    assertSupportCanFindIt(logId, ref, new RegExp(`${MSG}.*"feishuCode":20029|"feishuCode":20029.*${MSG}`));
  });

  test('in-app sign-in: generic JSON with the same two references', async () => {
    example.mock.inject('v1Token', { kind: 'error', code: 20029, msg: MSG });
    const res = await example.visitor().post('/auth/feishu/inapp').set(SAME_ORIGIN).send({ code: await inAppCode(example.mock) });
    assert.equal(res.status, 502);
    assert.deepEqual(Object.keys(res.body).sort(), ['error', 'feishuLogId', 'reference']);
    assert.ok(!res.text.includes(MSG));
    assertSupportCanFindIt(res.body.feishuLogId, res.body.reference, new RegExp(MSG));
  });

  test('a gateway\'s HTML page instead of JSON: still generic, still the log id', async () => {
    example.mock.inject('v1Token', { kind: 'html' });
    const res = await feishuSignIn(example.visitor());
    assert.equal(res.status, 502);
    assert.doesNotMatch(res.text, /not JSON|nginx|Bad Gateway|\/open-apis/);
    const ref = /<code class="ref">([^<]+)<\/code>/.exec(res.text)?.[1];
    const logId = /<code class="feishu-log-id">([^<]+)<\/code>/.exec(res.text)?.[1];
    assertSupportCanFindIt(logId, ref, /"transport":"not-json"/);
  });
});

describe('the mini-program route', () => {
  let example: RunningExample;
  before(async () => {
    example = await startExample();
  });
  after(() => example.close());

  test("a tt.login code signs in through tokenLoginValidate and answers JSON; a used code is 401 with the example's own text", async () => {
    const { mock } = example;
    const code = mock.issueCode(); // what tt.login hands the mini-program
    mock.resetCalls();
    // No Sec-Fetch-Site: tt.request comes from the Feishu client, not from one of our pages.
    const res = await example.visitor().post('/auth/feishu/mini-program').send({ code });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.user.name, mock.users[0]!.name);
    assert.equal(mock.calls.minaLogin, 1);
    const again = await example.visitor().post('/auth/feishu/mini-program').send({ code });
    assert.equal(again.status, 401);
    assert.equal(again.body.reason, 'code');
  });

  test('no code, or a code in the query: 400 and no call to Feishu', async () => {
    const { mock } = example;
    const calls = mock.serverCalls;
    assert.equal((await example.visitor().post('/auth/feishu/mini-program').send({})).status, 400);
    assert.equal((await example.visitor().post(`/auth/feishu/mini-program?code=${mock.issueCode()}`).send({ code: 'x' })).status, 400);
    assert.equal(mock.serverCalls, calls);
  });
});
