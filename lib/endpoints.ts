/**
 * Where each Feishu login flow lives, as data: one row per flow, one row per brand.
 * Flow and brand differences stay here so the strategy has no per-flow branches.
 * Sources: ../shared/feishu-api.md §0-§5.
 */

/** The three Feishu hosts a login may touch. */
export interface FeishuHosts {
  /** OpenAPI: app tokens, v1 and v2 token endpoints, user_info. */
  readonly open: string;
  /** The v2/v3 authorize page and the v3 token endpoint. */
  readonly accounts: string;
  /** The legacy "suite" passport flow. */
  readonly passport: string;
}

/** Which service an app belongs to: Feishu (飞书, feishu.cn) or Lark (larksuite.com). */
export type FeishuBrand = 'feishu' | 'lark';

/** The three Feishu hosts of each brand (open, accounts, passport). */
export const BRAND_HOSTS: Readonly<Record<FeishuBrand, FeishuHosts>> = {
  feishu: {
    open: 'https://open.feishu.cn',
    accounts: 'https://accounts.feishu.cn',
    passport: 'https://passport.feishu.cn',
  },
  lark: {
    open: 'https://open.larksuite.com',
    accounts: 'https://accounts.larksuite.com',
    passport: 'https://passport.larksuite.com',
  },
};

/** A Feishu login protocol generation; see docs/flows.md and docs/mini-program.md. */
export type FeishuFlow = 'v1' | 'v2' | 'v3' | 'suite' | 'mini-program';

type Host = keyof FeishuHosts;

interface Endpoint {
  readonly host: Host;
  readonly path: string;
}

/**
 * How the app proves itself at the token endpoint.
 * - `app_access_token`: Bearer app_access_token, JSON body (authen v1).
 * - `client_secret_json`: client_id + client_secret in a JSON body (v2/v3).
 * - `client_secret_form`: the same, form-encoded (suite passport).
 */
export type ClientAuth = 'app_access_token' | 'client_secret_json' | 'client_secret_form';

/**
 * How an answer is wrapped.
 * - `envelope`: `{code, msg, data: {...}}`, errors as HTTP 200 with code ≠ 0 (OpenAPI).
 * - `oauth`: fields at top level, `code: 0` on success, `{code, error, error_description}` with HTTP 4xx/5xx (v2/v3).
 * - `bare`: plain OAuth JSON, `{error, error_description}` on failure (suite passport).
 */
export type AnswerShape = 'envelope' | 'oauth' | 'bare';

export interface FlowSpec {
  /** The authorize page; null where the code comes from a client API, never from a redirect (mini-programs' `tt.login`). */
  readonly authorize:
    | (Endpoint & {
        /** v1 names the app `app_id` and takes no `response_type`. */
        readonly clientIdParam: 'app_id' | 'client_id';
      })
    | null;
  readonly token: Endpoint & {
    readonly clientAuth: ClientAuth;
    readonly answer: AnswerShape;
    /** The exchange's body is `{ code }` alone, without `grant_type` (mina tokenLoginValidate). */
    readonly codeOnly?: true;
  };
  /**
   * The token answer names the user without their name or avatar: which of its fields become
   * which user field. user_info completes the profile (mini-programs: feishu-api.md §10.11).
   */
  readonly idsInTokenAnswer?: Readonly<Record<string, 'open_id' | 'user_id' | 'tenant_key'>>;
  readonly refresh: Endpoint;
  readonly userInfo: Endpoint & { readonly answer: AnswerShape };
  /** The classic v1 token answer already carries the user's fields, which saves the user_info call. */
  readonly userInTokenAnswer: boolean;
  /** Whether the token request carries `redirect_uri` (v1 binds no redirect to the code). */
  readonly sendsRedirectUri: boolean;
  /** Whether Feishu checks PKCE in this flow (only the v2/v3 OAuth endpoints do). */
  readonly pkce: boolean;
  /** Whether the token and refresh requests take a `scope` that narrows the token (v2/v3, feishu-api.md §3.2, §10.6). */
  readonly tokenScope: boolean;
  /** Whether the token endpoint takes an RFC 7523 client assertion instead of the secret (v3 only, §10.4). */
  readonly clientAssertion: boolean;
}

const USER_INFO: FlowSpec['userInfo'] = { host: 'open', path: '/open-apis/authen/v1/user_info', answer: 'envelope' };

/** Standard OAuth 2.0 (authen v2); v3 differs only in where the token endpoint lives. */
const V2: FlowSpec = {
  authorize: { host: 'accounts', path: '/open-apis/authen/v1/authorize', clientIdParam: 'client_id' },
  token: { host: 'open', path: '/open-apis/authen/v2/oauth/token', clientAuth: 'client_secret_json', answer: 'oauth' },
  refresh: { host: 'open', path: '/open-apis/authen/v2/oauth/token' },
  userInfo: USER_INFO,
  userInTokenAnswer: false,
  sendsRedirectUri: true,
  pkce: true,
  tokenScope: true,
  clientAssertion: false,
};

