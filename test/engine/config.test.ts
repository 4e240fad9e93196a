import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseYamlDocument } from '../../src/config/yaml-document';
import { ConfigError, parseAuditConfig } from '../../src/engine/config';
import type { AppSettings } from '../../src/config/app-settings';
import { auditConfigFrom } from '../../src/functions/composition';
import { RULES } from '../../src/rules';

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
        suppressions: [
          { rule: '*', resource: '/subscriptions/x/*', reason: 'lab', expires: '2027-01-31' },
          { rule: 'peering-one-sided', resource: '/subscriptions/*', reason: 'migration week', expires: '2027-01-31T18:00+01:00' },
          { rule: 'peering-one-sided', resource: '/SUBSCRIPTIONS/x/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/virtualNetworkPeerings/p', reason: 'r', expires: '2027-01-31' },
        ],
      },
      ids,
    );
    expect(config.peeringLimit).toBe(1000);
    expect(config.suppressions).toHaveLength(3);
  });

  it.each([
    [{ rules: { 'no-such-rule': 'off' } }, 'peerguard.yaml: rules.no-such-rule: unknown rule id'],
    [{ rules: { 'peering-one-sided': 'fatal' } }, 'rules.peering-one-sided:'],
    [{ peeringLimit: -1 }, 'peeringLimit:'],
    [{ peeringLimt: 10 }, '(top level): unknown key "peeringLimt"; allowed: rules, peeringLimit, suppressions, remediation, intent'],
    [
      { remediation: { enabled: true, aply: true, maxWrite: 3 } },
      'remediation: unknown keys "aply", "maxWrite"; allowed: enabled, apply, allowDestructive, subscriptions, optInTag, optOutTag, maxWrites, onEvent, onSchedule',
    ],
    [{ suppressions: [{ rule: 'peering-one-sided', resource: '/subscriptions/1/*', reason: 'r', expires: '2026-13-45' }] }, 'suppressions[0].expires: not a real date'],
    [{ suppressions: [{ rule: 'peering-one-sided', resource: '/subscriptions/1/*', reason: 'r', expires: '2026-02-30' }] }, 'suppressions[0].expires: not a real date'],
    [{ suppressions: [{ rule: 'peering-one-sided', resource: '/subscriptions/1/*', reason: 'r', expires: 'soon' }] }, 'suppressions[0].expires: expected a date'],
    [{ suppressions: [{ rule: 'peering-one-sided', resource: '/subscriptions/1/*', reason: 'r', expires: '2026-11-26T03:00' }] }, 'suppressions[0].expires: expected a date such as 2026-12-31, or a date and time with its zone'],
    [JSON.parse('{"rules": {"__proto__": "off"}}') as unknown, 'peerguard.yaml: rules.__proto__: unknown rule id'],
    [{ suppressions: [{ rule: 'peering-one-sided', resource: '/subscriptions/1/*', expires: '2027-01-01' }] }, 'suppressions[0].reason'],
    [{ suppressions: [{ rule: 'typo-rule', resource: '/subscriptions/1/*', reason: 'r', expires: '2027-01-01' }] }, 'suppressions[0].rule: unknown rule id "typo-rule"'],
    ...['vnet-spoke3-prod', '*', '/subscriptions/', '/subscriptions//x', '/subscriptions/1/*/x', 'subscriptions/1/*', '/subscriptions/abc*', '/subscriptions/1/rg*'].map((resource): [unknown, string] => [
      { suppressions: [{ rule: 'peering-one-sided', resource, reason: 'r', expires: '2027-01-01' }] },
      'suppressions[0].resource: expected a resource id (/subscriptions/<id>/resourceGroups/<group>/providers/…), or a scope ending in /*',
    ]),
  ])('names the bad key in %j', (document, message) => {
    expect(() => parseAuditConfig(document, ids, 'peerguard.yaml')).toThrow(ConfigError);
    expect(() => parseAuditConfig(document, ids, 'peerguard.yaml')).toThrow(message);
  });

  // A rule setting is a word or an object: the message says both forms, or names the bad key of the object.
  const SETTING = 'expected error, warning, info or off, or { enabled: boolean, severity: error|warning|info }';
  it.each([
    [{ 'peering-one-sided': 'critical' }, `rules.peering-one-sided: ${SETTING}; got "critical"`],
    [{ 'peering-one-sided': 'Error' }, `rules.peering-one-sided: ${SETTING}; got "Error"`],
    [{ 'peering-one-sided': false }, `rules.peering-one-sided: ${SETTING}; got false`],
    [{ 'peering-one-sided': null }, `rules.peering-one-sided: ${SETTING}; got null`],
    [{ 'peering-one-sided': 3 }, `rules.peering-one-sided: ${SETTING}; got 3`],
    [{ 'peering-one-sided': ['off'] }, `rules.peering-one-sided: ${SETTING}; got a list`],
    [{ 'peering-one-sided': { enabled: 'no', severity: 'error' } }, 'rules.peering-one-sided.enabled: expected boolean, got "no"'],
    [{ 'peering-one-sided': { severity: 'fatal' } }, 'rules.peering-one-sided.severity: expected error, warning or info; got "fatal"'],
    [{ 'peering-one-sided': { enabled: 1, severity: 'off' } }, 'rules.peering-one-sided.enabled: expected boolean, got 1; rules.peering-one-sided.severity: expected error, warning or info; got "off"'],
    [{ 'peering-one-sided': { enabld: true } }, 'rules.peering-one-sided: unknown key "enabld"; allowed: enabled, severity'],
  ])('a bad rule setting %j says what is allowed', (rules, message) => {
    expect(() => parseAuditConfig({ rules }, ids, 'peerguard.yaml')).toThrow(new ConfigError(`peerguard.yaml: ${message}`));
  });

  it.each([
    [{ rules: 'off' }, 'rules: expected object, got "off"'],
    [{ peeringLimit: '500' }, 'peeringLimit: expected number, got "500"'],
    [{ remediation: { enabled: 'yes' } }, 'remediation.enabled: expected boolean, got "yes"'],
    [{ suppressions: [{ rule: 'peering-one-sided', resource: '/subscriptions/1/*', reason: 'r' }] }, 'suppressions[0].expires: missing (expected string)'],
    ['rules: {}', '(top level): expected object, got "rules: {}"'],
  ])('a value of the wrong type in %j says the type expected and what was given', (document, message) => {
    expect(() => parseAuditConfig(document, ids, 'peerguard.yaml')).toThrow(new ConfigError(`peerguard.yaml: ${message}`));
  });
});

