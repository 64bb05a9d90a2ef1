import { readAnswer } from './answers.js';
import type { AppTokenManager } from './app-token.js';
import { assertionProof, secretProof, type ClientProof } from './client-assertion.js';
import type { ClientAuth, FlowSpec } from './endpoints.js';
import { FeishuAPIError, FeishuTokenError, oauthErrorFor } from './errors.js';
import { requestFeishu, transportFailure, type FeishuResponse, type TransportError } from './http.js';
import { pickUserInfo, type FeishuUserInfo } from './profile.js';
import type { KeylessAssertion } from './keyless.js';
import type { HeldSecrets } from './secrets.js';
import { reauthorizationReason } from './refresh/reasons.js';
import { ReauthorizationRequiredError } from './refresh/reauthorization-error.js';

/** A token answer as Feishu sent it (v1 `data`, v2/v3 top level, suite bare JSON). */
export interface FeishuTokenParams {
  access_token: string;
  token_type?: string;
  expires_in?: number;
  refresh_token?: string;
  /** v1 name of the refresh lifetime. */
  refresh_expires_in?: number;
  /** v2/v3 name of the refresh lifetime. */
  refresh_token_expires_in?: number;
  scope?: string;
  [field: string]: unknown;
}

/** What `refreshAccessToken` resolves to: the new pair (v2/v3 refresh tokens rotate) and Feishu's answer. */
export interface FeishuTokenSet {
  accessToken: string;
  refreshToken: string | undefined;
  /** Seconds; Feishu says the lifetime varies, so never assume 7200. */
  expiresIn: number | undefined;
  refreshExpiresIn: number | undefined;
  /** When the access token expires, in epoch milliseconds (the answer's arrival plus `expiresIn`). Store this, not `expiresIn`. */
  expiresAt: number | undefined;
  /** When the refresh token expires, in epoch milliseconds; pass it back to `refreshAccessToken` to tell the 365-day consent limit apart. */
  refreshExpiresAt: number | undefined;
  scope: string | undefined;
  params: FeishuTokenParams;
}

export interface TokenResult extends FeishuTokenSet {
  /** The user's fields, when the token answer carried them (classic v1). */
  readonly user: FeishuUserInfo | undefined;
}

export interface FeishuClientOptions {
  readonly flow: FlowSpec;
  readonly tokenURL: string;
  readonly refreshURL: string;
  readonly userInfoURL: string;
  readonly clientID: string;
  readonly clientSecret: string;
  /** Keyless apps (v3): authenticate each token request with an assertion from this provider instead of the secret. */
  readonly clientAssertion?: KeylessAssertion | undefined;
  readonly timeout: number;
  readonly appTokens: AppTokenManager;
  readonly secrets: HeldSecrets;
}

interface Sender {
  /** Whether the request carries the app_access_token as Bearer (v1). */
  readonly appToken: boolean;
  request(
    url: string,
    body: Readonly<Record<string, string>>,
    auth: {
      bearer?: string;
      credentials: Readonly<Record<string, string>>;
      headers?: Readonly<Record<string, string>>;
      timeout: number;
      vetLogId: (logId: string) => string | undefined;
    },
  ): Promise<FeishuResponse>;
}

/** How each flow authenticates the token request (endpoints.ts `ClientAuth`). */
const SEND: Readonly<Record<ClientAuth, Sender>> = {
  app_access_token: {
    appToken: true,
    request: (url, body, { bearer, timeout, vetLogId }) => requestFeishu({ url, method: 'POST', bearer, json: body, vetLogId }, timeout),
  },
  client_secret_json: {
    appToken: false,
    request: (url, body, { credentials, headers, timeout, vetLogId }) => requestFeishu({ url, method: 'POST', json: { ...body, ...credentials }, headers, vetLogId }, timeout),
  },
  client_secret_form: {
    appToken: false,
    request: (url, body, { credentials, headers, timeout, vetLogId }) => requestFeishu({ url, method: 'POST', form: { ...body, ...credentials }, headers, vetLogId }, timeout),
  },
};

/** RFC 6749 error names are lower-case words joined by underscores. */
const OAUTH_ERROR_NAME = /^[a-z_]{1,64}$/;

