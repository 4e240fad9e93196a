import { app, type InvocationContext, type Timer } from '@azure/functions';
import { startScheduledAudit } from '../alerts/fanout';
import { invocationTime } from '../alerts/scheduled';
import { adapters, auditScopeFrom, FANOUT_BATCH_SIZE, fanoutDeps, loggerOf } from './composition';

// The full audit and the compliance report, on the schedule in PEERGUARD_REPORT_SCHEDULE.

export async function scheduledAudit(timer: Timer, context: InvocationContext): Promise<void> {
  const a = adapters();
  // The host's functionTimeout counts from here: an inline audit's read and remediation end in time for the report.
  const invocation = invocationTime(a.clock.now());
  const log = loggerOf(context);
  if (timer.isPastDue) log.warn('the scheduled audit is running late');
  const scope = auditScopeFrom(a.settings);
  const outcome = await startScheduledAudit(
    fanoutDeps(a, log),
    scope.kind === 'subscriptions'
      ? { subscriptionIds: scope.subscriptionIds }
      : scope.kind === 'managementGroup'
        ? { kind: 'managementGroup', managementGroupId: scope.managementGroupId }
        : { kind: 'tenant' },
    FANOUT_BATCH_SIZE,
    invocation,
  );
  log.info(outcome.mode === 'fan-out' ? `fan-out run ${outcome.runId}: ${outcome.batches} batches` : `report archived as ${outcome.result.archived.join(', ')}`);
}

app.timer('scheduledAudit', { schedule: '%PEERGUARD_REPORT_SCHEDULE%', runOnStartup: false, useMonitor: true, handler: scheduledAudit });
