/**
 * The example app against a Feishu that quotes every request back in its error message
 * (the mock's `echo` fault: request line, headers and body, raw, URL-encoded and
 * JSON-escaped), on every endpoint the example's sign-ins touch, in every flow. Whatever
 * reaches the example, no secret may come out of it: not in an HTTP answer (status,
 * headers, body, the page after a redirect), not in a line of its log.
 *
 * A recording proxy stands between the example and the mock, so the test knows every
 * secret that crossed the wire (the app token, the user's tokens) without reading the
 * mock's insides. The example's refresh is not exercised: it never refreshes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FeishuFlow } from 'passport-feishu-oauth2';
import type { MockEndpoint } from 'passport-feishu-oauth2/testing';
import type supertest from 'supertest';
import { consent, pathOf } from './helpers/app.js';
import { inAppCode, SAME_ORIGIN, startExample } from './helpers/example-app.js';
import { RecordingProxy, secretsSeen, type Exchange } from './helpers/recording-proxy.js';

/** Characters that every encoding changes: URL (both flavours), JSON (\\, ", non-ASCII) and HTML. */
const APP_SECRET = 'Sx9/+= &"<>\'\\ü%-7kQ2mW4pZ8rT';
const SESSION_SECRET = 'example-test-session-secret';

const CASES: ReadonlyArray<{ flow: FeishuFlow; endpoints: readonly MockEndpoint[]; userToken: MockEndpoint }> = [
  { flow: 'v1', endpoints: ['appAccessToken', 'v1Token'], userToken: 'v1Token' },
  { flow: 'v2', endpoints: ['v2Token', 'userInfo'], userToken: 'userInfo' },
  { flow: 'v3', endpoints: ['v3Token', 'userInfo'], userToken: 'userInfo' },
  { flow: 'suite', endpoints: ['suiteToken', 'suiteUserInfo'], userToken: 'suiteUserInfo' },
];

type Answer = Awaited<ReturnType<supertest.Agent['get']>>;

function wholeAnswer(res: Answer): string {
  return `${res.status}\n${JSON.stringify(res.headers)}\n${res.text}`;
}

/** The spellings this test looks for, written out here rather than shared with the example's scrubber. */
function spelledOut(secret: string): Array<[string, string]> {
  const json = JSON.stringify(secret).slice(1, -1);
  return [
    ['raw', secret],
    ['URL-encoded', encodeURIComponent(secret)],
    ['form-encoded', new URLSearchParams({ s: secret }).toString().slice(2)],
    ['JSON-escaped', json],
    ['JSON-escaped (ASCII)', json.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)],
    ['HTML-escaped', secret.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')],
  ];
}

/** The message of an error answer, as Feishu's shapes carry it. */
function messageOf(exchange: Exchange): string {
  try {
    const body = JSON.parse(exchange.responseBody) as Record<string, unknown>;
    const text = body.msg ?? body.error_description;
    return typeof text === 'string' ? text : '';
  } catch {
    return '';
  }
}

function bearerOf(exchange: Exchange | undefined): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(exchange?.requestHeaders.authorization ?? '')?.[1];
}

for (const { flow, endpoints, userToken } of CASES) {
  describe(`flow ${flow}: an echoing Feishu leaks nothing through the example`, () => {
    for (const endpoint of endpoints) {
      for (const route of ['web', 'in-app'] as const) {
        test(`${endpoint} echoes, ${route} sign-in`, async (t) => {
          const proxy = new RecordingProxy();
          const example = await startExample({
            flow,
            appSecret: APP_SECRET,
            domain: async (mock) => (await proxy.listen(mock.hosts)).hosts,
          });
          t.after(async () => {
            await example.close();
            await proxy.close();
          });
          example.mock.inject(endpoint, { kind: 'echo' });
          const visitor = example.visitor();
          const answers: string[] = [];
          let code: string;

          if (route === 'web') {
            const start = await visitor.get('/auth/feishu');
            answers.push(wholeAnswer(start));
            const callback = await consent(start.headers.location ?? '');
            code = new URL(callback).searchParams.get('code') ?? '';
            const res = await visitor.get(pathOf(callback));
            answers.push(wholeAnswer(res));
            if (res.status === 302) {
              assert.match(res.headers.location ?? '', /^\/login\/failed\?reason=[a-z]+$/, 'the sign-in failed');
              answers.push(wholeAnswer(await visitor.get(res.headers.location ?? '')));
            } else {
              assert.equal(res.status, 502);
            }
          } else {
            code = await inAppCode(example.mock, proxy.hosts.open);
            const res = await visitor.post('/auth/feishu/inapp').set(SAME_ORIGIN).send({ code });
            answers.push(wholeAnswer(res));
            assert.ok(res.status === 502 || res.status === 401, `the sign-in failed (HTTP ${res.status})`);
          }
          assert.ok(code, 'a code was issued');

          // The fault fired, and its message really quotes a secret of the request in each encoding.
          const echoed = proxy.exchanges.filter((e) => messageOf(e).includes(`${e.method} `));
          assert.equal(echoed.length, 1, `one echo answer from ${endpoint}`);
          const echo = echoed[0]!;
          const quoted = bearerOf(echo) ?? (echo.requestBody.includes(code) ? code : JSON.stringify(APP_SECRET).slice(1, -1));
          for (const form of [quoted, encodeURIComponent(quoted), JSON.stringify(quoted).slice(1, -1)]) {
            assert.ok(messageOf(echo).includes(form), 'the echo quotes the request');
          }

          const secrets = secretsSeen(proxy.exchanges);
          for (const known of [APP_SECRET, SESSION_SECRET, code]) secrets.add(known);
          const appToken = bearerOf(proxy.exchanges.find((e) => e.path.startsWith('/open-apis/authen/v1/access_token')));
          if (flow === 'v1' && endpoint === 'v1Token') assert.ok(appToken && secrets.has(appToken), 'the app token is among the secrets looked for');
          if (endpoint === userToken && flow !== 'v1') {
            const userAccess = bearerOf(echo);
            assert.ok(userAccess && secrets.has(userAccess), "the user's access token is among the secrets looked for");
          }

          assert.ok(example.logs.length > 0, 'the example logged what happened');
          const outputs = [...answers, ...example.logs].join('\n');
          for (const secret of secrets) {
            for (const [spelling, form] of spelledOut(secret)) {
              if (form.length < 8) continue;
              assert.ok(!outputs.includes(form), `a secret (${secret.slice(0, 6)}…) came out ${spelling}:\n${outputs}`);
            }
          }
        });
      }
    }
  });
}
