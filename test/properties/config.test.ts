import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { APP_SETTING_NAMES, loadAppSettings, SettingsError } from '../../src/config/app-settings';
import { ConfigError, parseAuditConfig } from '../../src/engine/config';
import { auditResources } from '../../src/engine/pipeline';
import { cloudFrom, validateAtStartup } from '../../src/functions/composition';
import { resourcesFromDocument } from '../../src/model/snapshot';
import { RULES } from '../../src/rules';
import { anyJson, estateOf, estateSpec } from './arbitraries';

// Property-based tests of configuration (issue 10): an audit config or a set of app settings is
// accepted or refused with a ConfigError / SettingsError that names the source and the bad key.

const RULE_IDS = RULES.map((r) => r.meta.id);

const ruleSetting = fc.oneof(
  fc.constantFrom('off', 'error', 'warning', 'info'),
  fc.record({ enabled: fc.boolean(), severity: fc.constantFrom('error', 'warning', 'info') }, { requiredKeys: [] }),
  anyJson,
);
const date = fc.oneof(fc.constantFrom('2020-01-01', '2099-12-31', '2026-02-30', '2026-13-01', 'tomorrow', '2026-06-01T12:00:00Z'), anyJson);
const suppression = fc.record(
  {
    rule: fc.oneof(fc.constantFrom('*', ...RULE_IDS), fc.string()),
    resource: fc.oneof(fc.constant('/subscriptions/11111111-1111-1111-1111-111111111111/*'), fc.string()),
    reason: fc.string(),
    expires: date,
    extra: anyJson,
  },
  { requiredKeys: [] },
);
/** Mostly well-formed configs with the odd wrong value: the mistakes people make. */
const nearConfig = fc.record(
  {
    rules: fc.dictionary(fc.oneof(fc.constantFrom(...RULE_IDS), fc.string()), ruleSetting, { maxKeys: 4 }),
    peeringLimit: fc.oneof(fc.integer({ min: -5, max: 1000 }), anyJson),
    suppressions: fc.array(suppression, { maxLength: 3 }),
    remediation: fc.oneof(
      fc.record({ enabled: fc.boolean(), maxWrites: fc.integer({ min: -1, max: 200 }), optInTag: fc.oneof(fc.constant('team=net'), fc.string()), subscriptions: fc.array(fc.string(), { maxLength: 2 }) }, { requiredKeys: [] }),
      anyJson,
    ),
  },
  { requiredKeys: [] },
);

