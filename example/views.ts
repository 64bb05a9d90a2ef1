import { label, type Account, type Identity } from './accounts.js';
import { html, Html } from './html.js';
import { LINK_PATH } from './linking.js';

/** What every page needs to know about the app around it. */
export interface Site {
  /** 'Feishu' or 'Lark': what the sign-in button says. */
  brand: string;
  /** Set in mock mode, so nobody mistakes the local stand-in for Feishu. */
  mockOrigin?: string;
}

function layout(site: Site, title: string, body: Html, user?: Account): string {
  const mode = site.mockOrigin ? html`<span class="pill pill-mock" title="${site.mockOrigin}">Mock ${site.brand}</span>` : html`<span class="pill">${site.brand}</span>`;
  const account = user
    ? html`<div class="who">${avatar(user.name, user.identities.find((i) => i.avatar)?.avatar, 'small')}<span class="who-name">${user.name}</span>
<form method="post" action="/logout"><button class="btn btn-ghost btn-small" type="submit">Sign out</button></form></div>`
    : undefined;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Acme Workspace</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<header class="topbar">
  <a class="logo" href="/"><span class="logo-mark" aria-hidden="true">A</span>Acme Workspace</a>
  ${mode}
  <span class="spacer"></span>
  ${account}
</header>
<main>
${body}
</main>
<footer class="foot">An example app for <a href="https://www.npmjs.com/package/passport-feishu-oauth2">passport-feishu-oauth2</a></footer>
</body>
</html>
`.text;
}

function avatar(name: string, url: string | undefined, size: 'large' | 'small' = 'large'): Html {
  const initial = [...name.trim()][0] ?? '?';
  // Feishu avatar URLs can expire or be unreachable (and the mock's are placeholders): the initial stays underneath.
  const image = url && /^https?:\/\//.test(url) ? html`<img src="${url}" alt="" referrerpolicy="no-referrer" onerror="${AVATAR_ONERROR}">` : undefined;
  return html`<span class="avatar avatar-${size}" aria-hidden="true">${initial}${image}</span>`;
}

/** The avatar's inline error handler: the CSP allows exactly this one by its hash. */
const AVATAR_ONERROR = 'this.remove()';

/** A generic paper plane (飞, "fly"), not Feishu's trademarked logo. */
const PLANE = new Html('<svg class="glyph" viewBox="0 0 24 24" aria-hidden="true"><path d="M21.5 2.5 10.8 13.2M21.5 2.5 14.7 21.6l-3.9-8.4-8.3-3.9z"/></svg>');

/**
 * Feishu's web QR SDK (feishu-api.md §6.2): it frames a QR code from Feishu in #feishu-qr and,
 * once the user approves on the phone, posts `{ source: 'qrcode', tmp_code }` to this page.
 * The page takes the message only from the QR iframe itself (`event.source`): matchOrigin alone
 * would accept any window of Feishu's origin that holds a reference to this page (a popup it
 * opened, a page that opened it), posting a tmp_code the attacker approved on their own phone.
 * Then matchOrigin/matchData, and it navigates to `goto&tmp_code=…`; Feishu redirects to
 * /auth/feishu-qr/callback with a code.
 * The goto comes from our own route, which saves its state in the session: fetching it starts
 * a session, as /auth/feishu does, while the page view itself still sets no cookie.
 */
const QR_SCRIPT_SOURCE = `
(function () {
  var status = document.getElementById('qr-status');
  function unavailable() { status.textContent = 'The QR code could not load. Use the button instead.'; }
  if (typeof window.QRLogin !== 'function') return unavailable();
  fetch('/auth/feishu-qr/goto', { credentials: 'same-origin', cache: 'no-store' })
    .then(function (res) { if (!res.ok) throw new Error('goto ' + res.status); return res.json(); })
    .then(function (body) {
      var goto = body.goto;
      var qr = window.QRLogin({ id: 'feishu-qr', goto: goto, width: '240', height: '240', style: 'border: none; display: block' });
      var frame = document.querySelector('#feishu-qr iframe');
      window.addEventListener('message', function (event) {
        if (!frame || event.source !== frame.contentWindow) return;
        if (!qr.matchOrigin(event.origin) || !qr.matchData(event.data)) return;
        status.textContent = 'Signing you in…';
        window.location.href = goto + '&tmp_code=' + encodeURIComponent(event.data.tmp_code);
      });
    })
    .catch(unavailable);
})();
`;
const QR_SCRIPT = new Html(`<script>${QR_SCRIPT_SOURCE}</script>`);

function qrPanel(site: Site, qrSdkURL: string, integrity: string | undefined): Html {
  return html`<aside class="qr-panel" aria-labelledby="qr-title">
  <h2 id="qr-title">Scan to sign in</h2>
  <div id="feishu-qr" class="qr-box"></div>
  <p class="hint" id="qr-status" role="status">Open the ${site.brand} app on your phone and scan the code.</p>
  ${site.mockOrigin ? html`<p class="hint" id="qr-mock-hint">No phone needed in mock mode: <em>Open the phone page</em>, under the code, stands in for scanning it.</p>` : undefined}
</aside>
${integrity ? html`<script src="${qrSdkURL}" integrity="${integrity}" crossorigin="anonymous"></script>` : html`<script src="${qrSdkURL}"></script>`}
${QR_SCRIPT}`;
}

/** `alert` is one of the app's own fixed texts, never text from the request. */
/** `qrSdkIntegrity`: the SDK file's Subresource Integrity hash (`sha384-…`), when the app pinned one. */
export function signInPage(site: Site, alert?: string, qrSdkURL?: string, qrSdkIntegrity?: string): string {
  const notice = site.mockOrigin
    ? html`<p class="notice"><strong>Mock mode:</strong> ${site.brand} is simulated on this machine, no account needed.</p>`
    : undefined;
  const errors = alert ? html`<p class="alert" role="alert">${alert}</p>` : undefined;
  return layout(
    site,
    'Sign in',
    html`<div class="${qrSdkURL ? 'signin-split' : 'signin-single'}"><section class="card card-narrow">
  <h1>Sign in</h1>
  <p class="lead">Use your ${site.brand} account or the demo password.</p>
  ${errors}
  <a class="btn btn-brand btn-block" href="/auth/feishu">${PLANE}Sign in with ${site.brand}</a>
  <div class="divider"><span>or</span></div>
  <form class="stack" method="post" action="/login/password">
    <label>Username<input name="username" autocomplete="username" required></label>
    <label>Password<input name="password" type="password" autocomplete="current-password" required></label>
    <button class="btn btn-secondary btn-block" type="submit">Sign in with password</button>
  </form>
  <p class="hint">Demo password: <code>demo</code> / <code>demo</code>, a new empty account at each sign-in</p>
  ${notice}
</section>
${qrSdkURL && qrPanel(site, qrSdkURL, qrSdkIntegrity)}</div>
<p class="aside">Opening this inside the ${site.brand} app? <a href="/inapp">Use in-app sign-in</a></p>`,
  );
}

function feishuDetails(identity: Identity): Html {
  const rows: Array<[string, string | undefined]> = [
    ['open_id', identity.id],
    ['union_id', identity.unionId],
    ['user_id', identity.userId],
    ['tenant_key', identity.tenantKey],
  ];
  return html`<dl class="fields">${rows.map(([name, value]) => html`<dt>${name}</dt><dd>${value ? html`<code>${value}</code>` : html`<span class="muted">not shared</span>`}</dd>`)}</dl>`;
}

export function profilePage(site: Site, account: Account): string {
  const feishu = account.identities.find((i) => i.provider !== 'local');
  const methods = account.identities.map((i) => html`<li><span class="dot dot-${i.provider}"></span>${label(i.provider)}<span class="muted">${i.displayName}</span></li>`);
  const link = feishu
    ? undefined
    : // A form POST from this page (linking.ts): a link, or a sign-in started elsewhere, never links.
      html`<form method="post" action="${LINK_PATH}"><button class="btn btn-brand" type="submit">${PLANE}Link your ${site.brand} account</button></form>`;
  return layout(
    site,
    account.name,
    html`<section class="card">
  <div class="person">
    ${avatar(account.name, feishu?.avatar)}
    <div>
      <h1 class="person-name">${account.name}</h1>
      ${feishu?.enName && html`<p class="muted">${feishu.enName}</p>`}
      <p class="badges">${account.identities.map((i) => html`<span class="badge badge-${i.provider}">${label(i.provider)}</span>`)}</p>
    </div>
  </div>
  ${feishu ? feishuDetails(feishu) : html`<p class="lead">You signed in with a password. Link ${site.brand} to sign in with one click next time.</p>`}
  <h2>Sign-in methods</h2>
  <ul class="methods">${methods}</ul>
  ${link && html`<div class="actions">${link}</div>`}
</section>`,
    account,
  );
}

/** `message` is one of the app's fixed failure texts (failures.ts). */
export function failurePage(site: Site, message: string): string {
  return layout(
    site,
    'Sign-in failed',
    html`<section class="card card-narrow">
  <div class="icon-failed" aria-hidden="true">!</div>
  <h1>Sign-in didn't complete</h1>
  <p class="alert failure-message" role="alert">${message}</p>
  <div class="actions"><a class="btn btn-brand" href="/login">Back to sign in</a></div>
</section>`,
  );
}

/** What an error page may say: a fixed text, and the references support needs to find the log line. */
export interface ErrorNotice {
  title: string;
  text: string;
  ref?: string;
  feishuLogId?: string;
}

export function errorPage(site: Site, notice: ErrorNotice): string {
  const refs = notice.ref
    ? html`<p class="hint">If this keeps happening, give support this reference: <code class="ref">${notice.ref}</code>${notice.feishuLogId && html` (${site.brand} log id <code class="feishu-log-id">${notice.feishuLogId}</code>)`}</p>`
    : undefined;
  return layout(
    site,
    notice.title,
    html`<section class="card card-narrow">
  <div class="icon-failed" aria-hidden="true">!</div>
  <h1>${notice.title}</h1>
  <p class="alert">${notice.text}</p>
  ${refs}
  <div class="actions"><a class="btn btn-secondary" href="/login">Back to sign in</a></div>
</section>`,
  );
}

/**
 * Runs in the Feishu client's webview. requestAccess needs client 6.9+; older clients
 * only have requestAuthCode (note `appId` there, `appID` here), and some answer errno 103.
 */
const IN_APP_SCRIPT_SOURCE = `
(function () {
  var status = document.getElementById('status');
  var appId = document.querySelector('[data-app-id]').getAttribute('data-app-id');
  function show(text) {
    document.getElementById('title').textContent = "Couldn't sign you in";
    status.textContent = text;
    status.className = 'alert';
    document.getElementById('spinner').hidden = true;
  }
  function describe(err) {
    return err && (err.errMsg || err.errno) ? String(err.errMsg || err.errno) : JSON.stringify(err);
  }
  function send(result) {
    fetch('/auth/feishu/inapp', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      credentials: 'same-origin',
      body: JSON.stringify({ code: result.code })
    })
      .then(function (res) { return res.json().then(function (body) { return { ok: res.ok, body: body }; }); })
      .then(function (answer) {
        if (answer.ok) location.assign('/profile');
        else show((answer.body.error || 'Sign-in failed.') + (answer.body.reference ? ' Reference: ' + answer.body.reference : ''));
      })
      .catch(function (err) { show('Could not reach the server: ' + err); });
  }
  function fail(err) { show('Feishu did not grant access: ' + describe(err)); }
  function requestAuthCode() { window.tt.requestAuthCode({ appId: appId, success: send, fail: fail }); }
  if (!window.h5sdk || !window.tt) {
    show('Open this page inside the Feishu app to sign in without a password.');
    return;
  }
  window.h5sdk.error(function (err) { show('Feishu JSSDK error: ' + describe(err)); });
  window.h5sdk.ready(function () {
    if (typeof window.tt.requestAccess !== 'function') return requestAuthCode();
    window.tt.requestAccess({
      appID: appId,
      scopeList: [],
      success: send,
      fail: function (err) { err && err.errno === 103 && window.tt.requestAuthCode ? requestAuthCode() : fail(err); }
    });
  });
})();
`;
const IN_APP_SCRIPT = new Html(`<script>${IN_APP_SCRIPT_SOURCE}</script>`);

export function inAppPage(site: Site, options: { appId: string; jssdkURL: string }): string {
  return layout(
    site,
    'In-app sign-in',
    html`<section class="card card-narrow center" data-app-id="${options.appId}">
  <div class="spinner" id="spinner" aria-hidden="true"></div>
  <h1 id="title">Signing you in with ${site.brand}…</h1>
  <p class="lead" id="status" role="status">Asking the ${site.brand} app who you are.</p>
</section>
<p class="aside"><a href="/login">Other ways to sign in</a></p>
<script src="${options.jssdkURL}"></script>
${IN_APP_SCRIPT}`,
  );
}

/**
 * The pages' inline code, exactly as served: the Content-Security-Policy (security-headers.ts)
 * allows these by hash and nothing else inline. Change a script and its hash follows.
 */
export const INLINE_CODE = { scripts: [QR_SCRIPT_SOURCE, IN_APP_SCRIPT_SOURCE], handlers: [AVATAR_ONERROR] } as const;
