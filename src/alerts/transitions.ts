import { isRuleOff, type Finding, type SuppressedFinding } from '../engine/audit';
import type { AuditConfig } from '../engine/config';
import { inScope, placeOf, type AlertRow, type AlertScope } from './model';

// Alerts go out on transitions only. Pure: stored rows + the findings of one evaluated scope ->
// what changed. The store adapter applies the plan with conditional writes.

export interface TransitionPlan {
  /** No row, or a row whose resolution was already mailed (or never owed): a new alert. */
  opened: { finding: Finding; previous: AlertRow | undefined }[];
  /** Open rows in scope whose finding is gone. */
  resolved: AlertRow[];
  /** Resolved rows whose resolution mail has not gone out, and the finding is back: cancel it. */
  reopened: { row: AlertRow; finding: Finding }[];
  /** Still open: touch last-seen (and take a changed severity or message). */
  unchanged: { row: AlertRow; finding: Finding }[];
  /** Rows (in scope) that a later live read already decided: this view is stale for them. */
  stale: AlertRow[];
  /**
   * Open rows in scope that the configuration keeps from alerting now: their finding is suppressed
   * (still there), or their rule is turned off (not looked for). Closed without a resolution mail,
   * since nothing was fixed (alerting.ts); once the configuration lets it through, it alerts anew.
   */
  closedByConfig: { row: AlertRow; reason: ClosedByConfig }[];
}

/** Why the configuration closed a row: its finding suppressed, or its rule turned off. */
export type ClosedByConfig = 'suppressed' | 'rule-off';

/** What the current configuration keeps from alerting (planTransitions' closedByConfig). */
export interface ConfigQuiet {
  /** Fingerprints of this evaluation's suppressed findings: not found, but not gone either. */
  suppressed?: ReadonlySet<string>;
  /** Ids of the rules the configuration turns off: their findings were not looked for. */
  rulesOff?: ReadonlySet<string>;
}

/**
 * What an evaluation under `config` keeps from alerting: its suppressed findings, and the rules
 * `config` turns off (`isRuleOff`, as runAudit reads them). Only these: a rule left out for another
 * reason closes nothing.
 */
export function configQuiet(config: AuditConfig, suppressed: readonly SuppressedFinding[]): ConfigQuiet {
  return {
    suppressed: new Set(suppressed.map((s) => s.finding.fingerprint)),
    rulesOff: new Set(Object.keys(config.rules).filter((id) => isRuleOff(config, id))),
  };
}

/** Why the configuration keeps an open row without a finding from alerting, if it does. */
function closedByConfig(row: AlertRow, quiet: ConfigQuiet): ClosedByConfig | undefined {
  if (quiet.suppressed?.has(row.fingerprint)) return 'suppressed';
  if (quiet.rulesOff?.has(row.ruleId)) return 'rule-off';
  return undefined;
}

export function planTransitions(
  rows: readonly AlertRow[],
  findings: readonly Finding[],
  scope: AlertScope,
  observedAt: string,
  /** What the configuration keeps from alerting now: such rows are not gone, only silenced. */
  quiet: ConfigQuiet = {},
): TransitionPlan {
  const plan: TransitionPlan = { opened: [], resolved: [], reopened: [], unchanged: [], stale: [], closedByConfig: [] };
  const byFingerprint = new Map(rows.map((r) => [r.fingerprint, r]));
  const current = new Map<string, Finding>();
  for (const f of findings) if (inScope(scope, f, placeOf(scope, f))) current.set(f.fingerprint, f);

  for (const [fingerprint, finding] of current) {
    const row = byFingerprint.get(fingerprint);
    if (row && row.observedAt > observedAt) {
      plan.stale.push(row);
      continue;
    }
    if (!row) plan.opened.push({ finding, previous: undefined });
    else if (row.status === 'open') plan.unchanged.push({ row, finding });
    else if (row.pendingResolved && row.mailedResolvedAt === undefined) plan.reopened.push({ row, finding });
    else plan.opened.push({ finding, previous: row });
  }
  for (const row of rows) {
    if (current.has(row.fingerprint) || row.status !== 'open' || !inScope(scope, row, row.anchor)) continue;
    if (row.observedAt > observedAt) {
      plan.stale.push(row);
      continue;
    }
    const reason = closedByConfig(row, quiet);
    if (reason) plan.closedByConfig.push({ row, reason });
    else plan.resolved.push(row);
  }
  return plan;
}

/**
 * A clock for when live reads begin: the given clock, but strictly increasing in this process, so
 * that of two reads begun in one millisecond (concurrent invocations on one instance) the later
 * one is later and a stale answer cannot undo it. Across instances, clock skew rules anyway.
 */
export function strictlyIncreasing(clock: () => Date): () => Date {
  let last = -Infinity;
  return () => {
    last = Math.max(clock().getTime(), last + 1);
    return new Date(last);
  };
}
