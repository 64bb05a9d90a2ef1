/** A tiny HTML template tag: every interpolated value is escaped unless it is already `Html`. */

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export class Html {
  constructor(readonly text: string) {}
}

/** `undefined`, `null` and booleans render as nothing, so `${cond && html`…`}` reads naturally. */
type Value = Html | string | number | boolean | null | undefined | readonly Value[];

function render(value: Value): string {
  if (value instanceof Html) return value.text;
  if (typeof value === 'string') return value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
  if (typeof value === 'number') return String(value);
  if (value === undefined || value === null || typeof value === 'boolean') return '';
  return value.map(render).join('');
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let text = strings[0] ?? '';
  values.forEach((value, i) => {
    text += render(value) + (strings[i + 1] ?? '');
  });
  return new Html(text);
}
