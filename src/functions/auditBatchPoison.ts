import { app, type InvocationContext } from '@azure/functions';
import { anyCause, isPermanent } from '../alerts/event-path';
import { AssemblyDeferredError, parseBatchMessage, RUN_HORIZON_DAYS, type AuditBatchMessage } from '../alerts/fanout';
import { processBatch } from './auditBatch';
import { redactSecrets } from '../redact';
import { adapters, AUDIT_POISON_QUEUE, DEAD_LETTER_CONTAINER, loggerOf, MAX_DEQUEUE_COUNT, RUN_CONTAINER } from './composition';

// The fan-out's poison queue: a batch message that failed every delivery (host.json's
// maxDequeueCount) lands here. Left alone, its run would never be assembled: no report, no mail.
// Its batch is given up without reading (src/alerts/fanout.ts), so the run ends in a PARTIAL
// report that names the batch's subscriptions. The host gives a `-poison` queue no poison queue
// of its own: a message that fails here is delivered again until it expires (7 days). So only a
// failure a later delivery can get past throws (storage, an assembly held by another invocation);
// a message that is no batch at all is logged and dropped, and a run whose report cannot be made
// (a bug while auditing or rendering) is closed, logged and dead-lettered, as no delivery mends them.

/** How much of a message that is no batch the log repeats. */
const SHOWN_CHARS = 500;

export async function auditBatchPoison(message: unknown, context: InvocationContext): Promise<void> {
  const batch = batchIn(message, context);
  if (!batch) return;
  try {
    await processBatch(batch, context, { poisoned: true, maxDequeueCount: MAX_DEQUEUE_COUNT });
  } catch (error) {
    if (redeliveryMayMend(error)) throw error;
    await closeRun(batch, context, error);
  }
}

/** The batch a poisoned message holds; undefined, logged as an error, when it holds none. */
function batchIn(message: unknown, context: InvocationContext): AuditBatchMessage | undefined {
  try {
    return parseBatchMessage(message);
  } catch (error) {
    const text = typeof message === 'string' ? message : (JSON.stringify(message) ?? String(message));
    const shown = redactSecrets(text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS)}…` : text);
    const id = String(context.triggerMetadata?.id ?? 'without an id');
    loggerOf(context).error(`${AUDIT_POISON_QUEUE}: message ${id} dropped, as no redelivery makes it a batch: ${(error as Error).message}. The message: ${shown}`);
    return undefined;
  }
}

/**
 * Whether a later delivery may get past `error`: the assembly held by another invocation or put
 * off (AssemblyDeferredError), or storage failing (an SDK's RestError or status, a timeout, a
 * dropped connection), unless it refused the request as malformed (isPermanent: the same request
 * again). Anything else, a bug while auditing or rendering, fails every delivery alike.
 */
function redeliveryMayMend(error: unknown): boolean {
  if (isPermanent(error)) return false;
  return anyCause(
    error,
    (e) =>
      e instanceof AssemblyDeferredError ||
      e.name === 'RestError' ||
      e.name === 'AbortError' ||
      e.name === 'TimeoutError' ||
      // A status answered, or a Node system error (ECONNRESET, ENOTFOUND...): I/O, not the code.
      typeof e.statusCode === 'number' ||
      typeof e.syscall === 'string',
  );
}

/**
 * Gives up a run whose report no delivery can make: the message and why go to the dead-letter
 * container, the run is closed (a stray delivery does nothing), and the error is logged. Only a
 * failure of storage throws, for a later delivery to try again.
 */
async function closeRun(batch: AuditBatchMessage, context: InvocationContext, error: unknown): Promise<void> {
  const a = adapters();
  const deliveries = MAX_DEQUEUE_COUNT + Number(context.triggerMetadata?.dequeueCount ?? 1);
  const failure = `${error instanceof Error ? error.name : typeof error}: ${redactSecrets((error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '')}`;
  const reason = `run ${batch.runId}: no report: the poisoned message of batch ${batch.batch} (delivered ${deliveries} times) failed with an error that no redelivery mends: ${failure}`;
  const messageId = String(context.triggerMetadata?.id ?? 'without an id');
  let letter: string;
  try {
    letter = await a.deadLetters.put({ reason, attempts: deliveries, failedAt: a.now().toISOString(), eventId: `run-${batch.runId}-batch-${batch.batch}`, event: { queue: AUDIT_POISON_QUEUE, messageId, message: batch } });
  } catch (storeError) {
    throw new Error(`${reason}; and the dead-letter store failed: ${redactSecrets((storeError as Error).message)}`, { cause: storeError });
  }
  await a.store.finishAssembly(batch.runId);
  loggerOf(context).error(
    `${reason}. The run is closed; message ${messageId} dead-lettered as ${DEAD_LETTER_CONTAINER}/${letter}; its batches' inventories stay in ${RUN_CONTAINER}/runs/${batch.runId}/ for ${RUN_HORIZON_DAYS} days`,
  );
}

app.storageQueue('auditBatchPoison', { queueName: AUDIT_POISON_QUEUE, connection: 'AzureWebJobsStorage', handler: auditBatchPoison });
