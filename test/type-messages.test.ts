/**
 * For the common mistakes, the FIRST type error names the real problem. The TypeScript
 * compiler checks small snippets (one Program for all of them) and each snippet's first
 * diagnostic is matched. Before the constructor's last overload was made narrow
 * (FeishuSecretStrategyOptions), a missing clientSecret was reported as missing
 * `clientAssertion, flow`, the keyless form's fields.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { diagnosticsOf } from './helpers/type-diagnostics.js';

const HEAD = `import { FeishuStrategy, type FeishuProfile, type VerifyCallback } from '../lib/index.js';
import type { Request } from 'express';
import { Passport } from 'passport';
`;

/** Each case: a snippet, and what its first diagnostic must say (and must not). */
const CASES: Readonly<Record<string, { code: string; says: readonly RegExp[]; not?: readonly RegExp[] }>> = {
  missingClientSecret: {
    code: `new FeishuStrategy({ clientID: 'cli_x', callbackURL: '/cb' }, (_at, _rt, profile, done) => done(null, profile));`,
    says: [/Property 'clientSecret' is missing/],
    not: [/clientAssertion, flow/],
  },
  missingAppSecret: {
    code: `new FeishuStrategy({ appId: 'cli_x' }, (_at, _rt, profile, done) => done(null, profile));`,
    says: [/Property 'appSecret' is missing/],
  },
  missingSecretWithRequest: {
    code: `new FeishuStrategy({ clientID: 'cli_x', passReqToCallback: true }, (_req, _at, _rt, profile, done) => done(null, profile));`,
    says: [/Property 'clientSecret' is missing/],
    not: [/Type 'true' is not assignable/],
  },
  badFlow: {
    code: `new FeishuStrategy({ clientID: 'cli_x', clientSecret: 's', flow: 'v4' }, (_at, _rt, profile, done) => done(null, profile));`,
    says: [/Type '"v4"' is not assignable to type 'FeishuFlow/],
  },
  requestFirstWithoutPassReqToCallback: {
    code: `new FeishuStrategy({ clientID: 'cli_x', clientSecret: 's' }, (req: Request, _at: string, _rt: string, profile: FeishuProfile, done: VerifyCallback) => done(null, { path: req.path, profile }));`,
    says: [/PassReqToCallback/, /Target signature provides too few arguments/],
  },
  passReqToCallbackWithoutRequest: {
    code: `new FeishuStrategy({ clientID: 'cli_x', clientSecret: 's', passReqToCallback: true }, (_at: string, _rt: string, profile: FeishuProfile, done: VerifyCallback) => done(null, profile));`,
    says: [/FeishuVerifyFunctionWithRequest/, /parameters '_at' and 'req'/],
  },
  profileInRefreshTokensPlace: {
    code: `new FeishuStrategy({ clientID: 'cli_x', clientSecret: 's' }, (_at: string, profile: FeishuProfile, done: VerifyCallback) => done(null, profile));`,
    says: [/Types of parameters 'profile' and 'refreshToken' are incompatible/],
  },
  clientAssertionWithoutV3: {
    code: `new FeishuStrategy({ clientID: 'cli_x', flow: 'v2', clientAssertion: () => 'a.b.c' }, (_at, _rt, profile, done) => done(null, profile));`,
    says: [/ClientAssertionNeedsFlowV3/],
  },
  optionTypo: {
    code: `new FeishuStrategy({ clientID: 'cli_x', clientSecret: 's', callbackUrl: '/cb' }, (_at, _rt, profile, done) => done(null, profile));`,
    says: [/'callbackUrl' does not exist/, /Did you mean to write 'callbackURL'\?/],
  },
  idFieldEmail: {
    code: `new FeishuStrategy({ clientID: 'cli_x', clientSecret: 's', idField: 'email' }, (_at, _rt, profile, done) => done(null, profile));`,
    says: [/Type '"email"' is not assignable to type 'FeishuIdField/],
  },
};

/** What must type-check with no diagnostic at all. */
const VALID = `
export const inline = new Passport().authenticate('feishu', { tokenScope: ['offline_access', 'auth:user.id:read'], failureRedirect: '/login' });
export const inlineString = new Passport().authenticate('feishu', { tokenScope: 'offline_access', session: false });
new FeishuStrategy({ clientID: 'cli_x', clientSecret: 's' }, (_at, _rt, profile, done) => done(null, profile));
new FeishuStrategy({ appId: 'cli_x', appSecret: 's', passReqToCallback: true }, (req, _at, _rt, profile, done) => done(null, { path: req.path, profile }));
new FeishuStrategy({ clientID: 'cli_x', flow: 'v3', clientAssertion: (aud) => aud }, (_at, _rt, profile, done) => done(null, profile));
`;

describe('the first type error names the real problem', () => {
  let diagnostics: Map<string, string[]>;
  before(() => {
    diagnostics = diagnosticsOf({ ...Object.fromEntries(Object.entries(CASES).map(([name, { code }]) => [name, HEAD + code])), valid: HEAD + VALID });
  });

  for (const [name, { says, not = [] }] of Object.entries(CASES)) {
    test(name, () => {
      const first = diagnostics.get(name)?.[0];
      assert.ok(first !== undefined, `${name} has a type error`);
      for (const pattern of says) assert.match(first, pattern);
      for (const pattern of not) assert.doesNotMatch(first, pattern);
    });
  }

  test('the valid forms, and an inline passport.authenticate with tokenScope, type-check', () => {
    assert.deepEqual(diagnostics.get('valid'), []);
  });
});
