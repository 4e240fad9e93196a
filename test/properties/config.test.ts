import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { APP_SETTING_NAMES, SettingsError } from '../../src/config/app-settings';
import { ConfigError, parseAuditConfig } from '../../src/engine/config';
import { auditResources } from '../../src/engine/pipeline';
import { validateAtStartup } from '../../src/functions/composition';
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
        // An accepted config always runs.
        auditResources({ resources: resourcesFromDocument(estate, 'e.json'), rules: RULES, config, now: new Date('2026-01-01T00:00:00Z'), version: 'prop' });
      }),
      { numRuns: 400 },
    );
  });

  it('app settings are accepted, or refused at start-up naming the setting', () => {
    const value = fc.oneof(fc.string(), fc.constantFrom('https://example.com', 'not a url', 'a@b', 'AzurePublicCloud', 'rules: {nope: off}', 'rules: [', '0 0 6 * * *', 'x'), anyJson.map((j) => JSON.stringify(j)));
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...APP_SETTING_NAMES), value, { maxKeys: 6 }), (env) => {
        try {
          validateAtStartup({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', ...env });
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
});
