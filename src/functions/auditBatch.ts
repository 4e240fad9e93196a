import { app, type InvocationContext } from '@azure/functions';
import { parseBatchMessage, runAuditBatch, type AuditBatchMessage, type BatchDelivery } from '../alerts/fanout';
import { adapters, AUDIT_QUEUE, fanoutDeps, loggerOf, MAX_DEQUEUE_COUNT } from './composition';

// The fan-out worker: reads one batch of subscriptions; the last one to finish assembles the
// report (src/alerts/fanout.ts). Failures throw: the queue redelivers, then moves the message to
// peerguard-audit-batches-poison after host.json's maxDequeueCount, where auditBatchPoison gives
// the batch up.

export async function auditBatch(message: unknown, context: InvocationContext): Promise<void> {
  const dequeueCount = Number(context.triggerMetadata?.dequeueCount ?? 1);
  await processBatch(parseBatchMessage(message), context, { dequeueCount, maxDequeueCount: MAX_DEQUEUE_COUNT });
}

/** Runs one delivery of a batch (from the batch queue or the poison queue) and logs where the run stands. */
export async function processBatch(batch: AuditBatchMessage, context: InvocationContext, delivery: BatchDelivery): Promise<void> {
  const log = loggerOf(context);
  const result = await runAuditBatch(fanoutDeps(adapters(), log), batch, delivery);
  log.info(
    result.assembled
      ? `run ${batch.runId}: report assembled and archived as ${result.assembled.archived.join(', ')}`
      : `run ${batch.runId}: batch ${batch.batch} done (${result.completed} of ${batch.batchCount})`,
  );
}

app.storageQueue('auditBatch', { queueName: AUDIT_QUEUE, connection: 'AzureWebJobsStorage', handler: auditBatch });
