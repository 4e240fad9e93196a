import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Log, Result } from 'sarif';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../../src/report/render';
import { buildSarif, FINGERPRINT_KEY, MAX_SARIF_RESULTS, renderSarif, SARIF_LEVELS } from '../../src/report/sarif';
import { RULES } from '../../src/rules';
import {
  ERROR_FINDING,
  HOSTILE_PEERING_ID,
  HOSTILE_VNET,
  HOSTILE_VNET_ID,
  INFO_FINDING,
  partialReport,
  realRun,
  SAMPLE_RULES,
  sampleExtras,
  sampleReport,
  SPOKE_ID,
  UNREADABLE,
  WARNING_FINDING,
} from './sample-report';

// The official OASIS SARIF 2.1.0 schema, vendored unchanged (see test/fixtures/README.md). It
// declares JSON Schema 2020-12, so Ajv2020. Two known defects of that file are handled here, in
// memory: its `language` patterns use the inline flag `(?i)`, which JavaScript regular expressions
// lack, so that prefix becomes the `i` flag; and the errata01 region constraint (at least one of
// startLine/charOffset/byteOffset) sits inside `properties` where it is not a schema at all
// (oasis-tcs/sarif-spec#578), so it is moved to the region object, where #462 meant it to be.
interface SchemaDocument {
  definitions: { region: { properties: Record<string, unknown>; anyOf?: unknown } };
}
const schema = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'sarif-schema-2.1.0.json'), 'utf8')) as SchemaDocument;
const region = schema.definitions.region;
if (Array.isArray(region.properties.anyOf)) {
  region.anyOf = region.properties.anyOf;
  delete region.properties.anyOf;
}

const regExp = Object.assign(
  (pattern: string, flags: string) =>
    pattern.startsWith('(?i)') || pattern.startsWith('^(?i)')
      ? new RegExp(pattern.replace('(?i)', ''), `${flags}i`)
      : new RegExp(pattern, flags),
  { code: 'new RegExp' },
);

let validate: ValidateFunction;
beforeAll(() => {
  const ajv = new Ajv2020({ allErrors: true, strict: false, code: { regExp } });
  addFormats(ajv);
  validate = ajv.compile(schema);
});

function expectValid(log: unknown): void {
  const ok = validate(log);
  expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
  expect(ok).toBe(true);
}

function parse(text: string): Log {
  return JSON.parse(text) as Log;
}

const run0 = (log: Log) => log.runs[0]!;
const resultFor = (log: Log, ruleId: string): Result => run0(log).results!.find((r) => r.ruleId === ruleId)!;

