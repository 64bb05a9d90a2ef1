import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { FeishuStrategy, type FeishuProfile } from 'passport-feishu-oauth2';
import { signedInUser, type FeishuSettings, type SignedInUser } from '../framework-example.js';

/** Injection token of the app's Feishu settings (credentials, domain). */
export const FEISHU_SETTINGS = Symbol('FEISHU_SETTINGS');

/**
 * FeishuStrategy under Nest: registered with Passport as 'feishu'; `validate` is the verify
 * callback. `@Inject` names the dependency, since tsx (esbuild) emits no decorator metadata.
 */
@Injectable()
export class FeishuAuthStrategy extends PassportStrategy(FeishuStrategy, 'feishu') {
  constructor(@Inject(FEISHU_SETTINGS) settings: FeishuSettings) {
    super({ callbackURL: '/auth/feishu/callback', ...settings, state: true });
  }

  validate(_accessToken: string, _refreshToken: string, profile: FeishuProfile): SignedInUser {
    return signedInUser(profile);
  }
}
