import { describe, expect, it } from 'vitest';
import { escapeTerminal } from '../../src/report/escape';

describe('escapeTerminal', () => {
  it('shows C0, DEL and C1 controls as \\u escapes, printable text (and non-Latin) unchanged', () => {
    expect(escapeTerminal('a\u001b[2Jb\u0007c\u007fd\u009be\u0000')).toBe('a\\u001b[2Jb\\u0007c\\u007fd\\u009be\\u0000');
    expect(escapeTerminal('vnet-ü 東京 ~')).toBe('vnet-ü 東京 ~');
    expect(escapeTerminal(undefined)).toBe('');
  });

  it('keeps only the controls it is told to', () => {
    expect(escapeTerminal('one\ntwo\rthree\tfour')).toBe('one\\u000atwo\\u000dthree\\u0009four');
    expect(escapeTerminal('one\ntwo\rthree\tfour', ['\n'])).toBe('one\ntwo\\u000dthree\\u0009four');
    expect(escapeTerminal('one\ntwo\rthree', ['\n', '\r'])).toBe('one\ntwo\rthree');
  });
});
