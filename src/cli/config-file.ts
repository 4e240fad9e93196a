import { readYamlDocument } from '../config/yaml-document';
import { ConfigError, DEFAULT_CONFIG, parseAuditConfig, type AuditConfig } from '../engine/config';
import { RULES } from '../rules';

/**
 * Reads a JSON or YAML config file (YAML is a superset of JSON) and validates it. No --config is the
 * default configuration; an empty one (`--config "$CFG"` with CFG unset) is refused, not taken as none.
 */
export async function loadConfigFile(path: string | undefined): Promise<AuditConfig> {
  if (path === undefined) return DEFAULT_CONFIG;
  if (path === '') throw new ConfigError('--config is empty: name a configuration file (YAML or JSON), or leave the option out');
  const document = await readYamlDocument(path, 'configuration file', ConfigError);
  return parseAuditConfig(document, RULES.map((r) => r.meta.id), path);
}
