import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryCache, type FeishuCache } from '../cache.js';
import { ReauthorizationRequiredError } from './reauthorization-error.js';
import { sealedEntryKeys, type SealedEntryKeys } from './sealed-entry.js';

/** Options of a {@link RefreshCoordinator}. */
export interface RefreshCoordinatorOptions {
  /**
   * Where results and locks are kept. Every instance of the app that shares it shares the
   * coordination; Keyv's shape (get/set/delete). Default: a cache of this process only.
   */
  readonly cache?: FeishuCache | undefined;
  /** Binds entries to one app: its OpenAPI origin and App ID, e.g. `https://open.feishu.cn|cli_…`. */
  readonly namespace: string;
  /** How long after a successful refresh a repeat with the old token gets the same result; default 60 000 ms. */
  readonly windowMs?: number | undefined;
  /**
   * How long an instance waits for another that holds the lock, and how long a lock lives;
   * default 20 000 ms. Past it the holder is taken for dead and the waiter refreshes itself.
   */
  readonly lockTimeoutMs?: number | undefined;
}

const DEFAULT_WINDOW_MS = 60_000;
const DEFAULT_LOCK_TIMEOUT_MS = 20_000;
/** A refusal for a used token waits this long for the result of the instance that used it. */
const USED_GRACE_MS = 1000;
/** The read-back waits at least this long, however fast the cache answers. */
const MIN_SETTLE_MS = 5;
const MAX_SETTLE_MS = 250;
const FIRST_POLL_MS = 10;
const MAX_POLL_MS = 200;

const ENTRY_PREFIX = 'passport-feishu:refresh:';
const LOCK_PREFIX = 'passport-feishu:refresh-lock:';

/** Refusals that mean "this token was already exchanged" (20073, v1's 20038; 20064 has been seen for a replay too). */
function isReplayRefusal(err: unknown): boolean {
  return err instanceof ReauthorizationRequiredError && (err.reason === 'used' || err.reason === 'revoked');
}

/** What `acquire` answers when another instance holds the lock. */
const OTHER = Symbol('held by another instance');

interface Job<T> {
  readonly keys: SealedEntryKeys;
  readonly entryKey: string;
  readonly lockKey: string;
  readonly refresh: () => Promise<T>;
  readonly revive: (stored: unknown) => T | undefined;
}

type Stored<T> = { readonly found: true; readonly value: T } | { readonly found: false };
const MISS = { found: false } as const;

/**
 * Makes concurrent refreshes of one refresh token send a single request to Feishu, in one
 * process and across every instance that shares `cache`, and lets a repeat within `windowMs`
 * of a success have the same result instead of Feishu's "already used" (refresh tokens are
 * single use: two tabs, two instances or a retry would otherwise sign the user out).
 *
 * The lock, on a cache that has only get/set/delete (no atomic set-if-absent):
 * 1. a result already stored for this token is returned;
 * 2. a lock entry held by another instance means wait: poll for its result until the lock goes
 *    (then try to take it) or `lockTimeoutMs` passes (then refresh anyway: the holder died);
 * 3. otherwise write a random owner id, wait a settle period (twice the cache's own round trip
 *    for that write, at least 5 ms) and read it back: if it is still ours, we hold the lock,
 *    else a racing writer won and we wait as in 2;
 * 4. the holder refreshes, stores the sealed result for `windowMs`, and drops its lock.
 *
 * Trade-off: the read-back closes the race between two instances that both saw no lock, as
 * long as neither stalls longer than the settle period between its read and its write (a GC
 * pause, an overloaded event loop). When that fails, both send the token; Feishu redeems one
 * and answers the other "used" (20073), and that refusal is answered with the result the
 * winner stores, so the user still is not signed out. Only when the winner dies after Feishu
 * redeemed the token does the loser see the refusal.
 *
 * The cache never holds a usable token: see sealed-entry.ts. A cache that fails costs the
 * coordination, never the refresh.
 */
export class RefreshCoordinator {
  /** Requests sent to Feishu through `run` (one per coordinated refresh); tests and benchmarks read it. */
  refreshes = 0;
  private readonly cache: FeishuCache;
  private readonly namespace: string;
  private readonly windowMs: number;
  private readonly lockTimeoutMs: number;
  /** One refresh per token in this process, whoever asks. */
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(options: RefreshCoordinatorOptions) {
    this.cache = options.cache ?? new MemoryCache(10_000);
    this.namespace = options.namespace;
    this.windowMs = positive(options.windowMs, DEFAULT_WINDOW_MS, 'windowMs');
    this.lockTimeoutMs = positive(options.lockTimeoutMs, DEFAULT_LOCK_TIMEOUT_MS, 'lockTimeoutMs');
  }

  /**
   * Runs `refresh` for `refreshToken` unless another caller (here or in another instance) is
   * already doing so or did within the window; resolves to that one refresh's result.
   * The result is stored as JSON; `revive` turns a stored one back into a `T` (undefined: unusable).
   */
  run<T>(refreshToken: string, refresh: () => Promise<T>, revive: (stored: unknown) => T | undefined = (stored) => stored as T): Promise<T> {
    const keys = sealedEntryKeys(this.namespace, refreshToken);
    const pending = this.inflight.get(keys.id);
    if (pending) return pending as Promise<T>;
    const job: Job<T> = { keys, refresh, revive, entryKey: ENTRY_PREFIX + keys.id, lockKey: LOCK_PREFIX + keys.id };
    const started = this.coordinate(job).finally(() => this.inflight.delete(keys.id));
    this.inflight.set(keys.id, started);
    return started;
  }

