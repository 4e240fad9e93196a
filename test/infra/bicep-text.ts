// Just enough of Bicep's syntax to read declarations back out of infra/ in tests: comments,
// strings (with escapes, '''multi-line''' strings and ${interpolations}), and balanced brackets.
// Not a Bicep compiler: `az bicep build` validates the files (README.md, Deploying to Azure).

/**
 * The text with comments blanked and string contents masked ('_'), same length and offsets as
 * the input, so that brackets and colons inside strings or comments never count.
 */
export function maskBicep(text: string, options: { strings: boolean } = { strings: true }): string {
  const out = text.split('');
  let i = 0;
  const blank = (from: number, to: number, fill = ' ') => {
    if (fill === '_' && !options.strings) return;
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = fill;
  };
  // Skips a string starting at `start` (the opening quote); returns the index after it.
  const skipString = (start: number): number => {
    if (text.startsWith("'''", start)) {
      const end = text.indexOf("'''", start + 3);
      const stop = end < 0 ? text.length : end + 3;
      blank(start + 3, stop - 3, '_');
      return stop;
    }
    let j = start + 1;
    while (j < text.length) {
      const c = text[j];
      if (c === '\\') { j += 2; continue; }
      if (c === "'") break;
      if (c === '$' && text[j + 1] === '{') { j = skipInterpolation(j + 2); continue; }
      j++;
    }
    blank(start + 1, Math.min(j, text.length), '_');
    return j + 1;
  };
  const skipInterpolation = (start: number): number => {
    let depth = 1;
    let j = start;
    while (j < text.length && depth > 0) {
      const c = text[j];
      if (c === "'") { j = skipString(j); continue; }
      if (c === '{') depth++;
      else if (c === '}') depth--;
      j++;
    }
    return j;
  };
  while (i < text.length) {
    if (text.startsWith('//', i)) {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      blank(i, stop);
      i = stop;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      const stop = end < 0 ? text.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (text[i] === "'") {
      i = skipString(i);
    } else {
      i++;
    }
  }
  return out.join('');
}

const OPEN: Record<string, string> = { '{': '}', '[': ']', '(': ')' };

/** Index of the bracket closing the one at `open` (in masked text). */
function closingIndex(masked: string, open: number): number {
  const stack: string[] = [];
  for (let i = open; i < masked.length; i++) {
    const c = masked[i]!;
    if (c in OPEN) stack.push(OPEN[c]!);
    else if (c === '}' || c === ']' || c === ')') {
      if (stack.pop() !== c) throw new Error(`unbalanced '${c}' at offset ${i}`);
      if (stack.length === 0) return i;
    }
  }
  throw new Error(`no closing bracket for offset ${open}`);
}

/** Comments blanked, strings kept; same offsets as the input. */
export function stripComments(text: string): string {
  return maskBicep(text, { strings: false });
}

/** A declaration such as `var name = {...}` or `var name = [...]`: the body between the brackets. */
export interface Body {
  /** Text between the brackets, comments blanked. */
  text: string;
  /** The same span, masked (see maskBicep). */
  masked: string;
}

/** The bracketed value of `var <name> = ` (object or array). Throws when absent. */
export function varBody(source: string, name: string): Body {
  const masked = maskBicep(source);
  const match = new RegExp(`(^|\\n)\\s*var\\s+${name}\\s*=\\s*([\\[{])`).exec(masked);
  if (!match) throw new Error(`no \`var ${name} = {...}\` or \`[...]\` declaration`);
  const open = match.index + match[0].length - 1;
  const close = closingIndex(masked, open);
  return { text: stripComments(source).slice(open + 1, close), masked: masked.slice(open + 1, close) };
}

/** Top-level property names of an object body, in order (identifiers or 'quoted' keys). */
export function objectKeys(body: Body): string[] {
  const keys: string[] = [];
  let depth = 0;
  let lineStart = true;
  for (let i = 0; i < body.masked.length; i++) {
    const c = body.masked[i]!;
    if (c in OPEN) { depth++; lineStart = false; continue; }
    if (c === '}' || c === ']' || c === ')') { depth--; continue; }
    if (c === '\n' || c === ',') { lineStart = true; continue; }
    if (/\s/.test(c)) continue;
    if (depth === 0 && lineStart) {
      const rest = body.masked.slice(i);
      const m = /^([A-Za-z_][A-Za-z0-9_]*|'[^'\n]*')\s*:/.exec(rest);
      if (m) {
        const raw = body.text.slice(i, i + m[1]!.length);
        keys.push(raw.startsWith("'") ? raw.slice(1, -1) : raw);
        i += m[0].length - 1;
      }
    }
    lineStart = false;
  }
  return keys;
}

/** The value expression of a top-level property of an object body, trimmed. */
export function objectValue(body: Body, key: string): string | undefined {
  const keys = objectKeys(body);
  if (!keys.includes(key)) return undefined;
  const m = new RegExp(`(^|[\\n,{])\\s*(${key}|'${key}')\\s*:\\s*`).exec(body.masked);
  if (!m) return undefined;
  const start = m.index + m[0].length;
  let depth = 0;
  let end = start;
  for (; end < body.masked.length; end++) {
    const c = body.masked[end]!;
    if (c in OPEN) depth++;
    else if (c === '}' || c === ']' || c === ')') depth--;
    else if ((c === '\n' || c === ',') && depth === 0) break;
  }
  return body.text.slice(start, end).trim();
}

/** String literals of an array body, e.g. ['a', 'b'] or one per line. Anything else throws. */
export function stringArray(body: Body): string[] {
  const items: string[] = [];
  let depth = 0;
  let from = 0;
  const take = (to: number) => {
    const item = body.text.slice(from, to).trim();
    from = to + 1;
    if (item === '') return;
    const m = /^'((?:[^'\\]|\\.)*)'$/.exec(item);
    if (!m || item.includes('${')) throw new Error(`not a string literal: ${item}`);
    items.push(m[1]!.replace(/\\(.)/g, '$1'));
  };
  for (let i = 0; i < body.masked.length; i++) {
    const c = body.masked[i]!;
    if (c in OPEN) depth++;
    else if (c === '}' || c === ']' || c === ')') depth--;
    else if ((c === '\n' || c === ',') && depth === 0) take(i);
  }
  take(body.masked.length);
  return items;
}

