import { randomUUID } from 'node:crypto';
import type { ContainerClient } from '@azure/storage-blob';
import type { QueueClient } from '@azure/storage-queue';
import type { AuditScope, Inventory, InventoryReader } from '../ports';
import type { Logger } from './alerting';
import {
  AUDIT_TIME_NEEDED_MS,
  auditAndReport,
  FUNCTION_TIMEOUT_MS,
  invocationTime,
  mergeInventories,
  REAL_CLOCK,
  type InvocationTime,
  type ScheduledDeps,
  type ScheduledResult,
} from './scheduled';
import type { AssemblyLease, RunProgress, RunStore } from './store';
import { redactSecrets } from '../redact';

// Fan-out of the scheduled audit for large tenants. The timer splits the subscriptions into
// batches and enqueues one message per batch (Storage queue: the platform scales the workers
// out). A worker only READS its batch (Resource Graph, the slow part) and stores the inventory as
// a blob; it then records its batch in the run's row with an ETag-guarded write. The worker that
// records the last batch claims the assembly, loads every batch's inventory and runs ONE audit
// over the union. Rules are evaluated over the whole estate at once, so peerings that cross
// batches are joined correctly, and the report, the alert state and the "changes since last
// report" are the same as for a single-invocation audit.
//
// The claim is a lease (If-Match on the run's row: of two claimants one wins) that lapses after
// ASSEMBLY_LEASE_MS, and the run is recorded as assembled only once its report is archived and
// mailed (or the failed mail recorded). An assembler that fails gives the lease up and throws, so
// the queue's redelivery takes over at once; one that crashes is taken over once its lease lapses.
// Right before the mail, the holder renews its lease (If-Match again): one that was taken over
// meanwhile sends nothing. Every takeover makes the same report (the time of the first claim):
// the same blob names and the same Communication Services Operation-Id, so a mail that a crashed
// holder did send is recognised by the service rather than sent twice.
//
// A batch message whose every delivery failed (the host killed each at functionTimeout during a
// throttled read, say, so no catch ran) is moved to the poison queue, whose handler gives the
// batch up without reading: its subscriptions are recorded unreadable and the run goes on to a
// PARTIAL report, rather than ending in none.
//
// Time: every invocation has host.json's functionTimeout, counted from its start (InvocationTime),
// after which the host restarts the worker, killing the assembly (perhaps between two peering
// writes) and every other invocation on it. A batch's read is aborted at the deadline. The
// assembly is claimed only with AUDIT_TIME_NEEDED_MS still left: the worker that records the last
// batch after a long read throws instead, and the redelivery (30 s later, host.json's
// visibilityTimeout), which finds its batch recorded and reads nothing, assembles with a whole
// invocation's time. That costs one of the message's maxDequeueCount (5) deliveries, so a read that
// succeeds at the first delivery never ends poisoned; and a poisoned batch that was recorded tries the
// assembly once more (auditBatchPoison), with the same check.

/** An assembler's lease: longer than host.json's functionTimeout, after which the host has given up on the invocation. */
export const ASSEMBLY_LEASE_MS = FUNCTION_TIMEOUT_MS + 60_000;
export const ASSEMBLY_POLL_MS = 5_000;
/**
 * Runs (their rows, and batch blobs left behind) are removed this long after they started: the
 * queue's message time-to-live (7 days, the default: StorageAuditQueue sets none), after which no
 * message of the run can still be delivered. A delivery for a removed run does nothing.
 */
export const RUN_HORIZON_DAYS = 7;

export interface AssemblyTiming {
  leaseMs: number;
  /**
   * How long after the invocation's start a delivery that finds the assembly held waits at most
   * (tests shorten it); by default until only AUDIT_TIME_NEEDED_MS of the invocation is left.
   */
  waitMs: number;
  pollMs: number;
}

const DEFAULT_TIMING: AssemblyTiming = { leaseMs: ASSEMBLY_LEASE_MS, waitMs: Number.POSITIVE_INFINITY, pollMs: ASSEMBLY_POLL_MS };

/**
 * The assembly left to a later delivery: held by another invocation, or too little of this one's
 * time left to claim it. A redelivery gets past it, so the poison queue's handler rethrows it.
 */
export class AssemblyDeferredError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AssemblyDeferredError';
  }
}

