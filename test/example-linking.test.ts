/**
 * Linking a Feishu account to the signed-in account happens only when that visitor asked for
 * it on /profile (a same-origin POST that leaves a one-time mark in the session). Any other
 * Feishu sign-in, by the button or the QR code, while signed in replaces the session: so a
 * sign-in an attacker finishes in the victim's browser never attaches the attacker's Feishu
 * account to the victim's account.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type supertest from 'supertest';
import { feishuSignIn, SAME_ORIGIN, startExample, type RunningExample } from './helpers/example-app.js';

// A fresh app and mock per test: accounts and links from one test must not decide another.
let example: RunningExample;
beforeEach(async () => {
  example = await startExample({ qr: true });
});
afterEach(() => example.close());

/** A visitor signed in with the demo password: a fresh account with no Feishu identity. */
async function demoVisitor(): Promise<supertest.Agent> {
  const visitor = example.visitor();
  const res = await visitor.post('/login/password').set(SAME_ORIGIN).type('form').send({ username: 'demo', password: 'demo' });
  assert.equal(res.headers.location, '/profile');
  return visitor;
}

/** The sign-in methods the profile page lists, by provider. */
async function methods(visitor: supertest.Agent): Promise<string[]> {
  const page = await visitor.get('/profile');
  assert.equal(page.status, 200);
  return [...page.text.matchAll(/class="badge badge-(\w+)"/g)].map((m) => m[1] ?? '');
}

describe('linking Feishu to a signed-in account', () => {
  test('a Feishu sign-in the visitor did not ask to link replaces the session: the password account gets no Feishu identity', async () => {
    const victim = await demoVisitor();
    assert.deepEqual(await methods(victim), ['local']);
    // The attacker's consent (user 1) finishing in the victim's browser, as a forged QR
    // message or crafted redirect would make it.
    const callback = await feishuSignIn(victim, { user: 1 });
    assert.equal(callback.headers.location, '/profile');
    assert.deepEqual(await methods(victim), ['feishu'], 'signed in as the Feishu account, nothing linked to the password account');
  });

  test('the profile offers linking as a same-origin form, not a sign-in link', async () => {
    const visitor = await demoVisitor();
    const page = await visitor.get('/profile');
    assert.match(page.text, /<form method="post" action="\/auth\/link\/feishu"><button[^>]*>[\s\S]*Link your Feishu account<\/button><\/form>/);
    assert.doesNotMatch(page.text, /href="\/auth\/feishu"/);
  });

  test('asked for from our own page, the next Feishu sign-in links, once', async () => {
    const visitor = await demoVisitor();
    const ask = await visitor.post('/auth/link/feishu').set(SAME_ORIGIN);
    assert.equal(ask.status, 303);
    assert.equal(ask.headers.location, '/auth/feishu');
    assert.equal((await feishuSignIn(visitor, { user: 0 })).headers.location, '/profile');
    assert.deepEqual((await methods(visitor)).sort(), ['feishu', 'local']);
    assert.ok((await visitor.get('/profile')).text.includes(example.mock.users[0]!.open_id));

    // The mark is spent: another Feishu sign-in is a sign-in, not a second link.
    assert.equal((await feishuSignIn(visitor, { user: 1 })).headers.location, '/profile');
    const profile = await visitor.get('/profile');
    assert.ok(profile.text.includes(example.mock.users[1]!.open_id));
    assert.deepEqual(await methods(visitor), ['feishu']);
  });

  test('a link request from another site is refused and leaves no mark', async () => {
    const visitor = await demoVisitor();
    for (const headers of [{ 'sec-fetch-site': 'cross-site' }, { origin: 'https://evil.example' }, {}]) {
      assert.equal((await visitor.post('/auth/link/feishu').set(headers)).status, 403, JSON.stringify(headers));
    }
    await feishuSignIn(visitor, { user: 1 });
    assert.deepEqual(await methods(visitor), ['feishu']);
  });

  test('a cancelled link spends the mark: the next Feishu sign-in does not link', async () => {
    const visitor = await demoVisitor();
    await visitor.post('/auth/link/feishu').set(SAME_ORIGIN);
    const denied = await feishuSignIn(visitor, { decision: 'deny' });
    assert.equal(denied.headers.location, '/login/failed?reason=cancelled');
    assert.deepEqual(await methods(visitor), ['local'], 'still signed in with the password');
    await feishuSignIn(visitor, { user: 1 });
    assert.deepEqual(await methods(visitor), ['feishu']);
  });

  test('a signed-out visitor asking to link is sent to sign in', async () => {
    const res = await example.visitor().post('/auth/link/feishu').set(SAME_ORIGIN);
    assert.equal(res.status, 303);
    assert.equal(res.headers.location, '/login');
  });
});

describe('no QR code for a signed-in visitor', () => {
  test('/login sends a signed-in visitor to the profile: no QR panel, no sign-in button', async () => {
    const visitor = await demoVisitor();
    const res = await visitor.get('/login');
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, '/profile');
  });

  test('the QR goto is refused to a signed-in visitor, so a QR sign-in cannot start in that session', async () => {
    const visitor = await demoVisitor();
    const res = await visitor.get('/auth/feishu-qr/goto').set(SAME_ORIGIN);
    assert.equal(res.status, 409);
    assert.equal(res.body.goto, undefined);
  });
});
