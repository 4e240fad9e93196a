import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/engine/config';
import { auditResources } from '../../src/engine/pipeline';
import { InputError, parseJsonText, resourcesFromDocument, type RawResource } from '../../src/model/snapshot';
import { FORMATS, renderReport, renderReportAsync, type Format } from '../../src/report/render';
import { RULES } from '../../src/rules';
import { SUB_A, SUB_B } from '../support/estate';
import { anyJson, corruption, estateOf, estateSpec, recaseEstate, shuffled } from './arbitraries';

// Property-based tests of the input path (issue 10): whatever JSON arrives, peerguard either audits
// it or stops with an InputError naming the file and the entry; findings depend on the estate only,
// not on the order of the resources nor on how their ids are cased.

const NOW = new Date('2026-01-01T00:00:00Z');
const FILE = 'estate.json';

function auditDocument(document: unknown) {
  const resources = resourcesFromDocument(document, FILE);
  return auditResources({ resources, rules: RULES, config: DEFAULT_CONFIG, now: NOW, version: 'prop' });
}

/** What identifies the findings: rule, severity and the case-insensitive fingerprint. */
export function findingSet(findings: readonly { ruleId: string; severity: string; fingerprint: string }[]): string[] {
  return findings.map((f) => `${f.severity} ${f.ruleId} ${f.fingerprint}`).sort();
}

/**
 * The estate in subscriptions whose ids have letters, as real ones do (SUB_A and SUB_B are digits
 * only, which re-casing leaves alone): the subscription segment of every id then changes case too.
 */
function withLetteredSubscriptions(estate: RawResource[]): RawResource[] {
  const text = JSON.stringify(estate).replaceAll(SUB_A, 'aaaaaaaa-0000-4000-8000-00000000000a').replaceAll(SUB_B, 'bbbbbbbb-0000-4000-8000-00000000000b');
  return JSON.parse(text) as RawResource[];
}

function expectInputErrorNaming(error: unknown, where: string): void {
  if (!(error instanceof InputError)) throw new Error(`expected an InputError, got ${(error as Error)?.name}: ${(error as Error)?.message}`, { cause: error });
  expect(error.source.startsWith(where)).toBe(true);
  expect(error.message.length).toBeGreaterThan(where.length + 10);
}

describe('properties: estates in, findings out', () => {
  it('any JSON document is audited or refused with an InputError naming the file', () => {
    fc.assert(
      fc.property(anyJson, fc.constantFrom('plain', 'value', 'data'), (json, wrap) => {
        const document = wrap === 'plain' ? json : { [wrap]: json };
        try {
          auditDocument(document);
        } catch (error) {
          expectInputErrorNaming(error, FILE);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('any text is parsed or refused with an InputError naming the file', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), anyJson.map((j) => JSON.stringify(j).slice(0, -1))), (text) => {
        try {
          auditDocument(parseJsonText(text, FILE));
        } catch (error) {
          expectInputErrorNaming(error, FILE);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('a valid estate with one corrupted entry is audited or refused naming exactly that entry', () => {
    fc.assert(
      fc.property(estateSpec, corruption, fc.nat(), (spec, corrupt, pick) => {
        const resources = estateOf(spec) as unknown as Record<string, unknown>[];
        const k = pick % resources.length;
        resources[k] = corrupt(structuredClone(resources[k]!)) as Record<string, unknown>;
        try {
          const run = auditDocument({ data: resources });
          for (const format of FORMATS.filter((f) => f !== 'html')) renderReport(run.report, format as Format, run.extras, { rules: RULES, colour: false });
        } catch (error) {
          expectInputErrorNaming(error, `${FILE} at .data[${k}]`);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('findings are deterministic and independent of resource order and id casing', () => {
    fc.assert(
      fc.property(estateSpec, fc.array(fc.nat(), { minLength: 1, maxLength: 20 }), fc.nat(), (spec, order, seed) => {
        const estate = withLetteredSubscriptions(estateOf(spec));
        const base = findingSet(auditDocument(estate).report.findings);
        expect(findingSet(auditDocument(structuredClone(estate)).report.findings)).toEqual(base);
        expect(findingSet(auditDocument(shuffled(estate, order)).report.findings)).toEqual(base);
        const recased = recaseEstate(estate, seed) as RawResource[];
        expect(findingSet(auditDocument(shuffled(recased, order)).report.findings)).toEqual(base);
      }),
      { numRuns: 200 },
    );
  });

  it('every valid estate renders in every format, the HTML topology view included', async () => {
    await fc.assert(
      fc.asyncProperty(estateSpec, async (spec) => {
        const run = auditDocument(estateOf(spec));
        for (const format of FORMATS) expect(typeof (await renderReportAsync(run.report, format as Format, run.extras, { rules: RULES, colour: false }))).toBe('string');
      }),
      { numRuns: 12 },
    );
  });
});
