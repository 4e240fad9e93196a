import { app, type InvocationContext, type Timer } from '@azure/functions';
import type { AlertOutcome, Logger } from '../alerts/alerting';
import { recheckHeldAlert, type EventPathDeps } from '../alerts/event-path';
import { adapters, eventPathDeps, loggerOf } from './composition';

// Sends the alert mails that are owed and no longer claimed (src/alerts/alerting.ts, flushPending):
// new alerts of rules that settle (peering-one-sided, peering-disconnected) whose settle period
// (PEERGUARD_ALERT_SETTLE_SECONDS) has ended with the finding still open, and mails whose send
// failed (once their retry time has come) or whose invocation crashed: those due to the same
// recipients as one mail. Without it they would wait for the next event or the daily audit, which
// flush too.
//
// A held alert whose period has ended is first decided again on a live read of its resource's
// neighbourhood (event-path.ts, recheckHeldAlert): mailed only if still there, and fixed then when
// remediation runs on events. At most MAX_RECHECKS a run, within RECHECK_BUDGET_MS; the rest wait
// for the next run, unmailed. A failed re-read leaves its alert to be mailed as last stored.
//
// Every minute, fixed: the settle period is the setting to tune, and the flush only bounds how late
// after it a mail goes (at most a minute). One run is one query of the alert table's pending rows
// (an owed mail is rare: the query returns almost nothing) plus a claim and a send per mail due: on
// Flex Consumption's on-demand billing about 43,200 short executions a month. Not a
// %SETTING% schedule: the host resolves those itself with no default, so a new one would be a
// required setting that every existing deployment lacks until it is re-provisioned.
// useMonitor off: a missed tick (the app down or scaling) is caught up by the next one a minute
// later, so the host need not record every run's schedule status in storage.

export const ALERT_FLUSH_SCHEDULE = '0 */1 * * * *';

/** Held alerts re-read live per run: a hub that drops all its links lapses one per spoke at once. */
export const MAX_RECHECKS = 20;

/**
 * The time a run spends re-reading held alerts (each re-read within an event's own deadline): well
 * inside host.json's 10-minute functionTimeout, so that the flush after them always runs.
 */
export const RECHECK_BUDGET_MS = 4 * 60_000;

/**
 * Re-checks the held alerts whose period has ended, one neighbourhood at a time; a failed re-check
 * leaves its alert to the flush. Returns how many were read again, and the lapsed holds left for the
 * next run (over MAX_RECHECKS or the budget), which this run's flush must not mail unread.
 */
async function recheckLapsedHolds(deps: EventPathDeps, log: Logger): Promise<{ rechecks: number; left: Set<string> }> {
  const decided = new Set<string>();
  const until = Date.now() + RECHECK_BUDGET_MS;
  let rechecks = 0;
  for (;;) {
    // Read again each time: one neighbourhood's re-check decides every held alert in it.
    const due = deps.alerting.lapsedHolds(await deps.store.pendingRows()).filter((r) => !decided.has(r.fingerprint));
    const [row] = due;
    if (!row) return { rechecks, left: new Set() };
    if (rechecks >= MAX_RECHECKS || Date.now() >= until) return { rechecks, left: new Set(due.map((r) => r.fingerprint)) };
    decided.add(row.fingerprint);
    rechecks += 1;
    try {
      const result = await recheckHeldAlert(deps, row);
      const plan = result?.outcome?.plan;
      for (const { row: r } of [...(plan?.unchanged ?? []), ...(plan?.reopened ?? [])]) decided.add(r.fingerprint);
    } catch (error) {
      log.warn(`alert ${row.fingerprint} (${row.ruleId}): its settle period ended, and reading its state again failed; it is mailed as last seen: ${(error as Error).message}`);
    }
  }
}

export async function alertFlush(_timer: Timer, context: InvocationContext): Promise<AlertOutcome> {
  const log = loggerOf(context);
  const deps = eventPathDeps(adapters(), log);
  const { rechecks, left } = await recheckLapsedHolds(deps, log);
  const outcome = await deps.alerting.flushPending(undefined, { lapsedHolds: true, skip: left });
  // Each mail sent is logged as it goes (alerting.ts); a summary only when the run did something.
  if (rechecks + left.size + outcome.sent.length + outcome.failed.length + outcome.lostRaces > 0) {
    // A digest is one subject for many alerts: named once.
    const sent = [...new Set(outcome.sent.map((m) => `${m.kind} ${m.subject}`))].join('; ');
    const checked = rechecks > 0 ? `${rechecks} held alerts read again at the end of their settle period${left.size > 0 ? ` (${left.size} left for the next run)` : ''}; ` : '';
    const failed = outcome.failed.length > 0 ? `; ${outcome.failed.length} failed and stay pending, retried after a pause that doubles with each failure (at most an hour)` : '';
    const lost = outcome.lostRaces > 0 ? `; ${outcome.lostRaces} claimed by another invocation first` : '';
    log.info(`alert flush: ${checked}${outcome.sent.length} mails sent${sent ? ` (${sent})` : ''}${failed}${lost}`);
  }
  return outcome;
}

app.timer('alertFlush', { schedule: ALERT_FLUSH_SCHEDULE, runOnStartup: false, useMonitor: false, handler: alertFlush });
