/**
 * Why Feishu will not refresh a user's token again, whatever the app retries: the user has to
 * sign in again (or, for `disabled`, an admin has to switch refreshing back on).
 * - `expired`: the refresh token's own lifetime ran out.
 * - `consent-expired`: 365 days have passed since the user's consent; Feishu answers it with the
 *   same code as `expired` (20037), so it is told apart only when the app passes the token's
 *   known `refreshExpiresAt` (a 20037 well before it is the consent limit).
 * - `revoked`: the token was revoked (the user or an admin withdrew the authorization, or Feishu
 *   revoked a chain whose token was replayed).
 * - `used`: the token was already exchanged once (refresh tokens are single use).
 * - `disabled`: the app's "Refresh user_access_token" switch is off in the developer console.
 */
export type ReauthorizationReason = 'expired' | 'revoked' | 'used' | 'disabled' | 'consent-expired';

/**
 * Feishu's refresh refusals that no retry can fix, by code, in every flow that sends a code.
 * Sources: feishu-api.md §2.5 (v1: 20037 expired, 20038 "not found", i.e. an old token reused),
 * §3.3/§3.4 and §10.6/§10.13 (v2/v3: 20037, 20064, 20073, 20074); larksuite/cli
 * internal/output/lark_errors.go and larksuite/openclaw-lark src/core/auth-errors.ts name
 * 20037 "expired (past 365 days)", 20064 "revoked", 20073 "already used".
 * The suite passport flow sends no code, so its refusals stay plain `FeishuTokenError`s.
 */
export const REAUTHORIZATION_REASONS: Readonly<Record<number, Exclude<ReauthorizationReason, 'consent-expired'>>> = {
  20037: 'expired',
  20038: 'used',
  20064: 'revoked',
  20073: 'used',
  20074: 'disabled',
};

/**
 * Feishu's clock and ours differ a little; a 20037 this long before the token's own end is the
 * consent limit, not the token's lifetime.
 */
const CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * The reason for a refresh refused with `feishuCode`, or undefined when a retry may help or the
 * code says nothing certain (20026 "invalid", 20050 server error, no code at all).
 * `refreshExpiresAt` is when the app was told the refresh token would expire (epoch ms).
 */
export function reauthorizationReason(feishuCode: number | undefined, refreshExpiresAt?: number, now = Date.now()): ReauthorizationReason | undefined {
  // Number() makes every non-number NaN, which no entry (nor anything inherited) is named.
  const reason = REAUTHORIZATION_REASONS[Number(feishuCode)];
  const left = typeof refreshExpiresAt === 'number' ? refreshExpiresAt - now : Number.NaN;
  if (reason === 'expired' && Number.isFinite(left) && left > CLOCK_SKEW_MS) return 'consent-expired';
  return reason;
}
