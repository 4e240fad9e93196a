import { app, type InvocationContext, type Timer } from '@azure/functions';
import type { AlertOutcome } from '../alerts/alerting';
import { adapters, alertingOf, loggerOf } from './composition';

// Sends the alert mails that are owed and no longer claimed (src/alerts/alerting.ts, flushPending):
// new alerts of rules that settle (peering-one-sided, peering-disconnected) whose settle period
// (PEERGUARD_ALERT_SETTLE_SECONDS) has ended with the finding still open, and mails whose send
// failed (once their retry time has come) or whose invocation crashed: those due to the same
// recipients as one mail. Without it they would wait for the next event or the daily
// audit, which flush too.
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

export async function alertFlush(_timer: Timer, context: InvocationContext): Promise<AlertOutcome> {
  const log = loggerOf(context);
  const outcome = await alertingOf(adapters(), log).flushPending();
  // Each mail sent is logged as it goes (alerting.ts); a summary only when the run did something.
  if (outcome.sent.length + outcome.failed.length + outcome.lostRaces > 0) {
    const sent = outcome.sent.map((m) => `${m.kind} ${m.subject}`).join('; ');
    const failed = outcome.failed.length > 0 ? `; ${outcome.failed.length} failed and stay pending, retried after a pause that doubles with each failure (at most an hour)` : '';
    const lost = outcome.lostRaces > 0 ? `; ${outcome.lostRaces} claimed by another invocation first` : '';
    log.info(`alert flush: ${outcome.sent.length} mails sent${sent ? ` (${sent})` : ''}${failed}${lost}`);
  }
  return outcome;
}

app.timer('alertFlush', { schedule: ALERT_FLUSH_SCHEDULE, runOnStartup: false, useMonitor: false, handler: alertFlush });
