import type { Profile } from 'passport';

/**
 * A Feishu user as the wire sends it (authen v1 user_info, the v1 token answer, or the
 * suite userinfo). Every field is optional: Feishu leaves out what the app may not read.
 */
export interface FeishuUserInfo {
  name?: string;
  en_name?: string;
  avatar_url?: string;
  avatar_thumb?: string;
  avatar_middle?: string;
  avatar_big?: string;
  open_id?: string;
  union_id?: string;
  user_id?: string;
  tenant_key?: string;
  email?: string;
  enterprise_email?: string;
  mobile?: string;
  employee_no?: string;
  /** Suite passport only: equals `open_id`. */
  sub?: string;
  /** Suite passport only: equals `avatar_url`. */
  picture?: string;
}

/** The Feishu user ids `idField` may choose from for `profile.id`. */
export type FeishuIdField = 'open_id' | 'union_id' | 'user_id';

/** Passport's normalized profile, with Feishu's own ids beside it. */
export interface FeishuProfile extends Profile {
  provider: 'feishu' | 'lark';
  /** The field chosen by `idField`: open_id by default. */
  id: string;
  displayName: string;
  /** email then enterprise_email. Admin-entered and unverified: never key accounts on them. */
  emails?: Array<{ value: string; type?: string }>;
  photos?: Array<{ value: string }>;
  /** Unique per user per app: key accounts on `appId` and `openId` together when several apps sign users in. */
  openId: string;
  /**
   * The App ID (`cli_…`) the user signed in through; `openId` is only unique within it. The
   * strategy sets it on every profile (with `resolveApp`, the app of that sign-in);
   * `parseProfile` sets it when given the `appId` option.
   */
  appId?: string;
  /** Unique per user across the apps of one developer. */
  unionId?: string;
  /** The tenant's employee id; needs the `contact:user.employee_id:readonly` permission. */
  userId?: string;
  tenantKey?: string;
  enName?: string;
  _raw: string;
  _json: FeishuUserInfo;
}

/** The permission that makes Feishu send each id field (feishu-api.md §7). */
const ID_PERMISSION: Readonly<Record<FeishuIdField, string>> = {
  open_id: 'none (open_id is always sent; check that the answer came from Feishu)',
  union_id: 'none (union_id is always sent; check that the answer came from Feishu)',
  user_id: 'contact:user.employee_id:readonly',
};

/** Feishu sent no value for the id chosen by `idField`; the message names the permission to enable. */
export class MissingIdError extends Error {
  override readonly name = 'MissingIdError';
  /** 500: the app lacks a permission in the developer console; the user can do nothing about it. */
  readonly status = 500;
  readonly statusCode = 500;
  constructor(readonly idField: FeishuIdField) {
    super(`Feishu sent no ${idField} for this user. Permission needed: ${ID_PERMISSION[idField]}. Enable it in the developer console and publish a new version of the app.`);
  }
}

const USER_FIELDS: ReadonlyArray<keyof FeishuUserInfo> = [
  'name', 'en_name', 'avatar_url', 'avatar_thumb', 'avatar_middle', 'avatar_big', 'open_id', 'union_id', 'user_id',
  'tenant_key', 'email', 'enterprise_email', 'mobile', 'employee_no', 'sub', 'picture',
];

/** Picks the user's fields out of an answer that also holds tokens, so no token reaches `_json`. */
export function pickUserInfo(source: Readonly<Record<string, unknown>>): FeishuUserInfo {
  const user: Record<string, string> = {};
  for (const field of USER_FIELDS) {
    const value = source[field];
    if (typeof value === 'string') user[field] = value;
  }
  return user;
}

function nonEmpty(value: string | undefined): value is string {
  return typeof value === 'string' && value.length > 0;
}

/**
 * Turns Feishu's user fields into a `FeishuProfile`. Throws `MissingIdError` when the id
 * chosen by `idField` (default `open_id`) is missing or empty.
 */
export function parseProfile(
  json: FeishuUserInfo,
  options: { provider: 'feishu' | 'lark'; idField?: FeishuIdField; raw?: string; appId?: string },
): FeishuProfile {
  const idField = options.idField ?? 'open_id';
  const openId = json.open_id || json.sub || '';
  const id = idField === 'open_id' ? openId : json[idField];
  if (!nonEmpty(id)) throw new MissingIdError(idField);

  const profile: FeishuProfile = {
    provider: options.provider,
    id,
    displayName: json.name || json.en_name || '',
    openId,
    _raw: options.raw ?? JSON.stringify(json),
    _json: json,
  };
  const emails = [
    { value: json.email, type: 'work' },
    { value: json.enterprise_email, type: 'enterprise' },
  ].filter((e): e is { value: string; type: string } => nonEmpty(e.value));
  if (emails.length) profile.emails = emails;
  const photos = [...new Set([json.avatar_url || json.picture, json.avatar_thumb, json.avatar_middle, json.avatar_big])]
    .filter(nonEmpty)
    .map((value) => ({ value }));
  if (photos.length) profile.photos = photos;
  if (options.appId !== undefined) profile.appId = options.appId;
  if (nonEmpty(json.union_id)) profile.unionId = json.union_id;
  if (nonEmpty(json.user_id)) profile.userId = json.user_id;
  if (nonEmpty(json.tenant_key)) profile.tenantKey = json.tenant_key;
  if (nonEmpty(json.en_name)) profile.enName = json.en_name;
  return profile;
}
