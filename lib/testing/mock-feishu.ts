import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { FeishuHosts } from '../endpoints.js';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_APP, DEFAULT_USERS, type MockApp, type MockUser } from './fixtures.js';
import { AssertionRejected, AssertionVerifier } from './assertion-verifier.js';
import { appTicketEvent, deliverEvent, userTokensRevokedEvent, type EventIdentity, type EventSubscription, type RevocationDetails } from './event-push.js';
import { echoOf, writeTransportFault, type MockFault } from './faults.js';
import { consentPage, errorPage } from './pages.js';
import { JSAPI_SHIM } from './jsapi-shim.js';
import { QR_SDK_PATH, QrStandIn } from './qr-stand-in.js';
import { bearerOf, field, readBody, readText, redirect, sendHtml, sendJson, sendNotFound, sendScript, withQuery, type ParsedBody } from './wire.js';

const ENDPOINTS = [
  'authorize', 'decision', 'jsapi', 'qr', 'appAccessToken', 'storeAppAccessToken', 'tenantAccessToken', 'storeTenantAccessToken', 'appTicketResend',
  'v1Token', 'v1Refresh', 'v2Token', 'v3Token', 'userInfo', 'suiteToken', 'suiteUserInfo', 'minaLogin',
] as const;

/** Every endpoint the mock serves, by the name used in `calls` and `inject`. */
export type MockEndpoint = (typeof ENDPOINTS)[number];

/** Endpoints the browser visits; the rest are the app server's upstream calls. */
const BROWSER_ENDPOINTS: ReadonlySet<MockEndpoint> = new Set(['authorize', 'decision', 'jsapi', 'qr']);

export interface MockFeishuOptions {
  /** Port on 127.0.0.1; default 0 (any free port). */
  port?: number;
  /** Apps the mock knows; default one self-built app (`DEFAULT_APP`). */
  apps?: MockApp[];
  /** Users who can sign in; the first is chosen unless the consent page says otherwise. */
  users?: MockUser[];
  /** 'page' (default) shows the HTML consent page; 'auto' approves at once as users[0]. */
  consent?: 'page' | 'auto';
  /** Milliseconds added before answering each server-to-server call (a real round trip is ~30 ms). */
  latency?: number;
  /** Which brand this mock plays: a Lark app is refused by a Feishu mock and the other way round. */
  brand?: 'feishu' | 'lark';
  /**
   * Serve every path on one origin, as a proxy or private deployment does. By default each of
   * Feishu's hosts (open, accounts, passport) has its own origin, and a path asked of the wrong
   * host gets Feishu's 404, so a host mix-up in a client fails.
   */
  singleOrigin?: boolean;
}

type HostName = keyof FeishuHosts;
type Shape = 'envelope' | 'oauth' | 'bare' | 'userinfo' | 'page';

interface Route {
  /** The Feishu host that serves the path; `any` for the mock's own helper pages. */
  readonly host: HostName | 'any';
  readonly endpoint: MockEndpoint;
  readonly shape: Shape;
  readonly handle: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;
}

/** A protocol error, answered in the shape of the endpoint that raised it. */
class MockError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

interface CodeGrant {
  readonly appId: string;
  readonly user: number;
  readonly scope: string;
  readonly redirectUri: string | undefined;
  readonly challenge: string | undefined;
  readonly challengeMethod: string;
  readonly expiresAt: number;
  used: boolean;
}

interface UserToken {
  readonly appId: string;
  readonly user: number;
  readonly expiresAt: number;
}

interface RefreshGrant {
  readonly appId: string;
  readonly user: number;
  readonly scope: string;
  readonly kind: 'v1' | 'oauth' | 'suite';
  /** The access token issued with this refresh token; a refresh ends its life early. */
  readonly accessToken: string | undefined;
  readonly expiresAt: number;
  used: boolean;
}

interface AppToken {
  readonly appId: string;
  readonly expiresAt: number;
  revoked: boolean;
}

interface PendingAuthorize {
  readonly appId: string;
  readonly redirectUri: string;
  readonly state: string | undefined;
  readonly scope: string;
  readonly challenge: string | undefined;
  readonly challengeMethod: string;
  readonly expiresAt: number;
}

/** Request fields whose values are secrets (feishu-api.md §1–§4, §10.4). */
const SECRET_FIELDS = ['app_secret', 'app_ticket', 'app_access_token', 'client_secret', 'client_assertion', 'code', 'code_verifier', 'refresh_token'] as const;

const CODE_TTL_S = 300;
const JSAPI_CODE_TTL_S = 180;
/** After a v2/v3 refresh the old access token keeps working about a minute ("一分钟的豁免时间", §3.3). */
const REFRESH_GRACE_S = 60;
const APP_TOKEN_TTL_S = 7200;
/** "有效期小于 30 分钟" → a new token; otherwise the same one (feishu-api.md §4.3). */
const APP_TOKEN_REUSE_S = 1800;
const USER_TOKEN_TTL_S = 7200;
const V1_REFRESH_TTL_S = 2_592_000;
const V2_REFRESH_TTL_S = 604_800;

const OAUTH_ERRORS: Readonly<Record<number, [string, number]>> = {
  20001: ['invalid_request', 400],
  20002: ['invalid_client', 400],
  20003: ['invalid_grant', 400],
  20004: ['invalid_grant', 400],
  20024: ['invalid_grant', 400],
  20026: ['invalid_grant', 400],
  20036: ['unsupported_grant_type', 400],
  20037: ['invalid_grant', 400],
  20048: ['invalid_client', 400],
  20049: ['invalid_grant', 400],
  20050: ['server_error', 500],
  20063: ['invalid_request', 400],
  20064: ['invalid_grant', 400],
  20065: ['invalid_grant', 400],
  20046: ['invalid_client', 400],
  20067: ['invalid_scope', 400],
  20068: ['invalid_scope', 400],
  20070: ['invalid_client', 400],
  20071: ['invalid_grant', 400],
  20072: ['temporarily_unavailable', 503],
  // Feishu documents only 20050's `error`; the others follow RFC 6749 §5.2 (feishu-api.md §3.4, §9.3).
  20073: ['invalid_grant', 400],
  20074: ['unauthorized_client', 400],
};

/** The suite passport flow's bare OAuth errors (feishu-api.md §1: logto fixtures, RFC 6749). */
const BARE_ERRORS: Readonly<Record<number, string>> = {
  20001: 'invalid_request',
  20002: 'invalid_client',
  20036: 'unsupported_grant_type',
  20046: 'invalid_client',
  20048: 'invalid_client',
  20050: 'server_error',
};

function token(prefix: string, bytes = 18): string {
  return prefix + randomBytes(bytes).toString('base64url');
}

