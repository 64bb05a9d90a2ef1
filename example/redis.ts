import KeyvRedis from '@keyv/redis';
import { RedisStore } from 'connect-redis';
import type { Store } from 'express-session';
import { Keyv } from 'keyv';
import { createClient } from 'redis';
import { RedisStore as RateLimitRedisStore, type RedisReply } from 'rate-limit-redis';
import type { RateLimitStoreFactory } from './rate-limits.js';

/**
 * Sessions, the app_access_token, the accounts and the rate-limit counts in Redis, so every
 * instance of the app behind a load balancer sees the same sign-ins, fetches one token
 * between them and counts one limit.
 */
export async function redisBackends(url: string): Promise<{ sessionStore: Store; cache: Keyv; demoCache: Keyv; rateLimitStore: RateLimitStoreFactory; close(): Promise<void> }> {
  const client = createClient({ url });
  client.on('error', (err: unknown) => console.error('Redis (sessions):', err));
  await client.connect();
  const cache = new Keyv(new KeyvRedis(url), { namespace: 'acme', useKeyPrefix: false });
  cache.on('error', (err: unknown) => console.error('Redis (cache):', err));
  // Demo accounts carry a TTL, so with `maxmemory-policy volatile-lru` (or volatile-ttl) Redis
  // evicts them, never a real account, when memory runs out.
  const demoCache = new Keyv(new KeyvRedis(url), { namespace: 'acme-demo', useKeyPrefix: false });
  demoCache.on('error', (err: unknown) => console.error('Redis (demo accounts):', err));
  return {
    sessionStore: new RedisStore({ client, prefix: 'acme:sess:' }),
    cache,
    demoCache,
    rateLimitStore: redisRateLimitStore(client),
    async close() {
      await Promise.all([client.close(), cache.disconnect(), demoCache.disconnect()]);
    },
  };
}

/** What rate-limit-redis needs of a node-redis client: a way to send a raw command. */
interface RawCommandClient {
  sendCommand(args: string[]): Promise<unknown>;
}

/** express-rate-limit stores on a connected node-redis client, one key prefix per limit. */
export function redisRateLimitStore(client: RawCommandClient): RateLimitStoreFactory {
  return (name) => new RateLimitRedisStore({ prefix: `acme:rl:${name}:`, sendCommand: (...args: string[]) => client.sendCommand(args) as Promise<RedisReply> });
}
