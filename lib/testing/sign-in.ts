/**
 * The Feishu side of a sign-in, done over HTTP as a browser would: open the authorize URL,
 * press Allow or Deny on the mock's consent page, and read where Feishu sends the browser.
 */
import { request } from 'node:http';

/** What the user does on the mock's consent page. */
export interface FeishuConsent {
  /** The button pressed: `'allow'` (the default) or `'deny'`. */
  readonly decision?: 'allow' | 'deny';
  /** Which of the mock's users signs in: an index into `mock.users`. Default 0, the first. */
  readonly user?: number;
}

/**
 * The mock showed its error page instead of the consent page: the authorize URL broke one of
 * Feishu's rules (an unregistered redirect URL is 20029, an unknown app 20048, a scope the app
 * has not enabled 20027, …). `code` is Feishu's error code; the message is the page's.
 */
export class MockAuthorizeError extends Error {
  override readonly name = 'MockAuthorizeError';
  constructor(
    /** Feishu's error code, as the mock's error page shows it. */
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

interface Answer {
  readonly status: number;
  readonly location: string | undefined;
  readonly text: string;
}

/** One request with node:http (not fetch, whose timers a test's fake timers would own). */
function send(url: URL, form?: Readonly<Record<string, string>>): Promise<Answer> {
  const body = form ? new URLSearchParams(form).toString() : undefined;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: form ? 'POST' : 'GET',
        headers: form ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body ?? '') } : {},
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const entities: Readonly<Record<string, string>> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

function unescapeHtml(text: string): string {
  return text.replace(/&(?:amp|lt|gt|quot|#39);/g, (e) => entities[e] ?? e);
}

function refusal(answer: Answer): MockAuthorizeError {
  const code = /Error code <code>(\d+)<\/code><\/p><p>([\s\S]*?)<\/p>/.exec(answer.text);
  if (code?.[1] !== undefined) return new MockAuthorizeError(Number(code[1]), `The mock Feishu refused the sign-in (${code[1]}): ${unescapeHtml(code[2] ?? '')}`);
  return new MockAuthorizeError(0, `The mock Feishu answered HTTP ${answer.status}, not its consent page: is this the authorize URL your app redirected to?`);
}

/**
 * Completes the Feishu side of a sign-in against the mock Feishu (`startMockFeishu`), for any
 * flow and brand: opens `authorizeUrl` (the `Location` your app's login route redirected to),
 * presses Allow or Deny as `consent.user`, and resolves to the callback URL Feishu sends the
 * browser to: your callback route, with `code` and `state` (or `error=access_denied`). Request
 * it with the session cookie of the login request (a supertest agent, or your own cookie jar).
 *
 *   const login = await agent.get('/auth/feishu');
 *   const callback = new URL(await completeFeishuSignIn(login.headers.location));
 *   const res = await agent.get(callback.pathname + callback.search);
 *
 * Rejects with `MockAuthorizeError` (Feishu's code and message) when the mock refuses the
 * authorize URL, for example a redirect URL the mock's app has not registered (20029). With
 * `consent: 'auto'` the mock approves at once as its first user: asking for Deny or another
 * user then rejects, since no consent page is shown.
 */
export async function completeFeishuSignIn(authorizeUrl: string | URL, consent: FeishuConsent = {}): Promise<string> {
  const url = new URL(authorizeUrl);
  if (url.protocol !== 'http:') throw new TypeError(`completeFeishuSignIn: ${url.origin} is not the mock Feishu (it listens on http://127.0.0.1)`);
  const decision = consent.decision ?? 'allow';
  const user = consent.user ?? 0;
  if (decision !== 'allow' && decision !== 'deny') throw new TypeError(`completeFeishuSignIn: decision must be 'allow' or 'deny', got ${JSON.stringify(decision)}`);
  if (!Number.isInteger(user) || user < 0) throw new TypeError(`completeFeishuSignIn: user must be an index into mock.users, got ${String(user)}`);
  const page = await send(url);
  if (page.status >= 300 && page.status < 400 && page.location) {
    if (decision === 'deny' || user !== 0) {
      throw new Error("completeFeishuSignIn: the mock approved the sign-in at once (consent: 'auto'), so there was no Deny to press nor user to choose; start it with consent: 'page', the default");
    }
    return page.location;
  }
  const request = /name="request" value="([^"]*)"/.exec(page.text)?.[1];
  if (page.status !== 200 || request === undefined) throw refusal(page);
  const offered = page.text.match(/<input type="radio" name="user"/g)?.length ?? 0;
  if (user >= offered) throw new RangeError(`completeFeishuSignIn: the mock has ${offered} user(s); user ${user} is not one of them`);
  const answer = await send(new URL('/mock/authorize/decision', url), { request: unescapeHtml(request), user: String(user), decision });
  if (!answer.location) throw refusal(answer);
  return answer.location;
}
