import { describe, expect, it } from 'vitest';
import { MAX_DOCUMENT_BYTES, parseYamlDocument } from '../../src/config/yaml-document';

class DocumentError extends Error {}

const parse = (text: string) => parseYamlDocument(text, 'intent.yaml', DocumentError);
const failure = (text: string): string => {
  try {
    parse(text);
  } catch (error) {
    expect(error).toBeInstanceOf(DocumentError);
    return (error as Error).message;
  }
  throw new Error('parsed without an error');
};

describe('parseYamlDocument', () => {
  it('refuses a key repeated in one mapping, naming the key and where its second use is, at any depth', () => {
    expect(failure('groups:\n  hub: { names: [a] }\n  hub: { names: [b] }\n')).toBe('intent.yaml: not valid YAML or JSON (Map keys must be unique at line 3, column 3: "hub")');
    expect(failure('a: 1\nb:\n  - c: 1\n    d: 2\n    c: 3\n')).toBe('intent.yaml: not valid YAML or JSON (Map keys must be unique at line 5, column 5: "c")');
    expect(failure('{"a": 1, "b": {"x": 1, "x": 2}}')).toBe('intent.yaml: not valid YAML or JSON (Map keys must be unique at line 1, column 24: "x")');
  });

  it('keeps keys that only look alike: the same name in different mappings, and 1 beside "1"', () => {
    expect(parse('a: { x: 1 }\nb: { x: 2 }\n')).toEqual({ a: { x: 1 }, b: { x: 2 } });
    expect(parse('1: a\n"1": b\n')).toEqual({ 1: 'b' });
  });

  it('reads a mapping of 20,000 keys whole, and finds a key repeated at its end', () => {
    const groups = Array.from({ length: 20_000 }, (_, i) => `  g${i}: { names: [vnet-${i}] }`).join('\n');
    expect(Object.keys((parse(`groups:\n${groups}\n`) as { groups: object }).groups)).toHaveLength(20_000);
    expect(failure(`groups:\n${groups}\n  g7: { names: [again] }\n`)).toBe('intent.yaml: not valid YAML or JSON (Map keys must be unique at line 20002, column 3: "g7")');
  });

  it('refuses a document larger than MAX_DOCUMENT_BYTES before parsing it, naming both sizes', () => {
    const text = `# ${'x'.repeat(MAX_DOCUMENT_BYTES)}\n`;
    expect(failure(text)).toBe(`intent.yaml: ${Buffer.byteLength(text)} bytes, more than the ${MAX_DOCUMENT_BYTES} a configuration or intent document may hold`);
  });

  it('still refuses syntax errors and runaway aliases with the parser first line', () => {
    expect(failure('a: [1, 2\n')).toMatch(/^intent\.yaml: not valid YAML or JSON \(.+\)$/);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`)].join('\n');
    expect(failure(bomb)).toMatch(/^intent\.yaml: not valid YAML or JSON \(.*alias.*\)$/i);
  });
});
