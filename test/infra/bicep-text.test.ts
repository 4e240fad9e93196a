import { describe, expect, it } from 'vitest';
import { declarationBody, declarations, maskBicep, objectKeys, objectProperty, objectValue, paramDefault, stringArray, varBody } from './bicep-text';

const source = `
// var appSettings = { COMMENTED_OUT: 'x' }
param schedule string = '0 0 6 * * *' // trailing comment
param flag bool = false
param noDefault string

var appSettings = {
  /* block comment with KEY: 'x' and { braces } */
  PLAIN: 'a'
  'QUOTED_KEY': 'b'
  NESTED: { INNER: 'c', OTHER: [1, 2] }
  WITH_STRING: 'has { braces } and key: colons, and \\'escaped\\' quotes'
  INTERPOLATED: '\${concat('{', x['y'])}-z'
  MULTI: '''
  LOOKS_LIKE_KEY: 'x'
  '''
  LAST: cond ? 'x' : 'y'
}

var types = [
  'A.B/c' // comment
  'A.B/c/d', 'E.F/g'
]

resource r 'Microsoft.X/y@2024-01-01' = if (enabled && other) {
  name: 'r'
}
module m 'modules/m.bicep' = [for s in (enabled ? list : []): {
  name: s
}]
resource e 'Microsoft.X/z@2024-01-01' existing = {
  name: 'e'
}
`;

describe('bicep-text', () => {
  it('masks comments and string contents without moving offsets', () => {
    const masked = maskBicep(source);
    expect(masked).toHaveLength(source.length);
    expect(masked).not.toContain('COMMENTED_OUT');
    expect(masked).not.toContain('LOOKS_LIKE_KEY');
  });

  it('reads the top-level keys of an object, whatever the strings and comments hold', () => {
    expect(objectKeys(varBody(source, 'appSettings'))).toEqual([
      'PLAIN', 'QUOTED_KEY', 'NESTED', 'WITH_STRING', 'INTERPOLATED', 'MULTI', 'LAST',
    ]);
  });

  it('reads a value expression', () => {
    const body = varBody(source, 'appSettings');
    expect(objectValue(body, 'LAST')).toBe("cond ? 'x' : 'y'");
    expect(objectValue(body, 'INNER')).toBeUndefined();
  });

  it('reads string arrays one per line or comma-separated, and refuses expressions', () => {
    expect(stringArray(varBody(source, 'types'))).toEqual(['A.B/c', 'A.B/c/d', 'E.F/g']);
    expect(() => stringArray(varBody('var x = [\n  concat(a)\n]', 'x'))).toThrow(/not a string literal/);
  });

  it('reads parameter defaults', () => {
    expect(paramDefault(source, 'schedule')).toBe("'0 0 6 * * *'");
    expect(paramDefault(source, 'flag')).toBe('false');
    expect(paramDefault(source, 'noDefault')).toBeUndefined();
    expect(() => paramDefault(source, 'absent')).toThrow();
  });

  it('reads the body of a declaration, and an object-valued property of it', () => {
    const loop = declarationBody(source, 'm');
    expect(objectKeys(loop)).toEqual(['name']);
    expect(objectValue(loop, 'name')).toBe('s');
    expect(objectValue(declarationBody(source, 'e'), 'name')).toBe("'e'");
    expect(() => declarationBody(source, 'absent')).toThrow(/no `resource absent`/);
    const nested = objectProperty(varBody(source, 'appSettings'), 'NESTED');
    expect(objectKeys(nested)).toEqual(['INNER', 'OTHER']);
    expect(objectValue(nested, 'OTHER')).toBe('[1, 2]');
    expect(() => objectProperty(varBody(source, 'appSettings'), 'PLAIN')).toThrow(/not an object/);
  });

  it('lists declarations with their conditions and loops', () => {
    expect(declarations(source).map((d) => [d.symbol, d.target, d.header])).toEqual([
      ['r', 'Microsoft.X/y@2024-01-01', 'if (enabled && other)'],
      ['m', 'modules/m.bicep', '[for s in (enabled ? list : []):'],
      ['e', 'Microsoft.X/z@2024-01-01', ''],
    ]);
  });
});
