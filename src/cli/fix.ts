import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { Option, type Command } from 'commander';
import { ArmLiveReader } from '../azure/live';
import { ArmRemediationWriter } from '../azure/arm-writer';
import { ConfigError, type RemediationConfig } from '../engine/config';
import { auditResources } from '../engine/pipeline';
import { readSnapshotFiles, type SnapshotRead } from '../io/snapshot-files';
import { applyPlan, type ApplyResult } from '../remediation/apply';
import { MemoryJournal } from '../remediation/journal';
import { planRemediation, type PlanItem, type RemediationPlan } from '../remediation/plan';
import { conditionText, type JournalRecord, type WriteCondition } from '../remediation/ports';
import { escapeTerminal } from '../report/escape';
import { operationLine } from '../report/html-shared';
import { RULES } from '../rules';
import type { ArmOperation } from '../rules/rule';
import { VERSION } from '../version';
import { loadConfigFile } from './config-file';
import { checkInputOptions, describeScope, liveConnection, LiveUsageError, printSnapshotNotes, readLiveInventory, type LiveOptions } from './live';
import { requireVnets } from './nothing-audited';
import type { CliIo } from './main';

// `peerguard fix`: audit, plan the remediation, print the plan, and with --apply (live only)
// write it through the guards of src/remediation/apply.ts, printing each write as it is sent and its result.
// The remediation settings come from the configuration file; on the command line only the flags
// decide `apply` and `allowDestructive` (a config's `apply: true` alone never writes from the CLI).
// Exit codes: 0 planned or applied without failure, 1 a write failed, 2 usage or input error,
// 130 / 143 interrupted (SIGINT / SIGTERM) while applying.

interface FixOptions extends LiveOptions {
  input: string[];
  config?: string;
  apply?: boolean;
  allowDestructive?: boolean;
  format: 'table' | 'json';
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
}

const MODE_TEXT: Record<RemediationPlan['mode'], string> = {
  disabled: 'remediation disabled (nothing would be written)',
  'dry-run': 'dry run (nothing is written)',
  apply: 'apply',
};

