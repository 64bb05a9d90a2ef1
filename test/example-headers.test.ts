/**
 * The example's security headers (helmet): a Content-Security-Policy naming exactly the
 * QR SDK's script and frame origins (the mock's in mock mode), the pages' inline scripts by
 * hash, no framing by anyone; nosniff, a Referrer-Policy, and HSTS only over TLS.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startExample, type RunningExample } from './helpers/example-app.js';

/** The CSP as directive → sources. */
function policyOf(header: unknown): Map<string, string[]> {
  assert.equal(typeof header, 'string', 'a Content-Security-Policy header');
  const directives = new Map<string, string[]>();
  for (const part of (header as string).split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) directives.set(name, sources);
  }
  return directives;
}

/** The inline scripts of a page, as the browser hashes them. */
function inlineScriptHashes(page: string): string[] {
  return [...page.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1] ?? '').digest('base64')}'`);
}

describe('security headers', () => {
  let example: RunningExample;
  let proxied: RunningExample;
  before(async () => {
    example = await startExample({ qr: true });
    proxied = await startExample({ trustProxy: 'loopback' });
  });
  after(async () => {
    await example.close();
    await proxied.close();
  });

  test('the sign-in page: CSP with exactly the QR SDK script and frame origins, inline scripts by hash, no framing', async () => {
    const res = await example.visitor().get('/login');
    assert.equal(res.status, 200);
    const csp = policyOf(res.headers['content-security-policy']);
    const { open, passport } = example.mock.hosts;
    assert.deepEqual(csp.get('default-src'), ["'self'"]);
    const scripts = csp.get('script-src') ?? [];
    assert.ok(scripts.includes(open), 'the QR SDK (mock) origin');
    assert.ok(!scripts.includes("'unsafe-inline'") && !scripts.includes('*') && !scripts.includes('https:'), scripts.join(' '));
    assert.deepEqual(scripts.filter((s) => /^(https?:|\*)/.test(s)), [open], 'no other script origin (the mock serves the JSSDK stand-in on the same host)');
    for (const hash of inlineScriptHashes(res.text)) assert.ok(scripts.includes(hash), `the page's inline script ${hash} is allowed`);
    assert.deepEqual(csp.get('frame-src'), [passport], 'only the QR frame');
    assert.deepEqual(csp.get('connect-src'), ["'self'", open], 'our routes, and the JSSDK (stand-in) origin');
    assert.deepEqual(csp.get('frame-ancestors'), ["'none'"]);
    assert.deepEqual(csp.get('object-src'), ["'none'"]);
    assert.deepEqual(csp.get('base-uri'), ["'none'"]);
    // A form may lead to our own routes and, through their redirects, to Feishu's authorize pages only.
    assert.deepEqual(csp.get('form-action'), ["'self'", open, example.mock.hosts.accounts, passport]);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['referrer-policy'], 'strict-origin-when-cross-origin');
    assert.equal(res.headers['x-frame-options'], 'SAMEORIGIN');
    assert.equal(res.headers['strict-transport-security'], undefined, 'no HSTS over plain HTTP');
  });

  test('the in-app page: its inline script is allowed by hash too', async () => {
    const res = await example.visitor().get('/inapp');
    const scripts = policyOf(res.headers['content-security-policy']).get('script-src') ?? [];
    const hashes = inlineScriptHashes(res.text);
    assert.equal(hashes.length, 1);
    assert.ok(scripts.includes(hashes[0] ?? ''));
  });

  test('without the QR panel, no frame may load at all', async () => {
    const plain = await startExample();
    try {
      const res = await plain.visitor().get('/login');
      assert.doesNotMatch(res.text, /id="feishu-qr"/);
      // An empty frame-src source list is 'none'.
      assert.deepEqual(policyOf(res.headers['content-security-policy']).get('frame-src'), ["'none'"]);
    } finally {
      await plain.close();
    }
  });

  test('HSTS only over TLS: behind a trusted proxy that says https', async () => {
    const secure = await proxied.visitor().get('/login').set('x-forwarded-proto', 'https');
    assert.match(String(secure.headers['strict-transport-security']), /^max-age=31536000; includeSubDomains$/);
    const plain = await proxied.visitor().get('/login');
    assert.equal(plain.headers['strict-transport-security'], undefined);
  });

  test('error pages and JSON answers carry the headers too', async () => {
    const res = await example.visitor().get('/auth/feishu-qr/goto').set('sec-fetch-site', 'cross-site');
    assert.equal(res.status, 403);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.ok(res.headers['content-security-policy']);
  });
});