/** v2/v3 tokens look like JWTs (feishu-api.md §0); nothing reads their insides. */
function jwtLike(): string {
  return `eyJhbGciOiJFUzI1NiIsImtpZCI6Im1vY2sifQ.${randomBytes(48).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
}

/**
 * `scope` on a v2/v3 token or refresh request narrows the token to a subset of what the user
 * granted: a repeated scope is 20067, one not granted 20068 (feishu-api.md §3.2, §10.6).
 */
function narrowScope(granted: string, requested: string | undefined): string {
  if (requested === undefined) return granted;
  const asked = requested.split(' ').filter(Boolean);
  if (new Set(asked).size !== asked.length) throw new MockError(20067, 'The provided scope list contains duplicate scopes.');
  const have = new Set(granted.split(' ').filter(Boolean));
  if (asked.some((s) => !have.has(s))) throw new MockError(20068, 'The provided scope list contains scopes that are not permitted.');
  return asked.join(' ');
}

/**
 * A registered redirect URL matches on scheme, host, port and path; the query may vary.
 * `*` in a registered URL matches any run of characters, for tests that ask for it.
 */
function redirectMatches(registered: string, redirectUri: string): boolean {
  // `http://127.0.0.1:*/path`: any port, then scheme, host and path as for any registered URL (testing/test-preset.ts).
  const anyPort = /^(https?:\/\/[^/:@*]+):\*(\/[^*]*)$/.exec(registered);
  if (anyPort) {
    const port = /^https?:\/\/[^/:@]+:(\d{1,5})(?=[/?#]|$)/.exec(redirectUri)?.[1];
    return port !== undefined && redirectMatches(`${anyPort[1]}:${port}${anyPort[2]}`, redirectUri);
  }
  if (registered.includes('*')) {
    const source = registered.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
    return new RegExp(`^${source}$`).test(redirectUri);
  }
  try {
    const a = new URL(registered);
    const b = new URL(redirectUri);
    return a.protocol === b.protocol && a.host === b.host && a.pathname === b.pathname;
  } catch {
    return false;
  }
}

/**
 * A Feishu (and Lark) login server on 127.0.0.1 that speaks the wire protocol of every
 * generation strictly: Bearer app tokens, JSON bodies, single-use five-minute codes, the
 * 30-minute app-token reuse rule, and errors in the shape each endpoint really uses.
 */
export class MockFeishu {
  readonly apps: MockApp[];
  readonly users: MockUser[];
  /** Requests per endpoint since start or `resetCalls()`. */
  readonly calls: Record<MockEndpoint, number>;
  consent: 'page' | 'auto';
  latency: number;
  readonly brand: 'feishu' | 'lark';

  private readonly servers: ReadonlyMap<HostName | 'any', Server>;
  private readonly sockets = new Set<Socket>();
  private readonly faults = new Map<MockEndpoint, MockFault[]>();
  private readonly codes = new Map<string, CodeGrant>();
  private readonly userTokens = new Map<string, UserToken>();
  private readonly refreshTokens = new Map<string, RefreshGrant>();
  private readonly appTokens = new Map<string, AppToken>();
  private readonly currentAppToken = new Map<string, string>();
  private readonly pending = new Map<string, PendingAuthorize>();
  private readonly tickets = new Map<string, string>();
  private readonly subscriptions: EventSubscription[] = [];
  private readonly assertions = new AssertionVerifier();
  private clockOffset = 0;
  private hosts_: FeishuHosts = { open: '', accounts: '', passport: '' };
  private readonly qr: QrStandIn;

  /** Routes by `METHOD path`; a path two hosts serve (the authorize page) has a route for each. */
  private readonly routes: ReadonlyMap<string, readonly Route[]>;

  constructor(options: MockFeishuOptions = {}) {
    this.apps = (options.apps ?? [DEFAULT_APP]).map((app) => ({ ...app }));
    this.users = [...(options.users ?? DEFAULT_USERS)];
    this.consent = options.consent ?? 'page';
    this.latency = options.latency ?? 0;
    this.brand = options.brand ?? 'feishu';
    this.qr = new QrStandIn({ apps: () => this.apps, users: () => this.users, hosts: () => this.hosts_, brand: this.brand, now: () => this.now() });
    this.calls = Object.fromEntries(ENDPOINTS.map((e) => [e, 0])) as Record<MockEndpoint, number>;
    const table: Array<[string, Route]> = [
      // v1 names the app `app_id` on open.*; v2/v3 use OAuth's parameters on accounts.* (feishu-api.md §2.1, §3.1).
      ['GET /open-apis/authen/v1/authorize', { host: 'open', endpoint: 'authorize', shape: 'page', handle: (_q, r, u) => this.authorize(r, u, 'v1') }],
      ['GET /open-apis/authen/v1/index', { host: 'open', endpoint: 'authorize', shape: 'page', handle: (_q, r, u) => this.authorize(r, u, 'v1') }],
      ['GET /open-apis/authen/v1/authorize', { host: 'accounts', endpoint: 'authorize', shape: 'page', handle: (_q, r, u) => this.authorize(r, u, 'v2') }],
      ['GET /suite/passport/oauth/authorize', { host: 'passport', endpoint: 'authorize', shape: 'page', handle: (_q, r, u) => this.authorize(r, u, 'suite') }],
      ['POST /mock/authorize/decision', { host: 'any', endpoint: 'decision', shape: 'page', handle: (q, r) => this.decision(q, r) }],
      ['GET /mock/h5sdk.js', { host: 'any', endpoint: 'jsapi', shape: 'page', handle: (_q, r) => sendScript(r, JSAPI_SHIM) }],
      // The web QR SDK's stand-in (lib/testing/qr-stand-in.ts, feishu-api.md §6.2).
      [`GET ${QR_SDK_PATH}`, { host: 'any', endpoint: 'qr', shape: 'page', handle: (_q, r) => this.qr.script(r) }],
      ['GET /suite/passport/sso/qr', { host: 'passport', endpoint: 'qr', shape: 'page', handle: (_q, r, u) => this.qr.frame(r, u) }],
      ['GET /mock/qr/poll', { host: 'passport', endpoint: 'qr', shape: 'page', handle: (_q, r, u) => this.qr.poll(r, u) }],
      ['GET /mock/qr/scan', { host: 'passport', endpoint: 'qr', shape: 'page', handle: (_q, r, u) => this.qr.scan(r, u) }],
      ['POST /mock/qr/scan', { host: 'passport', endpoint: 'qr', shape: 'page', handle: (q, r) => this.qr.approve(q, r) }],
      ['GET /mock/jsapi/code', { host: 'any', endpoint: 'jsapi', shape: 'envelope', handle: (_q, r, u) => this.jsapiCode(r, u) }],
      ['POST /open-apis/auth/v3/app_access_token/internal', { host: 'open', endpoint: 'appAccessToken', shape: 'envelope', handle: (q, r) => this.appAccessToken(q, r, 'internal') }],
      ['POST /open-apis/auth/v3/app_access_token/internal/', { host: 'open', endpoint: 'appAccessToken', shape: 'envelope', handle: (q, r) => this.appAccessToken(q, r, 'internal') }],
      ['POST /open-apis/auth/v3/app_access_token', { host: 'open', endpoint: 'storeAppAccessToken', shape: 'envelope', handle: (q, r) => this.appAccessToken(q, r, 'store') }],
      ['POST /open-apis/auth/v3/tenant_access_token/internal', { host: 'open', endpoint: 'tenantAccessToken', shape: 'envelope', handle: (q, r) => this.appAccessToken(q, r, 'tenant') }],
      ['POST /open-apis/auth/v3/tenant_access_token', { host: 'open', endpoint: 'storeTenantAccessToken', shape: 'envelope', handle: (q, r) => this.storeTenantToken(q, r) }],
      ['POST /open-apis/auth/v3/app_ticket/resend', { host: 'open', endpoint: 'appTicketResend', shape: 'envelope', handle: (q, r) => this.resendTicket(q, r) }],
      ['POST /open-apis/authen/v1/access_token', { host: 'open', endpoint: 'v1Token', shape: 'envelope', handle: (q, r) => this.v1Grant(q, r, 'authorization_code') }],
      ['POST /open-apis/authen/v1/refresh_access_token', { host: 'open', endpoint: 'v1Refresh', shape: 'envelope', handle: (q, r) => this.v1Grant(q, r, 'refresh_token') }],
      ['POST /open-apis/mina/v2/tokenLoginValidate', { host: 'open', endpoint: 'minaLogin', shape: 'envelope', handle: (q, r) => this.minaLogin(q, r) }],
      ['POST /open-apis/authen/v2/oauth/token', { host: 'open', endpoint: 'v2Token', shape: 'oauth', handle: (q, r) => this.oauthGrant(q, r, 'v2') }],
      ['POST /oauth/v3/token', { host: 'accounts', endpoint: 'v3Token', shape: 'oauth', handle: (q, r) => this.oauthGrant(q, r, 'v3') }],
      ['GET /open-apis/authen/v1/user_info', { host: 'open', endpoint: 'userInfo', shape: 'envelope', handle: (q, r) => this.userInfo(q, r, 'envelope') }],
      ['POST /suite/passport/oauth/token', { host: 'passport', endpoint: 'suiteToken', shape: 'bare', handle: (q, r) => this.suiteGrant(q, r) }],
      ['GET /suite/passport/oauth/userinfo', { host: 'passport', endpoint: 'suiteUserInfo', shape: 'userinfo', handle: (q, r) => this.userInfo(q, r, 'bare') }],
    ];
    const routes = new Map<string, Route[]>();
    for (const [key, route] of table) routes.set(key, [...(routes.get(key) ?? []), route]);
    this.routes = routes;

    const names: ReadonlyArray<HostName | 'any'> = options.singleOrigin ? ['any'] : ['open', 'accounts', 'passport'];
    this.servers = new Map(names.map((host) => [host, this.createHostServer(host)]));
  }

  private createHostServer(host: HostName | 'any'): Server {
    const server = createServer((req, res) => {
      this.dispatch(host, req, res).catch(() => {
        if (!res.headersSent) sendJson(res, 500, { code: 20050, msg: 'System error' });
      });
    });
    server.keepAliveTimeout = 65_000;
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return server;
  }

  /** One origin per Feishu host (all three equal with `singleOrigin`): pass it as the strategy's `domain`. */
  get hosts(): FeishuHosts {
    return this.hosts_;
  }

  /** The OpenAPI host's origin (with `singleOrigin`, the origin of every path). */
  get origin(): string {
    return this.hosts_.open;
  }

  /** The first app: what most tests sign in with. */
  get app(): MockApp {
    const app = this.apps[0];
    if (!app) throw new Error('MockFeishu has no apps');
    return app;
  }

  /** Listens on 127.0.0.1: `port` for the open host (or the single origin), free ports for the others. */
  async listen(port = 0): Promise<this> {
    const origins = new Map<HostName | 'any', string>();
    for (const [host, server] of this.servers) {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(host === 'open' || host === 'any' ? port : 0, '127.0.0.1', () => resolve());
      });
      origins.set(host, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
    const of = (host: HostName): string => origins.get(host) ?? origins.get('any') ?? '';
    this.hosts_ = { open: of('open'), accounts: of('accounts'), passport: of('passport') };
    return this;
  }

  /** Stops the servers, cutting any connection a `hang` fault holds open. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await Promise.all([...this.servers.values()].map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }

  /** Calls the app server made (everything but the browser's authorize and consent pages). */
  get serverCalls(): number {
    return (Object.entries(this.calls) as Array<[MockEndpoint, number]>).filter(([e]) => !BROWSER_ENDPOINTS.has(e)).reduce((sum, [, n]) => sum + n, 0);
  }

  /** Sets every request count in `calls` back to zero. */
  resetCalls(): void {
    for (const key of Object.keys(this.calls) as MockEndpoint[]) this.calls[key] = 0;
    this.appCalls.clear();
  }

  /** Requests per endpoint made as `appId` (app tokens and user-token grants, once the app is known), since start or `resetCalls()`. */
  callsOf(appId: string): Partial<Record<MockEndpoint, number>> {
    return { ...this.appCalls.get(appId) };
  }

  private readonly appCalls = new Map<string, Partial<Record<MockEndpoint, number>>>();

  private countFor(appId: string, endpoint: MockEndpoint): void {
    const calls = this.appCalls.get(appId) ?? {};
    calls[endpoint] = (calls[endpoint] ?? 0) + 1;
    this.appCalls.set(appId, calls);
  }

  /** The next `times` requests to `endpoint` meet `fault` instead of a normal answer. */
  inject(endpoint: MockEndpoint, fault: MockFault, times = 1): void {
    const queue = this.faults.get(endpoint) ?? [];
    for (let i = 0; i < times; i += 1) queue.push(fault);
    this.faults.set(endpoint, queue);
  }

  /** Drops every fault queued by `inject`. */
  clearFaults(): void {
    this.faults.clear();
  }

  /** Moves the mock's clock forward: codes, tokens and tickets age as if `ms` had passed. */
  advance(ms: number): void {
    this.clockOffset += ms;
  }

  /** Revokes every app_access_token issued so far, as a secret reset in the console does. */
  revokeAppTokens(): void {
    for (const record of this.appTokens.values()) record.revoked = true;
    this.currentAppToken.clear();
  }

  /** Makes a fresh app_ticket for a store app without delivering it; returns it. */
  issueAppTicket(appId: string): string {
    const ticket = token('mock-ticket-', 12);
    this.tickets.set(appId, ticket);
    return ticket;
  }

  /** Sends this app's events (app_ticket) to `subscription.url`, as the console's event subscription does. */
  subscribeEvents(subscription: EventSubscription): void {
    this.subscriptions.push(subscription);
  }

  /**
   * Does what Feishu does every hour: a new app_ticket for a store app, delivered to its
   * subscribed event URL(s). Resolves to the ticket once every delivery was answered.
   */
  async pushAppTicket(appId: string = this.app.appId): Promise<string> {
    const ticket = this.issueAppTicket(appId);
    const targets = this.subscriptions.filter((sub) => (sub.appId ?? this.app.appId) === appId);
    await Promise.all(targets.map((sub) => deliverEvent(sub, appTicketEvent(appId, ticket, sub))));
    return ticket;
  }

  /**
   * Does what Feishu does when a user leaves, is frozen, or has the app's access revoked: ends
   * the user's tokens for the app here, and delivers a signed `auth.user_access_token.revoked_v4`
   * to the app's subscribed event URL(s). Resolves to each delivery's HTTP status.
   */
  async pushUserTokensRevoked(options: { user?: number; appId?: string } & EventIdentity & RevocationDetails = {}): Promise<number[]> {
    const appId = options.appId ?? this.app.appId;
    const index = options.user ?? 0;
    const user = this.users[index];
    if (!user) throw new Error(`no mock user ${index}`);
    for (const grants of [this.userTokens, this.refreshTokens] as Map<string, { appId: string; user: number }>[]) {
      for (const [key, grant] of grants) if (grant.appId === appId && grant.user === index) grants.delete(key);
    }
    const targets = this.subscriptions.filter((sub) => (sub.appId ?? this.app.appId) === appId);
    return Promise.all(targets.map((sub) => deliverEvent(sub, userTokensRevokedEvent(appId, user, sub, options, options))));
  }

  /** Starts a login without a browser: returns the code Feishu would redirect with. */
  issueCode(
    options: { appId?: string; user?: number; redirectUri?: string; scope?: string; codeChallenge?: string; codeChallengeMethod?: string; ttlSeconds?: number } = {},
  ): string {
    const code = token('', 32).replace(/[^A-Za-z0-9_-]/g, '');
    this.codes.set(code, {
      appId: options.appId ?? this.app.appId,
      user: options.user ?? 0,
      scope: options.scope ?? '',
      redirectUri: options.redirectUri,
      challenge: options.codeChallenge,
      challengeMethod: options.codeChallengeMethod ?? 'plain',
      expiresAt: this.now() + (options.ttlSeconds ?? CODE_TTL_S) * 1000,
      used: false,
    });
    this.sweep();
    return code;
  }

  /**
   * Every secret this mock has issued or been sent in an echoed request: app secrets, app
   * tokens, tickets, codes, user tokens, refresh tokens, code verifiers. A test asserts that
   * none of them reaches what the app shows or logs.
   */
  secrets(): string[] {
    return [
      ...this.apps.map((app) => app.appSecret),
      ...this.appTokens.keys(),
      ...this.tickets.values(),
      ...this.codes.keys(),
      ...this.userTokens.keys(),
      ...this.refreshTokens.keys(),
      ...this.sessionKeys,
      ...this.secretsSent,
    ];
  }

  private readonly secretsSent = new Set<string>();
  /** Mini-program session keys handed out: secrets of the user's session. */
  private readonly sessionKeys = new Set<string>();

  private noteSecretsSent(req: IncomingMessage, text: string | undefined): void {
    const bearer = bearerOf(req);
    if (bearer) this.secretsSent.add(bearer);
    let fields: Record<string, unknown> = {};
    try {
      fields = (req.headers['content-type'] ?? '').startsWith('application/json') ? (JSON.parse(text ?? '{}') as Record<string, unknown>) : Object.fromEntries(new URLSearchParams(text ?? ''));
    } catch {
      // not a body with fields
    }
    for (const name of SECRET_FIELDS) {
      const value = fields[name];
      if (typeof value === 'string' && value) this.secretsSent.add(value);
    }
  }

  private now(): number {
    return Date.now() + this.clockOffset;
  }

  /** Drops expired records now and then so a long benchmark holds steady memory. */
  private sweepCounter = 0;
  private sweep(): void {
    this.sweepCounter += 1;
    if (this.sweepCounter % 1000 !== 0) return;
    const now = this.now();
    for (const map of [this.codes, this.userTokens, this.refreshTokens, this.appTokens, this.pending] as Array<Map<string, { expiresAt: number }>>) {
      for (const [key, value] of map) if (value.expiresAt <= now) map.delete(key);
    }
  }

  /**
   * In single-origin mode the shared authorize path is told apart by its parameters, as a
   * proxy in front of both hosts would have to.
   */
  private routeFor(host: HostName | 'any', candidates: readonly Route[], url: URL): Route | undefined {
    if (host !== 'any') return candidates.find((route) => route.host === host || route.host === 'any');
    return candidates.find((route) => (route.host === 'accounts') !== url.searchParams.has('app_id')) ?? candidates[0];
  }

  private async dispatch(host: HostName | 'any', req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://mock.invalid');
    const route = this.routeFor(host, this.routes.get(`${req.method} ${url.pathname}`) ?? [], url);
    if (!route) {
      // The wrong host, or no such path: Feishu's gateway answers a bare 404 (not JSON, no code).
      sendNotFound(res);
      return;
    }
    this.calls[route.endpoint] += 1;
    if (this.latency > 0 && !BROWSER_ENDPOINTS.has(route.endpoint)) await sleep(this.latency);
    const fault = this.faults.get(route.endpoint)?.shift();
    if (fault && writeTransportFault(res, fault)) return;
    if (fault?.kind === 'delay') await sleep(fault.ms);
    try {
      if (fault?.kind === 'error') throw new MockError(fault.code, fault.msg ?? 'injected error', fault.status);
      if (fault?.kind === 'echo') {
        const text = await readText(req);
        this.noteSecretsSent(req, text);
        throw new MockError(fault.code ?? 20001, echoOf(req, url, text, fault.encoding), fault.status);
      }
      await route.handle(req, res, url);
    } catch (err) {
      if (!(err instanceof MockError)) throw err;
      this.sendError(res, route.shape, err);
    }
  }

  private sendError(res: ServerResponse, shape: Shape, err: MockError): void {
    switch (shape) {
      case 'page':
        sendHtml(res, err.status ?? 400, errorPage(err.code, err.message));
        return;
      case 'envelope':
        sendJson(res, err.status ?? (err.code === 20050 ? 500 : 200), { code: err.code, msg: err.message });
        return;
      case 'oauth': {
        const [error, status] = OAUTH_ERRORS[err.code] ?? ['invalid_request', 400];
        sendJson(res, err.status ?? status, { code: err.code, error, error_description: err.message });
        return;
      }
      case 'bare':
        sendJson(res, err.status ?? 400, { error: BARE_ERRORS[err.code] ?? 'invalid_grant', error_description: err.message });
        return;
      case 'userinfo':
        // The suite userinfo answers a bad token as OAuth's invalid_token (logto's fixture, feishu-api.md §1).
        sendJson(res, err.status ?? 400, { error: err.code === 20050 ? 'server_error' : 'invalid_token', error_description: err.message });
        return;
    }
  }

  // ---- browser side -------------------------------------------------------

  /**
   * Each generation's authorize page checks its own parameters: v1 (open.*) names the app
   * `app_id` and takes no `response_type` (feishu-api.md §2.1); v2/v3 (accounts.*) and the
   * suite flow (passport.*) take OAuth's `client_id` and `response_type=code` (§1, §3.1).
   * Which error page Feishu shows for each wrong parameter is not documented; the codes are
   * the token endpoints' codes for the same mistake.
   */
  private authorize(res: ServerResponse, url: URL, generation: 'v1' | 'v2' | 'suite'): void {
    const q = url.searchParams;
    let appId: string | null;
    if (generation === 'v1') {
      if (q.has('client_id') || q.has('response_type')) throw new MockError(20001, 'Invalid request: the v1 authorize page takes app_id, not client_id or response_type.');
      appId = q.get('app_id');
    } else {
      if (q.has('app_id')) throw new MockError(20001, 'Invalid request: this authorize page takes client_id, not app_id.');
      appId = q.get('client_id');
      if (q.get('response_type') !== 'code') throw new MockError(20001, 'Invalid request: response_type must be code.');
    }
    if (!appId) throw new MockError(20001, `Invalid request: ${generation === 'v1' ? 'app_id' : 'client_id'} is missing.`);
    const app = this.apps.find((a) => a.appId === appId);
    if (!app) throw new MockError(20048, `The app ${appId} does not exist.`);
    this.checkBrand(app);
    const redirectUri = q.get('redirect_uri') ?? '';
    if (!app.redirectUris.some((registered) => redirectMatches(registered, redirectUri))) {
      throw new MockError(20029, `redirect_uri 请求不合法: ${redirectUri} is not registered under Security Settings › Redirect URLs.`);
    }
    const scope = q.get('scope') ?? '';
    const unknown = scope.split(' ').filter((s) => s && app.scopes && !app.scopes.includes(s));
    if (unknown.length) throw new MockError(20027, `Scope not enabled for this app: ${unknown.join(', ')}`);
    const method = q.get('code_challenge_method') ?? 'plain';
    if (q.has('code_challenge') && method !== 'S256' && method !== 'plain') throw new MockError(20001, 'code_challenge_method must be S256 or plain.');
    const request: PendingAuthorize = {
      appId: app.appId,
      redirectUri,
      state: q.get('state') ?? undefined,
      scope,
      challenge: q.get('code_challenge') ?? undefined,
      challengeMethod: method,
      expiresAt: this.now() + 10 * 60 * 1000,
    };
    const tmpCode = q.get('tmp_code');
    if (tmpCode !== null) {
      // The user consented on the phone, so no consent page. Only the suite page is confirmed to
      // take a tmp_code (the official sample's goto); an accounts.* goto is unconfirmed and the
      // mock refuses it, as it does the v1 page (feishu-api.md §6.2, §10.8).
      if (generation !== 'suite') throw new MockError(20001, 'Invalid request: tmp_code is accepted only by the suite authorize page (passport).');
      const user = this.qr.redeem(tmpCode, app.appId, { state: request.state, redirectUri });
      if (typeof user !== 'number') throw new MockError(user.code, user.message);
      redirect(res, this.approve(request, user));
      return;
    }
    if (this.consent === 'auto') {
      redirect(res, this.approve(request, 0));
      return;
    }
    const requestId = token('req_', 12);
    this.pending.set(requestId, request);
    sendHtml(res, 200, consentPage({ requestId, appName: app.name ?? app.appId, scopes: scope.split(' ').filter(Boolean), users: this.users }));
  }

  private async decision(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const request = this.pending.get(field(body.fields, 'request') ?? '');
    if (!request || request.expiresAt <= this.now()) throw new MockError(20001, 'This authorization page has expired. Start the sign-in again.');
    this.pending.delete(field(body.fields, 'request') ?? '');
    if (field(body.fields, 'decision') !== 'allow') {
      const params: Record<string, string> = { error: 'access_denied' };
      if (request.state !== undefined) params.state = request.state;
      redirect(res, withQuery(request.redirectUri, params));
      return;
    }
    const user = Number(field(body.fields, 'user') ?? 0);
    redirect(res, this.approve(request, Number.isInteger(user) && user >= 0 && user < this.users.length ? user : 0));
  }

  private approve(request: PendingAuthorize, user: number): string {
    const code = this.issueCode({
      appId: request.appId,
      user,
      redirectUri: request.redirectUri,
      scope: request.scope,
      codeChallenge: request.challenge,
      codeChallengeMethod: request.challengeMethod,
    });
    const params: Record<string, string> = { code };
    if (request.state !== undefined) params.state = request.state;
    return withQuery(request.redirectUri, params);
  }

  /**
   * What the Feishu client's JSAPI does: a code bound to no redirect URL, living 3 minutes from
   * `tt.requestAccess` and 5 from the older `tt.requestAuthCode` (feishu-api.md §6.1).
   */
  private jsapiCode(res: ServerResponse, url: URL): void {
    const app = this.apps.find((a) => a.appId === url.searchParams.get('app_id'));
    if (!app) throw new MockError(10200, 'invalid appID');
    this.checkBrand(app, 10200);
    const api = url.searchParams.get('api') === 'requestAuthCode' ? 'requestAuthCode' : 'requestAccess';
    res.setHeader('access-control-allow-origin', '*');
    sendJson(res, 200, { errMsg: `${api}:ok`, code: this.issueCode({ appId: app.appId, ttlSeconds: api === 'requestAccess' ? JSAPI_CODE_TTL_S : CODE_TTL_S }) });
  }

  // ---- app credentials ----------------------------------------------------

  /** A Feishu app is refused on Lark's hosts and the other way round, on every endpoint (feishu-api.md §5). */
  private checkBrand(app: MockApp, code = 20046): void {
    if ((app.brand ?? 'feishu') !== this.brand) {
      throw new MockError(code, 'Brand inconsistency: a Lark app must use the larksuite.com hosts and a Feishu app the feishu.cn hosts.');
    }
  }

  private appOf(body: ParsedBody): MockApp {
    if (body.kind !== 'json') throw new MockError(10003, 'invalid parameter: the body must be JSON');
    const app = this.apps.find((a) => a.appId === field(body.fields, 'app_id'));
    if (!app) throw new MockError(10014, 'app id not exists');
    if (field(body.fields, 'app_secret') !== app.appSecret) throw new MockError(10014, 'app secret invalid');
    // A Lark app asked for on Feishu's hosts is simply unknown there (jumpserver#7243).
    if ((app.brand ?? 'feishu') !== this.brand) throw new MockError(10014, 'app id not exists');
    return app;
  }

  private async appAccessToken(req: IncomingMessage, res: ServerResponse, kind: 'internal' | 'store' | 'tenant'): Promise<void> {
    const body = await readBody(req);
    const app = this.appOf(body);
    this.countFor(app.appId, kind === 'store' ? 'storeAppAccessToken' : kind === 'tenant' ? 'tenantAccessToken' : 'appAccessToken');
    const isStore = (app.type ?? 'internal') === 'store';
    if (kind === 'store' && !isStore) throw new MockError(10014, 'app unauthorized: self-built apps use app_access_token/internal');
    if (kind !== 'store' && isStore) throw new MockError(10014, 'app unauthorized: store apps need an app_ticket');
    if (kind === 'store') {
      const ticket = field(body.fields, 'app_ticket');
      if (!ticket || ticket !== this.tickets.get(app.appId)) throw new MockError(10012, 'get app access token fail: app_ticket is invalid');
    }
    const { current, expire } = this.reusableToken(app.appId, app.appId, isStore ? 'a-' : 't-g1044');
    const answer: Record<string, unknown> = { code: 0, msg: 'ok', expire };
    if (kind !== 'tenant') answer.app_access_token = current;
    // Self-built apps get the same value as both tokens (feishu-api.md §4.1).
    if (kind !== 'store') answer.tenant_access_token = current;
    sendJson(res, 200, answer);
  }

  /** The token last issued under `key`, or a new one once it has under 30 minutes left (feishu-api.md §4.3). */
  private reusableToken(key: string, appId: string, prefix: string): { current: string; expire: number } {
    const now = this.now();
    let current = this.currentAppToken.get(key);
    let record = current ? this.appTokens.get(current) : undefined;
    if (!current || !record || record.revoked || record.expiresAt - now < APP_TOKEN_REUSE_S * 1000) {
      current = token(prefix, 24);
      record = { appId, expiresAt: now + APP_TOKEN_TTL_S * 1000, revoked: false };
      this.appTokens.set(current, record);
      this.currentAppToken.set(key, current);
    }
    return { current, expire: Math.floor((record.expiresAt - now) / 1000) };
  }

  /**
   * A store app's token for one tenant, bought with its app_access_token (feishu-api.md §4.2).
   * Added for node-sdk 1.74, whose token manager calls it before each API request of a store app
   * (`getMarketTenantAccessToken`), where the mock answered 404. Like Feishu's, the token is also
   * a valid Bearer on authen v1 (§2.2). The codes for a bad app token (99991664) and an unknown
   * tenant (10013) come from the generic error table; this endpoint's own are not documented.
   */
  private async storeTenantToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    if (body.kind !== 'json') throw new MockError(10003, 'invalid parameter: the body must be JSON');
    const appToken = field(body.fields, 'app_access_token');
    const record = appToken?.startsWith('a-') ? this.appTokens.get(appToken) : undefined;
    if (!record || record.revoked || record.expiresAt <= this.now()) throw new MockError(99991664, 'invalid app token');
    const tenantKey = field(body.fields, 'tenant_key');
    if (!tenantKey || !this.users.some((user) => user.tenant_key === tenantKey)) throw new MockError(10013, 'get tenant access token fail');
    const { current, expire } = this.reusableToken(`${record.appId}/${tenantKey}`, record.appId, 't-');
    sendJson(res, 200, { code: 0, msg: 'ok', tenant_access_token: current, expire });
  }

  private async resendTicket(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const app = this.appOf(await readBody(req));
    if ((app.type ?? 'internal') !== 'store') throw new MockError(10016, 'app resend fail');
    // Feishu delivers the ticket as a separate event; the mock delivers it before answering
    // so tests see a settled state. A failed delivery is the app's problem, as with Feishu.
    await this.pushAppTicket(app.appId).catch(() => undefined);
    sendJson(res, 200, { code: 0, msg: 'success' });
  }

  /** The app whose app_access_token is `token`, or the v1 error Feishu gives for it. */
  private appOfToken(appToken: string | undefined): MockApp {
    if (!appToken) throw new MockError(99991661, 'Missing access token for authorization. Please make a request with token attached.');
    if (!/^[ta]-/.test(appToken)) throw new MockError(99991671, 'Invalid token: must start with t-/u-');
    const record = this.appTokens.get(appToken);
    if (!record || record.revoked || record.expiresAt <= this.now()) throw new MockError(20014, 'The app access token passed is invalid. Please check the value.');
    const app = this.apps.find((a) => a.appId === record.appId);
    if (!app) throw new MockError(20014, 'The app access token passed is invalid. Please check the value.');
    this.checkBrand(app);
    return app;
  }

  // ---- user tokens --------------------------------------------------------

  /** Checks a code for `appId`; marks it used. `usedCode` is the flow's code for a replay. */
  private redeemCode(code: string | undefined, appId: string, usedCode: number): CodeGrant {
    if (!code) throw new MockError(20001, 'The request is missing a required parameter: code.');
    const grant = this.codes.get(code);
    if (!grant) throw new MockError(20003, 'The code passed is invalid. Please note that the code could only be used once.');
    if (grant.used) throw new MockError(usedCode, 'The authorization code has been used. Please note that an authorization code can only be used once.');
    if (grant.expiresAt <= this.now()) throw new MockError(20004, 'The code passed has expired.');
    if (grant.appId !== appId) throw new MockError(20024, 'The provided authorization code does not match the provided client ID.');
    grant.used = true;
    return grant;
  }

  private userFields(appId: string, userIndex: number): Record<string, string> {
    const app = this.apps.find((a) => a.appId === appId) ?? this.app;
    const user = this.users[userIndex] ?? this.users[0];
    if (!user) throw new MockError(20008, 'The user does not exist.');
    const permissions = app.permissions ?? {};
    const fields: Record<string, string> = {
      name: user.name,
      en_name: user.en_name,
      avatar_url: user.avatar_url,
      avatar_thumb: user.avatar_url,
      avatar_middle: user.avatar_url.replace('72x72', '240x240'),
      avatar_big: user.avatar_url.replace('72x72', '640x640'),
      open_id: user.open_id,
      union_id: user.union_id,
    };
    if (user.tenant_key) fields.tenant_key = user.tenant_key;
    // Without the field permission Feishu leaves the field out (feishu-api.md §2.6).
    if (permissions.email) fields.email = user.email;
    if (permissions.enterpriseEmail) fields.enterprise_email = user.enterprise_email;
    if (permissions.userId) fields.user_id = user.user_id;
    if (permissions.mobile) fields.mobile = user.mobile;
    if (permissions.enterpriseEmail) fields.employee_no = user.employee_no;
    return fields;
  }

  private mintUserToken(appId: string, user: number, prefix: 'u-' | 'jwt'): string {
    const access = prefix === 'jwt' ? jwtLike() : token('u-', 24);
    this.userTokens.set(access, { appId, user, expiresAt: this.now() + USER_TOKEN_TTL_S * 1000 });
    return access;
  }

  private mintRefresh(appId: string, user: number, scope: string, kind: RefreshGrant['kind'], accessToken?: string): string {
    const refresh = kind === 'oauth' ? jwtLike() : token('ur-', 24);
    const ttl = kind === 'oauth' ? V2_REFRESH_TTL_S : V1_REFRESH_TTL_S;
    this.refreshTokens.set(refresh, { appId, user, scope, kind, accessToken, expiresAt: this.now() + ttl * 1000, used: false });
    return refresh;
  }

  /** Refresh tokens are single-use in every generation ("不要继续使用旧值重复刷新"). */
  private redeemRefresh(refreshToken: string | undefined, appId: string, kind: RefreshGrant['kind'], codes: { invalid: number; used: number }): RefreshGrant {
    if (!refreshToken) throw new MockError(20001, 'The request is missing a required parameter: refresh_token.');
    const grant = this.refreshTokens.get(refreshToken);
    if (!grant || grant.kind !== kind) throw new MockError(codes.invalid, 'The refresh token passed is invalid. Please check the value.');
    if (grant.used) throw new MockError(codes.used, 'The refresh token has been used. Please note that a refresh token can only be used once.');
    if (grant.expiresAt <= this.now()) throw new MockError(20037, 'The refresh token passed has expired. Please generate a new one.');
    if (grant.appId !== appId) throw new MockError(20024, 'The provided refresh token does not match the provided client ID.');
    grant.used = true;
    return grant;
  }

  /** authen v1: Bearer app_access_token, JSON body, everything in a `{code,msg,data}` envelope with HTTP 200. */
  private async v1Grant(req: IncomingMessage, res: ServerResponse, grantType: 'authorization_code' | 'refresh_token'): Promise<void> {
    const body = await readBody(req);
    // The oldest clients put the app token in the body (feishu-api.md §2.2).
    const app = this.appOfToken(bearerOf(req) ?? field(body.fields, 'app_access_token'));
    this.countFor(app.appId, grantType === 'authorization_code' ? 'v1Token' : 'v1Refresh');
    if (body.kind !== 'json') throw new MockError(20001, 'Invalid request. Please check request param: the body must be JSON.');
    if (field(body.fields, 'grant_type') !== grantType) throw new MockError(20036, 'The grant_type passed is not supported.');
    const grant =
      grantType === 'authorization_code'
        ? this.redeemCode(field(body.fields, 'code'), app.appId, 20003)
        : this.redeemRefresh(field(body.fields, 'refresh_token'), app.appId, 'v1', { invalid: 20026, used: 20038 });
    const data = {
      access_token: this.mintUserToken(app.appId, grant.user, 'u-'),
      token_type: 'Bearer',
      expires_in: USER_TOKEN_TTL_S - 60,
      ...this.userFields(app.appId, grant.user),
      refresh_expires_in: V1_REFRESH_TTL_S - 60,
      refresh_token: this.mintRefresh(app.appId, grant.user, grant.scope, 'v1'),
      sid: randomBytes(12).toString('base64'),
    };
    sendJson(res, 200, { code: 0, msg: 'success', data });
  }

  /**
   * A mini-program's code2session (feishu-api.md §10.11, the code2session doc): app token as
   * Bearer, `{ code }`, a v1 envelope. Its own codes: 10202 for a bad app token, 10213 for a code
   * of another app, used or expired. `expires_in` is an epoch time in seconds; the refresh token
   * is refreshed like v1's; `union_id` is the deprecated one, not the user's union_id.
   */
  private async minaLogin(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    let app: MockApp;
    try {
      app = this.appOfToken(bearerOf(req));
    } catch (err) {
      if (err instanceof MockError) throw new MockError(10202, 'access token invalid');
      throw err;
    }
    if (body.kind !== 'json') throw new MockError(20001, 'Invalid request. Please check request param: the body must be JSON.');
    const code = field(body.fields, 'code');
    const grant = code ? this.codes.get(code) : undefined;
    if (!grant || grant.used || grant.expiresAt <= this.now() || grant.appId !== app.appId) throw new MockError(10213, 'code appid not match');
    grant.used = true;
    const fields = this.userFields(app.appId, grant.user);
    const sessionKey = randomBytes(15).toString('hex');
    this.sessionKeys.add(sessionKey);
    const data: Record<string, string | number> = {
      open_id: fields.open_id ?? '',
      union_id: token('ou_', 15),
      session_key: sessionKey,
      tenant_key: fields.tenant_key ?? '',
      access_token: this.mintUserToken(app.appId, grant.user, 'u-'),
      expires_in: Math.floor(this.now() / 1000) + USER_TOKEN_TTL_S,
      refresh_token: this.mintRefresh(app.appId, grant.user, grant.scope, 'v1'),
    };
    if (fields.user_id) data.employee_id = fields.user_id;
    sendJson(res, 200, { code: 0, msg: 'success', data });
  }

  /** v2/v3: client credentials in a JSON (or form) body, OAuth fields at top level, HTTP 4xx/5xx errors. */
  private async oauthGrant(req: IncomingMessage, res: ServerResponse, version: 'v2' | 'v3'): Promise<void> {
    const body = await readBody(req);
    if (body.kind !== 'json' && body.kind !== 'form') throw new MockError(20063, 'The request is malformed. Please check your request.');
    const f = body.fields;
    const methods = [req.headers.authorization, field(f, 'client_secret'), field(f, 'client_assertion')].filter(Boolean);
    if (methods.length > 1) throw new MockError(20070, 'Multiple authentication methods were provided. Please only use one to proceed.');
    const app = this.apps.find((a) => a.appId === field(f, 'client_id'));
    if (!app) throw new MockError(20048, 'The specified app does not exist.');
    this.countFor(app.appId, `${version}Token`);
    this.checkBrand(app);
    // Only v3 knows client assertions (node-sdk 1.74, feishu-api.md §10.4); v2 wants the secret.
    if (version === 'v3' && (f.client_assertion !== undefined || f.client_assertion_type !== undefined)) this.checkAssertion(app, f);
    else if (field(f, 'client_secret') !== app.appSecret) throw new MockError(20002, 'The client secret is invalid.');
    const grantType = field(f, 'grant_type');
    let user: number;
    let granted: string;
    let previousAccess: string | undefined;
    if (grantType === 'authorization_code') {
      const grant = this.redeemCode(field(f, 'code'), app.appId, 20065);
      // Browser codes must repeat their redirect_uri exactly; in-app (JSAPI) codes have none
      // and take none ("小程序授权场景无需传递").
      if (field(f, 'redirect_uri') !== grant.redirectUri) {
        throw new MockError(20071, 'The provided redirect URI does not match the one used during authorization.');
      }
      this.checkPkce(grant, field(f, 'code_verifier'), version);
      ({ user, scope: granted } = grant);
    } else if (grantType === 'refresh_token') {
      // The console's "refresh user_access_token" switch (安全设置), on by default (feishu-api.md §3.3).
      if (app.refreshEnabled === false) throw new MockError(20074, 'The specified app is not allowed to refresh token.');
      // A replayed refresh token: 20073 "has been used" (feishu-api.md §3.4, §10.13).
      const grant = this.redeemRefresh(field(f, 'refresh_token'), app.appId, 'oauth', { invalid: 20026, used: 20073 });
      ({ user, scope: granted, accessToken: previousAccess } = grant);
    } else {
      throw new MockError(20036, 'The specified grant_type is not supported.');
    }
    const scope = narrowScope(granted, field(f, 'scope'));
    const access = this.mintUserToken(app.appId, user, 'jwt');
    if (previousAccess) this.endGrace(previousAccess);
    const answer: Record<string, unknown> = { code: 0, access_token: access, expires_in: USER_TOKEN_TTL_S, token_type: 'Bearer', scope };
    // A refresh token only when the user granted offline_access (feishu-api.md §3.2).
    if (scope.split(' ').includes('offline_access')) {
      answer.refresh_token = this.mintRefresh(app.appId, user, scope, 'oauth', access);
      answer.refresh_token_expires_in = V2_REFRESH_TTL_S;
    }
    sendJson(res, 200, answer);
  }

  /**
   * A keyless app's RFC 7523 assertion (assertion-verifier.ts). Feishu's code for a bad one is
   * not published; the mock answers 20002 (invalid_client, HTTP 400), the code of a bad secret.
   */
  private checkAssertion(app: MockApp, f: Readonly<Record<string, unknown>>): void {
    const refuse = (reason: string) => new MockError(20002, `The client assertion is invalid: ${reason}.`);
    if (field(f, 'client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
      throw refuse('client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    }
    const assertion = field(f, 'client_assertion');
    if (!assertion) throw refuse('client_assertion is missing');
    try {
      this.assertions.verify(assertion, app.assertionKeys, { clientId: app.appId, audience: new URL(this.hosts_.accounts).host, now: this.now() });
    } catch (err) {
      if (err instanceof AssertionRejected) throw refuse(err.message);
      throw err;
    }
  }

  /** The access token a refresh replaces keeps working for about a minute (feishu-api.md §3.3). */
  private endGrace(accessToken: string): void {
    const record = this.userTokens.get(accessToken);
    const until = this.now() + REFRESH_GRACE_S * 1000;
    if (record && record.expiresAt > until) this.userTokens.set(accessToken, { ...record, expiresAt: until });
  }

  private checkPkce(grant: CodeGrant, verifier: string | undefined, version: 'v2' | 'v3'): void {
    if (!grant.challenge) {
      // v3 "corrects the PKCE validation behavior in v2": a verifier without a challenge is refused.
      if (verifier && version === 'v3') throw new MockError(20049, 'PKCE code challenge failed: no code_challenge was sent at authorize.');
      return;
    }
    if (!verifier) throw new MockError(20049, 'PKCE code challenge failed: code_verifier is missing.');
    // RFC 7636 §4.1, which Feishu's doc repeats: 43–128 characters of [A-Za-z0-9-._~] (feishu-api.md §3.2).
    if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) throw new MockError(20049, 'PKCE code challenge failed: code_verifier must be 43-128 unreserved characters.');
    const derived = grant.challengeMethod === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
    if (derived !== grant.challenge) throw new MockError(20049, 'PKCE code challenge failed.');
  }

  /** The suite passport flow: form (or JSON) body with client credentials, bare OAuth JSON back. */
  private async suiteGrant(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const f = body.fields;
    const app = this.apps.find((a) => a.appId === field(f, 'client_id'));
    if (!app || field(f, 'client_secret') !== app.appSecret) {
      sendJson(res, 400, { error: 'invalid_client', error_description: 'invalid client_id or client_secret' });
      return;
    }
    this.checkBrand(app);
    const grantType = field(f, 'grant_type');
    let user: number;
    let scope: string;
    if (grantType === 'authorization_code') {
      const grant = this.redeemCode(field(f, 'code'), app.appId, 20003);
      if (field(f, 'redirect_uri') !== grant.redirectUri) throw new MockError(20071, 'redirect_uri mismatch');
      ({ user, scope } = grant);
    } else if (grantType === 'refresh_token') {
      // feishu-api.md §9.5: the suite refresh grant is inferred from RFC 6749.
      ({ user, scope } = this.redeemRefresh(field(f, 'refresh_token'), app.appId, 'suite', { invalid: 20026, used: 20064 }));
    } else {
      sendJson(res, 400, { error: 'unsupported_grant_type', error_description: 'unsupported grant_type' });
      return;
    }
    sendJson(res, 200, {
      access_token: this.mintUserToken(app.appId, user, 'u-'),
      token_type: 'Bearer',
      expires_in: USER_TOKEN_TTL_S,
      refresh_token: this.mintRefresh(app.appId, user, scope, 'suite'),
      refresh_expires_in: V1_REFRESH_TTL_S,
    });
  }

  private userInfo(req: IncomingMessage, res: ServerResponse, shape: 'envelope' | 'bare'): void {
    const access = bearerOf(req);
    if (!access) throw new MockError(99991661, 'Missing access token for authorization. Please make a request with token attached.');
    const record = this.userTokens.get(access);
    if (!record) throw new MockError(99991668, 'Invalid access token for authorization. Please make a request with token attached.');
    if (record.expiresAt <= this.now()) throw new MockError(99991677, 'Authentication token expired.');
    const app = this.apps.find((a) => a.appId === record.appId);
    if (app) this.checkBrand(app, 99991668);
    const fields = this.userFields(record.appId, record.user);
    if (shape === 'envelope') {
      sendJson(res, 200, { code: 0, msg: 'success', data: fields });
      return;
    }
    sendJson(res, 200, { sub: fields.open_id, picture: fields.avatar_url, ...fields });
  }
}

/** Starts a mock Feishu on 127.0.0.1 (a free port unless `port` is given). */
export async function startMockFeishu(options: MockFeishuOptions = {}): Promise<MockFeishu> {
  return new MockFeishu(options).listen(options.port ?? 0);
}