// The allow list holds subscription ids (GUIDs), as --subscription does: a resource id or a typo
// would match no finding, and every fix would be skipped as "not on the allow list" with exit 0.
describe('remediation.subscriptions', () => {
  const GOOD = 'aaaaaaaa-0000-0000-0000-000000000001';
  const EXPECTED = 'expected a subscription id (a GUID such as 00000000-0000-0000-0000-000000000000)';

  it('accepts GUIDs in any case', () => {
    const config = parseAuditConfig({ remediation: { subscriptions: [GOOD, GOOD.toUpperCase()] } }, ids);
    expect(config.remediation.subscriptions).toEqual([GOOD, GOOD.toUpperCase()]);
  });

  it.each([
    [[`/subscriptions/${GOOD}`], `remediation.subscriptions[0]: ${EXPECTED}, got "/subscriptions/aaaaaaaa-0000-0000-0000-0…"; this is a resource id: give its GUID, "${GOOD}"`],
    [[GOOD, 'aaaaaaaa-0000-0000-0000-00000000001'], `remediation.subscriptions[1]: ${EXPECTED}, got "aaaaaaaa-0000-0000-0000-00000000001"`],
    [['prod-subscription'], `remediation.subscriptions[0]: ${EXPECTED}, got "prod-subscription"`],
    [[''], `remediation.subscriptions[0]: ${EXPECTED}, got ""`],
    [['/subscriptions/not-a-guid'], `remediation.subscriptions[0]: ${EXPECTED}, got "/subscriptions/not-a-guid"`],
  ])('refuses %j, naming the key and index', (subscriptions, message) => {
    expect(() => parseAuditConfig({ remediation: { enabled: true, subscriptions } }, ids, 'peerguard.yaml')).toThrow(new ConfigError(`peerguard.yaml: ${message}`));
  });
});