/** `2026-03-04T06-00-00-000Z`: a run id is its start, and sorts by it. */
export function runIdOf(at: Date): string {
  return at.toISOString().replace(/[:.]/g, '-');
}

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
  /** Saves a batch's inventory; with `ifAbsent`, only when none is saved yet. Whether it was written. */
  save(runId: string, batch: number, inventory: Inventory, options?: { ifAbsent?: boolean }): Promise<boolean>;
  load(runId: string, batchCount: number): Promise<Inventory[]>;
  /** Removes the run's batch blobs (once it is assembled). */
  remove(runId: string): Promise<void>;
  /** Removes the batch blobs of runs whose id sorts before `runIdBefore`; returns how many blobs. */
  prune(runIdBefore: string): Promise<number>;
}

export class BlobBatchInventoryStore implements BatchInventoryStore {
  private ready: Promise<unknown> | undefined;
  constructor(private readonly container: ContainerClient) {}

  private ensure(): Promise<unknown> {
    this.ready ??= this.container.createIfNotExists();
    return this.ready;
  }

  async save(runId: string, batch: number, inventory: Inventory, { ifAbsent = false }: { ifAbsent?: boolean } = {}): Promise<boolean> {
    await this.ensure();
    const body = JSON.stringify(inventory);
    try {
      // If-None-Match: * makes "unless one is saved" one conditional write: no gap between a check and the upload.
      await this.container.getBlockBlobClient(`runs/${runId}/batch-${batch}.json`).upload(body, Buffer.byteLength(body), ifAbsent ? { conditions: { ifNoneMatch: '*' } } : {});
      return true;
    } catch (error) {
      if (ifAbsent && (error as { statusCode?: number }).statusCode === 409) return false; // BlobAlreadyExists
      throw error;
    }
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

  async remove(runId: string): Promise<void> {
    await this.ensure();
    for await (const blob of this.container.listBlobsFlat({ prefix: `runs/${runId}/` })) await this.container.deleteBlob(blob.name, { deleteSnapshots: 'include' }).catch(gone);
  }

  async prune(runIdBefore: string): Promise<number> {
    await this.ensure();
    let removed = 0;
    for await (const blob of this.container.listBlobsFlat({ prefix: 'runs/' })) {
      const runId = blob.name.split('/')[1] ?? '';
      if (runId >= runIdBefore) continue;
      await this.container.deleteBlob(blob.name, { deleteSnapshots: 'include' }).catch(gone);
      removed += 1;
    }
    return removed;
  }
}

/** A blob already deleted (by another invocation) is what was wanted. */
function gone(error: unknown): void {
  if ((error as { statusCode?: number }).statusCode !== 404) throw error;
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
  /** When a read begins (orders the alert rows the audit decides, less GRAPH_LAG_MARGIN_MS): strictly increasing. */
  observe: () => Date;
  /** The assembly's lease and waits (tests shorten them); default ASSEMBLY_LEASE_MS, the invocation's time, ASSEMBLY_POLL_MS. */
  assembly?: Partial<AssemblyTiming>;
}

/** Runs older than RUN_HORIZON_DAYS: their rows and leftover batch blobs. A failure is logged, not thrown. */
async function pruneRuns(deps: FanoutDeps): Promise<void> {
  const before = runIdOf(new Date(deps.now().getTime() - RUN_HORIZON_DAYS * 86_400_000));
  try {
    const rows = await deps.runs.pruneRuns(before);
    const blobs = await deps.batches.prune(before);
    if (rows + blobs > 0) deps.log.info(`scheduled audit: removed ${rows} fan-out runs and ${blobs} batch blobs older than ${RUN_HORIZON_DAYS} days`);
  } catch (error) {
    deps.log.warn(`scheduled audit: removing old fan-out runs failed (tried again at the next audit): ${(error as Error).message}`);
  }
}

/**
 * The inventory of a scope, stamped with when its read began (`Inventory.observedAt`). The read
 * ends at `readBy` (deps.clock), so that the invocation ends before the host kills its worker:
 * aborted (it throws), or with `partial` stopped, the subscriptions it had not read by then
 * unreadable. Either way it throws when it had not yet listed the scope's subscriptions.
 */
async function readStamped(deps: FanoutDeps, scope: AuditScope, readBy: number, what: string, partial = false): Promise<Inventory> {
  const clock = deps.clock ?? REAL_CLOCK;
  const observedAt = deps.observe().toISOString();
  const signal = clock.timeout(readBy - clock.now());
  const limit = `host.json's functionTimeout (${FUNCTION_TIMEOUT_MS / 60_000} min)`;
  const stop = partial ? { signal, reason: `not read: the read stopped at ${new Date(readBy).toISOString()} to leave the audit and its report the time they need within ${limit}` } : undefined;
  try {
    const inventory = await deps.inventory.readInventory(scope, undefined, stop ? undefined : signal, stop);
    const cut = stop ? inventory.unreadable.filter((u) => u.reason === stop.reason).length : 0;
    if (cut > 0) deps.log.warn(`${what}: the read stopped at ${new Date(readBy).toISOString()} with ${cut} subscription${cut === 1 ? '' : 's'} not read: the report is PARTIAL`);
    return { ...inventory, observedAt };
  } catch (error) {
    if (!signal.aborted) throw error;
    throw new Error(`${what}${partial ? ' (no report this run)' : ''}: reading the estate did not finish by ${new Date(readBy).toISOString()}, which leaves the invocation the time it needs after the read within ${limit}`, { cause: error });
  }
}

/** The timer: enqueue batches when there are more subscriptions than one batch, else audit here. */
export async function startScheduledAudit(
  deps: FanoutDeps,
  scope: { subscriptionIds: string[] } | { kind: 'managementGroup' | 'tenant'; managementGroupId?: string },
  batchSize: number,
  invocation: InvocationTime = invocationTime((deps.clock ?? REAL_CLOCK).now()),
): Promise<{ mode: 'inline'; result: ScheduledResult } | { mode: 'fan-out'; runId: string; batches: number }> {
  await pruneRuns(deps);
  if ('subscriptionIds' in scope && scope.subscriptionIds.length > batchSize) {
    const runId = runIdOf(deps.now());
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
    // The audit, alert state and report follow in this invocation: a read past this leaves them no
    // time. What it has read by then is reported, PARTIAL, rather than nothing.
    invocation.deadline - AUDIT_TIME_NEEDED_MS,
    'scheduled audit',
    true,
  );
  return { mode: 'inline', result: await auditAndReport(deps, inventory, { deadline: invocation.deadline }) };
}

/**
 * How a batch message arrived: from the batch queue, the how-manieth of its deliveries; or from
 * the poison queue, where the Functions host moves it once all maxDequeueCount deliveries failed.
 */
export type BatchDelivery = { dequeueCount: number; maxDequeueCount: number } | { poisoned: true; maxDequeueCount: number };

/**
 * The worker: read one batch. On the last delivery attempt a read failure is recorded as
 * unreadable subscriptions (the report says PARTIAL) rather than stalling the whole run; so is a
 * poisoned batch, without reading. A batch already recorded is not read again; a run already
 * assembled (or removed) is left alone.
 */
export async function runAuditBatch(
  deps: FanoutDeps,
  message: AuditBatchMessage,
  delivery: BatchDelivery,
  invocation: InvocationTime = invocationTime((deps.clock ?? REAL_CLOCK).now()),
): Promise<{ assembled: ScheduledResult | undefined; completed: number }> {
  const before = await deps.runs.progress(message.runId);
  if (!before) {
    deps.log.warn(`run ${message.runId}: no such run (removed after ${RUN_HORIZON_DAYS} days, or never started): batch ${message.batch} ignored`);
    return { assembled: undefined, completed: 0 };
  }
  if (before.assembled) {
    deps.log.info(`run ${message.runId}: already assembled; batch ${message.batch} has nothing left to do`);
    return { assembled: undefined, completed: before.completed.length };
  }
  if (!before.completed.includes(message.batch)) await saveBatch(deps, message, delivery, invocation);
  const progress = await deps.runs.completeBatch(message.runId, message.batch);
  if (!progress || progress.completed.length < progress.batchCount) {
    return { assembled: undefined, completed: progress?.completed.length ?? 0 };
  }
  return { assembled: await assemble(deps, progress, invocation), completed: progress.completed.length };
}

/** Reads the batch and saves its inventory; a batch that is given up is saved as unreadable instead. */
async function saveBatch(deps: FanoutDeps, message: AuditBatchMessage, delivery: BatchDelivery, invocation: InvocationTime): Promise<void> {
  // Every delivery of a poisoned message failed, most likely in a read that no retry finished: it is not tried again.
  if ('poisoned' in delivery) return giveUp(deps, message, poisonedReason(message, delivery.maxDequeueCount));
  let inventory: Inventory;
  try {
    // Saving and recording the batch take seconds: INVOCATION_END_MARGIN_MS covers them.
    inventory = await readStamped(deps, { kind: 'subscriptions', subscriptionIds: message.subscriptionIds }, invocation.deadline, `run ${message.runId} batch ${message.batch}`);
  } catch (error) {
    if (delivery.dequeueCount < delivery.maxDequeueCount) throw error;
    return giveUp(deps, message, `could not be read after ${delivery.dequeueCount} attempts: ${redactSecrets((error as Error).message)}`);
  }
  await deps.batches.save(message.runId, message.batch, inventory);
}

/** Why a poisoned batch's subscriptions are unreadable, and where to find out more (the report shows it for each). */
function poisonedReason(message: AuditBatchMessage, deliveries: number): string {
  return (
    `not read: the batch message failed all ${deliveries} deliveries (most likely each hit the 10-minute function timeout during a slow or throttled Resource Graph read, ` +
    `or storage failed while saving or recording the batch); the auditBatch invocations' logs for run ${message.runId} batch ${message.batch} say which`
  );
}

/**
 * Records a batch that is given up as unreadable subscriptions (the report says PARTIAL) rather
 * than stalling the whole run. An earlier delivery may have saved what it read and failed only
 * to record the batch: what was read is kept.
 */
async function giveUp(deps: FanoutDeps, message: AuditBatchMessage, reason: string): Promise<void> {
  // Nothing read: no claim on when, so the parts that were read decide the run's observation time.
  const inventory: Inventory = { resources: [], subscriptions: [], unreadable: message.subscriptionIds.map((scope) => ({ scope, reason })) };
  if (await deps.batches.save(message.runId, message.batch, inventory, { ifAbsent: true })) {
    deps.log.error(`run ${message.runId} batch ${message.batch}: ${reason}`);
  } else {
    deps.log.warn(`run ${message.runId} batch ${message.batch}: ${reason}; but an earlier delivery saved the batch's inventory already, which is kept`);
  }
}

/**
 * Claims the assembly (waiting while another invocation holds it), then assembles, archives and
 * mails the report. Claimed only while AUDIT_TIME_NEEDED_MS of the invocation is left; with less it
 * throws, for the queue's redelivery, a new invocation with all its time, to take it.
 */
async function assemble(deps: FanoutDeps, progress: RunProgress, invocation: InvocationTime): Promise<ScheduledResult | undefined> {
  const timing = { ...DEFAULT_TIMING, ...deps.assembly };
  const clock = deps.clock ?? REAL_CLOCK;
  const { runId } = progress;
  const owner = randomUUID();
  const claimBy = invocation.deadline - AUDIT_TIME_NEEDED_MS;
  const waitUntil = Math.min(invocation.startedAt + timing.waitMs, claimBy);
  let lease: AssemblyLease;
  for (;;) {
    if (clock.now() >= claimBy) {
      const spent = Math.round((clock.now() - invocation.startedAt) / 1000);
      throw new AssemblyDeferredError(
        `run ${runId}: this invocation has run ${spent} s, which leaves less than the ${AUDIT_TIME_NEEDED_MS / 1000} s the assembly needs within host.json's functionTimeout (${FUNCTION_TIMEOUT_MS / 60_000} min): the assembly is left unclaimed, and the queue's redelivery of this message assembles it`,
      );
    }
    const claim = await deps.runs.claimAssembly(runId, owner, deps.now(), timing.leaseMs);
    if (claim.status === 'claimed') {
      lease = claim.lease;
      break;
    }
    if (claim.status !== 'held') return undefined; // assembled by another, or the run is gone
    if (clock.now() + timing.pollMs >= waitUntil) {
      // The holder may still finish; if it died, its lease lapses and a redelivery takes over.
      throw new AssemblyDeferredError(`run ${runId}: the report is being assembled by another invocation (its lease runs until ${claim.until}); the queue redelivers this message`);
    }
    await clock.sleep(timing.pollMs);
  }
  try {
    const parts = await deps.batches.load(runId, lease.batchCount);
    deps.log.info(`run ${runId}: all ${lease.batchCount} batches read; assembling the report`);
    const result = await auditAndReport(deps, mergeInventories(parts), {
      at: new Date(lease.reportAt),
      deadline: invocation.deadline,
      beforeDelivery: async () => {
        const renewed = await deps.runs.renewAssembly(lease, deps.now(), timing.leaseMs);
        if (renewed) lease = renewed;
        return renewed !== undefined;
      },
    });
    if (result.superseded) return undefined;
    await deps.runs.finishAssembly(runId);
    try {
      await deps.batches.remove(runId);
    } catch (error) {
      deps.log.warn(`run ${runId}: its batch blobs could not be removed (they go after ${RUN_HORIZON_DAYS} days): ${(error as Error).message}`);
    }
    return result;
  } catch (error) {
    // Give the lease up so that the queue's redelivery of this message takes over at once.
    await deps.runs.releaseAssembly(lease).catch((e: unknown) => deps.log.warn(`run ${runId}: the assembly's lease could not be given up (it lapses at ${lease.until}): ${(e as Error).message}`));
    throw error;
  }
}
