import type { ContainerClient } from '@azure/storage-blob';
import type { QueueClient } from '@azure/storage-queue';
import type { AuditScope, Inventory, InventoryReader } from '../ports';
import type { Logger } from './alerting';
import { auditAndReport, mergeInventories, type ScheduledDeps, type ScheduledResult } from './scheduled';
import type { RunStore } from './store';
import { redactSecrets } from '../redact';

// Fan-out of the scheduled audit for large tenants. The timer splits the subscriptions into
// batches and enqueues one message per batch (Storage queue: the platform scales the workers
// out). A worker only READS its batch (Resource Graph, the slow part) and stores the inventory as
// a blob; it then records its batch in the run's row with an ETag-guarded write. The worker that
// records the last batch claims the assembly (another If-Match write: exactly one wins), loads
// every batch's inventory and runs ONE audit over the union. Rules are evaluated over the whole
// estate at once, so peerings that cross batches are joined correctly, and the report, the alert
// state and the "changes since last report" are the same as for a single-invocation audit.

export interface AuditBatchMessage {
  runId: string;
  batch: number;
  batchCount: number;
  subscriptionIds: string[];
}

export function planBatches(runId: string, subscriptionIds: readonly string[], batchSize: number): AuditBatchMessage[] {
  const batches: AuditBatchMessage[] = [];
  const size = Math.max(1, batchSize);
  const count = Math.ceil(subscriptionIds.length / size);
  for (let i = 0; i < count; i++) {
    batches.push({ runId, batch: i, batchCount: count, subscriptionIds: subscriptionIds.slice(i * size, (i + 1) * size) });
  }
  return batches;
}

export function parseBatchMessage(raw: unknown): AuditBatchMessage {
  const value = typeof raw === 'string' ? (JSON.parse(raw) as unknown) : raw;
  const m = value as Partial<AuditBatchMessage> | null;
  if (
    !m ||
    typeof m.runId !== 'string' ||
    typeof m.batch !== 'number' ||
    typeof m.batchCount !== 'number' ||
    !Array.isArray(m.subscriptionIds) ||
    !m.subscriptionIds.every((s) => typeof s === 'string')
  ) {
    throw new Error('not an audit batch message: expected {runId, batch, batchCount, subscriptionIds[]}');
  }
  return m as AuditBatchMessage;
}

export interface BatchInventoryStore {
  save(runId: string, batch: number, inventory: Inventory): Promise<void>;
  load(runId: string, batchCount: number): Promise<Inventory[]>;
}

export class BlobBatchInventoryStore implements BatchInventoryStore {
  private ready: Promise<unknown> | undefined;
  constructor(private readonly container: ContainerClient) {}

  private ensure(): Promise<unknown> {
    this.ready ??= this.container.createIfNotExists();
    return this.ready;
  }

  async save(runId: string, batch: number, inventory: Inventory): Promise<void> {
    await this.ensure();
    const body = JSON.stringify(inventory);
    await this.container.getBlockBlobClient(`runs/${runId}/batch-${batch}.json`).upload(body, Buffer.byteLength(body));
  }

  async load(runId: string, batchCount: number): Promise<Inventory[]> {
    await this.ensure();
    const parts: Inventory[] = [];
    for (let i = 0; i < batchCount; i++) {
      const buffer = await this.container.getBlockBlobClient(`runs/${runId}/batch-${i}.json`).downloadToBuffer();
      parts.push(JSON.parse(buffer.toString('utf8')) as Inventory);
    }
    return parts;
  }
}

export interface AuditQueue {
  enqueue(messages: readonly AuditBatchMessage[]): Promise<void>;
}

/** The Functions queue trigger expects base64 by default; @azure/storage-queue does not encode. */
export class StorageAuditQueue implements AuditQueue {
  private ready: Promise<unknown> | undefined;
  constructor(private readonly queue: QueueClient) {}

