import type { FeishuFlow } from '../endpoints.js';

/**
 * The flows whose sign-in starts with a redirect to Feishu's authorize page, which sends the
 * user back to `redirect_uri`. A flow whose code comes another way (a mini program's
 * `tt.login`) is not listed: it never starts a sign-in with a redirect.
 */
const REDIRECT_FLOWS: ReadonlySet<FeishuFlow> = new Set<FeishuFlow>(['v1', 'v2', 'v3', 'suite']);

/** passport-oauth2's own field; its type declarations leave it out. */
interface OAuth2Internals {
  readonly _callbackURL?: string;
}

/**
 * The error for a sign-in that would start without a callback URL, or `undefined`. Without
 * one, passport-oauth2 redirects with no `redirect_uri` and Feishu's authorize page shows only
 * error 20029 "redirect_uri is not registered" with an empty URL. The check runs when a
 * sign-in starts, not in the constructor: an app may give `callbackURL` per
 * `passport.authenticate` call instead (and an in-app strategy, whose codes come from the
 * JSAPI with no redirect, never starts one).
 */
export function missingCallbackURL(flow: FeishuFlow, options: { callbackURL?: unknown } | undefined, strategy: object): Error | undefined {
  // Stryker disable next-line ConditionalExpression: every flow today starts with a redirect; the set is there for one that does not
  if (!REDIRECT_FLOWS.has(flow)) return undefined;
  // `||`, as passport-oauth2 chooses between the two; a per-call value that is not a string is
  // ignored, as callback-url.ts ignores it.
  const perCall = typeof options?.callbackURL === 'string' ? options.callbackURL : '';
  if (perCall || (strategy as OAuth2Internals)._callbackURL) return undefined;
  return new Error(
    'FeishuStrategy: a sign-in cannot start without a callbackURL. Set callbackURL in the strategy options ' +
      "(or in this route's passport.authenticate options) to the URL of your callback route, and register it " +
      'under Security Settings › Redirect URLs in the developer console.',
  );
}
