import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { keyOf } from '../../src/model/ids';
import { remediationConfigSchema, DEFAULT_CONFIG } from '../../src/engine/config';
import { auditResources } from '../../src/engine/pipeline';
import { ArmRemediationWriter } from '../../src/azure/arm-writer';
import { applyPlan } from '../../src/remediation/apply';
import { MemoryJournal } from '../../src/remediation/journal';
import { planRemediation } from '../../src/remediation/plan';
import { RULES } from '../../src/rules';
import { startStandIn } from '../azure-stand-in';
import { connectionTo, FAST_RETRY, inventoryReader, liveReader } from '../azure/harness';
import { SUB_A, SUB_B, SUB_C } from '../support/estate';
import { scratchDir } from '../support/scratch';
import { estateOf, estateSpec } from './arbitraries';

// Property-based tests against the local Azure stand-in (issue 10): an estate exported with
// `peerguard export --live` and audited back with `--input` gives the findings of the original
// file; a fix plan applied to the estate (by src/remediation/apply.ts through the real ARM writer)
// never increases the number of findings.

const NOW = new Date('2026-01-01T00:00:00Z');
const { dir } = scratchDir('peerguard-prop-');
const findingSet = (findings: { ruleId: string; severity: string; fingerprint: string }[]) => findings.map((f) => `${f.severity} ${f.ruleId} ${f.fingerprint}`).sort();

describe('properties: estates through the stand-in', () => {
  it('export --live then audit --input gives the findings of the original estate', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(estateSpec, async (spec) => {
        const estate = estateOf(spec);
        const original = join(dir, `original-${n}.json`);
        const exported = join(dir, `exported-${n++}.json`);
        writeFileSync(original, JSON.stringify(estate));
        // SUB_C holds nothing: read, and empty.
        const standIn = await startStandIn({ resources: estate, subscriptions: [SUB_A, SUB_B, SUB_C] });
        try {
          const out: string[] = [];
          const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => out.push(t), isTty: false, now: () => NOW, azure: { credential: standIn.credential, ca: standIn.ca, retry: FAST_RETRY, backoffMs: 10 } };
          const subs = ['--subscription', SUB_A, '--subscription', SUB_B, '--subscription', SUB_C];
          expect(await main(['node', 'peerguard', 'export', '--live', '--endpoint', standIn.endpoint, ...subs, '-o', exported], io)).toBe(0);
          const audit = async (file: string, ...args: string[]) => {
            const text: string[] = [];
            const code = await main(['node', 'peerguard', 'audit', '--input', file, ...args, '--format', 'json', '--fail-on', 'none'], { ...io, stdout: (t) => text.push(t) });
            expect(code).toBe(0);
            return JSON.parse(text.join('')) as { findings: { ruleId: string; severity: string; fingerprint: string }[]; summary: unknown; coverage: unknown };
          };
          // The export stands on its own: audited without --subscription, it still covers every
          // subscription that was read, an empty one included.
          const [a, b] = [await audit(original, ...subs), await audit(exported)];
          expect(findingSet(b.findings)).toEqual(findingSet(a.findings));
          expect(b.summary).toEqual(a.summary);
          expect(b.coverage).toEqual(a.coverage);
        } finally {
          await standIn.stop();
        }
      }),
      { numRuns: 30 },
    );
  });

  it('applying the fix plan to the stand-in never increases the number of findings', async () => {
    const remediation = remediationConfigSchema.parse({ enabled: true, apply: true, allowDestructive: true, subscriptions: [SUB_A, SUB_B], maxWrites: 100 });
    const config = { ...DEFAULT_CONFIG, remediation };
    const tally = { operations: 0, accepted: 0, improved: 0, created: 0 };
    await fc.assert(
      fc.asyncProperty(estateSpec, async (spec) => {
        const standIn = await startStandIn({ resources: estateOf(spec), subscriptions: [SUB_A, SUB_B] });
        try {
          const scope = { kind: 'subscriptions' as const, subscriptionIds: [SUB_A, SUB_B] };
          const read = async () => {
            const inventory = await inventoryReader(standIn).readInventory(scope);
            expect(inventory.unreadable).toEqual([]);
            return auditResources({ resources: inventory.resources, rules: RULES, config: DEFAULT_CONFIG, now: NOW, version: 'prop', extraSubscriptions: inventory.subscriptions });
          };
          const before = await read();
          const plan = planRemediation(before.report.findings, before.extras.topology, remediation);
          // The remediation applier (src/remediation/apply.ts) with the real ARM writer and live reader.
          const journal = new MemoryJournal();
          const result = await applyPlan(plan, before.extras.topology, {
            writer: new ArmRemediationWriter({ ...connectionTo(standIn), pollIntervalMs: 5 }),
            reader: liveReader(standIn),
            journal,
            rules: RULES,
            config,
            trigger: { kind: 'cli', user: 'property-test' },
            runId: 'prop',
            now: () => NOW,
          });
          const after = await read();
          expect(after.report.findings.length).toBeLessThanOrEqual(before.report.findings.length);
          // No error or warning that was not there before is about a peering the fix created (its flags
          // are peerguard's choice, not copied from a peering that existed): the fix brings no problem
          // of its own. (A pair now established may show transit gaps, info, that a one-sided pair hid.)
          const had = new Set(before.report.findings.map((f) => f.fingerprint));
          const created = new Set(
            result.outcomes
              .filter((o) => o.result === 'applied')
              .flatMap((o) => o.item.operations)
              .filter((op) => op.method === 'PUT' && !before.extras.topology.peerings.has(keyOf(op.resourceId)))
              .map((op) => keyOf(op.resourceId) as string),
          );
          const introduced = after.report.findings.filter((f) => f.severity !== 'info' && created.has(keyOf(f.resourceId)) && !had.has(f.fingerprint));
          expect(introduced.map((f) => `${f.ruleId}: ${f.message}`)).toEqual([]);
          tally.created += created.size;
          tally.operations += plan.items.filter((i) => i.status === 'planned').length;
          tally.accepted += result.outcomes.filter((o) => o.result === 'applied').length;
          if (after.report.findings.length < before.report.findings.length) tally.improved += 1;
        } finally {
          await standIn.stop();
        }
      }),
      { numRuns: 25 },
    );
    // The property is not vacuous: plans were written and repaired estates.
    expect(tally.accepted).toBeGreaterThan(0);
    expect(tally.improved).toBeGreaterThan(0);
    expect(tally.created).toBeGreaterThan(0);
    console.log(`fix-plan property: ${tally.operations} items planned, ${tally.accepted} applied, ${tally.created} peerings created, ${tally.improved} of 25 estates improved`);
    // Each re-read before and after a write is a Resource Graph query now, paced by the per-user quota.
  }, 120_000);
});