  async enqueue(messages: readonly AuditBatchMessage[]): Promise<void> {
    this.ready ??= this.queue.createIfNotExists();
    await this.ready;
    for (const m of messages) await this.queue.sendMessage(Buffer.from(JSON.stringify(m)).toString('base64'));
  }
}

export interface FanoutDeps extends ScheduledDeps {
  inventory: InventoryReader;
  runs: RunStore;
  batches: BatchInventoryStore;
  queue: AuditQueue;
  log: Logger;
  /** When a read begins (orders the alert rows the audit decides): strictly increasing. */
  observe: () => Date;
}

/** The inventory of a scope, stamped with when its read began (`Inventory.observedAt`). */
async function readStamped(deps: FanoutDeps, scope: AuditScope): Promise<Inventory> {
  const observedAt = deps.observe().toISOString();
  return { ...(await deps.inventory.readInventory(scope)), observedAt };
}

/** The timer: enqueue batches when there are more subscriptions than one batch, else audit here. */
export async function startScheduledAudit(
  deps: FanoutDeps,
  scope: { subscriptionIds: string[] } | { kind: 'managementGroup' | 'tenant'; managementGroupId?: string },
  batchSize: number,
): Promise<{ mode: 'inline'; result: ScheduledResult } | { mode: 'fan-out'; runId: string; batches: number }> {
  if ('subscriptionIds' in scope && scope.subscriptionIds.length > batchSize) {
    const runId = deps.now().toISOString().replace(/[:.]/g, '-');
    const batches = planBatches(runId, scope.subscriptionIds, batchSize);
    await deps.runs.startRun(runId, batches.length);
    await deps.queue.enqueue(batches);
    deps.log.info(`scheduled audit ${runId}: ${scope.subscriptionIds.length} subscriptions in ${batches.length} batches enqueued`);
    return { mode: 'fan-out', runId, batches: batches.length };
  }
  const inventory = await readStamped(
    deps,
    'subscriptionIds' in scope
      ? { kind: 'subscriptions', subscriptionIds: scope.subscriptionIds }
      : scope.kind === 'managementGroup'
        ? { kind: 'managementGroup', managementGroupId: scope.managementGroupId ?? '' }
        : { kind: 'tenant' },
  );
  return { mode: 'inline', result: await auditAndReport(deps, inventory) };
}

/**
 * The worker: read one batch. On the last delivery attempt a read failure is recorded as
 * unreadable subscriptions (the report says PARTIAL) rather than stalling the whole run.
 */
export async function runAuditBatch(
  deps: FanoutDeps,
  message: AuditBatchMessage,
  delivery: { dequeueCount: number; maxDequeueCount: number },
): Promise<{ assembled: ScheduledResult | undefined; completed: number }> {
  let inventory: Inventory;
  try {
    inventory = await readStamped(deps, { kind: 'subscriptions', subscriptionIds: message.subscriptionIds });
  } catch (error) {
    if (delivery.dequeueCount < delivery.maxDequeueCount) throw error;
    const reason = `could not be read after ${delivery.dequeueCount} attempts: ${redactSecrets((error as Error).message)}`;
    deps.log.error(`run ${message.runId} batch ${message.batch}: ${reason}`);
    // Nothing read: no claim on when, so the parts that were read decide the run's observation time.
    inventory = { resources: [], subscriptions: [], unreadable: message.subscriptionIds.map((scope) => ({ scope, reason })) };
  }
  await deps.batches.save(message.runId, message.batch, inventory);
  const progress = await deps.runs.completeBatch(message.runId, message.batch);
  if (progress.completed.length < progress.batchCount || !(await deps.runs.claimAssembly(message.runId))) {
    return { assembled: undefined, completed: progress.completed.length };
  }
  const parts = await deps.batches.load(message.runId, progress.batchCount);
  deps.log.info(`run ${message.runId}: all ${progress.batchCount} batches read; assembling the report`);
  return { assembled: await auditAndReport(deps, mergeInventories(parts)), completed: progress.completed.length };
}
