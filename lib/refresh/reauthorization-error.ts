import { FeishuTokenError, type FeishuErrorDetails } from '../errors.js';
import type { ReauthorizationReason } from './reasons.js';

/**
 * Feishu refused a refresh in a way no retry can fix: the user has to sign in again (for
 * `reason: 'disabled'`, an admin has to switch refreshing back on first). Drop the stored
 * tokens and send the user through the sign-in.
 *
 * A `FeishuTokenError` (and so a passport-oauth2 `TokenError`), so code that already catches
 * those keeps working; it carries Feishu's `feishuCode`, scrubbed `msg` and `logId` the same way.
 */
export class ReauthorizationRequiredError extends FeishuTokenError {
  /** Why the refresh token is no good: 'expired', 'consent-expired', 'revoked', 'used' or 'disabled'. */
  readonly reason: ReauthorizationReason;

  /**
   * @param reason Why the refresh token is no good.
   * @param context What was being done ('Failed to refresh access token').
   * @param oauthError The OAuth error string; becomes `code`.
   * @param details What Feishu said, scrubbed of secrets.
   */
  constructor(reason: ReauthorizationReason, context: string, oauthError: string, details: Omit<FeishuErrorDetails, 'hint'>) {
    super(context, oauthError, details);
    this.name = 'ReauthorizationRequiredError';
    // Appended, so the message starts as every other token error's does.
    this.message += ` (${reason === 'disabled' ? 'refreshing is off for this app' : 'the user must sign in again'}: ${reason})`;
    this.reason = reason;
  }
}
