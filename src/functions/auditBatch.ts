import { app, type InvocationContext } from '@azure/functions';
import { parseBatchMessage, runAuditBatch, type AuditBatchMessage, type BatchDelivery } from '../alerts/fanout';
import { invocationTime } from '../alerts/scheduled';
import { adapters, AUDIT_QUEUE, fanoutDeps, loggerOf, MAX_DEQUEUE_COUNT } from './composition';

// The fan-out worker: reads one batch of subscriptions; the last one to finish assembles the
// report (src/alerts/fanout.ts). Failures throw: the queue redelivers, then moves the message to
// peerguard-audit-batches-poison after host.json's maxDequeueCount, where auditBatchPoison gives
// the batch up.

export async function auditBatch(message: unknown, context: InvocationContext): Promise<void> {
  // The host's functionTimeout counts from here: so do the batch's read and the assembly's time.
  const startedAt = adapters().clock.now();
  const dequeueCount = Number(context.triggerMetadata?.dequeueCount ?? 1);
  await processBatch(parseBatchMessage(message), context, { dequeueCount, maxDequeueCount: MAX_DEQUEUE_COUNT }, startedAt);
}

/** Runs one delivery of a batch (from the batch queue or the poison queue), in an invocation begun at `startedAt`, and logs where the run stands. */
export async function processBatch(batch: AuditBatchMessage, context: InvocationContext, delivery: BatchDelivery, startedAt = adapters().clock.now()): Promise<void> {
  const log = loggerOf(context);
  const result = await runAuditBatch(fanoutDeps(adapters(), log), batch, delivery, invocationTime(startedAt));
  log.info(
    result.assembled
      ? `run ${batch.runId}: report assembled and archived as ${result.assembled.archived.join(', ')}`
      : `run ${batch.runId}: batch ${batch.batch} done (${result.completed} of ${batch.batchCount})`,
  );
}

app.storageQueue('auditBatch', { queueName: AUDIT_QUEUE, connection: 'AzureWebJobsStorage', handler: auditBatch });
