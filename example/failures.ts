import type { Request } from 'express';

/**
 * Why a sign-in did not finish, as a closed set. Pages show one fixed text per reason and
 * never the failure's own message: that message can carry `error_description` from the
 * callback's query string (anyone can craft that link) or Feishu's words about the app.
 */
export type FailureReason = 'cancelled' | 'refused' | 'state' | 'code' | 'forbidden' | 'taken' | 'unknown';

const REASONS: ReadonlySet<string> = new Set<FailureReason>(['cancelled', 'refused', 'state', 'code', 'forbidden', 'taken', 'unknown']);

/** passport-oauth2's state store failures (lib/state/session.js, pkcesession.js). */
const STATE_MESSAGES: ReadonlySet<string> = new Set([
  'Invalid authorization request state.',
  'Unable to verify authorization request state.',
]);

export function isFailureReason(value: unknown): value is FailureReason {
  return typeof value === 'string' && REASONS.has(value);
}

export function failureText(reason: FailureReason, brand: string): string {
  switch (reason) {
    case 'cancelled':
      return `You cancelled the ${brand} sign-in.`;
    case 'refused':
      return `${brand} could not complete the sign-in. Please try again.`;
    case 'state':
      return 'This sign-in link has expired or was opened in another browser. Please start again.';
    case 'code':
      return `${brand} did not accept this sign-in: it was already used or took too long, or your account may not use this app. Please try again.`;
    case 'forbidden':
      return `Your ${brand} account may not use this app.`;
    case 'taken':
      return `This ${brand} user is already linked to another account. Sign out, then sign in with ${brand} to use it.`;
    case 'unknown':
      return `The ${brand} sign-in could not finish. Please try again.`;
  }
}

function messageOf(info: unknown): string | undefined {
  return info && typeof info === 'object' && 'message' in info && typeof info.message === 'string' ? info.message : undefined;
}

/**
 * Reads a Passport failure (the `info` and `status` of an authenticate callback) into a
 * reason. Our own verify callback marks its refusals with `reason`; the strategy's failures
 * are told apart by the callback query and the status it fails with.
 */
export function classifyFailure(req: Request, info: unknown, status: unknown): FailureReason {
  if (info && typeof info === 'object' && 'reason' in info && isFailureReason(info.reason)) return info.reason;
  const error = (req.query as Record<string, unknown>).error;
  if (error === 'access_denied') return 'cancelled';
  if (error !== undefined) return 'refused';
  if (status === 403) return STATE_MESSAGES.has(messageOf(info) ?? '') ? 'state' : 'forbidden';
  if (status === 400) return 'code';
  return 'unknown';
}

/**
 * What the server log keeps about a failure. The strategy's message goes in (it carries
 * Feishu's code and log id) unless the query carried an error: then the message is the
 * query's own `error_description`, text anyone can write, and only a well-formed `error`
 * name is kept.
 */
export function failureFields(req: Request, reason: FailureReason, info: unknown, status: unknown): Record<string, unknown> {
  const error = (req.query as Record<string, unknown>).error;
  if (error !== undefined) return { reason, error: typeof error === 'string' && /^[a-z_]{1,64}$/.test(error) ? error : '(malformed)' };
  return { reason, status: typeof status === 'number' ? status : undefined, message: messageOf(info) };
}
