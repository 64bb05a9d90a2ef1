import type { FeishuCache } from '../../lib/index.js';

/**
 * A FeishuCache whose raw entries a test can read and whose time-to-live a test can end at
 * once (`expire`), as the clock would: the refresh window is the TTL of its entry.
 */
export class InspectableCache implements FeishuCache {
  readonly entries = new Map<string, { value: unknown; ttl: number | undefined }>();

  get(key: string): Promise<unknown> {
    return Promise.resolve(this.entries.get(key)?.value);
  }

  set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    this.entries.set(key, { value, ttl });
    return Promise.resolve(true);
  }

  delete(key: string): Promise<boolean> {
    return Promise.resolve(this.entries.delete(key));
  }

  /** Ends every entry whose key starts with `prefix`, as its TTL running out would. */
  expire(prefix = ''): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.entries.delete(key);
  }
}
