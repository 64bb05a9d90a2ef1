import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FeishuHosts } from '../endpoints.js';
import type { MockApp, MockUser } from './fixtures.js';
import { encodeQr, qrSvg } from './qr-encode.js';
import { QrLogins, type GotoBinding, type TmpCodeRefusal } from './qr-logins.js';
import { errorPage, escapeHtml, page } from './pages.js';
import { field, readBody, sendHtml, sendJson, sendScript } from './wire.js';

/**
 * The mock's stand-in for Feishu's web QR SDK, `LarkSSOSDKWebQRCode-1.0.3.js` (feishu-api.md
 * §6.2, §10.8): the script, the QR page it frames, and a "phone" page where a test approves
 * the scan as the user would in the Feishu app.
 *
 * Unverified, from third-party code: the iframe URL (`/suite/passport/sso/qr?goto=…&sdk_version=1.0.3`
 * on the passport host) and the 1.0.3 message `{ source: 'qrcode', tmp_code }`. The real SDK's
 * `matchOrigin` accepts `*.feishu.cn`; the stand-in accepts the mock's passport origin.
 */

export const QR_SDK_PATH = '/mock/qr/LarkSSOSDKWebQRCode-1.0.3.js';

/** The SDK script: `window.QRLogin({ id, goto, width, height, style })` → `{ matchOrigin, matchData }`. */
function sdkScript(passportOrigin: string): string {
  return `(function () {
  var ORIGIN = ${JSON.stringify(passportOrigin)};
  window.QRLogin = function (options) {
    var container = document.getElementById(options.id);
    var frame = document.createElement('iframe');
    frame.src = ORIGIN + '/suite/passport/sso/qr?goto=' + encodeURIComponent(options.goto) + '&sdk_version=1.0.3';
    frame.width = options.width || '300';
    frame.height = options.height || '300';
    frame.title = 'Feishu QR code';
    frame.setAttribute('frameborder', '0');
    frame.setAttribute('style', options.style || 'border: none');
    if (container) container.appendChild(frame);
    return {
      matchOrigin: function (origin) { return origin === ORIGIN; },
      matchData: function (data) { return !!data && typeof data === 'object' && data.source === 'qrcode' && typeof data.tmp_code === 'string'; }
    };
  };
})();
`;
}

/** A JSON value safe inside an inline <script>. */
function scriptValue(value: string): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/**
 * The QR page. Beside the code, a link to the phone page it encodes: the code holds a loopback
 * URL no real phone can open, so the link is the mock's stand-in for scanning, and a sign-in by
 * QR can be tried in one browser (the phone page opens in a new tab).
 */
