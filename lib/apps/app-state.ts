/**
 * With many apps, the state is what ties a callback to the app its sign-in started with.
 * passport-oauth2 (1.8, lib/strategy.js) hands the store the "app state" (`options.state`) at
 * the start and takes it back as the third argument of `verify`'s callback; its own
 * StateStore and PKCESessionStore keep it, and so may a custom store. The store is wrapped
 * for one request: `store` adds the app id to the app state, and `verify` reads it back and
 * hands on the app state as it was.
 */

type Callback = (...args: unknown[]) => void;

/** A passport-oauth2 state store, as its `authenticate` calls it (by the arity of each method). */
export interface AppStateStore {
  store(...args: unknown[]): void;
  verify(...args: unknown[]): void;
}

/** The app state saved with a many-apps sign-in. */
interface BoundState {
  readonly feishuAppId: string;
  readonly state?: unknown;
}

/** Whether a store hands its `store` the app state: arity 4 `(req, state, meta, cb)` or 5 (PKCE, with the verifier first). */
export function keepsAppState(store: AppStateStore): boolean {
  return store.store.length >= 4;
}

function bound(appId: string, state: unknown): BoundState {
  return state === undefined ? { feishuAppId: appId } : { feishuAppId: appId, state };
}

/** The app id saved with the state, if the state is one this strategy saved. */
function appIdOf(state: unknown): string | undefined {
  const id = typeof state === 'object' && state !== null ? (state as Partial<Record<keyof BoundState, unknown>>).feishuAppId : undefined;
  return typeof id === 'string' && id ? id : undefined;
}

/** `inner`, for the start of one sign-in: the state it saves names `appId`. */
export function savingApp(inner: AppStateStore, appId: string): AppStateStore {
  const verify = inner.verify.bind(inner);
  if (inner.store.length >= 5) {
    return { store: (req: unknown, verifier: unknown, state: unknown, meta: unknown, cb: unknown) => inner.store(req, verifier, bound(appId, state), meta, cb), verify };
  }
  return { store: (req: unknown, state: unknown, meta: unknown, cb: unknown) => inner.store(req, bound(appId, state), meta, cb), verify };
}

/**
 * `inner`, for one callback: once `inner` has verified the state, `onApp` gets the app id
 * saved with it (undefined for a state saved without one) and calls `resume` to let
 * passport-oauth2 go on, with the app state as the app gave it; or ends the request itself.
 */
export function readingApp(inner: AppStateStore, onApp: (appId: string | undefined, resume: () => void) => void): AppStateStore {
  const store = inner.store.bind(inner);
  const checked =
    (cb: Callback) =>
    (err: unknown, ok: unknown, state: unknown): void => {
      if (err || !ok) {
        cb(err, ok, state);
        return;
      }
      onApp(appIdOf(state), () => cb(null, ok, (state as BoundState).state));
    };
  if (inner.verify.length >= 4) {
    return { store, verify: (req: unknown, provided: unknown, meta: unknown, cb: unknown) => inner.verify(req, provided, meta, checked(cb as Callback)) };
  }
  return { store, verify: (req: unknown, provided: unknown, cb: unknown) => inner.verify(req, provided, checked(cb as Callback)) };
}
