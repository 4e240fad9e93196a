import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArmLiveReader } from '../../src/azure/live';
import { ArmRemediationWriter } from '../../src/azure/arm-writer';
import type { Finding } from '../../src/engine/audit';
import { parseAuditConfig, type AuditConfig } from '../../src/engine/config';
import { auditResources } from '../../src/engine/pipeline';
import { readSnapshot } from '../../src/io/snapshot-files';
import { applyPlan, type ApplyDeps, type ApplyResult } from '../../src/remediation/apply';
import { MemoryJournal } from '../../src/remediation/journal';
import { planRemediation, type RemediationPlan } from '../../src/remediation/plan';
import type { RemediationJournal } from '../../src/remediation/ports';
import { RULES } from '../../src/rules';
import type { Rule } from '../../src/rules/rule';
import type { Topology } from '../../src/model/types';
import type { StandIn } from '../azure-stand-in';
import { connectionTo, inventoryReader } from '../azure/harness';
import { runCli as runCliIn } from '../support/cli';
import { scratchDir } from '../support/scratch';

// Remediation against the stand-in: the example estate (examples/estate) served by the stand-in,
// `peerguard fix` in-process with the real SDK clients, and the library path for the tests that
// must act between planning and applying.

export const SUBS = ['aaaaaaaa-0000-0000-0000-000000000001', 'bbbbbbbb-0000-0000-0000-000000000002', 'cccccccc-0000-0000-0000-000000000003'];
export const [SUB_HUB, SUB_PROD, SUB_DEV] = SUBS as [string, string, string];
export const HUB = `/subscriptions/${SUB_HUB}/resourceGroups/rg-hub-weu/providers/Microsoft.Network/virtualNetworks/vnet-hub-weu`;
export const spokePeering = (sub: string, env: 'prod' | 'dev', n: number) =>
  `/subscriptions/${sub}/resourceGroups/rg-spoke${n}-${env}/providers/Microsoft.Network/virtualNetworks/vnet-spoke${n}-${env}/virtualNetworkPeerings/spoke${n}-to-hub`;

export async function exampleEstate(): Promise<unknown[]> {
  return (await readSnapshot([join(__dirname, '../../examples/estate')])).map((r) => r.resource);
}

// Removed after the tests of the file that imports this harness.
const { dir } = scratchDir('peerguard-fix-');
let files = 0;

/** A config file with the remediation section (allow list: the example's three subscriptions). */
export function configFile(remediation: Record<string, unknown> = {}): string {
  const path = join(dir, `config-${files++}.json`);
  writeFileSync(path, JSON.stringify({ remediation: { enabled: true, subscriptions: SUBS, maxWrites: 30, ...remediation } }));
  return path;
}

export const configOf = (remediation: Record<string, unknown>): AuditConfig =>
  parseAuditConfig({ remediation: { enabled: true, subscriptions: SUBS, maxWrites: 30, ...remediation } }, RULES.map((r) => r.meta.id));

/** `peerguard ARGS` in-process (test/support/cli.ts) with the stand-in's credential and CA, fast retries and polls. */
export function runCli(standIn: StandIn, args: string[]) {
  return runCliIn(args, {
    azure: { credential: standIn.credential, ca: standIn.ca, retry: { maxRetries: 1, retryDelayMs: 5, maxRetryDelayMs: 10 }, backoffMs: 10, pollIntervalMs: 5 },
  });
}

export const liveArgs = (standIn: StandIn) => ['--live', '--endpoint', standIn.endpoint, ...SUBS.flatMap((s) => ['--subscription', s])];

export interface ReportedFinding {
  ruleId: string;
  resourceId: string;
  fingerprint: string;
  fix: { destructive: boolean } | null;
}

/** `audit --live --format json` findings. */
export async function liveFindings(standIn: StandIn): Promise<ReportedFinding[]> {
  const { stdout } = await runCli(standIn, ['audit', ...liveArgs(standIn), '--format', 'json', '--fail-on', 'none']);
  return (JSON.parse(stdout) as { findings: ReportedFinding[] }).findings;
}

/** PUTs and DELETEs the stand-in received, as `METHOD path?query`. */
export function writesSeen(standIn: StandIn): string[] {
  return [...standIn.requests.of('armPut'), ...standIn.requests.of('armDelete')].map((r) => `${r.method} ${r.path}`);
}

/** The library path: audit live (Resource Graph), then plan with `config` (and `rules`: a test may stand in a rule with a faulty fix). */
export async function planLive(standIn: StandIn, config: AuditConfig, rules: readonly Rule[] = RULES): Promise<{ plan: RemediationPlan; topology: Topology; findings: Finding[] }> {
  const inventory = await inventoryReader(standIn).readInventory({ kind: 'subscriptions', subscriptionIds: SUBS });
  const run = auditResources({ resources: inventory.resources, rules, config, now: new Date(), version: 't', extraSubscriptions: inventory.subscriptions });
  return { plan: planRemediation(run.report.findings, run.extras.topology, config.remediation), topology: run.extras.topology, findings: run.report.findings };
}

export async function applyLive(
  standIn: StandIn,
  planned: { plan: RemediationPlan; topology: Topology },
  config: AuditConfig,
  journal: RemediationJournal = new MemoryJournal(),
  rules: readonly Rule[] = RULES,
  /** Replaces any of applyPlan's dependencies (a writer, a clock, a deadline). */
  overrides: Partial<ApplyDeps> = {},
): Promise<ApplyResult> {
  const connection = { ...connectionTo(standIn), requestTimeoutMs: 5_000 };
  return applyPlan(planned.plan, planned.topology, {
    writer: new ArmRemediationWriter({ ...connection, retry: { maxRetries: 0 }, pollIntervalMs: 5 }),
    reader: new ArmLiveReader(connection),
    journal,
    rules,
    config,
    trigger: { kind: 'cli', user: 'test' },
    runId: `test-${Math.random().toString(36).slice(2, 10)}`,
    now: () => new Date(),
    ...overrides,
  });
}

/** The planned items of one rule, as a plan of their own. */
export function only(planned: { plan: RemediationPlan; topology: Topology }, ruleId: string, count = Infinity): { plan: RemediationPlan; topology: Topology } {
  const items = planned.plan.items.filter((i) => i.ruleId === ruleId && i.status === 'planned').slice(0, count);
  return { ...planned, plan: { ...planned.plan, items } };
}
