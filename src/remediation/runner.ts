import { randomUUID } from 'node:crypto';
import type { Finding } from '../engine/audit';
import type { AuditConfig } from '../engine/config';
import type { Topology } from '../model/types';
import type { LiveReader } from '../ports';
import type { Rule } from '../rules/rule';
import { applyPlan, type ApplyResult } from './apply';
import { planRemediation } from './plan';
import type { JournalRecord, RemediationJournal, RemediationTrigger, RemediationWriter } from './ports';

// Remediation as the Functions app runs it: after the event path's evaluation of a neighbourhood
// (remediation.onEvent) and after the scheduled audit (remediation.onSchedule). Plans with the
// audit configuration's remediation section, applies through the guards, journals every record.
// Its own writes raise Event Grid events too; their evaluation finds nothing left to fix.

export interface JournalReader {
  /** Records written at or after `since` and, given `until`, before it (ISO times), oldest first. */
  listSince(since: string, until?: string): Promise<JournalRecord[]>;
  /** One finding's records written at or after `since`, oldest first. */
  listForFinding(fingerprint: string, since: string): Promise<JournalRecord[]>;
}

export interface RemediationRunnerDeps {
  writer: RemediationWriter;
  reader: LiveReader;
  journal: RemediationJournal & JournalReader;
  rules: readonly Rule[];
  config: AuditConfig;
  now: () => Date;
}

/**
 * The scheduled audit's most time for remediation: no write starts after it, and one still running
 * is given up at it. Remediation runs after the audit's evaluation and before the report mail, in
 * one invocation that host.json's functionTimeout ends after 10 minutes, counted from its start:
 * what came before (an inline audit's read; a fan-out assembler's own batch read and its wait for
 * the assembly) has used part of them. So the scheduled audit ends remediation at the earlier of
 * this budget and its invocation's deadline less the report's margin (src/alerts/scheduled.ts,
 * REPORT_MARGIN_MS), so that a slow ARM cannot cost the day's report. Peering writes normally
 * finish within a minute: the default maxWrites (5) fits.
 */
export const SCHEDULED_REMEDIATION_BUDGET_MS = 4 * 60_000;

export class RemediationRunner {
  constructor(private readonly deps: RemediationRunnerDeps) {}

  /** Whether this trigger runs remediation at all (enabled, and onEvent / onSchedule). */
  runsFor(trigger: RemediationTrigger): boolean {
    const r = this.deps.config.remediation;
    if (!r.enabled) return false;
    return trigger.kind === 'event' ? r.onEvent : trigger.kind === 'schedule' ? r.onSchedule : true;
  }

  /**
   * Plans and (in apply mode) applies the fixes of `findings`; undefined when this trigger does not
   * run remediation or no finding has a fix. `deadline` (on this runner's clock, `now`): no write
   * starts at or after it, and one still running is given up at it (applyPlan). `waiting`: why a
   * finding's fix is deferred for now, if it is (planRemediation).
   */
  async run(input: {
    findings: readonly Finding[];
    topology: Topology;
    trigger: RemediationTrigger;
    deadline?: Date | undefined;
    waiting?: (finding: Finding) => string | undefined;
  }): Promise<ApplyResult | undefined> {
    if (!this.runsFor(input.trigger)) return undefined;
    const plan = planRemediation(input.findings, input.topology, this.deps.config.remediation, input.waiting);
    // Skipped and deferred fixes are journalled too (the report mail lists the skipped ones); no fix, nothing to record.
    if (plan.items.length === 0) return undefined;
    const at = this.deps.now().toISOString().replace(/[:.]/g, '-');
    return applyPlan(plan, input.topology, {
      ...this.deps,
      trigger: input.trigger,
      runId: `${input.trigger.kind}-${at}-${randomUUID().slice(0, 8)}`,
      ...(input.deadline ? { deadline: input.deadline } : {}),
    });
  }

  /** Records in [since, until) (until: none when left out): a report mail's window, the next one beginning at its `until`. */
  recordsSince(since: string, until?: string): Promise<JournalRecord[]> {
    return this.deps.journal.listSince(since, until);
  }

  recordsFor(fingerprint: string, since: string): Promise<JournalRecord[]> {
    return this.deps.journal.listForFinding(fingerprint, since);
  }
}
