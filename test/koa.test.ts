import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type Koa from 'koa';
import type { FrameworkAppOptions } from '../example/framework-example.js';
import { createKoaApp } from '../example/koa/app.js';
import { frameworkSignInSuite, type RunningExample } from './helpers/framework-suite.js';

async function listen(app: Koa): Promise<RunningExample> {
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

frameworkSignInSuite('Koa 3 (koa-passport, koa-session)', {
  answersErrors: true,
  start: (options) => listen(createKoaApp(options)),
  startTrustingProxy(options: FrameworkAppOptions) {
    const app = createKoaApp(options);
    // koa-passport answers Express's `trust proxy` question from it.
    app.proxy = true;
    return listen(app);
  },
});