/** `param <name> <type> = <default>`: the default expression, or undefined when there is none. */
export function paramDefault(source: string, name: string): string | undefined {
  const masked = maskBicep(source);
  const m = new RegExp(`(^|\\n)\\s*param\\s+${name}\\s+[A-Za-z]+\\s*(=\\s*)?`).exec(masked);
  if (!m) throw new Error(`no \`param ${name}\` declaration`);
  if (!m[2]) return undefined;
  const start = m.index + m[0].length;
  const end = masked.indexOf('\n', start);
  return stripComments(source).slice(start, end < 0 ? undefined : end).trim();
}

/**
 * Declarations `resource|module <symbol> '<type or path>' = <header> {`: the symbol, the quoted
 * type or path, and the header between `=` and the body (a condition `if (...)`, a loop
 * `[for ...: ` or nothing).
 */
export interface Declaration {
  kind: 'resource' | 'module';
  symbol: string;
  target: string;
  header: string;
}

export function declarations(source: string): Declaration[] {
  const masked = maskBicep(source);
  const re = /(^|\n)\s*(resource|module)\s+([A-Za-z_][A-Za-z0-9_]*)\s+'([^'\n]*)'\s*(existing\s*)?=\s*/g;
  const found: Declaration[] = [];
  for (let m = re.exec(masked); m; m = re.exec(masked)) {
    const targetStart = m.index + m[0].indexOf("'") + 1;
    const target = source.slice(targetStart, targetStart + m[4]!.length);
    const headerStart = m.index + m[0].length;
    const brace = masked.indexOf('{', headerStart);
    found.push({
      kind: m[2] as 'resource' | 'module',
      symbol: m[3]!,
      target,
      header: stripComments(source).slice(headerStart, brace).replace(/\s+/g, ' ').trim(),
    });
  }
  return found;
}

/**
 * The body of `resource|module <symbol> '...' = <header> {...}` (for a loop, the body of one item),
 * comments blanked. Throws when absent.
 */
export function declarationBody(source: string, symbol: string): Body {
  const masked = maskBicep(source);
  const match = new RegExp(`(^|\\n)\\s*(resource|module)\\s+${symbol}\\s+'[^'\\n]*'\\s*(existing\\s*)?=`).exec(masked);
  if (!match) throw new Error(`no \`resource ${symbol}\` or \`module ${symbol}\` declaration`);
  const open = masked.indexOf('{', match.index + match[0].length);
  if (open < 0) throw new Error(`no body for ${symbol}`);
  const close = closingIndex(masked, open);
  return { text: stripComments(source).slice(open + 1, close), masked: masked.slice(open + 1, close) };
}

/** The body of an object-valued property, e.g. a module's `params: {...}`. Throws when absent or not an object. */
export function objectProperty(body: Body, key: string): Body {
  const keys = objectKeys(body);
  if (!keys.includes(key)) throw new Error(`no property ${key}`);
  const match = new RegExp(`(^|[\\n,{])\\s*(${key}|'${key}')\\s*:\\s*\\{`).exec(body.masked);
  if (!match) throw new Error(`${key} is not an object`);
  const open = match.index + match[0].length - 1;
  const close = closingIndex(body.masked, open);
  return { text: body.text.slice(open + 1, close), masked: body.masked.slice(open + 1, close) };
}
