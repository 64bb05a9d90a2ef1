import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FeishuStrategy } from '../lib/index.js';
import { HeldSecrets } from '../lib/secrets.js';

/**
 * README: every message built from an answer is scrubbed of the app secret, the current and
 * previous app tokens, and what that request sent (a store app's app_ticket is checked end to
 * end in secrets.test.ts).
 */

const APP_SECRET = 'app-secret-value';

describe('HeldSecrets', () => {
  test('the app secret is cut out from the start', () => {
    assert.equal(new HeldSecrets(APP_SECRET).scrub(`secret ${APP_SECRET} quoted`), 'secret [redacted] quoted');
  });

  test('after the app token changes, an answer to a request sent with the previous one is still scrubbed', () => {
    const held = new HeldSecrets(APP_SECRET);
    held.holdAppToken('first-app-token');
    held.holdAppToken('second-app-token');
    assert.equal(held.scrub('sent first-app-token, now second-app-token'), 'sent [redacted], now [redacted]');
  });

  test('holding the current token again does not push the previous one out', () => {
    const held = new HeldSecrets(APP_SECRET);
    held.holdAppToken('first-app-token');
    held.holdAppToken('second-app-token');
    // Every cache hit holds the token it read: the one before it may still be in flight.
    held.holdAppToken('second-app-token');
    assert.equal(held.scrub('first-app-token second-app-token'), '[redacted] [redacted]');
  });

  test('the values of one request are cut out too; missing ones are skipped', () => {
    const held = new HeldSecrets(APP_SECRET);
    assert.equal(held.scrub('code abcdef12 verifier zyxwv987', 'abcdef12', undefined, 'zyxwv987'), 'code [redacted] verifier [redacted]');
  });

  test('a base64, base64url or hex run that decodes to a secret is cut whole; other runs stay', () => {
    const held = new HeldSecrets(APP_SECRET);
    const form = `grant_type=authorization_code&client_secret=${APP_SECRET}&code=abc`;
    const b64 = Buffer.from(form).toString('base64');
    for (const quoted of [
      b64,
      Buffer.from(form).toString('base64url'),
      Buffer.from(form).toString('hex'),
      Buffer.from(`${form}a`).toString('base64'), // padded with ==, cut with the run
      Buffer.from(`x${form}`).toString('base64').slice(4), // a quote that does not start on a base64 group
      encodeURIComponent(Buffer.from(`${form}??>>???`).toString('base64')), // + / = percent-encoded
      Buffer.from(`${form}???`).toString('base64').replace(/\//g, '\\/'), // / JSON-escaped
    ]) {
      assert.equal(held.scrub(`echo: ${quoted} end`), 'echo: [redacted] end', quoted);
    }
    const logId = '20261127214200ABCDEF0123456789';
    const plain = Buffer.from('nothing to hide in here at all').toString('base64');
    assert.equal(held.scrub(`log ${logId} ${plain}`), `log ${logId} ${plain}`);
  });

  test('a run is 16 characters or more: a 16-character quote of a secret is cut, a shorter run is a word', () => {
    const held = new HeldSecrets('secret12abcd');
    const sixteen = Buffer.from('secret12abcd').toString('base64');
    assert.equal(sixteen.length, 16);
    assert.equal(held.scrub(`a ${sixteen} b`), 'a [redacted] b');
    const short = new HeldSecrets('sec1');
    const fifteen = `${Buffer.from('sec1xy').toString('base64')}AAAAAAA`;
    assert.equal(fifteen.length, 15);
    assert.equal(short.scrub(`a ${fifteen} b`), `a ${fifteen} b`);
  });

  test('inside a decoded run, secrets are found in every form, lower-case percent-encoding too', () => {
    const held = new HeldSecrets('Sec/ret+x');
    assert.equal(held.scrub(`q ${Buffer.from('client_secret=Sec%2fret%2bx').toString('base64')}`), 'q [redacted]');
  });

  test('an app that holds no secret still cuts token-shaped runs, and keeps every other one', () => {
    const held = new HeldSecrets(undefined);
    assert.equal(held.scrub(`q ${Buffer.from('Bearer u-abcdefgh1').toString('base64')} r`), 'q [redacted] r');
    const plain = Buffer.from('nothing to hide in here at all').toString('base64');
    assert.equal(held.scrub(`q ${plain} r`), `q ${plain} r`);
    const hex = Buffer.from('nothing to hide here').toString('hex');
    assert.equal(held.scrub(`q ${hex} r`), `q ${hex} r`);
  });

  test('the values one request sent are found in base64 too, and so is anything token-shaped', () => {
    const held = new HeldSecrets(APP_SECRET);
    assert.equal(held.scrub(`q ${Buffer.from('code=sent-code-123').toString('base64')}`, 'sent-code-123'), 'q [redacted]');
    assert.equal(held.scrub(`q ${Buffer.from('Bearer u-abcdefgh12345').toString('base64')}`), 'q [redacted]');
  });

  test('HTML character references are read as the characters they stand for', () => {
    const held = new HeldSecrets('Sec/ret+"quoted"&<b>~42=');
    const secret = 'Sec/ret+"quoted"&<b>~42=';
    const decimal = [...secret].map((c) => `&#${c.charCodeAt(0)};`).join('');
    const hex = [...secret].map((c) => `&#X${c.charCodeAt(0).toString(16)};`).join('');
    const named = secret.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
    const twice = named.replace(/&/g, '&amp;');
    for (const quoted of [decimal, hex, named, twice]) assert.equal(held.scrub(`a ${quoted} b`), 'a [redacted] b', quoted);
    assert.equal(held.scrub('a &#60;b&#x3E; &AMP; &#99999999; &bogus;'), 'a <b> & &#99999999; &bogus;');
    // The last code point there is, and one past it.
    assert.equal(held.scrub('&#1114111; &#x110000;'), `${String.fromCodePoint(0x10ffff)} &#x110000;`);
    // Three rounds undo three levels of escaping, and no more.
    assert.equal(held.scrub('&amp;amp;#60; &amp;amp;amp;#60;'), '< &#60;');
  });

  test('a keyless app holds no secret: nothing of its messages is cut but what a request sent', () => {
    const held = new HeldSecrets(undefined);
    assert.equal(held.scrub('nothing secret here, the placeholder is not held'), 'nothing secret here, the placeholder is not held');
  });

  test('a log id is shown whole or not at all', () => {
    const held = new HeldSecrets('AppSecret0123');
    assert.equal(held.logId('2026ABCDEF'), '2026ABCDEF');
    assert.equal(held.logId(undefined), undefined);
    assert.equal(held.logId('2026AppSecret0123'), undefined);
    assert.equal(held.logId('2026sentcode', 'sentcode'), undefined);
  });
});

describe('what a strategy holds', () => {
  /** The HeldSecrets a strategy scrubs its messages with (a private field: nothing else tells `undefined` from a placeholder). */
  const heldBy = (strategy: FeishuStrategy) => (strategy as unknown as { context: { feishu: { options: { secrets: HeldSecrets } } } }).context.feishu.options.secrets;
  const verify = () => undefined;

  test('a keyless app holds no secret at all, not even a placeholder; an app with a secret holds it', () => {
    const keyless = new FeishuStrategy({ clientID: 'cli_keyless', flow: 'v3', clientAssertion: () => 'a.b.c' }, verify);
    assert.deepStrictEqual(heldBy(keyless), new HeldSecrets(undefined));
    const classic = new FeishuStrategy({ clientID: 'cli_classic', clientSecret: APP_SECRET }, verify);
    assert.deepStrictEqual(heldBy(classic), new HeldSecrets(APP_SECRET));
  });
});
