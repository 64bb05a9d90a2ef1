import { UnknownAppError } from '../apps/many-apps.js';
import { MemoryCache } from '../cache.js';
import { oncePerEvent, type CacheErrorPolicy } from './dedup.js';
import type { AppTicketEventInfo, AppTicketStore } from './handler.js';
import { InvalidRevocationEvent, readRevocation, USER_TOKENS_REVOKED, type UserTokensRevokedListener } from './revocation.js';

type Json = Record<string, unknown>;

/** A refusal the event's sender is told about, with the HTTP status the webhook answers. */
export class EventRejected extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** An authenticated event, as both the webhook and node-sdk's dispatcher hand it over. */
export interface ReceivedEvent {
  /** `header.event_type` (2.0) or `event.type` (v1). */
  readonly type: unknown;
  /** The 2.0 header; for node-sdk's flattened data, the data itself. */
  readonly header: Json | undefined;
  /** The event's own fields (`event`); for node-sdk's flattened data, the data itself. */
  readonly body: Json;
  /** The whole event, for v1's top-level `uuid` and `ts`. */
  readonly envelope: Json;
}

/** What an app does with the events it subscribed to. */
export interface EventActions {
  readonly strategies: readonly AppTicketStore[];
  readonly onUserTokensRevoked: UserTokensRevokedListener | undefined;
  readonly onCacheError: CacheErrorPolicy;
}

/**
 * Feishu's event times to ms. v1 `ts` is seconds with a fraction ("1502199207.7171419"),
 * 2.0 `create_time` milliseconds ("1615813148349") in the docs, though an official Go SDK
 * test carries a 16-digit value; the magnitude tells the unit apart.
 */
function eventTime(value: unknown): number | undefined {
  // A blank string is Number('') = 0, refused with zero and the negatives.
  const n = typeof value === 'string' || typeof value === 'number' ? Number(value) : NaN;
  if (!Number.isFinite(n) || n <= 0) return undefined;
  if (n < 1e11) return n * 1000;
  if (n < 1e14) return n;
  return n / 1000;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value ? value : undefined;
}

const SUCCESS = 'success';
const IGNORED = 'ignored: event seen before or older than what is stored';

/**
 * Acts on one authenticated event: the strategy of its app takes an app_ticket, the app's
 * `onUserTokensRevoked` a revocation, both once per event id through the strategy's cache.
 * Resolves to the `msg` to acknowledge with; other event types are acknowledged untouched.
 */
export function eventActor(actions: EventActions): (event: ReceivedEvent) => Promise<string> {
  // For stores that bring no de-duplication of their own (stand-ins written by the app).
  const fallbackSeen = new MemoryCache();

  function targetOf(event: ReceivedEvent): { readonly target: AppTicketStore; readonly appId: string } {
    const appId = event.body.app_id ?? event.header?.app_id;
    // A strategy with resolveApp (appId '') takes any app it resolves; an app it does not know is refused there.
    const target = typeof appId === 'string' && appId ? (actions.strategies.find((s) => s.appId === appId) ?? actions.strategies.find((s) => s.appId === '')) : undefined;
    // Refused rather than acknowledged: the event passed this URL's keys, so an app no
    // strategy serves is a set-up mistake, which Feishu's delivery log then shows.
    if (!target || typeof appId !== 'string') throw new EventRejected(404, `no strategy for app ${String(appId)}`);
    return { target, appId };
  }

  /** A strategy's answer for an app `resolveApp` does not know is the same set-up mistake: 404. */
  async function forApp<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof UnknownAppError) throw new EventRejected(404, err.message);
      throw err;
    }
  }

  function infoOf(event: ReceivedEvent): AppTicketEventInfo {
    // Feishu's documented envelopes carry both. Without them the ticket is taken unordered:
    // replay rules guard against resent genuine events, and those have an id and a time.
    const info = event.header
      ? { createdAt: eventTime(event.header.create_time), eventId: nonEmpty(event.header.event_id) }
      : { createdAt: eventTime(event.envelope.ts), eventId: nonEmpty(event.envelope.uuid) };
    return actions.onCacheError === 'accept' ? { ...info, onCacheError: 'accept' } : info;
  }

  async function appTicket(event: ReceivedEvent): Promise<string> {
    const { target, appId } = targetOf(event);
    const ticket = event.body.app_ticket;
    if (typeof ticket !== 'string' || !ticket) throw new EventRejected(400, 'app_ticket event without a ticket');
    const taken = await forApp(() => target.saveAppTicket(ticket, { ...infoOf(event), appId }));
    // Feishu retries anything but a 200, so a replay is acknowledged and left without effect.
    return taken === false ? IGNORED : SUCCESS;
  }

  async function revocation(event: ReceivedEvent): Promise<string> {
    const listener = actions.onUserTokensRevoked;
    if (!listener) return SUCCESS;
    const { target, appId } = targetOf(event);
    if (!event.header) throw new EventRejected(400, 'revocation event without a 2.0 header');
    const info = { ...infoOf(event), appId };
    let revoked;
    try {
      revoked = readRevocation({ header: event.header, event: event.body }, appId, info.createdAt, Date.now());
    } catch (err) {
      if (err instanceof InvalidRevocationEvent) throw new EventRejected(400, err.message);
      throw err;
    }
    const act = async (): Promise<boolean> => {
      await listener(revoked);
      return true;
    };
    const handleOnce = target.handleEventOnce?.bind(target);
    const taken = handleOnce
      ? await forApp(() => handleOnce(info, () => listener(revoked)))
      : await oncePerEvent(fallbackSeen, `passport-feishu:${appId}:events`, info, act);
    return taken ? SUCCESS : IGNORED;
  }

  const byType: Readonly<Record<string, (event: ReceivedEvent) => Promise<string>>> = {
    app_ticket: appTicket,
    [USER_TOKENS_REVOKED]: revocation,
  };
  return (event) => {
    const act = typeof event.type === 'string' && Object.hasOwn(byType, event.type) ? byType[event.type] : undefined;
    return act ? act(event) : Promise.resolve(SUCCESS);
  };
}
