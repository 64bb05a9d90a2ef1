import { TokenError } from 'passport-oauth2';

/** What Feishu said about a failure, as every error of this package carries it. */
export interface FeishuErrorDetails {
  /** Feishu's numeric `code` (for example 20003), when the answer had one. */
  readonly feishuCode: number | undefined;
  /** Feishu's `msg` / `error_description`, with anything token-like removed. */
  readonly msg: string;
  /**
   * The `X-Tt-Logid` header, which Feishu support asks for: only a log id's shape, and never
   * one that quotes a secret (then `undefined`).
   */
  readonly logId: string | undefined;
  /** HTTP status of Feishu's answer (Feishu sends most errors with 200); `status` is the app's own. */
  readonly feishuStatus: number;
  /** How to fix the classic mistakes, when the code is one of them. */
  readonly hint: string | undefined;
}

/**
 * The fix for the mistakes people make when setting up a Feishu app.
 * Keyed by Feishu's code so v1, v2/v3 and the app-token endpoints share one table.
 */
const HINTS: Readonly<Record<number, string>> = {
  // §10.7: 20029 also answers an app_access_token of another app.
  20029: 'The redirect URL is not registered (add the callbackURL, exactly, under Security Settings › Redirect URLs in the Feishu developer console), or the app token sent belongs to another app (check that no two apps share a cache key).',
  20071: 'redirect_uri differs from the one used at authorize: pass the same callbackURL to both steps.',
  20027: 'A requested scope is not enabled for the app: enable it under Permissions & Scopes in the developer console (offline_access too, for refresh tokens).',
  20002: 'The app secret is wrong: copy App ID and App Secret again from Credentials & Basic Info in the developer console.',
  20035: 'The app id or secret is wrong: copy App ID and App Secret again from Credentials & Basic Info in the developer console.',
  // §10.7: Feishu documents 10014 as "app unauthorized: the app is unavailable"; a wrong secret has been seen to answer it too.
  10014: 'Feishu refused the app: it may be disabled or not yet released (check Version Management & Release in the developer console), or the App ID or App Secret is wrong (copy both again from Credentials & Basic Info); a Lark app needs domain: \'lark\'.',
  10015: 'The app secret is wrong: copy App Secret again from Credentials & Basic Info in the developer console.',
  20048: 'No app has this app id: check clientID, and domain (a Lark app needs domain: \'lark\').',
  20046: 'Brand mismatch: a Lark app must use domain: \'lark\' and a Feishu app the default domain.',
  20010: 'The user is outside the app\'s availability: widen Availability in the developer console, or publish a new version.',
  20009: 'The tenant has not installed the app.',
  20074: 'Refreshing is switched off: turn on "Refresh user_access_token" under Security Settings in the developer console.',
  20049: 'PKCE check failed: the code_verifier does not match the code_challenge of the authorize request.',
  // §10.7: only store apps send an app_ticket; for a self-built app 10012 says nothing about tickets.
  10012: 'Feishu could not issue the app_access_token. For a store app (appType: \'store\') the app_ticket is missing or stale: Feishu was asked to push a new one to the event URL; try again in a few seconds. A self-built app should not use appType: \'store\'.',
  99991672: 'The app lacks an API permission: enable it under Permissions & Scopes and publish a new version.',
  99991679: 'The user has not granted a scope this call needs: add it to `scope` and sign in again.',
};

export function hintFor(code: number | undefined): string | undefined {
  // NaN is no key of HINTS: an answer without a code has no hint.
  return HINTS[code ?? NaN];
}

/**
 * What an error of this package means for the HTTP answer of the app that caught it: Express's
 * final handler, Koa's `ctx.onerror` and Fastify read `status` or `statusCode`. Feishu refusing
 * or failing is a bad gateway (502), Feishu not answering in time a gateway timeout (504);
 * Feishu's own HTTP status, usually 200, is in `feishuStatus`.
 */
export interface HttpMeaning {
  /** The HTTP status the app should answer with (502, 504, …). */
  readonly status: number;
  /** Same as `status`, under the name Fastify and some Express handlers read. */
  readonly statusCode: number;
}

/** An upstream (Feishu, a proxy) refused or failed the request. */
export const BAD_GATEWAY = 502;
/** An upstream did not answer within `timeout`. */
export const GATEWAY_TIMEOUT = 504;

