import { mayQuote, redact } from './redaction.js';

/**
 * The secrets one strategy holds at this moment. Feishu's answers, and a proxy's, may quote
 * the request back, so every message built from an answer is scrubbed of each of them
 * (see `redact` for the forms), not only of what looks like a token.
 */
export class HeldSecrets {
  /** Undefined for a keyless app, which holds no secret of its own. */
  private readonly appSecret: string | undefined;
  /** The app token in use, and the one before it: a request sent with the previous token may still be answered after it changed. */
  private appToken: string | undefined;
  private previousAppToken: string | undefined;

  constructor(appSecret: string | undefined) {
    this.appSecret = appSecret;
  }

  /** Records the app token now in use; every cache hit holds again the token it read. */
  holdAppToken(token: string): void {
    if (token === this.appToken) return;
    this.previousAppToken = this.appToken;
    this.appToken = token;
  }

  /**
   * `text` without any held secret, nor any of `extra`: what the request itself sent (its code,
   * the user's tokens, a store app's app_ticket), which only its own answer can quote.
   */
  scrub(text: string, ...extra: ReadonlyArray<string | undefined>): string {
    return redact(text, this.with(extra));
  }

  /**
   * `logId` if it quotes nothing `scrub` would cut (a held secret, one of `extra`, anything
   * token-shaped), else `undefined`: a log id is shown whole or not at all.
   */
  logId(logId: string | undefined, ...extra: ReadonlyArray<string | undefined>): string | undefined {
    if (logId === undefined) return undefined;
    // Every answer carries a log id: the full redaction runs only when a secret may be in it.
    const secrets = this.with(extra);
    // Stryker disable next-line ConditionalExpression: dropping the cheap check only costs time; redaction gives the same answer (log-id-vetting.test.ts)
    return !mayQuote(logId, secrets) || redact(logId, secrets) === logId ? logId : undefined;
  }

  private with(extra: ReadonlyArray<string | undefined>): string[] {
    return [this.appSecret, this.appToken, this.previousAppToken, ...extra].filter((value): value is string => typeof value === 'string');
  }
}