describe('sarif renderer', () => {
  it('validates against the official SARIF 2.1.0 schema (hand-made, partial and real reports)', () => {
    expectValid(parse(renderSarif(sampleReport(), sampleExtras(), SAMPLE_RULES)));
    expectValid(parse(renderSarif(partialReport(), sampleExtras({ notices: [{ kind: 'expired-suppression', message: 'expired' }] }), SAMPLE_RULES)));
    expectValid(parse(renderSarif(sampleReport({ findings: [], summary: { vnets: 0, peerings: 0, findings: { error: 0, warning: 0, info: 0 } } }), sampleExtras(), [])));
    const run = realRun();
    expect(run.report.findings.length).toBeGreaterThan(0);
    expectValid(parse(renderSarif(run.report, run.extras, RULES)));
    const partial = realRun([{ scope: '44444444-4444-4444-4444-444444444444', reason: 'Forbidden' }]);
    expectValid(parse(renderSarif(partial.report, partial.extras, RULES)));
  });

  it('the validator is live: a schema violation is caught', () => {
    const log = buildSarif(sampleReport(), sampleExtras(), SAMPLE_RULES);
    expectValid(JSON.parse(JSON.stringify(log)));
    const broken = JSON.parse(JSON.stringify(log)) as Log;
    (run0(broken).results![0] as { level: string }).level = 'info';
    expect(validate(broken)).toBe(false);
    const noMessage = JSON.parse(JSON.stringify(log)) as { runs: { results: Record<string, unknown>[] }[] };
    delete noMessage.runs[0]!.results[0]!.message;
    expect(validate(noMessage)).toBe(false);
    const badUri = JSON.parse(JSON.stringify(log)) as Log;
    run0(badUri).tool.driver.informationUri = 'not a uri';
    expect(validate(badUri)).toBe(false);
  });

  it('is one run whose driver lists every rule of the catalog with its metadata', () => {
    const log = parse(renderSarif(sampleReport(), sampleExtras(), SAMPLE_RULES));
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    const driver = run0(log).tool.driver;
    expect(driver.name).toBe('peerguard');
    expect(driver.version).toBe('1.2.3');
    expect(driver.informationUri).toMatch(/^https:\/\//);
    expect(driver.rules!.map((r) => r.id)).toEqual(SAMPLE_RULES.map((r) => r.meta.id));
    expect(driver.rules![0]).toMatchObject({
      id: 'rule-error',
      name: 'RuleError',
      shortDescription: { text: 'Title of rule-error' },
      fullDescription: { text: 'Description of rule-error.' },
      helpUri: 'https://learn.microsoft.com/azure/virtual-network/rule-error',
      defaultConfiguration: { level: 'error' },
    });

    const real = parse(renderSarif(realRun().report, realRun().extras, RULES));
    const rules = run0(real).tool.driver.rules!;
    expect(rules.map((r) => r.id)).toEqual(RULES.map((r) => r.meta.id));
    for (const [i, rule] of RULES.entries()) {
      expect(rules[i]).toMatchObject({
        shortDescription: { text: rule.meta.title },
        fullDescription: { text: rule.meta.description },
        helpUri: rule.meta.docsUrl,
        defaultConfiguration: { level: SARIF_LEVELS[rule.meta.defaultSeverity] },
      });
    }
  });

  it('maps severities: error → error, warning → warning, info → note (results and rule defaults)', () => {
    expect(SARIF_LEVELS).toEqual({ error: 'error', warning: 'warning', info: 'note' });
    const log = parse(renderSarif(sampleReport(), sampleExtras(), SAMPLE_RULES));
    expect(resultFor(log, 'rule-error').level).toBe('error');
    expect(resultFor(log, 'rule-re-rated').level).toBe('warning'); // the finding's severity, not the rule's default
    expect(resultFor(log, 'rule-info').level).toBe('note');
    const levels = Object.fromEntries(run0(log).tool.driver.rules!.map((r) => [r.id, r.defaultConfiguration?.level]));
    expect(levels).toEqual({ 'rule-error': 'error', 'rule-re-rated': 'note', 'rule-info': 'note', 'rule-warning-unused': 'warning' });
  });

  it("gives every result the physical location GitHub code scanning requires: a relative path, the same whatever the id's casing, and line 1", () => {
    const upper = { ...ERROR_FINDING, resourceId: ERROR_FINDING.resourceId.toUpperCase() };
    for (const finding of [ERROR_FINDING, upper]) {
      const [location] = resultFor(parse(renderSarif(sampleReport({ findings: [finding] }), sampleExtras(), SAMPLE_RULES)), 'rule-error').locations!;
      const uri = location!.physicalLocation!.artifactLocation!.uri!;
      expect(uri).toMatch(/^subscriptions\/[^:]*$/); // relative: no leading slash, no scheme
      expect(uri).toContain('%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E/virtualnetworkpeerings/a%7Cb');
      expect(location!.physicalLocation!.region).toEqual({ startLine: 1 });
    }
  });

  it('writes one result per finding with rule index, logical locations, fingerprint and the fix as data', () => {
    const log = parse(renderSarif(sampleReport(), sampleExtras(), SAMPLE_RULES));
    const results = run0(log).results!;
    expect(results.map((r) => r.ruleId)).toEqual(['rule-error', 'rule-re-rated', 'rule-info']);
    for (const r of results) expect(run0(log).tool.driver.rules![r.ruleIndex!]!.id).toBe(r.ruleId);

    const error = resultFor(log, 'rule-error');
    expect(error.message.text).toBe(ERROR_FINDING.message); // plain text: JSON escaping is all it needs
    expect(error.locations).toEqual([
      {
        physicalLocation: { artifactLocation: { uri: HOSTILE_PEERING_ID.toLowerCase().slice(1).split('/').map(encodeURIComponent).join('/') }, region: { startLine: 1 } },
        logicalLocations: [{ fullyQualifiedName: HOSTILE_PEERING_ID, name: 'a|b', kind: 'resource' }],
      },
    ]);
    expect(error.relatedLocations!.map((l) => l.logicalLocations![0]!.fullyQualifiedName)).toEqual([HOSTILE_VNET_ID, SPOKE_ID]);
    expect(error.relatedLocations!.map((l) => l.id)).toEqual([0, 1]);
    expect(error.partialFingerprints).toEqual({ [FINGERPRINT_KEY]: ERROR_FINDING.fingerprint });
    expect(FINGERPRINT_KEY).toBe('peerguard/v1');
    expect(error.properties).toEqual({ relatedResourceIds: ERROR_FINDING.relatedResourceIds, fix: ERROR_FINDING.fix });

    const warning = resultFor(log, 'rule-re-rated');
    expect(warning.relatedLocations).toBeUndefined();
    expect(warning.properties).toEqual({ relatedResourceIds: [], fix: null });
    expect(resultFor(log, 'rule-info').properties?.fix).toEqual(INFO_FINDING.fix);
    expect(WARNING_FINDING.fingerprint).toBe(warning.partialFingerprints![FINGERPRINT_KEY]);
  });

  it('a result of a rule missing from the catalog keeps its ruleId and has no ruleIndex', () => {
    const log = parse(renderSarif(sampleReport({ findings: [{ ...WARNING_FINDING, ruleId: 'rule-unknown' }] }), sampleExtras(), SAMPLE_RULES));
    expect(run0(log).results![0]).toMatchObject({ ruleId: 'rule-unknown' });
    expect(run0(log).results![0]!.ruleIndex).toBeUndefined();
    expectValid(log);
  });

  it('a complete audit: executionSuccessful and no execution notifications', () => {
    const log = parse(renderSarif(sampleReport(), sampleExtras(), SAMPLE_RULES));
    const invocation = run0(log).invocations![0]!;
    expect(invocation.executionSuccessful).toBe(true);
    expect(invocation.toolExecutionNotifications).toBeUndefined();
    expect(run0(log).properties?.partial).toBe(false);
  });

  it('a partial audit is visible: one error-level execution notification per unreadable scope', () => {
    const log = parse(renderSarif(partialReport(), sampleExtras(), SAMPLE_RULES));
    const invocation = run0(log).invocations![0]!;
    // SARIF appendix I: an error-level toolExecutionNotification says the results may be incomplete.
    expect(invocation.executionSuccessful).toBe(true);
    const notifications = invocation.toolExecutionNotifications!;
    expect(notifications).toHaveLength(UNREADABLE.length);
    UNREADABLE.forEach((u, i) => {
      expect(notifications[i]!.level).toBe('error');
      expect(notifications[i]!.message.text).toContain(u.scope);
      expect(notifications[i]!.message.text).toContain(u.reason);
      expect(notifications[i]!.message.text).toMatch(/partial audit/i);
      expect(notifications[i]!.locations![0]!.logicalLocations![0]!.fullyQualifiedName).toBe(u.scope);
    });
    expect(run0(log).properties?.partial).toBe(true);

    const real = realRun([{ scope: '44444444-4444-4444-4444-444444444444', reason: 'Forbidden' }]);
    const realLog = parse(renderSarif(real.report, real.extras, RULES));
    expect(run0(realLog).invocations![0]!.toolExecutionNotifications!.map((n) => n.properties?.scope)).toEqual([
      '44444444-4444-4444-4444-444444444444',
    ]);
  });

  it('expired suppressions become configuration notifications', () => {
    const log = parse(renderSarif(sampleReport(), sampleExtras({ notices: [{ kind: 'expired-suppression', message: 'suppression expired' }] }), SAMPLE_RULES));
    expect(run0(log).invocations![0]!.toolConfigurationNotifications).toEqual([
      { level: 'warning', descriptor: { id: 'expired-suppression' }, message: { text: 'suppression expired' } },
    ]);
  });

  it('doubles the braces of every message text (§3.11.5: `{0}` would be a placeholder), not of rule descriptions', () => {
    const braces = 'PCI {0} zone }{';
    const log = buildSarif(
      sampleReport({
        findings: [{ ...WARNING_FINDING, message: `Intent "${braces}" is violated.` }],
        coverage: { subscriptions: [], unreadable: [{ scope: 'sub-{1}', reason: '{"error":{"code":"AuthorizationFailed"}}' }], outOfScope: [] },
      }),
      sampleExtras({ notices: [{ kind: 'intent-unchecked', message: `Statement "${braces}" checks nothing.` }] }),
      [{ ...SAMPLE_RULES[1]!, meta: { ...SAMPLE_RULES[1]!.meta, title: 'Title {0}' } }],
    );
    const invocation = run0(log).invocations![0]!;
    expect(run0(log).results![0]!.message.text).toBe('Intent "PCI {{0}} zone }}{{" is violated.');
    expect(invocation.toolConfigurationNotifications![0]!.message.text).toBe('Statement "PCI {{0}} zone }}{{" checks nothing.');
    expect(invocation.toolExecutionNotifications![0]!.message.text).toBe(
      'Partial audit: scope sub-{{1}} could not be read ({{"error":{{"code":"AuthorizationFailed"}}}}); findings there are unknown.',
    );
    // Data, not messages: as given.
    expect(invocation.toolExecutionNotifications![0]!.properties).toEqual({ scope: 'sub-{1}', reason: '{"error":{"code":"AuthorizationFailed"}}' });
    expect(run0(log).tool.driver.rules![0]!.shortDescription).toEqual({ text: 'Title {0}' });
    expectValid(log);
  });

  it(`keeps at most ${MAX_SARIF_RESULTS} results (GitHub code scanning's limit per run), the first ones, and says how many it left out`, () => {
    expect(MAX_SARIF_RESULTS).toBe(25_000);
    const many = (n: number) => [
      ERROR_FINDING,
      ...Array.from({ length: n - 2 }, (_, i) => ({ ...WARNING_FINDING, fingerprint: i.toString(16).padStart(32, '0') })),
      INFO_FINDING,
    ];
    const atLimit = run0(buildSarif(sampleReport({ findings: many(MAX_SARIF_RESULTS) }), sampleExtras(), SAMPLE_RULES));
    expect(atLimit.results).toHaveLength(MAX_SARIF_RESULTS);
    expect(atLimit.properties?.resultsOmitted).toBe(0);
    expect(atLimit.invocations![0]!.toolExecutionNotifications).toBeUndefined();

    const log = buildSarif(sampleReport({ findings: many(MAX_SARIF_RESULTS + 2) }), sampleExtras(), SAMPLE_RULES);
    const results = run0(log).results!;
    expect(results).toHaveLength(MAX_SARIF_RESULTS);
    expect(results[0]!.ruleId).toBe('rule-error');
    expect(results.some((r) => r.ruleId === 'rule-info')).toBe(false); // the last finding is the one left out
    expect(run0(log).properties?.resultsOmitted).toBe(2);
    const [notice] = run0(log).invocations![0]!.toolExecutionNotifications!;
    expect(notice).toMatchObject({ level: 'warning', descriptor: { id: 'results-omitted' }, properties: { resultsOmitted: 2 } });
    expect(notice!.message.text).toBe(
      '2 of 25002 findings are left out: GitHub code scanning takes at most 25000 results per run. The JSON report holds them all.',
    );
    expectValid(log);
  });

  it('is valid JSON whatever Azure names contain, and deterministic', () => {
    const text = renderSarif(sampleReport(), sampleExtras(), SAMPLE_RULES);
    expect(text.endsWith('\n')).toBe(true);
    expect(parse(text).runs[0]!.results![0]!.locations![0]!.logicalLocations![0]!.fullyQualifiedName).toContain(HOSTILE_VNET);
    expect(renderSarif(sampleReport(), sampleExtras(), SAMPLE_RULES)).toBe(text);
  });

  it('is reachable through renderReport as --format sarif', () => {
    const run = realRun();
    const text = renderReport(run.report, 'sarif', run.extras, { rules: RULES, colour: false });
    expect(text).toBe(renderSarif(run.report, run.extras, RULES));
    const result = run0(parse(text)).results![0]!;
    expect(result).toMatchObject({ ruleId: 'peering-one-sided', level: 'error' });
    expect(result.partialFingerprints![FINGERPRINT_KEY]).toBe(run.report.findings[0]!.fingerprint);
  });
});