function framePage(sessionId: string, svg: string, scanUrl: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Scan to sign in · Feishu (mock)</title>
<style>body{margin:0;display:grid;place-items:center;min-height:100vh;font:14px/1.5 -apple-system,"Segoe UI","PingFang SC",sans-serif;color:#1f2329;background:#fff}
figure{margin:0;text-align:center}figcaption{color:#646a73;margin-top:2px}svg{display:block;margin:auto;width:176px;height:176px}
a{color:#3370ff}</style></head>
<body><figure><div id="qr">${svg}</div><figcaption id="status">Scan with the Feishu app (mock)</figcaption>
<a id="phone-link" href="${escapeHtml(scanUrl)}" target="_blank" rel="noopener" title="The mock's stand-in for scanning the code with the Feishu app">Open the phone page</a></figure>
<script>
(function () {
  var id = ${scriptValue(sessionId)};
  // The page that framed this one, as the only receiver of the tmp_code; '*' only when the
  // browser sent no referrer (what the real SDK targets is unknown).
  var target = '*';
  try { if (document.referrer) target = new URL(document.referrer).origin; } catch (e) { target = '*'; }
  // Once the code is spent or expired, its phone page is too: the link goes with it.
  function show(text) { document.getElementById('status').textContent = text; document.getElementById('phone-link').hidden = true; }
  function poll() {
    fetch('/mock/qr/poll?session=' + encodeURIComponent(id), { cache: 'no-store' })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        if (body.status === 'approved') { show('Confirmed on your phone'); window.parent.postMessage({ source: 'qrcode', tmp_code: body.tmp_code }, target); return; }
        if (body.status === 'waiting') { setTimeout(poll, 400); return; }
        document.getElementById('qr').style.opacity = '0.15';
        show('QR code expired. Reload the page for a new one.');
      })
      .catch(function () { setTimeout(poll, 1500); });
  }
  poll();
})();
</script></body></html>`;
}

function scanPage(scanToken: string, appName: string, users: readonly MockUser[]): string {
  const choices = users
    .map(
      (u, i) => `<label class="user"><input type="radio" name="user" value="${i}"${i === 0 ? ' checked' : ''}>
<span class="avatar" aria-hidden="true">${escapeHtml([...u.name][0] ?? '?')}</span>
<span>${escapeHtml(u.name)}<small>${escapeHtml(u.en_name)}</small></span></label>`,
    )
    .join('');
  return page(
    'Confirm sign-in · Feishu (mock)',
    `<h1>Sign in to ${escapeHtml(appName)} on your computer?</h1>
<p>You scanned a sign-in QR code. Approve only if you are signing in on a computer right now.</p>
<form method="post" action="/mock/qr/scan">
<input type="hidden" name="token" value="${escapeHtml(scanToken)}">
${choices}
<div class="actions"><button class="primary" type="submit" name="decision" value="approve">Approve</button></div>
</form>`,
  );
}

export interface QrContext {
  readonly apps: () => readonly MockApp[];
  readonly users: () => readonly MockUser[];
  readonly hosts: () => FeishuHosts;
  readonly brand: 'feishu' | 'lark';
  readonly now: () => number;
}

export class QrStandIn {
  private readonly logins: QrLogins;

  constructor(private readonly context: QrContext) {
    this.logins = new QrLogins(context.now);
  }

  script(res: ServerResponse): void {
    sendScript(res, sdkScript(this.context.hosts().passport));
  }

  /**
   * The framed QR page. `goto` must be an authorize URL on the mock's hosts naming a known app
   * by `client_id`; the tmp_code is bound to that app. Which authorize pages then accept the
   * tmp_code is the authorize page's business (only the suite page, see `redeem`).
   */
  frame(res: ServerResponse, url: URL): void {
    const goto = url.searchParams.get('goto') ?? '';
    let target: URL;
    try {
      target = new URL(goto);
    } catch {
      sendHtml(res, 400, errorPage(20001, 'Invalid request: goto is not a URL.'));
      return;
    }
    const hosts = this.context.hosts();
    if (![hosts.open, hosts.accounts, hosts.passport].includes(target.origin)) {
      sendHtml(res, 400, errorPage(20001, 'Invalid request: goto must be a Feishu authorize URL.'));
      return;
    }
    const app = this.context.apps().find((a) => a.appId === target.searchParams.get('client_id'));
    if (!app || (app.brand ?? 'feishu') !== this.context.brand) {
      sendHtml(res, 400, errorPage(20048, 'The app named by client_id in goto does not exist.'));
      return;
    }
    const session = this.logins.open(app.appId, { state: target.searchParams.get('state') ?? undefined, redirectUri: target.searchParams.get('redirect_uri') ?? '' });
    const scanUrl = `${hosts.passport}/mock/qr/scan?token=${session.scanToken}`;
    sendHtml(res, 200, framePage(session.id, qrSvg(encodeQr(scanUrl)), scanUrl));
  }

  poll(res: ServerResponse, url: URL): void {
    res.setHeader('cache-control', 'no-store');
    sendJson(res, 200, this.logins.poll(url.searchParams.get('session') ?? ''));
  }

  /** The phone's page after scanning: pick the user, press Approve. */
  scan(res: ServerResponse, url: URL): void {
    const session = this.logins.scanned(url.searchParams.get('token') ?? '');
    if (!session) {
      sendHtml(res, 400, errorPage(20001, 'This QR code has expired or was already used.'));
      return;
    }
    const app = this.context.apps().find((a) => a.appId === session.appId);
    sendHtml(res, 200, scanPage(session.scanToken, app?.name ?? session.appId, this.context.users()));
  }

  async approve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const user = Number(field(body.fields, 'user') ?? 0);
    const valid = Number.isInteger(user) && user >= 0 && user < this.context.users().length;
    if (field(body.fields, 'decision') !== 'approve' || !this.logins.approve(field(body.fields, 'token') ?? '', valid ? user : 0)) {
      sendHtml(res, 400, errorPage(20001, 'This QR code has expired or was already used.'));
      return;
    }
    sendHtml(res, 200, page('Approved · Feishu (mock)', '<h1>Approved</h1><p>You can put your phone away: your computer is signing in.</p>'));
  }

  /** Spends a tmp_code on an authorize page of `appId`, for the goto (state, redirect_uri) it was shown for. */
  redeem(tmpCode: string, appId: string, goto: GotoBinding): number | TmpCodeRefusal {
    return this.logins.redeem(tmpCode, appId, goto);
  }
}
