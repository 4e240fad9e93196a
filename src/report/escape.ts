// Escaping for every output format that embeds strings from Azure (names, tags, resource ids,
// messages): one place, shared by the renderers. Nothing from Azure reaches output unescaped.

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/**
 * Escapes text for HTML (and SVG/XML) element content and for quoted attribute values alike.
 * Control characters other than tab/newline are dropped (they are invalid in XML 1.0 and have no
 * business in a report).
 */
export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')
    .replace(/[&<>"'`]/g, (c) => HTML_ESCAPES[c] as string);
}

/**
 * Tagged template that escapes every interpolated value (arrays are joined, `undefined`, `null`
 * and `false` render as nothing). Its result is `RawHtml`, so templates nest without escaping
 * twice; wrap other trusted markup in `raw()`.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): RawHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += interpolate(value) + (strings[i + 1] ?? '');
  });
  return new RawHtml(out);
}

/** Markup that `html` must not escape again: only for output of `html`/`escapeHtml` or constants. */
export class RawHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function raw(value: string): RawHtml {
  return new RawHtml(value);
}

function interpolate(value: unknown): string {
  if (value instanceof RawHtml) return value.value;
  if (Array.isArray(value)) return value.map(interpolate).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(value);
}

/**
 * JSON for an inline `<script type="application/json">` block: `<`, `>`, `&` and the JavaScript
 * line terminators U+2028/U+2029 become \u escapes, so that no `</script>` or `<!--` can end or
 * change the block, and the text parses back to the same value with JSON.parse.
 */
export function jsonForScript(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// eslint-disable-next-line no-control-regex
const TERMINAL_CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Text for a terminal: control characters (C0, DEL, C1) are shown as `\u001b`-style escapes, so
 * that a string from Azure or from an input file cannot clear the screen, move the cursor or forge
 * a line. `keep` names those peerguard's own text needs (`\n` between lines, `\r` of a progress line).
 */
export function escapeTerminal(value: unknown, keep: readonly string[] = []): string {
  return String(value ?? '').replace(TERMINAL_CONTROLS, (c) => (keep.includes(c) ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
