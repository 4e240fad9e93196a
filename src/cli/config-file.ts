import { readYamlDocument } from '../config/yaml-document';
import { ConfigError, DEFAULT_CONFIG, parseAuditConfig, type AuditConfig } from '../engine/config';
import { RULES } from '../rules';

/** Reads a JSON or YAML config file (YAML is a superset of JSON) and validates it. */
export async function loadConfigFile(path: string | undefined): Promise<AuditConfig> {
  if (!path) return DEFAULT_CONFIG;
  const document = await readYamlDocument(path, 'configuration file', ConfigError);
  return parseAuditConfig(document, RULES.map((r) => r.meta.id), path);
}
