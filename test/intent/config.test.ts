import { describe, expect, it } from 'vitest';
import { ConfigError, parseAuditConfig } from '../../src/engine/config';
import { RULES } from '../../src/rules';

// The Functions app reads the intent from the audit configuration (PEERGUARD_AUDIT_CONFIG): an `intent:` section.

const ids = RULES.map((r) => r.meta.id);

describe('intent in the audit configuration', () => {
  it('an intent: section is parsed into the config', () => {
    const config = parseAuditConfig({ intent: { groups: { a: { names: ['x*'] } }, statements: [{ 'reach-each-other': 'a' }] } }, ids, 'app setting');
    expect(config.intent?.statements[0]).toMatchObject({ kind: 'reach-each-other', group: 'a' });
  });
  it('a bad intent section names the key', () => {
    expect(() => parseAuditConfig({ intent: { groups: {}, statements: [{ isolated: { between: ['a', 'b'] } }] } }, ids, 'app setting')).toThrow(
      /app setting: intent: statements\[0\]\.isolated\.between\[0\]: unknown group "a"/,
    );
  });
  it('a bad value inside a statement is named by its key', () => {
    const intent = { groups: { a: { names: ['x*'] } }, statements: [{ 'reach-each-other': 'a', via: 'teleport' }] };
    expect(() => parseAuditConfig({ intent }, ids, 'app setting')).toThrow(
      new ConfigError('app setting: intent: statements[0].via: expected firewall or appliance, got "teleport"'),
    );
  });
});

describe('contradictory statements in the audit configuration', () => {
  it("are refused as the intent file's are, naming both statements", () => {
    const intent = { groups: { dev: { tags: ['env=dev'] }, prod: { tags: ['env=prod'] } }, statements: [{ reach: { from: 'dev', to: 'prod' } }, { isolated: { between: ['prod', 'dev'] } }] };
    expect(() => parseAuditConfig({ intent }, ids, 'app setting')).toThrow(
      new ConfigError('app setting: intent: statements[1]: "prod and dev are isolated" contradicts statements[0] ("dev reach prod"): a VNet of "prod" and one of "dev" cannot both reach each other and be isolated; drop one of them'),
    );
  });
});
