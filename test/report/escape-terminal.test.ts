import { describe, expect, it } from 'vitest';
import { escapeTerminal } from '../../src/report/escape';

describe('escapeTerminal', () => {
  it('shows C0, DEL and C1 controls as \\u escapes, printable text (and non-Latin) unchanged', () => {
    expect(escapeTerminal('a\u001b[2Jb\u0007c\u007fd\u009be\u0000')).toBe('a\\u001b[2Jb\\u0007c\\u007fd\\u009be\\u0000');
    expect(escapeTerminal('vnet-ü 東京 ~')).toBe('vnet-ü 東京 ~');
    expect(escapeTerminal(undefined)).toBe('');
  });

  it('escapes the bidirectional controls and the line and paragraph separators, as CSV and mail space them out', () => {
    expect(escapeTerminal('invoice\u202Efdp.exe')).toBe('invoice\\u202efdp.exe');
    expect(escapeTerminal('\u2066x\u2069\u202Ay\u202C\u200Fz\u200E\u061C')).toBe('\\u2066x\\u2069\\u202ay\\u202c\\u200fz\\u200e\\u061c');
    expect(escapeTerminal('one\u2028two\u2029three')).toBe('one\\u2028two\\u2029three');
    expect(escapeTerminal('rg\u202Bx\u202D', ['\n'])).toBe('rg\\u202bx\\u202d');
  });

  it('keeps only the controls it is told to', () => {
    expect(escapeTerminal('one\ntwo\rthree\tfour')).toBe('one\\u000atwo\\u000dthree\\u0009four');
    expect(escapeTerminal('one\ntwo\rthree\tfour', ['\n'])).toBe('one\ntwo\\u000dthree\\u0009four');
    expect(escapeTerminal('one\ntwo\rthree', ['\n', '\r'])).toBe('one\ntwo\rthree');
  });
});