// QA C13: messages that did not say what was wrong.
describe('suppressions written in ways the configuration did not say', () => {
  const suppression = (edit: Record<string, unknown>) => ({ suppressions: [{ rule: 'peering-one-sided', resource: '/subscriptions/1/*', reason: 'r', expires: '2027-06-30', ...edit }] });
  const yaml = (text: string): unknown => parseYamlDocument(text, 'peerguard.yaml', ConfigError);

  it('an expiry read as a YAML timestamp (%YAML 1.1, unquoted) is refused, saying so and how to quote it', () => {
    const document = yaml('%YAML 1.1\n---\nsuppressions:\n  - rule: peering-one-sided\n    resource: /subscriptions/1/*\n    reason: r\n    expires: 2027-06-30\n');
    expect((document as { suppressions: Array<{ expires: unknown }> }).suppressions[0]?.expires).toBeInstanceOf(Date);
    const message = 'suppressions[0].expires: 2027-06-30 was read as a YAML timestamp, not as text (a %YAML 1.1 document reads an unquoted date so): quote it, expires: "2027-06-30"';
    expect(() => parseAuditConfig(document, ids, 'peerguard.yaml')).toThrow(new ConfigError(`peerguard.yaml: ${message}`));
    // A time is shown as the instant read, never taken for the end of a day.
    expect(() => parseAuditConfig(suppression({ expires: new Date('2027-06-30T18:00:00Z') }), ids, 'peerguard.yaml')).toThrow(
      'suppressions[0].expires: 2027-06-30T18:00:00.000Z was read as a YAML timestamp, not as text (a %YAML 1.1 document reads an unquoted date so): quote it, expires: "2027-06-30T18:00:00.000Z"',
    );
    // Quoted, the same document is read.
    expect(parseAuditConfig(yaml('%YAML 1.1\n---\nsuppressions:\n  - rule: peering-one-sided\n    resource: /subscriptions/1/*\n    reason: r\n    expires: "2027-06-30"\n'), ids).suppressions[0]?.expires).toBe('2027-06-30');
  });

  it('a timestamp where other text is expected is named as one', () => {
    expect(() => parseAuditConfig(suppression({ reason: new Date('2027-01-01T00:00:00Z') }), ids, 'peerguard.yaml')).toThrow(
      new ConfigError('peerguard.yaml: suppressions[0].reason: expected string, got a YAML timestamp (2027-01-01; quote it to give text)'),
    );
  });

  it.each([
    ['/subscriptions/1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/', '/subscriptions/1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v'],
    ['/subscriptions/1/resourceGroups/rg//', '/subscriptions/1/resourceGroups/rg'],
    ['/subscriptions/1/*/', '/subscriptions/1/*'],
  ])('a resource with a trailing slash (%s) is read without it, as input ids are', (resource, read) => {
    expect(parseAuditConfig(suppression({ resource }), ids).suppressions[0]?.resource).toBe(read);
  });
});

// A section whose entries are all commented out is YAML null (`rules:` then only `# x: off`, as
// examples/peerguard.yaml invites): read as absent, not refused as "expected object, got null".
// Other wrong types are still refused, naming the setting. The Functions app parses
// PEERGUARD_AUDIT_CONFIG through the same parser.
describe('a section whose entries are all commented out', () => {
  const yaml = (text: string): unknown => parseYamlDocument(text, 'peerguard.yaml', ConfigError);
  const subscription = 'aaaaaaaa-0000-0000-0000-000000000001';

  it('rules, suppressions, remediation and intent read as absent: the defaults', () => {
    const document = yaml('peeringLimit: 11\nrules:\n  # peering-one-sided: off\nsuppressions:\n  # - rule: peering-one-sided\nremediation:\n  # enabled: true\nintent:\n  # groups: {}\n');
    const config = parseAuditConfig(document, ids, 'peerguard.yaml');
    expect(config).toEqual({ ...parseAuditConfig({}, ids), peeringLimit: 11 });
    expect(config.intent).toBeUndefined();
  });

  it('examples/peerguard.yaml with its one rule setting commented out too', () => {
    const example = readFileSync('examples/peerguard.yaml', 'utf8');
    const edited = example.replace('\n  gateway-transit-offered-not-used: warning\n', '\n  # gateway-transit-offered-not-used: warning\n');
    expect(edited).not.toBe(example);
    const config = parseAuditConfig(yaml(edited), RULES.map((r) => r.meta.id), 'peerguard.yaml');
    expect(config.rules).toEqual({});
    expect(config.suppressions).toHaveLength(3);
  });

  it('remediation.subscriptions with every entry commented out is the empty allow list', () => {
    const document = yaml(`remediation:\n  enabled: true\n  subscriptions:\n    # - ${subscription}\n`);
    expect(parseAuditConfig(document, ids).remediation).toMatchObject({ enabled: true, subscriptions: [] });
  });

  it('the same in PEERGUARD_AUDIT_CONFIG (the Functions app)', () => {
    const config = auditConfigFrom({ PEERGUARD_AUDIT_CONFIG: 'rules:\n  # peering-one-sided: off\nsuppressions:\n' } as AppSettings);
    expect(config).toEqual(parseAuditConfig({}, RULES.map((r) => r.meta.id)));
  });

  it.each([
    ['rules: off\n', 'rules: expected object, got "off"'],
    ['rules: 3\n', 'rules: expected object, got 3'],
    ['suppressions: none\n', 'suppressions: expected array, got "none"'],
    ['remediation: 5\n', 'remediation: expected object, got 5'],
    ['remediation:\n  subscriptions: all\n', 'remediation.subscriptions: expected array, got "all"'],
    // A setting with no value is not a section: null there is refused.
    ['peeringLimit:\n', 'peeringLimit: expected number, got null'],
    ['rules:\n  peering-one-sided:\n', 'rules.peering-one-sided: expected error, warning, info or off'],
  ])('a value of another type is still refused: %j', (text, message) => {
    expect(() => parseAuditConfig(yaml(text), ids, 'peerguard.yaml')).toThrow(`peerguard.yaml: ${message}`);
  });
});
