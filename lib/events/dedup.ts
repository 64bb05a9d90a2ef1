import { createHash } from 'node:crypto';
import { readOrThrow, type FeishuCache } from '../cache.js';

/**
 * What the event handler does when the cache cannot say whether an event was seen before
 * (a read or the seen-mark's write fails): `'retry'` answers 500, so Feishu delivers the
 * event again later; `'accept'` takes the event as new, which lets a replay through.
 */
export type CacheErrorPolicy = 'retry' | 'accept';

/** What de-duplication needs of an event. */
export interface EventOnce {
  /** Feishu's id for the event; retries of one event share it. Without one, nothing is de-duplicated. */
  readonly eventId?: string;
  /** Default `'retry'`. */
  readonly onCacheError?: CacheErrorPolicy;
}

/**
 * Feishu retries an unanswered event after 15 s, 5 min, 1 h and 6 h (about 7.1 h in all),
 * with the same event id; ids are remembered a little longer than that.
 */
export const SEEN_EVENT_TTL_MS = 8 * 60 * 60 * 1000;

/** Raised, with the policy `'retry'`, when the cache cannot tell a new event from a replay. */
export class EventCacheUnavailable extends Error {
  override readonly name = 'EventCacheUnavailable';
}

/**
 * Runs `action` for an event unless its id was marked under `prefix` before, and marks the id
 * once `action` has taken the event (resolved true). Resolves to whether it was taken.
 * Marked after the action: an action that failed is answered 500, and Feishu's retry must get
 * through. Get-then-set is not atomic across instances: two deliveries of one event racing
 * each other may both be taken, so actions are idempotent (a ticket, a revocation mark).
 */
export async function oncePerEvent(cache: FeishuCache, prefix: string, event: EventOnce, action: () => Promise<boolean>): Promise<boolean> {
  // Hashed: the id is the sender's text, and a cache key should not be.
  const seenKey = event.eventId === undefined ? undefined : `${prefix}:seen:${createHash('sha256').update(event.eventId).digest('hex')}`;
  const failOpen = event.onCacheError === 'accept';
  if (seenKey !== undefined) {
    // A read that fails is not a miss here: taken as one, it let every replay through (issue 17, finding 10).
    const seen = await readOrThrow(cache, seenKey).catch((err: unknown) => {
      if (failOpen) return undefined;
      throw new EventCacheUnavailable('cannot tell whether the event was seen before: the cache read failed', { cause: err });
    });
    if (seen !== undefined) return false;
  }
  if (!(await action())) return false;
  if (seenKey !== undefined) {
    // Stryker disable next-line BooleanLiteral: only the mark's presence is read (`!== undefined` above), never its value.
    await cache.set(seenKey, true, SEEN_EVENT_TTL_MS).catch((err: unknown) => {
      if (!failOpen) throw new EventCacheUnavailable('cannot mark the event as seen: the cache write failed', { cause: err });
    });
  }
  return true;
}
