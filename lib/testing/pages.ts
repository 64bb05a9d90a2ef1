/** The mock's two HTML pages: Feishu's consent page and its authorize-error page. */

const escapes: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => escapes[c] ?? c);
}

const STYLE = `
  :root { color-scheme: light; --brand: #3370ff; --ink: #1f2329; --muted: #646a73; --line: #dee0e3; }
  * { box-sizing: border-box; }
  body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: #f5f6f7;
         font: 15px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", "PingFang SC", "Noto Sans CJK SC", sans-serif; color: var(--ink); }
  main { width: min(420px, 92vw); background: #fff; border: 1px solid var(--line); border-radius: 12px; padding: 32px; box-shadow: 0 6px 24px rgba(31,35,41,.08); }
  .mark { display: flex; align-items: center; gap: 8px; font-weight: 600; color: var(--brand); margin-bottom: 24px; }
  .mark span { font-size: 12px; font-weight: 500; color: var(--muted); border: 1px solid var(--line); border-radius: 4px; padding: 0 6px; }
  h1 { font-size: 20px; margin: 0 0 8px; }
  p { color: var(--muted); margin: 0 0 16px; }
  ul { padding-left: 20px; margin: 0 0 20px; color: var(--ink); }
  label.user { display: flex; align-items: center; gap: 12px; padding: 10px 12px; border: 1px solid var(--line); border-radius: 8px; margin-bottom: 8px; cursor: pointer; }
  label.user .avatar { width: 36px; height: 36px; border-radius: 50%; background: #e8f0ff; color: var(--brand); display: grid; place-items: center; font-weight: 600; }
  label.user small { display: block; color: var(--muted); }
  .actions { display: flex; gap: 12px; margin-top: 24px; }
  button { flex: 1; font: inherit; padding: 10px 16px; border-radius: 8px; border: 1px solid var(--line); background: #fff; cursor: pointer; }
  button.primary { background: var(--brand); border-color: var(--brand); color: #fff; font-weight: 600; }
  code { background: #f2f3f5; padding: 1px 6px; border-radius: 4px; }
`;

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main><div class="mark">Feishu 飞书 <span>mock</span></div>${body}</main></body></html>`;
}

export interface ConsentView {
  readonly requestId: string;
  readonly appName: string;
  readonly scopes: readonly string[];
  readonly users: ReadonlyArray<{ name: string; en_name: string; avatar_url: string }>;
}

export function consentPage(view: ConsentView): string {
  const users = view.users
    .map(
      (u, i) => `<label class="user"><input type="radio" name="user" value="${i}"${i === 0 ? ' checked' : ''}>
<span class="avatar" aria-hidden="true">${escapeHtml([...u.name][0] ?? '?')}</span>
<span>${escapeHtml(u.name)}<small>${escapeHtml(u.en_name)}</small></span></label>`,
    )
    .join('');
  const scopes = view.scopes.length ? view.scopes.map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join('') : '<li>Your name, avatar and Feishu ids</li>';
  return page(
    'Authorize · Feishu (mock)',
    `<h1>${escapeHtml(view.appName)} wants to sign you in</h1>
<p>It will be able to read:</p><ul>${scopes}</ul>
<form method="post" action="/mock/authorize/decision">
<input type="hidden" name="request" value="${escapeHtml(view.requestId)}">
${users}
<div class="actions"><button type="submit" name="decision" value="deny">Deny</button>
<button class="primary" type="submit" name="decision" value="allow">Allow</button></div>
</form>`,
  );
}

export function errorPage(code: number, message: string): string {
  return page(`Error ${code} · Feishu (mock)`, `<h1>Request not valid</h1><p>Error code <code>${code}</code></p><p>${escapeHtml(message)}</p>`);
}
