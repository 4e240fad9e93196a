import { describe, expect, it } from 'vitest';
import { ConfigError, parseAuditConfig } from '../../src/engine/config';

const ids = ['peering-one-sided', 'peering-limit-near'];

describe('audit configuration', () => {
  it('applies defaults', () => {
    const config = parseAuditConfig(undefined, ids);
    expect(config).toMatchObject({ rules: {}, peeringLimit: 500, suppressions: [] });
    expect(config.remediation).toMatchObject({ enabled: false, apply: false, allowDestructive: false, subscriptions: [], maxWrites: 5 });
  });

  it('accepts rule switches, severities, a limit and suppressions', () => {
    const config = parseAuditConfig(
      {
        rules: { 'peering-one-sided': 'warning', 'peering-limit-near': { enabled: false } },
        peeringLimit: 1000,
        suppressions: [{ rule: '*', resource: '/subscriptions/x/*', reason: 'lab', expires: '2027-01-31' }],
      },
      ids,
    );
    expect(config.peeringLimit).toBe(1000);
    expect(config.suppressions).toHaveLength(1);
  });

  it.each([
    [{ rules: { 'no-such-rule': 'off' } }, 'peerguard.yaml: rules.no-such-rule: unknown rule id'],
    [{ rules: { 'peering-one-sided': 'fatal' } }, 'rules.peering-one-sided:'],
    [{ peeringLimit: -1 }, 'peeringLimit:'],
    [{ peeringLimt: 10 }, 'unknown key: peeringLimt'],
    [{ suppressions: [{ rule: 'peering-one-sided', resource: '/x', reason: 'r', expires: '2026-13-45' }] }, 'suppressions[0].expires: not a real date'],
    [{ suppressions: [{ rule: 'peering-one-sided', resource: '/x', reason: 'r', expires: '2026-02-30' }] }, 'suppressions[0].expires: not a real date'],
    [{ suppressions: [{ rule: 'peering-one-sided', resource: '/x', reason: 'r', expires: 'soon' }] }, 'suppressions[0].expires: expected a date'],
    [JSON.parse('{"rules": {"__proto__": "off"}}') as unknown, 'peerguard.yaml: rules.__proto__: unknown rule id'],
    [{ suppressions: [{ rule: 'peering-one-sided', resource: '/x', expires: '2027-01-01' }] }, 'suppressions[0].reason'],
    [{ suppressions: [{ rule: 'typo-rule', resource: '/x', reason: 'r', expires: '2027-01-01' }] }, 'suppressions[0].rule: unknown rule id "typo-rule"'],
  ])('names the bad key in %j', (document, message) => {
    expect(() => parseAuditConfig(document, ids, 'peerguard.yaml')).toThrow(ConfigError);
    expect(() => parseAuditConfig(document, ids, 'peerguard.yaml')).toThrow(message);
  });
});
