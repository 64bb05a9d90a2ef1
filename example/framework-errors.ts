/**
 * The error answer the Fastify and Koa examples share with the Express one (app.ts): a fixed
 * text and a reference for the visitor, the details in the server log. A framework's default
 * would send the strategy's message (with its setup hint, meant for the developer) to anyone
 * who opens the callback, or (Koa) answer with the error's own `status`: a Feishu error read
 * from an HTTP 200 answer would go out as 200 OK.
 */
import { incidentOf, logLine, type ExampleLogger } from './log.js';

/** What a framework example sends when a request fails. */
export interface ErrorAnswer {
  /** 502 when talking to Feishu failed, 500 for our own errors; never the error's own status. */
  readonly status: 500 | 502;
  readonly body: { readonly error: string; readonly reference: string; readonly feishuLogId?: string };
}

/**
 * Logs `err` (secrets cut out) under a new reference and returns the answer for the visitor.
 * `secrets` are values the app holds that must never reach the log (its app secret, the
 * session secret, this request's code).
 */
export function answerError(err: unknown, route: string, secrets: readonly string[], logger: ExampleLogger): ErrorAnswer {
  const incident = incidentOf(err, secrets);
  logger.error(logLine('request failed', { route, ...incident.fields }));
  const text = `We could not sign you in because of a problem on our side${incident.upstream ? ' or at Feishu' : ''}. Please try again in a moment.`;
  return {
    status: incident.upstream ? 502 : 500,
    body: { error: text, reference: incident.ref, ...(incident.feishuLogId ? { feishuLogId: incident.feishuLogId } : {}) },
  };
}

/** Every `code` a request carries in its query string, so the log can cut them out. */
export function queryCodes(url: string | undefined): string[] {
  try {
    return new URL(url ?? '/', 'http://localhost').searchParams.getAll('code');
  } catch {
    return [];
  }
}
