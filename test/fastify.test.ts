import type { AddressInfo } from 'node:net';
import { createFastifyApp } from '../example/fastify/app.js';
import { frameworkSignInSuite } from './helpers/framework-suite.js';

frameworkSignInSuite('Fastify 5 (@fastify/passport, @fastify/session)', {
  answersErrors: true,
  async start(options) {
    const app = await createFastifyApp(options);
    await app.listen({ host: '127.0.0.1', port: 0 });
    return { origin: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, close: () => app.close() };
  },
});