  private async coordinate<T>(job: Job<T>): Promise<T> {
    const deadline = Date.now() + this.lockTimeoutMs;
    for (;;) {
      const stored = await this.stored(job);
      if (stored.found) return stored.value;
      const owner = await this.acquire(job);
      if (owner !== OTHER) return this.refreshNow(job, owner);
      const outcome = await this.awaitOther(job, deadline);
      if (outcome.found) return outcome.value;
      // Time is up: the holder is taken for dead, and we refresh without the lock.
      if (Date.now() >= deadline) return this.refreshNow(job, undefined);
      // The lock went without a result (the holder failed): try to take it.
    }
  }

  /** Sends the refresh; stores its result; answers a replay refusal with a result another instance stored. */
  private async refreshNow<T>(job: Job<T>, owner: string | undefined): Promise<T> {
    try {
      // Another holder may have finished between our first look and taking the lock.
      const before = owner === undefined ? MISS : await this.stored(job);
      if (before.found) return before.value;
      this.refreshes += 1;
      let value: T;
      try {
        value = await job.refresh();
      } catch (err) {
        if (!isReplayRefusal(err)) throw err;
        // Feishu redeemed the token for someone else: their answer is on its way, and they store it.
        const other = await this.awaitResult(job, Date.now() + Math.min(USED_GRACE_MS, this.lockTimeoutMs));
        if (other.found) return other.value;
        throw err;
      }
      // A cache that cannot store it costs the next repeat a refusal, not this refresh.
      await this.write(job.entryKey, job.keys.seal(value), this.windowMs);
      return value;
    } finally {
      if (owner !== undefined) await this.release(job, owner);
    }
  }

  /**
   * Takes the lock: our owner id when we hold it, OTHER when another instance does.
   * A cache that cannot be written means no coordination: we go ahead as the holder.
   */
  private async acquire(job: Job<unknown>): Promise<string | typeof OTHER> {
    const current = await this.read(job.lockKey);
    if (typeof current === 'string' && current) return OTHER;
    const owner = randomBytes(16).toString('hex');
    const sent = Date.now();
    if (!(await this.write(job.lockKey, owner, this.lockTimeoutMs))) return owner;
    // A writer that read "no lock" just before our write lands its own value within about one
    // round trip: wait for twice that, then see whose value stayed.
    const roundTrip = Date.now() - sent;
    await sleep(Math.min(MAX_SETTLE_MS, Math.max(MIN_SETTLE_MS, 2 * roundTrip)));
    const after = await this.read(job.lockKey);
    return after === owner || after === undefined ? owner : OTHER;
  }

  private async release(job: Job<unknown>, owner: string): Promise<void> {
    // Not atomic: at worst we drop a lock another instance took after ours expired, which costs
    // one more request answered by the replay rule, never a wrong result.
    if ((await this.read(job.lockKey)) !== owner) return;
    await new Promise((resolve) => resolve(this.cache.delete(job.lockKey))).catch(() => undefined);
  }

  /** Waits while another instance holds the lock: its result, or a miss once the lock goes or the deadline passes. */
  private async awaitOther<T>(job: Job<T>, deadline: number): Promise<Stored<T>> {
    let pause = FIRST_POLL_MS;
    while (Date.now() < deadline) {
      await sleep(Math.min(pause, Math.max(1, deadline - Date.now())));
      pause = Math.min(MAX_POLL_MS, Math.ceil(pause * 1.5));
      const stored = await this.stored(job);
      if (stored.found) return stored;
      const lock = await this.read(job.lockKey);
      if (typeof lock !== 'string' || !lock) return this.stored(job);
    }
    return MISS;
  }

  /** Polls for a stored result until `deadline`. */
  private async awaitResult<T>(job: Job<T>, deadline: number): Promise<Stored<T>> {
    let pause = FIRST_POLL_MS;
    for (;;) {
      const stored = await this.stored(job);
      if (stored.found || Date.now() >= deadline) return stored;
      await sleep(Math.min(pause, Math.max(1, deadline - Date.now())));
      pause = Math.min(MAX_POLL_MS, Math.ceil(pause * 1.5));
    }
  }

  private async stored<T>(job: Job<T>): Promise<Stored<T>> {
    const value = job.revive(job.keys.open(await this.read(job.entryKey)));
    return value === undefined ? MISS : { found: true, value };
  }

  /** A read that fails is a miss: the cache is a help, never a reason for a refresh to fail. */
  private read(key: string): Promise<unknown> {
    return new Promise<unknown>((resolve) => resolve(this.cache.get(key))).catch(() => undefined);
  }

  /** Whether the write went through. */
  private write(key: string, value: string, ttl: number): Promise<boolean> {
    return new Promise<unknown>((resolve) => resolve(this.cache.set(key, value, ttl))).then(
      () => true,
      () => false,
    );
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!(Number.isFinite(value) && value > 0)) throw new TypeError(`RefreshCoordinator: ${name} must be a positive number of milliseconds`);
  return value;
}
