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

// The bidirectional controls: ALM, LRM, RLM, the embeddings and overrides (LRE..RLO) and isolates (LRI..PDI).
const BIDI_CONTROLS = '\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';
/** C0 but LF and CR, DEL, C1, and the bidirectional controls. */
const UNSAFE_BUT_LINE_BREAKS = new RegExp(`[\\u0000-\\u0009\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f${BIDI_CONTROLS}]`, 'g');
/** All of C0 (LF and CR too), DEL, C1, the line and paragraph separators, and the bidirectional controls. */
const UNSAFE_IN_A_LINE = new RegExp(`[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029${BIDI_CONTROLS}]`, 'g');

/**
 * Text with its control characters and bidirectional controls as spaces, for plain-text outputs
 * (CSV, mail text): an escape sequence acts on the terminal that prints it, and a right-to-left
 * override shows a name reversed. `keepLineBreaks` keeps LF and CR (a quoted CSV field carries
 * them); without it every line break becomes a space too, so that the text cannot forge a line.
 */
export function spaceOutControls(text: string, keepLineBreaks = false): string {
  return text.replace(keepLineBreaks ? UNSAFE_BUT_LINE_BREAKS : UNSAFE_IN_A_LINE, ' ');
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

/**
 * Text for a terminal: control characters (C0, DEL, C1), the line and paragraph separators and the
 * bidirectional controls are shown as `\u001b`-style escapes, so that a string from Azure or from an
 * input file cannot clear the screen, move the cursor, forge a line or show a name reversed. `keep`
 * names those peerguard's own text needs (`\n` between lines, `\r` of a progress line). The set is
 * the one the plain-text outputs space out (spaceOutControls).
 */
export function escapeTerminal(value: unknown, keep: readonly string[] = []): string {
  return String(value ?? '').replace(UNSAFE_IN_A_LINE, (c) => (keep.includes(c) ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
