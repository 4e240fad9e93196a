import { readFile } from 'node:fs/promises';
import type * as Yaml from 'yaml';
import { fsReason } from '../io/fs-reason';

// A YAML document (or JSON: YAML is a superset) for the configuration file, the intent file and
// PEERGUARD_AUDIT_CONFIG, with errors that name where it came from. `yaml` is required on first
// use, not when this module loads: the Functions app's start-up path does not parse it
// (scripts/bundle.mjs keeps it out of the bundle).

/** The error to throw: ConfigError, IntentError. */
export type DocumentErrorClass = new (message: string) => Error;

/** Parses `text`; a syntax error throws `<source>: not valid YAML or JSON (<the parser's first line>)`. */
export function parseYamlDocument(text: string, source: string, ErrorClass: DocumentErrorClass): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const yaml = require('yaml') as typeof Yaml;
  try {
    return yaml.parse(text);
  } catch (error) {
    throw new ErrorClass(`${source}: not valid YAML or JSON (${(error as Error).message.split('\n')[0]})`);
  }
}

/** Reads and parses a file; one that cannot be read throws `<path>: cannot read the <what>: <why>`. */
export async function readYamlDocument(path: string, what: string, ErrorClass: DocumentErrorClass): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ErrorClass(`${path}: cannot read the ${what}: ${fsReason(error)}`);
  }
  return parseYamlDocument(text, path, ErrorClass);
}
