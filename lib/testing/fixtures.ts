/** The mock's default tenant, app and users: realistic shapes (feishu-api.md §0, §7). */
import type { AssertionKeys } from './assertion-verifier.js';

/** An app registered in the mock, as in Feishu's developer console. */
export interface MockApp {
  appId: string;
  appSecret: string;
  /** Shown on the consent page. */
  name?: string;
  /** 'internal' apps use app_access_token/internal; 'store' apps need an app_ticket. */
  type?: 'internal' | 'store';
  /** A Feishu app must be used on Feishu's hosts and a Lark app on Lark's (error 20046). */
  brand?: 'feishu' | 'lark';
  /**
   * Registered redirect URLs, matched on scheme, host, port and path (20029 otherwise).
   * `*` matches any run of characters (`http://127.0.0.1:*`), for tests that want it.
   */
  redirectUris: string[];
  /** Scopes enabled in the console; an unlisted scope shows error 20027 on the authorize page. */
  scopes?: string[];
  /** The console's "refresh user_access_token" switch; off answers v2/v3 refreshes with 20074. Default on. */
  refreshEnabled?: boolean;
  /**
   * Keyless apps: the public keys (ES256 / RS256) whose signed assertions /oauth/v3/token
   * accepts in place of the secret. A KeyObject, or a list of KeyObjects and JWKs.
   */
  assertionKeys?: AssertionKeys;
  /** Field permissions: without them Feishu leaves the field out. */
  permissions?: { email?: boolean; enterpriseEmail?: boolean; userId?: boolean; mobile?: boolean };
}

/** A user the mock can sign in, with Feishu's field names. */
export interface MockUser {
  open_id: string;
  union_id: string;
  user_id: string;
  name: string;
  en_name: string;
  tenant_key: string;
  email: string;
  enterprise_email: string;
  mobile: string;
  employee_no: string;
  avatar_url: string;
}

/** The tenant_key of the mock's default users. */
export const MOCK_TENANT_KEY = '736588c92lxf175d';

/** The mock's default self-built app; its redirect URLs are `http://localhost:3000/auth/feishu/callback` and the same on 127.0.0.1. */
export const DEFAULT_APP: Readonly<MockApp> = {
  appId: 'cli_a5ca35a685b0x26e',
  appSecret: 'mock-app-secret-Xk2vQ9tL7pR4wZ8s',
  name: 'Demo App',
  type: 'internal',
  brand: 'feishu',
  redirectUris: ['http://localhost:3000/auth/feishu/callback', 'http://127.0.0.1:3000/auth/feishu/callback'],
  scopes: [
    'offline_access', 'contact:user.email:readonly', 'contact:user.employee_id:readonly', 'contact:user.phone:readonly',
    'contact:user.employee:readonly', 'contact:user.base:readonly', 'auth:user.id:read',
  ],
  permissions: { email: true, enterpriseEmail: true, userId: true, mobile: true },
};

function avatar(key: string): string {
  return `https://s3-fs.pstatp.com/static-resource/v1/${key}~?image_size=72x72&cut_type=&quality=&format=png&sticker_format=.webp`;
}

/** The mock's two default users. */
export const DEFAULT_USERS: readonly MockUser[] = [
  {
    open_id: 'ou_caecc734c2e3328a62489fe0648c4b98',
    union_id: 'on_d89jhsdhjsajkda7828enjdj328ydhhw3u',
    user_id: '5d9bdxxx',
    name: '李雷',
    en_name: 'Lei Li',
    tenant_key: MOCK_TENANT_KEY,
    email: 'lilei@example.com',
    enterprise_email: 'lilei@corp.example.com',
    mobile: '+8613000000001',
    employee_no: '111222333',
    avatar_url: avatar('v2_4c9a3a4e-6f1b-4c6a-9f57-lilei'),
  },
  {
    open_id: 'ou_7d8a6e6df7621556ce0d21922b676706',
    union_id: 'on_8ed6aa67826108097d9ee143816345e2',
    user_id: '7c1a2yyy',
    name: '韩梅梅',
    en_name: 'Meimei Han',
    tenant_key: MOCK_TENANT_KEY,
    email: '',
    enterprise_email: 'hanmeimei@corp.example.com',
    mobile: '+8613000000002',
    employee_no: '111222334',
    avatar_url: avatar('v2_9b1e27c2-0d3f-4f0e-8a2e-hanmeimei'),
  },
];
