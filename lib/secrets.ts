import { redact } from './errors.js';

type Slot = 'appToken' | 'appTicket';

/**
 * The secrets one strategy holds at this moment. Feishu's answers, and a proxy's, may quote
 * the request back, so every message built from an answer is scrubbed of each of them
 * (see `redact` for the forms), not only of what looks like a token.
 */
export class HeldSecrets {
  private readonly appSecret: string;
  /** The app token and app_ticket now in use, and the ones before them, keyed `<slot>` and `<slot>:previous`. */
  private readonly values = new Map<string, string>();

  constructor(appSecret: string) {
    this.appSecret = appSecret;
  }

  /**
   * Records the value now in use for `slot`, keeping the one before it too: a request sent
   * with the previous app token may still be answered after the token changed.
   */
  hold(slot: Slot, value: string): void {
    const current = this.values.get(slot);
    if (current === value) return;
    if (current !== undefined) this.values.set(`${slot}:previous`, current);
    this.values.set(slot, value);
  }

  /** `text` without any held secret, nor any of `extra` (the request's code, the user's tokens). */
  scrub(text: string, ...extra: ReadonlyArray<string | undefined>): string {
    return redact(text, [this.appSecret, ...this.values.values(), ...extra.filter((value): value is string => typeof value === 'string')]);
  }
}
