/**
 * Why a callback's state was refused by a store of this package. passport-oauth2 answers
 * every refused state with 403; a `StateRefusal` is answered 400 instead (the request is
 * malformed or stale, not forbidden), and its message says which check failed.
 */
export class StateRefusal {
  /** The HTTP status `FeishuStrategy` fails the callback with. */
  readonly status = 400;
  constructor(readonly message: string) {}
}
