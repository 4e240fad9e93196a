import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_DOCUMENT_BYTES, parseYamlDocument, readYamlDocument } from '../../src/config/yaml-document';
import { scratchDir } from '../support/scratch';

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

describe('readYamlDocument', () => {
  const { file } = scratchDir('peerguard-yaml-');
  let n = 0;
  /** A file of `bytes`, under a fresh name. */
  const written = (bytes: Buffer): string => {
    const path = file(`doc-${n++}.yaml`, '');
    writeFileSync(path, bytes);
    return path;
  };
  const read = (path: string) => readYamlDocument(path, 'configuration file', DocumentError);
  const text = 'peeringLimit: 400\nsuppressions:\n  - reason: Partner tenant, verified (München)\n';
  const parsed = { peeringLimit: 400, suppressions: [{ reason: 'Partner tenant, verified (München)' }] };

  // QA C8: Windows PowerShell 5.1 writes UTF-16 (`>`, `Out-File`); it was read as UTF-8 and garbled.
  it.each([
    ['UTF-8', Buffer.from(text)],
    ['UTF-8 with a byte-order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])],
    ['UTF-16LE with a byte-order mark', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])],
    ['UTF-16BE with a byte-order mark', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()])],
  ])('reads %s', async (_name, bytes) => {
    expect(await read(written(bytes))).toEqual(parsed);
  });

  it('refuses bytes that are not UTF-8, naming the file and the offset, not reading U+FFFD', async () => {
    const path = written(Buffer.from(text, 'latin1'));
    const at = Buffer.byteLength(text.slice(0, text.indexOf('ü')));
    await expect(read(path)).rejects.toThrow(new DocumentError(`${path}: not valid UTF-8 at byte ${at}: save it as UTF-8 (or UTF-16 with a byte-order mark)`));
    await expect(read(path)).rejects.toBeInstanceOf(DocumentError);
  });

  // QA C7: an empty (truncated) configuration was read as the defaults, and a strict gate passed.
  it.each([
    ['0 bytes', ''],
    ['whitespace', '  \n\t\n'],
    ['comments only', '# peeringLimit: 100\n# rules:\n'],
    ['a document marker only', '---\n'],
    ['UTF-8 byte-order mark only', '\ufeff'],
  ])('refuses an empty file (%s), naming it', async (_name, content) => {
    const path = written(Buffer.from(content));
    await expect(read(path)).rejects.toThrow(new DocumentError(`${path}: the configuration file is empty`));
    await expect(readYamlDocument(path, 'intent file', DocumentError)).rejects.toThrow(new DocumentError(`${path}: the intent file is empty`));
  });

  it.each(['null', '~', 'null # nothing else'])('refuses a file holding only null (%s)', async (content) => {
    const path = written(Buffer.from(content));
    await expect(read(path)).rejects.toThrow(new DocumentError(`${path}: the configuration file is empty (it holds only null)`));
  });

  it('reads an empty mapping: the defaults, deliberately', async () => {
    expect(await read(written(Buffer.from('{}\n')))).toEqual({});
  });
});
