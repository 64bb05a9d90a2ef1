import type { AnswerShape } from './endpoints.js';

/** An answer read into success fields or Feishu's account of what went wrong. */
export type ReadAnswer =
  | { readonly ok: true; readonly fields: Readonly<Record<string, unknown>> }
  | { readonly ok: false; readonly feishuCode: number | undefined; readonly oauthError: string | undefined; readonly msg: string };

type Json = Readonly<Record<string, unknown>>;

function asObject(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value ? value : undefined;
}

function codeOf(body: Json): number | undefined {
  return typeof body.code === 'number' ? body.code : undefined;
}

function failure(body: Json): ReadAnswer {
  return {
    ok: false,
    feishuCode: codeOf(body),
    oauthError: str(body.error),
    // v1 says `msg`, v2/v3 and passport `error_description`; some passport errors say `message`.
    msg: str(body.msg) ?? str(body.error_description) ?? str(body.message) ?? str(body.error) ?? 'Feishu gave no reason',
  };
}

/**
 * One reader per wire shape (endpoints.ts `AnswerShape`). Feishu answers most errors
 * with HTTP 200, so success is decided by the body, never by the status alone.
 * `required` names the field a success must carry (access_token, open_id…).
 */
type Reader = (body: Json, status: number) => ReadAnswer;

/** v2/v3 and the suite passport alike: fields at top level, and a failure is an `error`, a 4xx/5xx or (v2/v3) a `code` other than 0. */
const topLevel: Reader = (body, status) => (status < 400 && (body.code === 0 || body.code === undefined) && !body.error ? { ok: true, fields: body } : failure(body));

const READERS: Readonly<Record<AnswerShape, Reader>> = {
  envelope: (body) => (body.code === 0 ? { ok: true, fields: asObject(body.data) } : failure(body)),
  oauth: topLevel,
  bare: topLevel,
};

export function readAnswer(shape: AnswerShape, body: unknown, status: number, required?: string): ReadAnswer {
  const json = asObject(body);
  const read = READERS[shape](json, status);
  if (read.ok && required && !str(read.fields[required])) {
    return { ok: false, feishuCode: codeOf(json), oauthError: undefined, msg: `answer without ${required}` };
  }
  return read;
}
