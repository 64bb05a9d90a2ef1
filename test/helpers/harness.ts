import type { Request } from 'express';
import type { Strategy } from 'passport';

/** How one `authenticate` call ended, as Passport would see it. */
export type Outcome =
  | { kind: 'redirect'; url: string; status: number | undefined }
  | { kind: 'success'; user: unknown; info: unknown }
  | { kind: 'fail'; challenge: unknown; status: number | undefined }
  | { kind: 'error'; err: Error }
  | { kind: 'pass' };

/**
 * Runs one request through a strategy the way Passport does: on `Object.create(strategy)`
 * with the five actions attached (chai-passport-strategy's approach, without chai).
 */
export function run(
  strategy: Strategy,
  req: { query?: Record<string, unknown>; body?: unknown; session?: Record<string, unknown>; headers?: Record<string, string> },
  options: Record<string, unknown> = {},
): Promise<Outcome> {
  return new Promise((resolve) => {
    const instance = Object.create(strategy) as {
      authenticate(req: Request, options?: object): void;
      redirect(url: string, status?: number): void;
      success(user: unknown, info?: unknown): void;
      fail(challenge?: unknown, status?: number): void;
      error(err: Error): void;
      pass(): void;
    };
    instance.redirect = (url, status) => resolve({ kind: 'redirect', url, status });
    instance.success = (user, info) => resolve({ kind: 'success', user, info });
    instance.fail = (challenge, status) => resolve({ kind: 'fail', challenge, status });
    instance.error = (err) => resolve({ kind: 'error', err });
    instance.pass = () => resolve({ kind: 'pass' });
    const request = { query: {}, headers: { host: 'app.example.com' }, url: '/login', connection: { encrypted: true }, session: {}, ...req } as unknown as Request;
    instance.authenticate(request, options);
  });
}
