import type { FeishuIdField } from '../profile.js';
import { nearestName } from './nearest-name.js';
import { OPTION_NAMES } from './option-names.js';

/**
 * Feishu's ids for a user, the only fields `idField` may name. The `satisfies` keeps the list
 * in step with `FeishuIdField`: a new id there fails to compile here until it is listed.
 */
// Stryker disable next-line BooleanLiteral: only the keys are read; the values are there for `satisfies`
const ID_FIELDS = Object.keys({ open_id: true, union_id: true, user_id: true } satisfies Record<FeishuIdField, true>);

/**
 * What TypeScript checks at compile time, checked again at run time for JavaScript callers
 * and for options built by spreading a config object (which escapes the excess-property check):
 * an unknown name would be ignored without a word, and an `idField` such as `'email'` would key
 * accounts on a field Feishu does not verify.
 */
export function checkOptionNames(options: object): void {
  for (const name of Object.keys(options)) {
    if (OPTION_NAMES.includes(name)) continue;
    const meant = nearestName(name, OPTION_NAMES);
    const hint = meant === undefined ? 'see the Options table in the README' : `did you mean ${meant}?`;
    throw new TypeError(`FeishuStrategy: unknown option ${JSON.stringify(name)} (${hint})`);
  }
  const { idField } = options as { idField?: unknown };
  if (idField !== undefined && !ID_FIELDS.includes(idField as string)) {
    throw new TypeError(`FeishuStrategy: idField must be one of ${ID_FIELDS.join(', ')} (an id Feishu issues), got ${typeof idField === 'string' ? JSON.stringify(idField) : typeof idField}`);
  }
}
