import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type supertest from 'supertest';
import { createNestApp } from '../example/nestjs/app.js';
import { frameworkSignInSuite, type RunningExample } from './helpers/framework-suite.js';

async function listen(app: NestExpressApplication): Promise<RunningExample> {
  await app.listen(0, '127.0.0.1');
  return { origin: `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`, close: () => app.close() };
}

frameworkSignInSuite('NestJS 12 on Express (PassportStrategy, AuthGuard)', {
  answersErrors: true,
  start: async (options) => listen(await createNestApp(options, false)),
  async startTrustingProxy(options) {
    const app = await createNestApp(options, false);
    app.set('trust proxy', true);
    return listen(app);
  },
  // The guard turns a failed sign-in into a 401 carrying Passport's reason.
  failureMessage(callback: supertest.Response) {
    assert.equal(callback.status, 401, `callback answered ${callback.status}: ${callback.text}`);
    return Promise.resolve(callback.body.message as string);
  },
});
