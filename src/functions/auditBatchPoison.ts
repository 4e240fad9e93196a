import { app, type InvocationContext } from '@azure/functions';
import { parseBatchMessage, type AuditBatchMessage } from '../alerts/fanout';
import { processBatch } from './auditBatch';
import { redactSecrets } from '../redact';
import { AUDIT_POISON_QUEUE, loggerOf, MAX_DEQUEUE_COUNT } from './composition';

// The fan-out's poison queue: a batch message that failed every delivery (host.json's
// maxDequeueCount) lands here. Left alone, its run would never be assembled: no report, no mail.
// Its batch is given up without reading (src/alerts/fanout.ts), so the run ends in a PARTIAL
// report that names the batch's subscriptions. The host gives a `-poison` queue no poison queue
// of its own: a message that fails here is delivered again until it expires (7 days). So only a
// failure a later delivery can get past throws (storage, an assembly held by another invocation);
// a message that is no batch at all is logged and dropped, as no delivery mends it.

/** How much of a message that is no batch the log repeats. */
const SHOWN_CHARS = 500;

export async function auditBatchPoison(message: unknown, context: InvocationContext): Promise<void> {
  const batch = batchIn(message, context);
  if (batch) await processBatch(batch, context, { poisoned: true, maxDequeueCount: MAX_DEQUEUE_COUNT });
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

app.storageQueue('auditBatchPoison', { queueName: AUDIT_POISON_QUEUE, connection: 'AzureWebJobsStorage', handler: auditBatchPoison });