/** What each flow sends where: authorize, token, refresh and user_info endpoints, and what the flow supports. */
export const FLOWS: Readonly<Record<FeishuFlow, FlowSpec>> = {
  v1: {
    authorize: { host: 'open', path: '/open-apis/authen/v1/authorize', clientIdParam: 'app_id' },
    token: { host: 'open', path: '/open-apis/authen/v1/access_token', clientAuth: 'app_access_token', answer: 'envelope' },
    refresh: { host: 'open', path: '/open-apis/authen/v1/refresh_access_token' },
    userInfo: USER_INFO,
    userInTokenAnswer: true,
    sendsRedirectUri: false,
    pkce: false,
    tokenScope: false,
    clientAssertion: false,
  },
  v2: V2,
  v3: {
    ...V2,
    // feishu-api.md §9.1: only the official node-sdk (2026) is known to call this endpoint; its shapes mirror v2.
    token: { ...V2.token, host: 'accounts', path: '/oauth/v3/token' },
    refresh: { host: 'accounts', path: '/oauth/v3/token' },
    // node-sdk 1.74 sends client assertions to /oauth/v3/token only (feishu-api.md §10.4).
    clientAssertion: true,
  },
  suite: {
    authorize: { host: 'passport', path: '/suite/passport/oauth/authorize', clientIdParam: 'client_id' },
    token: { host: 'passport', path: '/suite/passport/oauth/token', clientAuth: 'client_secret_form', answer: 'bare' },
    // feishu-api.md §9.5: the suite refresh grant is inferred from RFC 6749, not documented.
    refresh: { host: 'passport', path: '/suite/passport/oauth/token' },
    userInfo: { host: 'passport', path: '/suite/passport/oauth/userinfo', answer: 'bare' },
    userInTokenAnswer: false,
    sendsRedirectUri: true,
    pkce: false,
    tokenScope: false,
    clientAssertion: false,
  },
  'mini-program': {
    // The code comes from `tt.login` in the mini-program, posted to the app's server (feishu-api.md §10.11).
    authorize: null,
    token: { host: 'open', path: '/open-apis/mina/v2/tokenLoginValidate', clientAuth: 'app_access_token', answer: 'envelope', codeOnly: true },
    // "refreshed like v1's" (§10.11); the answer's refresh_token lasts 30 days (code2session doc).
    refresh: { host: 'open', path: '/open-apis/authen/v1/refresh_access_token' },
    userInfo: USER_INFO,
    userInTokenAnswer: false,
    // The answer's union_id is documented as deprecated and not the real union_id: it is left out.
    idsInTokenAnswer: { open_id: 'open_id', employee_id: 'user_id', tenant_key: 'tenant_key' },
    sendsRedirectUri: false,
    pkce: false,
    tokenScope: false,
    clientAssertion: false,
  },
};

/** OpenAPI paths for app credentials (feishu-api.md §4). */
export const APP_TOKEN_PATHS = {
  internal: '/open-apis/auth/v3/app_access_token/internal',
  store: '/open-apis/auth/v3/app_access_token',
  resendTicket: '/open-apis/auth/v3/app_ticket/resend',
} as const;

function originOf(value: string, what: string): string {
  let origin: string;
  try {
    origin = new URL(value).origin;
  } catch {
    throw new TypeError(`FeishuStrategy: ${what} must be 'feishu', 'lark' or an origin such as https://open.example.com, got ${JSON.stringify(value)}`);
  }
  if (origin === 'null') throw new TypeError(`FeishuStrategy: ${what} ${JSON.stringify(value)} is not an http(s) origin`);
  return origin;
}

/**
 * `domain` is a brand name, one origin that serves every Feishu path (a proxy or private
 * deployment), or one origin per host, as Feishu itself and the mock serve them.
 */
export function resolveHosts(domain: string | FeishuHosts): FeishuHosts {
  if (domain === 'feishu' || domain === 'lark') return BRAND_HOSTS[domain];
  if (typeof domain === 'object' && domain !== null) {
    return {
      open: originOf(domain.open, 'domain.open'),
      accounts: originOf(domain.accounts, 'domain.accounts'),
      passport: originOf(domain.passport, 'domain.passport'),
    };
  }
  const origin = originOf(domain, 'domain');
  return { open: origin, accounts: origin, passport: origin };
}

export function endpointURL(hosts: FeishuHosts, endpoint: Endpoint): string {
  return hosts[endpoint.host] + endpoint.path;
}