function num(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

/**
 * A lifetime in seconds is never near 10^9 (31 years); an `expires_in` that large is an epoch time
 * in seconds, as the mini-program answer sends it (feishu-api.md §10.11: "read both shapes").
 */
const EPOCH_SECONDS_FROM = 1e9;

/** Seconds left and the absolute end (epoch ms) of an `expires_in` of either shape. */
function expiryOf(expiresIn: number | undefined, now: number): { seconds: number | undefined; at: number | undefined } {
  if (expiresIn === undefined) return { seconds: undefined, at: undefined };
  if (expiresIn < EPOCH_SECONDS_FROM) return { seconds: expiresIn, at: now + expiresIn * 1000 };
  return { seconds: Math.max(0, Math.round(expiresIn - now / 1000)), at: expiresIn * 1000 };
}

/** Fields of an answer that hold secrets of the user's, wherever the answer puts them. */
const ANSWER_SECRET_FIELDS = ['access_token', 'refresh_token', 'session_key'] as const;

function answerSecrets(body: unknown): string[] {
  const top = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const data = typeof top.data === 'object' && top.data !== null ? (top.data as Record<string, unknown>) : {};
  return [top, data].flatMap((fields) => ANSWER_SECRET_FIELDS.map((name) => fields[name]).filter((value): value is string => typeof value === 'string'));
}

/** Talks to Feishu's login endpoints for one app; shared by every request of a strategy. */
export class FeishuClient {
  constructor(private readonly options: FeishuClientOptions) {}

  /** `scope` narrows the token (v2/v3); the strategy refuses it for other flows before calling. */
  exchangeCode(code: string, extra: { redirectUri?: string | undefined; codeVerifier?: string | undefined; scope?: string | undefined }): Promise<TokenResult> {
    const body: Record<string, string> = this.options.flow.token.codeOnly ? { code } : { grant_type: 'authorization_code', code };
    if (extra.redirectUri && this.options.flow.sendsRedirectUri) body.redirect_uri = extra.redirectUri;
    if (extra.codeVerifier) body.code_verifier = extra.codeVerifier;
    if (extra.scope) body.scope = extra.scope;
    return this.grant(this.options.tokenURL, body, 'Failed to obtain access token');
  }

  /** `refreshExpiresAt`: when the app was told this refresh token expires, which tells a 20037 at the consent limit apart. */
  async refresh(refreshToken: string, narrowTo?: string, refreshExpiresAt?: number): Promise<FeishuTokenSet> {
    const body: Record<string, string> = { grant_type: 'refresh_token', refresh_token: refreshToken };
    if (narrowTo) body.scope = narrowTo;
    const { accessToken, refreshToken: next, expiresIn, refreshExpiresIn, expiresAt, refreshExpiresAt: nextExpiresAt, scope, params } = await this.grant(
      this.options.refreshURL,
      body,
      'Failed to refresh access token',
      refreshExpiresAt,
    );
    return { accessToken, refreshToken: next, expiresIn, refreshExpiresIn, expiresAt, refreshExpiresAt: nextExpiresAt, scope, params };
  }

  async userInfo(accessToken: string): Promise<FeishuUserInfo> {
    const { secrets } = this.options;
    let res: FeishuResponse;
    try {
      const vetLogId = (logId: string) => secrets.logId(logId, accessToken);
      // Stryker disable next-line StringLiteral: Node's http sends GET when the method is empty, so '' behaves the same
      res = await requestFeishu({ url: this.options.userInfoURL, method: 'GET', bearer: accessToken, vetLogId }, this.options.timeout);
    } catch (err) {
      // requestFeishu rejects with TransportErrors only.
      throw transportFailure('Failed to fetch user profile', err as TransportError);
    }
    const read = readAnswer(this.options.flow.userInfo.answer, res.body, res.status);
    if (!read.ok) {
      throw new FeishuAPIError('Failed to fetch user profile', {
        feishuCode: read.feishuCode,
        msg: secrets.scrub(read.msg, accessToken),
        logId: res.logId,
        feishuStatus: res.status,
      });
    }
    return pickUserInfo(read.fields);
  }

  private async grant(url: string, body: Record<string, string>, context: string, refreshExpiresAt?: number): Promise<TokenResult> {
    const { flow, timeout, appTokens, secrets } = this.options;
    const sender = SEND[flow.token.clientAuth];
    // Before the request: a provider that fails means no request at all.
    const proof = await this.proof(url);
    const sent = [body.code, body.code_verifier, body.refresh_token, proof.secret];
    const vetLogId = (logId: string) => secrets.logId(logId, ...sent);
    // Parsing happens inside the attempt so a rejected app token, reported in the body
    // with HTTP 200, reaches the manager's drop-and-retry.
    const attempt = async (bearer?: string): Promise<TokenResult> => {
      let res: FeishuResponse;
      try {
        res = await sender.request(proof.url, body, { bearer, credentials: proof.fields, headers: proof.headers, timeout, vetLogId });
      } catch (err) {
        // Wrapped here, not by passport-oauth2, so that the error keeps its 502/504 (requestFeishu rejects with TransportErrors only).
        throw transportFailure(context, err as TransportError);
      }
      const read = readAnswer(flow.token.answer, res.body, res.status, 'access_token');
      if (!read.ok) {
        // A refusal of a refresh that no retry can fix says so in its type (lib/refresh/reasons.ts).
        const reason = body.grant_type === 'refresh_token' ? reauthorizationReason(read.feishuCode, refreshExpiresAt) : undefined;
        // An answer that fails yet carries secrets (a mini-program's session_key) must not quote them either.
        throw this.tokenError(context, read, res, [...sent, ...answerSecrets(res.body)], reason);
      }
      return this.tokenResult(read.fields);
    };
    return sender.appToken ? appTokens.use(attempt) : attempt();
  }

  /** The app's credentials for one token request: the assertion of a keyless app, else the secret. */
  private proof(url: string): ClientProof | Promise<ClientProof> {
    const { clientID, clientSecret, clientAssertion } = this.options;
    return clientAssertion ? assertionProof(clientAssertion.provider, clientID, url, clientAssertion) : secretProof(clientID, clientSecret, url);
  }

  private tokenResult(fields: Readonly<Record<string, unknown>>): TokenResult {
    const params = { ...fields } as FeishuTokenParams;
    delete params.code;
    delete params.msg;
    const now = Date.now();
    const expiry = expiryOf(num(fields.expires_in), now);
    const refreshExpiresIn = num(fields.refresh_token_expires_in) ?? num(fields.refresh_expires_in);
    return {
      accessToken: params.access_token,
      refreshToken: typeof fields.refresh_token === 'string' && fields.refresh_token ? fields.refresh_token : undefined,
      expiresIn: expiry.seconds,
      refreshExpiresIn,
      expiresAt: expiry.at,
      refreshExpiresAt: refreshExpiresIn === undefined ? undefined : now + refreshExpiresIn * 1000,
      scope: typeof fields.scope === 'string' ? fields.scope : undefined,
      params,
      user: this.userOf(fields),
    };
  }

  /** The user's fields in a token answer: all of them (classic v1), or the ids a mini-program answer carries. */
  private userOf(fields: Readonly<Record<string, unknown>>): FeishuUserInfo | undefined {
    const { userInTokenAnswer, idsInTokenAnswer } = this.options.flow;
    if (userInTokenAnswer) return typeof fields.open_id === 'string' ? pickUserInfo(fields) : undefined;
    if (!idsInTokenAnswer) return undefined;
    const ids: Record<string, unknown> = {};
    for (const [from, to] of Object.entries(idsInTokenAnswer)) ids[to] = fields[from];
    return pickUserInfo(ids);
  }

  private tokenError(
    context: string,
    read: Extract<ReturnType<typeof readAnswer>, { ok: false }>,
    res: FeishuResponse,
    sent: ReadonlyArray<string | undefined>,
    reason?: ReauthorizationRequiredError['reason'],
  ): FeishuTokenError {
    // `error` becomes `err.code`, which apps compare and log: only an OAuth error name may pass.
    const oauthError = read.oauthError && OAUTH_ERROR_NAME.test(read.oauthError) ? read.oauthError : oauthErrorFor(read.feishuCode);
    const details = {
      feishuCode: read.feishuCode,
      msg: this.options.secrets.scrub(read.msg, ...sent),
      logId: res.logId,
      feishuStatus: res.status,
    };
    return reason ? new ReauthorizationRequiredError(reason, context, oauthError, details) : new FeishuTokenError(context, oauthError, details);
  }
}
