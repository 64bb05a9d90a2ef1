import KeyvRedis from '@keyv/redis';
import { RedisStore } from 'connect-redis';
import type { Store } from 'express-session';
import { Keyv } from 'keyv';
import { createClient } from 'redis';

/**
 * Sessions, the app_access_token and the accounts in Redis, so every instance of the app
 * behind a load balancer sees the same sign-ins and fetches one token between them.
 */
export async function redisBackends(url: string): Promise<{ sessionStore: Store; cache: Keyv; close(): Promise<void> }> {
  const client = createClient({ url });
  client.on('error', (err: unknown) => console.error('Redis (sessions):', err));
  await client.connect();
  const cache = new Keyv(new KeyvRedis(url), { namespace: 'acme', useKeyPrefix: false });
  cache.on('error', (err: unknown) => console.error('Redis (cache):', err));
  return {
    sessionStore: new RedisStore({ client, prefix: 'acme:sess:' }),
    cache,
    async close() {
      await Promise.all([client.close(), cache.disconnect()]);
    },
  };
}
