import { readFile } from 'node:fs/promises';
import type * as Yaml from 'yaml';
import { fsReason } from '../io/fs-reason';
import { decodeFileBytes } from '../model/snapshot';

// A YAML document (or JSON: YAML is a superset) for the configuration file, the intent file and
// PEERGUARD_AUDIT_CONFIG, with errors that name where it came from. `yaml` is required on first
// use, not when this module loads: the Functions app's start-up path does not parse it
// (scripts/bundle.mjs keeps it out of the bundle).

/** The error to throw: ConfigError, IntentError. */
export type DocumentErrorClass = new (message: string) => Error;

/**
 * The largest document accepted, in bytes: far above any real configuration or intent (thousands of
 * groups or suppressions), and small enough that parsing one stays quick and bounded in memory.
 */
export const MAX_DOCUMENT_BYTES = 2 * 2 ** 20;

/**
 * Parses `text`; a syntax error throws `<source>: not valid YAML or JSON (<the parser's first line>)`,
 * and so does a key repeated in one mapping. `yaml`'s own check for repeated keys compares every
 * pair of a mapping's keys (30 s for one of 32k keys): it is off, and each mapping's keys go through
 * a set instead.
 */
export function parseYamlDocument(text: string, source: string, ErrorClass: DocumentErrorClass): unknown {
  return parse(text, source, ErrorClass).value;
}

/** `parseYamlDocument`, and whether the document holds nothing at all (whitespace and comments only). */
function parse(text: string, source: string, ErrorClass: DocumentErrorClass): { value: unknown; empty: boolean } {
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_DOCUMENT_BYTES) throw new ErrorClass(`${source}: ${bytes} bytes, more than the ${MAX_DOCUMENT_BYTES} a configuration or intent document may hold`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const yaml = require('yaml') as typeof Yaml;
  const lines = new yaml.LineCounter();
  try {
    const document = yaml.parseDocument(text, { uniqueKeys: false, lineCounter: lines });
    const [error] = document.errors;
    if (error) throw error;
    const repeated = firstRepeatedKey(yaml, document);
    if (repeated) {
      const { line, col } = lines.linePos(repeated.offset);
      throw new Error(`Map keys must be unique at line ${line}, column ${col}: "${repeated.key}"`);
    }
    // No node (nothing but whitespace and comments), or the empty node after a lone `---`.
    const { contents } = document;
    return { value: document.toJS(), empty: contents === null || (yaml.isScalar(contents) && contents.source === '') };
  } catch (error) {
    throw new ErrorClass(`${source}: not valid YAML or JSON (${(error as Error).message.split('\n')[0]})`);
  }
}

/** The first key that a mapping of `document` holds twice, and where its second use starts. */
function firstRepeatedKey(yaml: typeof Yaml, document: Yaml.Document): { key: string; offset: number } | undefined {
  let repeated: { key: string; offset: number } | undefined;
  yaml.visit(document, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const { key } of map.items) {
        // Scalar keys by value (`1` and `"1"` differ, as for `yaml`); other keys by their text.
        const value = yaml.isScalar(key) ? key.value : String(key);
        if (seen.has(value)) {
          repeated = { key: String(value), offset: yaml.isNode(key) ? (key.range?.[0] ?? 0) : 0 };
          return yaml.visit.BREAK;
        }
        seen.add(value);
      }
      return undefined;
    },
  });
  return repeated;
}

/**
 * Reads and parses a file; one that cannot be read throws `<path>: cannot read the <what>: <why>`.
 * Its bytes are decoded as a snapshot's are: UTF-8, or UTF-16 with a byte-order mark (Windows
 * PowerShell 5.1's `>` and `Out-File`); other bytes are refused, naming the offset. An empty file
 * (whitespace and comments only, or a lone null) is refused: a truncated configuration read as
 * the defaults would let a strict gate pass.
 */
export async function readYamlDocument(path: string, what: string, ErrorClass: DocumentErrorClass): Promise<unknown> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new ErrorClass(`${path}: cannot read the ${what}: ${fsReason(error)}`);
  }
  let text: string;
  try {
    text = decodeFileBytes(bytes, path);
  } catch (error) {
    throw new ErrorClass((error as Error).message);
  }
  const { value, empty } = parse(text, path, ErrorClass);
  if (value === null || value === undefined) throw new ErrorClass(`${path}: the ${what} is empty${empty ? '' : ' (it holds only null)'}`);
  return value;
}
