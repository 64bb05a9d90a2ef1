import type { FeishuFlow } from '../endpoints.js';

/**
 * The flows that issue a refresh token only when the user granted `offline_access`
 * (feishu-api.md §3.2): there the verify callback receives `refreshToken === ''` without it.
 * v1 answers every code exchange with a refresh token.
 */
const OFFLINE_ACCESS_FLOWS: ReadonlySet<FeishuFlow> = new Set<FeishuFlow>(['v2', 'v3']);

/** The TypeError for `refreshAccessToken` called without a refresh token, saying how to get one in this flow. */
export function noRefreshToken(flow: FeishuFlow): TypeError {
  const hint = OFFLINE_ACCESS_FLOWS.has(flow)
    ? ` (flow ${flow} issues one only when the scope includes 'offline_access': add it to the strategy's scope, enable it for the app, and sign in again)`
    : '';
  return new TypeError(`refreshAccessToken requires a refresh token${hint}`);
}
