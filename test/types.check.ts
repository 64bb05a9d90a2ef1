/**
 * Compile-only (tsc --noEmit, never run): what TypeScript users rely on, including
 * inference for inline verify callbacks and a NestJS `PassportStrategy` subclass.
 */
import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Passport } from 'passport';
import { FeishuStrategy, type FeishuAuthenticateOptions, type FeishuProfile, type FeishuTokenParams, type VerifyCallback } from '../lib/index.js';

const credentials = { clientID: 'cli_x', clientSecret: 'secret' };

// Inline 4-argument verify: every parameter is inferred.
new FeishuStrategy({ ...credentials, callbackURL: '/cb', state: true }, (accessToken, refreshToken, profile, done) => {
  const id: string = profile.id;
  const union: string | undefined = profile.unionId;
  const tenant: string | undefined = profile.tenantKey;
  done(null, { id, union, tenant, accessToken, refreshToken });
});

// Feishu's own names for the credentials.
new FeishuStrategy({ appId: 'cli_x', appSecret: 'secret', domain: 'lark', flow: 'v3', pkce: true, state: true }, (_at, _rt, profile, done) =>
  done(null, profile),
);

// passReqToCallback: the request comes first.
new FeishuStrategy({ ...credentials, passReqToCallback: true }, (req, _at, _rt, profile, done) => {
  const path: string = req.path;
  done(null, { path, id: profile.id });
});

// The 5-argument form with Feishu's token answer.
new FeishuStrategy(credentials, (_at: string, _rt: string, params: FeishuTokenParams, profile: FeishuProfile, done: VerifyCallback) => {
  const expires: number | undefined = params.expires_in;
  done(null, { expires, id: profile.id });
});

// @ts-expect-error clientSecret is required
new FeishuStrategy({ clientID: 'cli_x' }, (_at, _rt, _profile, done) => {
  done(null);
});

// @ts-expect-error mixing OAuth and Feishu names is not allowed
new FeishuStrategy({ clientID: 'cli_x', appSecret: 'secret' }, (_at, _rt, _profile, done) => {
  done(null);
});

// @ts-expect-error unknown flow
new FeishuStrategy({ ...credentials, flow: 'v9' }, (_at, _rt, _profile, done) => {
  done(null);
});

// @ts-expect-error idField is one of Feishu's ids
new FeishuStrategy({ ...credentials, idField: 'email' }, (_at, _rt, _profile, done) => {
  done(null);
});

// A keyless app: clientAssertion instead of the secret, flow v3 only; sync or async, a string or { value, targetInfo }.
new FeishuStrategy({ clientID: 'cli_x', flow: 'v3', clientAssertion: (aud: string) => `signed-for-${aud}` }, (_at, _rt, profile, done) => done(null, profile));
new FeishuStrategy(
  { appId: 'cli_x', flow: 'v3', clientAssertion: async (aud) => Promise.resolve({ value: aud, targetInfo: { targetService: 'gdpr.example.eu', targetPrefix: '/lark' } }) },
  (_at, _rt, profile, done) => done(null, profile),
);

// @ts-expect-error clientAssertion needs flow 'v3'
new FeishuStrategy({ clientID: 'cli_x', clientAssertion: () => 'a.b.c' }, (_at, _rt, _profile, done) => {
  done(null);
});

// @ts-expect-error clientAssertion needs flow 'v3', not v2
new FeishuStrategy({ ...credentials, flow: 'v2', clientAssertion: () => 'a.b.c' }, (_at, _rt, _profile, done) => {
  done(null);
});

// @ts-expect-error leaving clientSecret out needs clientAssertion
new FeishuStrategy({ clientID: 'cli_x', flow: 'v3' }, (_at, _rt, _profile, done) => {
  done(null);
});

// @ts-expect-error keyless apps are self-built
new FeishuStrategy({ clientID: 'cli_x', flow: 'v3', appType: 'store', clientAssertion: () => 'a.b.c' }, (_at, _rt, _profile, done) => {
  done(null);
});

// @ts-expect-error a verify that takes the request first needs passReqToCallback: true
new FeishuStrategy(credentials, (req: Request, _at: string, _rt: string, profile: FeishuProfile, done: VerifyCallback) => done(null, { path: req.path, profile }));

