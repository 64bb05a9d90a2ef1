import { FLOWS, type FeishuFlow } from './endpoints.js';

/** Scopes are space-separated, case-sensitive names (feishu-api.md §3.1). */
const SCOPE_NAME = /^[\x21-\x7e]+$/;

/**
 * The `scope` to send on a token or refresh request to narrow the token, from the app's
 * `tokenScope` / `{ scope }` option: a space-separated string or a list. Only v2 and v3
 * take one (feishu-api.md §3.2, §10.6); v1 and suite have no such parameter, so asking
 * for it there is a TypeError rather than a silently wider token.
 */
export function narrowedScope(value: unknown, flow: FeishuFlow, option: string): string | undefined {
  if (value === undefined) return undefined;
  if (!FLOWS[flow].tokenScope) {
    throw new TypeError(`FeishuStrategy: ${option} narrows a token in flows v2 and v3 only; flow ${flow} has no scope parameter on its token request`);
  }
  const names = typeof value === 'string' ? value.split(' ').filter(Boolean) : Array.isArray(value) ? (value as unknown[]) : undefined;
  if (!names || names.length === 0 || !names.every((name): name is string => typeof name === 'string' && SCOPE_NAME.test(name))) {
    throw new TypeError(`FeishuStrategy: ${option} must be a non-empty space-separated string or list of scope names`);
  }
  return names.join(' ');
}
