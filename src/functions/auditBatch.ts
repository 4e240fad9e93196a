import { app, type InvocationContext } from '@azure/functions';
import { parseBatchMessage, runAuditBatch } from '../alerts/fanout';
import { adapters, AUDIT_QUEUE, fanoutDeps, loggerOf, MAX_DEQUEUE_COUNT } from './composition';

// The fan-out worker: reads one batch of subscriptions; the last one to finish assembles the
// report (src/alerts/fanout.ts). Failures throw: the queue redelivers, then moves the message to
// peerguard-audit-batches-poison after host.json's maxDequeueCount.

export async function auditBatch(message: unknown, context: InvocationContext): Promise<void> {
  const log = loggerOf(context);
  const batch = parseBatchMessage(message);
  const dequeueCount = Number(context.triggerMetadata?.dequeueCount ?? 1);
  const result = await runAuditBatch(fanoutDeps(adapters(), log), batch, { dequeueCount, maxDequeueCount: MAX_DEQUEUE_COUNT });
  log.info(
    result.assembled
      ? `run ${batch.runId}: report assembled and archived as ${result.assembled.archived.join(', ')}`
      : `run ${batch.runId}: batch ${batch.batch} done (${result.completed} of ${batch.batchCount})`,
  );
}

app.storageQueue('auditBatch', { queueName: AUDIT_QUEUE, connection: 'AzureWebJobsStorage', handler: auditBatch });
