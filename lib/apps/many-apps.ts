import type { FeishuAppQuery, FeishuAppResolver } from './app-options.js';
import { DEFAULT_APP_CACHE_SIZE, type AppRegistry } from './app-registry.js';
import { keepsAppState, type AppStateStore } from './app-state.js';

/** An app id that can be quoted in a failure page or a message: the shape of Feishu's `cli_…` ids. */
const QUOTABLE_APP_ID = /^[\w-]{1,64}$/;

/**
 * `resolveApp` answered no app: for a sign-in a 404 failure, for `refreshAccessToken` and
 * `saveAppTicket` a rejection with this error. No request went to Feishu.
 */
export class UnknownAppError extends Error {
  override readonly name = 'UnknownAppError';
  constructor(
    /** The app id asked for; undefined at the start of a sign-in, where the request names the app. */
    readonly appId: string | undefined,
  ) {
    super(
      appId === undefined
        ? 'No Feishu app signs in here.'
        : `No Feishu app ${QUOTABLE_APP_ID.test(appId) ? appId : '(id not shown)'} is known here.`,
    );
  }
}

/** `resolveApp`'s answers, built and kept by a registry. */
export class ManyApps<T> {
  constructor(
    private readonly resolveApp: FeishuAppResolver,
    /** The built apps (public for tests and metrics: `size`, `capacity`). */
    readonly registry: AppRegistry<T>,
  ) {}

  /**
   * The app for `query`, or undefined when `resolveApp` answers none. Rejects with what
   * `resolveApp` threw or rejected with, unchanged, or with a TypeError for a malformed answer.
   */
  async resolve(query: FeishuAppQuery): Promise<T | undefined> {
    const answer = await this.resolveApp(query);
    return answer === null || answer === undefined ? undefined : this.registry.get(answer);
  }
}

/** What belongs to each app: with `resolveApp`, these come from its answer and are refused as strategy options. */
const PER_APP_OPTIONS = ['clientID', 'appId', 'clientSecret', 'appSecret', 'clientAssertion', 'domain', 'appType', 'appTicket'] as const;

/** The options `manyAppsOptions` reads. */
export interface ManyAppsOptionsInput {
  readonly resolveApp?: unknown;
  readonly appCacheSize?: unknown;
  readonly state?: unknown;
  readonly store?: unknown;
}

/**
 * `resolveApp` and `appCacheSize`, checked, or undefined for a one-app strategy. A per-app option
 * given to the strategy as well, or a state turned off, is a TypeError: the state is what binds
 * a callback to its app.
 */
export function manyAppsOptions(options: ManyAppsOptionsInput): { resolveApp: FeishuAppResolver; capacity: number } | undefined {
  const { resolveApp, appCacheSize, state, store } = options;
  if (resolveApp === undefined) {
    if (appCacheSize !== undefined) throw new TypeError('FeishuStrategy: appCacheSize goes with resolveApp');
    return undefined;
  }
  if (typeof resolveApp !== 'function') throw new TypeError('FeishuStrategy: resolveApp must be a function ({ req, appId }) => app');
  for (const name of PER_APP_OPTIONS) {
    if ((options as Readonly<Record<string, unknown>>)[name] !== undefined) {
      throw new TypeError(`FeishuStrategy: with resolveApp, ${name} belongs to each app (in resolveApp's answer), not to the strategy`);
    }
  }
  const customStore = typeof store === 'object' && store !== null;
  if (state === false || store === false || (!state && !store)) {
    throw new TypeError('FeishuStrategy: resolveApp needs state: true (or a state store): the state is what binds a callback to the app its sign-in started with');
  }
  if (customStore && !keepsAppState(store as AppStateStore)) {
    throw new TypeError('FeishuStrategy: with resolveApp, the state store must keep the app state: store(req, state, meta, callback) or, with PKCE, store(req, verifier, state, meta, callback)');
  }
  const capacity = appCacheSize ?? DEFAULT_APP_CACHE_SIZE;
  if (typeof capacity !== 'number' || !Number.isInteger(capacity) || capacity < 1) throw new TypeError('FeishuStrategy: appCacheSize must be a positive integer');
  return { resolveApp: resolveApp as FeishuAppResolver, capacity };
}