function describe(context: string, details: Omit<FeishuErrorDetails, 'hint'>, hint: string | undefined): string {
  const code = details.feishuCode === undefined ? `HTTP ${details.feishuStatus}` : `code ${details.feishuCode}`;
  const log = details.logId ? `, log id ${details.logId}` : '';
  return `${context}: ${details.msg || 'no message'} (${code}${log})${hint ? `. ${hint}` : ''}`;
}

/** Feishu answered an OpenAPI call (app token, user_info, app_ticket) with an error. */
export class FeishuAPIError extends Error implements FeishuErrorDetails, HttpMeaning {
  override readonly name = 'FeishuAPIError';
  /** Feishu's numeric code; same value as `feishuCode`. */
  readonly code: number | undefined;
  readonly feishuCode: number | undefined;
  readonly msg: string;
  readonly logId: string | undefined;
  readonly feishuStatus: number;
  /** 502: Feishu refused; never Feishu's own status (see `feishuStatus`). */
  readonly status = BAD_GATEWAY;
  readonly statusCode = BAD_GATEWAY;
  readonly hint: string | undefined;

  constructor(context: string, details: Omit<FeishuErrorDetails, 'hint'>) {
    const hint = hintFor(details.feishuCode);
    super(describe(context, details, hint));
    this.code = details.feishuCode;
    this.feishuCode = details.feishuCode;
    this.msg = details.msg;
    this.logId = details.logId;
    this.feishuStatus = details.feishuStatus;
    this.hint = hint;
  }
}

/**
 * Feishu refused the code or refresh exchange. A passport-oauth2 `TokenError`, so
 * `err instanceof TokenError` holds whichever strategy threw; `code` is the OAuth error string.
 * passport-oauth2 only sets TokenError's `status` (it reads `statusCode` only together with a
 * `data` body, which this error has none of): here it is 502, as for FeishuAPIError.
 */
export class FeishuTokenError extends TokenError implements FeishuErrorDetails, HttpMeaning {
  readonly feishuCode: number | undefined;
  readonly msg: string;
  readonly logId: string | undefined;
  readonly feishuStatus: number;
  readonly statusCode = BAD_GATEWAY;
  readonly hint: string | undefined;

  constructor(context: string, oauthError: string, details: Omit<FeishuErrorDetails, 'hint'>) {
    const hint = hintFor(details.feishuCode);
    super(describe(context, details, hint), oauthError, undefined, BAD_GATEWAY);
    this.name = 'FeishuTokenError';
    this.feishuCode = details.feishuCode;
    this.msg = details.msg;
    this.logId = details.logId;
    this.feishuStatus = details.feishuStatus;
    this.hint = hint;
  }
}

/**
 * Codes that mean "this login attempt is over, start again", not "the app is broken":
 * a used or expired code, a user who may not sign in. They become Passport failures,
 * so `failureRedirect` sends the user back to the sign-in page.
 */
const LOGIN_FAILURE_CODES: ReadonlySet<number> = new Set([
  20003, 20004, 20065, // code unknown, expired, used
  20024, // code issued to another app (with many apps behind one callback, a code swapped in)
  20008, 20021, 20022, 20023, 20066, // user missing, resigned, frozen, not registered, bad status
  20010, // user outside the app's availability
  10213, 10228, // mini-program: code of another app, used or expired; user cannot see the app (code2session doc)
]);

export function isLoginFailure(err: unknown): err is FeishuTokenError {
  if (!(err instanceof FeishuTokenError)) return false;
  // The suite passport flow sends no Feishu code: its bad, used or expired codes are all invalid_grant.
  return err.feishuCode === undefined ? err.code === 'invalid_grant' : LOGIN_FAILURE_CODES.has(err.feishuCode);
}

const OAUTH_ERRORS: Readonly<Record<number, string>> = {
  20050: 'server_error',
  20072: 'temporarily_unavailable',
  20036: 'unsupported_grant_type',
  20001: 'invalid_request',
  20063: 'invalid_request',
  20002: 'invalid_client',
  20013: 'invalid_client',
  20014: 'invalid_client',
  20035: 'invalid_client',
  20048: 'invalid_client',
};

/** The OAuth `error` string for a Feishu code, where Feishu did not send one itself (v1 sends none). */
export function oauthErrorFor(code: number | undefined): string {
  // NaN is no key of OAUTH_ERRORS: an answer without a code is invalid_grant.
  return OAUTH_ERRORS[code ?? NaN] ?? 'invalid_grant';
}
