import { randomBytes } from 'node:crypto';

/**
 * The mock's scan-to-sign-in state (feishu-api.md §6.2): a QR session per QR page shown on a
 * desktop, approved from the "phone", which turns into a `tmp_code` the desktop page appends to
 * its `goto`. Feishu does not document the tmp_code's lifetime or binding; the mock makes it
 * strict (single use, one minute, bound to the goto it was shown for: its client_id, state and
 * redirect_uri) so an app that leans on anything looser fails in tests rather than in production.
 */

/** What a tmp_code is bound to besides the app: the goto's `state` and `redirect_uri`. */
export interface GotoBinding {
  readonly state: string | undefined;
  readonly redirectUri: string | undefined;
}

/** How long a QR code shown on the desktop can be scanned (Feishu's QR refreshes after a few minutes). */
const SESSION_TTL_MS = 3 * 60 * 1000;
/** How long the desktop has to navigate to `goto&tmp_code=…` once the phone approved. */
const TMP_CODE_TTL_MS = 60 * 1000;

export interface QrSession {
  /** The desktop's handle: the QR page polls with it. */
  readonly id: string;
  /** The handle the QR code carries to the phone; a different secret than `id`. */
  readonly scanToken: string;
  readonly appId: string;
  readonly goto: GotoBinding;
  readonly expiresAt: number;
  approvedBy: number | undefined;
  /** The tmp_code, handed to the desktop page once. */
  tmpCode: string | undefined;
  delivered: boolean;
}

interface TmpCode {
  readonly appId: string;
  readonly goto: GotoBinding;
  readonly user: number;
  readonly expiresAt: number;
  used: boolean;
}

/** Why a tmp_code was refused, with the code the authorize page shows (the token endpoints' codes for the same mistake). */
export type TmpCodeRefusal = { readonly code: 20003 | 20004 | 20024; readonly message: string };

export class QrLogins {
  private readonly sessions = new Map<string, QrSession>();
  private readonly byScanToken = new Map<string, QrSession>();
  private readonly tmpCodes = new Map<string, TmpCode>();

  constructor(private readonly now: () => number) {}

  open(appId: string, goto: GotoBinding): QrSession {
    this.sweep();
    const session: QrSession = {
      id: `qr_${randomBytes(18).toString('base64url')}`,
      scanToken: `scan_${randomBytes(18).toString('base64url')}`,
      appId,
      goto,
      expiresAt: this.now() + SESSION_TTL_MS,
      approvedBy: undefined,
      tmpCode: undefined,
      delivered: false,
    };
    this.sessions.set(session.id, session);
    this.byScanToken.set(session.scanToken, session);
    return session;
  }

  /** The live, not yet approved session a phone scanned. */
  scanned(scanToken: string): QrSession | undefined {
    const session = this.byScanToken.get(scanToken);
    return session && session.expiresAt > this.now() && session.approvedBy === undefined ? session : undefined;
  }

  /** The phone's Approve: mints the tmp_code; false when the QR code expired or was used. */
  approve(scanToken: string, user: number): boolean {
    const session = this.scanned(scanToken);
    if (!session) return false;
    session.approvedBy = user;
    session.tmpCode = `tmp_${randomBytes(24).toString('base64url')}`;
    this.tmpCodes.set(session.tmpCode, { appId: session.appId, goto: session.goto, user, expiresAt: this.now() + TMP_CODE_TTL_MS, used: false });
    return true;
  }

  /** What the desktop's QR page learns when it polls: the tmp_code once, then `done`. */
  poll(id: string): { status: 'waiting' | 'expired' | 'done' } | { status: 'approved'; tmp_code: string } {
    const session = this.sessions.get(id);
    if (!session) return { status: 'expired' };
    if (session.tmpCode && !session.delivered) {
      session.delivered = true;
      return { status: 'approved', tmp_code: session.tmpCode };
    }
    if (session.delivered) return { status: 'done' };
    return session.expiresAt > this.now() ? { status: 'waiting' } : { status: 'expired' };
  }

  /**
   * Spends a tmp_code on the authorize page of `appId` with this `state` and `redirect_uri`: the
   * user who approved, or why not. A tmp_code approved for one visitor's goto must not finish
   * a sign-in started for another (another state) or land elsewhere (another redirect_uri).
   */
  redeem(tmpCode: string, appId: string, goto: GotoBinding): number | TmpCodeRefusal {
    const grant = this.tmpCodes.get(tmpCode);
    if (!grant || grant.used) return { code: 20003, message: 'The tmp_code is invalid or was already used. Scan the QR code again.' };
    // Spent even when refused below: a leaked tmp_code tried on another app is gone for good.
    grant.used = true;
    if (grant.expiresAt <= this.now()) return { code: 20004, message: 'The tmp_code has expired. Scan the QR code again.' };
    if (grant.appId !== appId) return { code: 20024, message: 'The tmp_code was issued for another app (client_id).' };
    if (grant.goto.state !== goto.state || grant.goto.redirectUri !== goto.redirectUri) {
      return { code: 20024, message: 'The tmp_code was issued for another sign-in (state or redirect_uri differ from the goto the QR code was shown for).' };
    }
    return grant.user;
  }

  private sweepCounter = 0;
  private sweep(): void {
    this.sweepCounter += 1;
    if (this.sweepCounter % 100 !== 0) return;
    const now = this.now();
    for (const [id, session] of this.sessions) {
      if (session.expiresAt + TMP_CODE_TTL_MS > now) continue;
      this.sessions.delete(id);
      this.byScanToken.delete(session.scanToken);
    }
    for (const [code, grant] of this.tmpCodes) if (grant.expiresAt <= now) this.tmpCodes.delete(code);
  }
}
