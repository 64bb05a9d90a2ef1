import type { FeishuTokenParams, FeishuTokenSet } from '../client.js';

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
// Number.isFinite is false for anything that is not a number.
const num = (value: unknown): number | undefined => (Number.isFinite(value) ? (value as number) : undefined);

/**
 * A token set read back from the refresh cache, with every field in place (JSON drops the
 * undefined ones), or undefined if it is not one. The entry is authenticated (sealed-entry.ts),
 * so this guards against our own older formats, not against forgery.
 */
export function reviveTokenSet(value: unknown): FeishuTokenSet | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const set = value as Record<string, unknown>;
  const accessToken = str(set.accessToken);
  const params = set.params;
  if (!accessToken || typeof params !== 'object' || params === null) return undefined;
  return {
    accessToken,
    refreshToken: str(set.refreshToken),
    expiresIn: num(set.expiresIn),
    refreshExpiresIn: num(set.refreshExpiresIn),
    expiresAt: num(set.expiresAt),
    refreshExpiresAt: num(set.refreshExpiresAt),
    scope: str(set.scope),
    params: params as FeishuTokenParams,
  };
}
