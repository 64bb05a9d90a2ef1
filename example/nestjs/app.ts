/**
 * Feishu sign-in on NestJS (Express platform): @nestjs/passport's PassportStrategy and
 * AuthGuard, with express-session holding the `state` nonce and then the user.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import session from 'express-session';
import passport from 'passport';
import type { FrameworkAppOptions } from '../framework-example.js';
import { AppModule } from './app.module.js';
import { ErrorFilter } from './error.filter.js';

export async function createNestApp({ feishu, sessionSecret, logger: errorLog = console }: FrameworkAppOptions, logger = true): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(feishu), logger ? {} : { logger: false });
  app.useGlobalFilters(new ErrorFilter(app.getHttpAdapter(), errorLog, [feishu.clientSecret, sessionSecret]));
  app.use(session({ secret: sessionSecret, resave: false, saveUninitialized: false, cookie: { httpOnly: true, sameSite: 'lax' } }));
  app.use(passport.session());
  return app;
}
