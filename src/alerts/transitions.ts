import type { Finding } from '../engine/audit';
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
   * Open rows in scope whose finding is still there but now suppressed by configuration: closed
   * without a resolution mail, since nothing was fixed (alerting.ts).
   */
  suppressed: AlertRow[];
}

export function planTransitions(
  rows: readonly AlertRow[],
  findings: readonly Finding[],
  scope: AlertScope,
  observedAt: string,
  /** Fingerprints of this evaluation's suppressed findings: not found, but not gone either. */
  suppressed: ReadonlySet<string> = new Set(),
): TransitionPlan {
  const plan: TransitionPlan = { opened: [], resolved: [], reopened: [], unchanged: [], stale: [], suppressed: [] };
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
    if (row.observedAt > observedAt) plan.stale.push(row);
    else if (suppressed.has(row.fingerprint)) plan.suppressed.push(row);
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