// @ts-expect-error passReqToCallback: true hands the request first
new FeishuStrategy({ ...credentials, passReqToCallback: true }, (_at: string, _rt: string, profile: FeishuProfile, done: VerifyCallback) => done(null, profile));

// @ts-expect-error the profile comes after the refresh token
new FeishuStrategy(credentials, (_at: string, profile: FeishuProfile, done: VerifyCallback) => done(null, profile));

// @ts-expect-error an option's name is checked, case included
new FeishuStrategy({ ...credentials, callbackUrl: '/cb' }, (_at, _rt, profile, done) => {
  done(null, profile);
});

// @ts-expect-error the secret is required with passReqToCallback too
new FeishuStrategy({ clientID: 'cli_x', passReqToCallback: true }, (_req, _at, _rt, profile, done) => {
  done(null, profile);
});

// @ts-expect-error clientAssertion needs flow 'v3', with Feishu's names too
new FeishuStrategy({ appId: 'cli_x', appSecret: 'secret', clientAssertion: () => 'a.b.c' }, (_at, _rt, profile, done) => {
  done(null, profile);
});

// Narrowing: on refresh, and on the callback route.
void new FeishuStrategy({ ...credentials, flow: 'v2' }, (_a, _r, _p, done) => done(null)).refreshAccessToken('r', { scope: ['offline_access'] });
const callbackOptions: FeishuAuthenticateOptions = { tokenScope: 'auth:user.id:read', failureRedirect: '/login' };
void callbackOptions;
// In a variable, and inline: the package adds tokenScope to @types/passport's AuthenticateOptions.
const narrow = { tokenScope: 'offline_access auth:user.id:read', failureRedirect: '/login' };
export const narrowedCallback: unknown = new Passport().authenticate('feishu', narrow);
export const narrowedInline: unknown = new Passport().authenticate('feishu', { tokenScope: ['offline_access', 'auth:user.id:read'], failureRedirect: '/login' });
// @ts-expect-error tokenScope is a string or a list of strings
export const badTokenScope: unknown = new Passport().authenticate('feishu', { tokenScope: 42 });

const refreshed: Promise<{ accessToken: string; refreshToken: string | undefined }> = new FeishuStrategy(credentials, (_a, _r, _p, done) => done(null)).refreshAccessToken('r');
void refreshed;

// NestJS: PassportStrategy reads the constructor overloads, so super() is checked.
@Injectable()
export class FeishuAuthStrategy extends PassportStrategy(FeishuStrategy, 'feishu') {
  constructor() {
    super({ ...credentials, callbackURL: '/auth/feishu/callback', state: true });
  }

  validate(_accessToken: string, _refreshToken: string, profile: FeishuProfile): { id: string } {
    return { id: profile.id };
  }
}

@Injectable()
export class BrokenFeishuAuthStrategy extends PassportStrategy(FeishuStrategy, 'feishu-broken') {
  constructor() {
    // @ts-expect-error clientSecret is required here too
    super({ clientID: 'cli_x' });
  }

  validate(): boolean {
    return true;
  }
}

export function requestType(req: Request): string {
  return req.method;
}

// Many apps: resolveApp answers each sign-in's app, with inferred verify parameters.
new FeishuStrategy(
  {
    resolveApp: ({ req, appId }) => (appId ?? req?.hostname) ? { clientID: 'cli_x', clientSecret: 'secret', domain: 'lark' as const } : null,
    appCacheSize: 500,
    callbackURL: '/cb',
    state: true,
  },
  (_at, _rt, profile, done) => done(null, { appId: profile.appId, openId: profile.openId }),
);

// @ts-expect-error with resolveApp, the credentials belong to each app
new FeishuStrategy({ resolveApp: () => null, clientID: 'cli_x', state: true }, (_at, _rt, _profile, done) => {
  done(null);
});

// @ts-expect-error with resolveApp, the domain belongs to each app
new FeishuStrategy({ resolveApp: () => null, domain: 'lark', state: true }, (_at, _rt, _profile, done) => {
  done(null);
});

// @ts-expect-error with resolveApp, the state cannot be turned off
new FeishuStrategy({ resolveApp: () => null, state: false }, (_at, _rt, _profile, done) => {
  done(null);
});

// @ts-expect-error appCacheSize goes with resolveApp
new FeishuStrategy({ ...credentials, appCacheSize: 5 }, (_at, _rt, _profile, done) => {
  done(null);
});
