import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { ConfigError, DEFAULT_CONFIG, parseAuditConfig, type AuditConfig } from '../engine/config';
import { RULES } from '../rules';

/** Reads a JSON or YAML config file (YAML is a superset of JSON) and validates it. */
export async function loadConfigFile(path: string | undefined): Promise<AuditConfig> {
  if (!path) return DEFAULT_CONFIG;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new ConfigError(`${path}: cannot read the configuration file`);
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`${path}: not valid YAML or JSON (${(error as Error).message.split('\n')[0]})`);
  }
  return parseAuditConfig(document, RULES.map((r) => r.meta.id), path);
}