describe('properties: configuration', () => {
  it('an audit config is accepted, or refused with a ConfigError naming the source and the key', () => {
    fc.assert(
      fc.property(fc.oneof(nearConfig, anyJson), fc.oneof(estateSpec.map(estateOf), fc.constant([])), (document, estate) => {
        let config;
        try {
          config = parseAuditConfig(document, RULE_IDS, 'peerguard.yaml');
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          expect(error.message).toMatch(/^peerguard\.yaml: (\(top level\)|rules|peeringLimit|suppressions|remediation)\S*.*: \S/s);
          return;
        }
        // What is accepted keeps the contract: known rule ids only, real expiry dates, a positive limit.
        for (const id of Object.keys(config.rules)) expect(RULE_IDS).toContain(id);
        for (const s of config.suppressions) {
          if (s.rule !== '*') expect(RULE_IDS).toContain(s.rule);
          expect(Number.isNaN(Date.parse(s.expires)), `suppression expires ${s.expires}`).toBe(false);
        }
        expect(Number.isInteger(config.peeringLimit) && config.peeringLimit > 0).toBe(true);
        // An accepted config always runs.
        auditResources({ resources: resourcesFromDocument(estate, 'e.json'), rules: RULES, config, now: new Date('2026-01-01T00:00:00Z'), version: 'prop' });
      }),
      { numRuns: 400 },
    );
  });

  it('a working config with one mistake is refused, naming the key of that mistake', () => {
    const working = fc.record({
      rules: fc.dictionary(fc.constantFrom(...RULE_IDS), fc.constantFrom('off', 'error', 'warning', 'info'), { maxKeys: 3 }),
      peeringLimit: fc.integer({ min: 1, max: 1000 }),
      suppressions: fc.array(
        fc.record({
          rule: fc.constantFrom('*', ...RULE_IDS),
          resource: fc.constant('/subscriptions/11111111-1111-1111-1111-111111111111/*'),
          reason: fc.constant('accepted: NET-4211'),
          expires: fc.constantFrom('2026-06-30', '2099-12-31', '2027-01-01T00:00:00Z'),
        }),
        { minLength: 1, maxLength: 3 },
      ),
    });
    // '*' is every rule in a suppression, not an unknown id; `__proto__` is one a schema record drops.
    const unknownId = fc.oneof(fc.constant('__proto__'), fc.string({ minLength: 1 }).filter((id) => !RULE_IDS.includes(id) && id !== '*'));
    type Config = { rules: Record<string, string>; peeringLimit: number; suppressions: { rule: string; resource: string; reason: string; expires: string }[] };
    /** A mistake: the config with it, and the key the error must name. */
    type Mistake = (c: Config) => [unknown, string];
    const mistake = fc.oneof<fc.Arbitrary<Mistake>[]>(
      unknownId.map((id): Mistake => (c) => [{ ...c, rules: { ...c.rules, [id]: 'off' } }, `rules.${id}`]),
      fc.tuple(fc.constantFrom(...RULE_IDS), fc.constantFrom('loud', 'on', 'Error', '')).map(([id, v]): Mistake => (c) => [{ ...c, rules: { ...c.rules, [id]: v } }, `rules.${id}`]),
      fc.constantFrom(0, -5, 1.5, '500').map((v): Mistake => (c) => [{ ...c, peeringLimit: v }, 'peeringLimit']),
      fc.tuple(fc.nat(), unknownId).map(([i, id]): Mistake => (c) => {
        const k = i % c.suppressions.length;
        return [{ ...c, suppressions: c.suppressions.map((x, j) => (j === k ? { ...x, rule: id } : x)) }, `suppressions[${k}].rule`];
      }),
      fc.tuple(fc.nat(), fc.constantFrom('2026-13-01', '2026-00-10', '2026-02-30', 'tomorrow', '30.06.2026', '')).map(([i, date]): Mistake => (c) => {
        const k = i % c.suppressions.length;
        return [{ ...c, suppressions: c.suppressions.map((x, j) => (j === k ? { ...x, expires: date } : x)) }, `suppressions[${k}].expires`];
      }),
    );
    fc.assert(
      fc.property(working, mistake, (config, make) => {
        expect(() => parseAuditConfig(config, RULE_IDS, 'peerguard.yaml')).not.toThrow();
        const [wrong, key] = make(config);
        let refused: unknown;
        try {
          parseAuditConfig(wrong, RULE_IDS, 'peerguard.yaml');
        } catch (error) {
          refused = error;
        }
        expect(refused, `accepted a config with a bad ${key}`).toBeInstanceOf(ConfigError);
        expect((refused as ConfigError).message.startsWith(`peerguard.yaml: ${key}`), (refused as ConfigError).message).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('app settings are accepted, or refused at start-up naming the setting', () => {
    const value = fc.oneof(fc.string(), fc.constantFrom('https://example.com', 'not a url', 'a@b', 'AzurePublicCloud', 'rules: {nope: off}', 'rules: [', '0 0 6 * * *', 'x'), anyJson.map((j) => JSON.stringify(j)));
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...APP_SETTING_NAMES), value, { maxKeys: 6 }), (env) => {
        try {
          validateAtStartup({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', PEERGUARD_REPORT_SCHEDULE: '0 0 6 * * *', ...env });
        } catch (error) {
          if (error instanceof SettingsError) {
            expect(error.message).toMatch(/^invalid app settings: /);
            expect(APP_SETTING_NAMES.some((name) => error.message.includes(name))).toBe(true);
          } else if (error instanceof ConfigError) {
            expect(error.message).toMatch(/^PEERGUARD_AUDIT_CONFIG: /);
          } else throw error;
        }
      }),
      { numRuns: 400 },
    );
  });

  it('one setting changed in a working configuration is accepted with a value that means what it says, or refused naming that setting', () => {
    // A configuration that starts: storage, the timer's schedule and email (connection string and sender), nothing else.
    const working = {
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      PEERGUARD_REPORT_SCHEDULE: '0 0 6 * * *',
      PEERGUARD_EMAIL_CONNECTION_STRING: 'endpoint=https://acs-peerguard.europe.communication.azure.com/;accesskey=a2V5',
      PEERGUARD_EMAIL_SENDER: 'peerguard@contoso.example',
    };
    const value = fc.oneof(
      fc.string(),
      fc.constantFrom('', ' ', 'https://example.com', 'http://example.com', 'not a url', 'a@b', 'netops@contoso.example, audit@contoso.example', 'netops', 'a@b, c'),
      fc.constantFrom('AzurePublicCloud', 'usgov', 'managedidentity', '0 0 6 * * *', '0 6 * * *', '*/5 * * * * * *'),
      fc.constantFrom('rules: {peering-limit-near: off}', 'rules: {nope: off}', 'rules: [', 'peeringLimit: -1', '{"suppressions": [{}]}', ': :'),
      anyJson.map((j) => JSON.stringify(j)),
    );
    fc.assert(
      fc.property(fc.constantFrom(...APP_SETTING_NAMES), value, (name, v) => {
        const env = { ...working, [name]: v };
        try {
          validateAtStartup(env);
        } catch (error) {
          if (error instanceof SettingsError) expect(error.message).toMatch(new RegExp(`^invalid app settings: .*\\b${name}\\b`, 's'));
          else if (error instanceof ConfigError) expect([name, error.message.slice(0, 24)]).toEqual(['PEERGUARD_AUDIT_CONFIG', 'PEERGUARD_AUDIT_CONFIG: ']);
          else throw error;
          return;
        }
        // Accepted: the value is what the setting stands for.
        const s = loadAppSettings(env);
        for (const to of [s.PEERGUARD_ALERT_TO_ERROR, s.PEERGUARD_ALERT_TO_WARNING, s.PEERGUARD_ALERT_TO_INFO, s.PEERGUARD_REPORT_TO]) {
          for (const address of to) expect(address).toMatch(/^[^@\s]+@[^@\s]+$/);
        }
        expect(s.PEERGUARD_REPORT_SCHEDULE.trim().split(/\s+/)).toHaveLength(6);
        for (const url of [s.PEERGUARD_ARM_ENDPOINT, s.PEERGUARD_EMAIL_ENDPOINT, s.PEERGUARD_PORTAL_URL, s.AzureWebJobsStorage__tableServiceUri, s.AzureWebJobsStorage__blobServiceUri, s.AzureWebJobsStorage__queueServiceUri]) {
          if (url !== undefined) expect(() => new URL(url)).not.toThrow();
        }
        // Bearer tokens never go to an http endpoint.
        expect(cloudFrom(s).armEndpoint).toMatch(/^https:\/\//);
      }),
      { numRuns: 600 },
    );
  });
});