function renderPlan(plan: RemediationPlan, config: RemediationConfig): string {
  const counts = (s: PlanItem['status']) => plan.items.filter((i) => i.status === s).length;
  const lines = [
    `Remediation plan: ${MODE_TEXT[plan.mode]}; ${plan.items.length} fix(es): ${counts('planned')} planned (${plan.writes} write(s), limit ${config.maxWrites}), ${counts('skipped')} skipped, ${counts('deferred')} deferred`,
  ];
  for (const item of plan.items) {
    lines.push('', `[${item.status}] ${item.ruleId} ${item.findingResourceId}${item.destructive ? ' (destructive)' : ''}`);
    lines.push(`  ${item.status === 'planned' ? 'why' : `why ${item.status}`}: ${item.status === 'planned' ? item.description : item.reason}`);
    if (item.status === 'planned') lines.push(`  finding: ${item.reason}`);
    for (const op of item.operations) {
      lines.push(`  ${operationLine(op)}`);
      if (op.body !== undefined) lines.push(`    body: ${JSON.stringify(op.body)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function renderRecord(r: JournalRecord): string {
  const what = r.operation ? `${r.operation.method} ${r.operation.resourceId}` : `${r.ruleId} ${r.findingResourceId}`;
  return `  [${r.status}] ${what}: ${r.reason}\n`;
}

function renderResults(result: ApplyResult): string {
  const by = (s: string) => result.outcomes.filter((o) => o.result === s).length;
  const lines = [
    '',
    `Remediation results (run ${result.runId}): ${by('applied')} applied, ${by('skipped')} skipped, ${by('failed')} failed, ${by('not-attempted')} not attempted; ${result.writes} write(s)`,
  ];
  if (result.stoppedBy) lines.push(`Stopped at the first failure: ${result.stoppedBy}`);
  for (const o of result.outcomes.filter((x) => x.item.status === 'planned')) {
    lines.push(`  [${o.result}] ${o.item.ruleId} ${o.item.findingResourceId}: ${o.reason}`);
  }
  return `${lines.join('\n')}\n`;
}

export function registerFix(program: Command, io: CliIo, setExitCode: (code: number) => void): void {
  program
    .command('fix')
    .description('plan the repairs of the findings (dry run), and with --apply --live perform them through the remediation guards')
    .option('-i, --input <path>', 'snapshot file or directory of Azure JSON (repeatable); plans only, never applies', (v: string, p: string[]) => [...p, v], [])
    .option('--live', 'read the estate from Azure (Resource Graph); writes go to Resource Manager')
    .option('-s, --subscription <id>', 'a subscription to read (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .option('--management-group <id>', 'with --live: the subscriptions under this management group')
    .option('--cloud <name>', 'with --live: AzurePublicCloud, AzureUSGovernment or AzureChinaCloud')
    .addOption(new Option('--endpoint <url>', 'with --live: Resource Manager endpoint override').hideHelp())
    .option('-c, --config <file>', 'configuration file (YAML or JSON) with the remediation section')
    .option('--apply', 'perform the planned writes (needs --live, remediation.enabled and an allow list)')
    .option('--allow-destructive', 'also plan and perform destructive fixes (deletes, re-creates)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (opts: FixOptions) => {
      if (opts.input.length === 0 && !opts.live) throw new LiveUsageError('fix needs --input PATH or --live');
      if (opts.input.length > 0 && opts.live) throw new LiveUsageError('use --input or --live, not both');
      checkInputOptions(opts);
      if (opts.apply && !opts.live) {
        throw new LiveUsageError('fix --input can plan but never apply: a snapshot may be stale; use --live to apply (the live state is re-read before each write)');
      }
      const config = await loadConfigFile(opts.config);
      const remediation: RemediationConfig = { ...config.remediation, apply: Boolean(opts.apply), allowDestructive: Boolean(opts.allowDestructive) };
      if (opts.apply && !remediation.enabled) {
        throw new ConfigError(`--apply needs remediation.enabled: true in the configuration${opts.config ? ` (${opts.config})` : ' (pass --config FILE)'}; nothing was written`);
      }
      if (opts.apply && remediation.subscriptions.length === 0) {
        throw new ConfigError('--apply needs remediation.subscriptions, the allow list of subscriptions peerguard may write to; nothing was written');
      }
      const auditConfig = { ...config, remediation };

      const live = opts.live ? await readLiveInventory(opts, io) : undefined;
      // What was read, and the scopes that were not (live, or as the snapshot records them).
      const snapshot = live ? undefined : await readSnapshotFiles(opts.input);
      if (snapshot) printSnapshotNotes(snapshot, io.stderr);
      const { resources, unreadable } = live ?? (snapshot as SnapshotRead);
      const now = io.now();
      const run = auditResources({
        resources,
        rules: RULES,
        config: auditConfig,
        now,
        version: VERSION,
        extraSubscriptions: live ? live.subscriptions : opts.subscription,
        unreadable,
      });
      requireVnets(run.report, live ? { liveScope: describeScope(opts) } : { input: opts.input });
      const plan = planRemediation(run.report.findings, run.extras.topology, remediation);
      // The plain-text plan quotes names and ids from the input: control characters shown escaped.
      // JSON goes out as JSON.stringify writes it, like audit's.
      const text = (output: string) => io.stdout(escapeTerminal(output, ['\n']));
      if (opts.format === 'table') {
        if (!remediation.enabled) text('Note: remediation.enabled is false in the configuration: the plan below is for review; nothing would be written.\n');
        text(renderPlan(plan, remediation));
      }
      if (plan.mode !== 'apply') {
        if (opts.format === 'json') io.stdout(`${JSON.stringify({ plan }, null, 2)}\n`);
        setExitCode(0);
        return;
      }

      const overrides = io.azure ?? {};
      const connection = liveConnection(opts, overrides);
      // The journal's first records restate the plan (printed above); print what follows as it happens,
      // and each write as it is sent, so that an interrupted run leaves a record of the write in flight.
      // JSON: stdout stays one document at the end; the progress goes to stderr, one object per line.
      const runId = `cli-${now.toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`;
      const planRecords = plan.items.reduce((n, i) => n + i.operations.length, 0);
      const progress = (event: Record<string, unknown>) => io.stderr(`${JSON.stringify(event)}\n`);
      let inFlight: { operation: ArmOperation; condition: WriteCondition } | undefined;
      const journal = new MemoryJournal((r) => {
        if (r.seq < planRecords) return;
        // A write's result (or the failure that stops its fix) is the next record after it starts.
        inFlight = undefined;
        if (opts.format === 'table') text(renderRecord(r));
        else progress({ event: 'record', record: r });
      });
      const onWriteStart = (operation: ArmOperation, condition: WriteCondition) => {
        inFlight = { operation, condition };
        if (opts.format === 'table') text(`  [writing] ${operation.method} ${operation.resourceId} (${conditionText(condition)})\n`);
        else progress({ event: 'writing', runId, at: io.now().toISOString(), operation, condition });
      };
      // Only while applying: say what may have been written, then exit as a shell expects of the signal.
      const interrupted = (signal: NodeJS.Signals) => {
        const write = inFlight
          ? `${inFlight.operation.method} ${inFlight.operation.resourceId} (${conditionText(inFlight.condition)}) was sent to Resource Manager and had not finished: ARM may still complete it; read the peering back, or run "peerguard fix --live" again, to see whether it holds`
          : 'no write was in flight';
        const where = opts.format === 'table' ? 'stdout' : 'stderr, one JSON object per line';
        io.stderr(`peerguard: interrupted (${signal}) while applying run ${runId}: ${write}. Nothing further is written; what was written before is listed on ${where}.\n`);
        process.exit(signal === 'SIGTERM' ? 143 : 130);
      };
      if (opts.format === 'table') text('\nApplying:\n');
      process.on('SIGINT', interrupted).on('SIGTERM', interrupted);
      let result: ApplyResult;
      try {
        result = await applyPlan(plan, run.extras.topology, {
          writer: new ArmRemediationWriter({ ...connection, ...(overrides.pollIntervalMs !== undefined ? { pollIntervalMs: overrides.pollIntervalMs } : {}) }),
          reader: new ArmLiveReader(connection),
          journal,
          rules: RULES,
          config: auditConfig,
          trigger: { kind: 'cli', user: currentUser() },
          runId,
          now: io.now,
          onWriteStart,
        });
      } finally {
        process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
      }
      if (opts.format === 'table') text(renderResults(result));
      else io.stdout(`${JSON.stringify({ plan, result }, null, 2)}\n`);
      setExitCode(result.outcomes.some((o) => o.result === 'failed') ? 1 : 0);
    });
}
