import { TableClient } from '@azure/data-tables';
import type { Timer } from '@azure/functions';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ASSEMBLY_LEASE_MS, type AuditBatchMessage } from '../../src/alerts/fanout';
import { AUDIT_TIME_NEEDED_MS, FUNCTION_TIMEOUT_MS, INVOCATION_END_MARGIN_MS, REPORT_MARGIN_MS, type InvocationClock } from '../../src/alerts/scheduled';
import { auditBatch } from '../../src/functions/auditBatch';
import { ALERT_TABLE, AUDIT_QUEUE, MAX_DEQUEUE_COUNT, REPORT_CONTAINER, RUN_CONTAINER, type Adapters } from '../../src/functions/composition';
import { scheduledAudit } from '../../src/functions/scheduledAudit';
import type { Inventory, ReadStop } from '../../src/ports';
import type { RemediationRunner } from '../../src/remediation/runner';
import { useAzurite } from '../support/use-azurite';
import { batchDelivery, context, runFirstOfTwoBatches, estateGraph, fanoutStorage, install, LiveEstate, RecordingMailer, SUB, testEnv, type Logged } from './harness';

// An invocation's time is host.json's functionTimeout counted from its start: at it the host
// restarts the worker, killing an assembly (perhaps between peering writes) and every other
// invocation on it. The scheduled audit and the fan-out count their read, their wait for the
// assembly and remediation against it. Time is injected (a clock whose reads and sleeps advance it).

const timer = { isPastDue: false, scheduleStatus: { last: '', next: '', lastUpdated: '' } } as unknown as Timer;
const OTHER = '00000000-0000-0000-0000-00000000ffff';
const MANY = Array.from({ length: 150 }, (_, i) => `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`);
const T0 = Date.parse('2026-03-04T06:00:00.000Z');
/** What is left of an invocation when the assembly may still be claimed, and when an inline read is given up. */
const CLAIM_BY = FUNCTION_TIMEOUT_MS - INVOCATION_END_MARGIN_MS - AUDIT_TIME_NEEDED_MS;

/** A clock that moves only when told to (reads, sleeps); its timeouts are signals the test aborts. */
function fakeClock(): InvocationClock & { t: number; timeouts: { ms: number; abort: () => void }[] } {
  const clock = {
    t: T0,
    timeouts: [] as { ms: number; abort: () => void }[],
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += ms;
      await Promise.resolve();
    },
    timeout: (ms: number) => {
      const controller = new AbortController();
      clock.timeouts.push({ ms, abort: () => controller.abort(new Error('timed out')) });
      return controller.signal;
    },
  };
  return clock;
}

describe("host.json's time limits, in one place", () => {
  it('FUNCTION_TIMEOUT_MS is host.json functionTimeout, MAX_DEQUEUE_COUNT its maxDequeueCount, and the lease outlasts the timeout', () => {
    const host = JSON.parse(readFileSync(path.resolve(__dirname, '../../host.json'), 'utf8')) as { functionTimeout: string; extensions: { queues: { maxDequeueCount: number } } };
    const [h, m, s] = host.functionTimeout.split(':').map(Number) as [number, number, number];
    expect(FUNCTION_TIMEOUT_MS).toBe(((h * 60 + m) * 60 + s) * 1000);
    expect(MAX_DEQUEUE_COUNT).toBe(host.extensions.queues.maxDequeueCount);
    expect(ASSEMBLY_LEASE_MS).toBeGreaterThan(FUNCTION_TIMEOUT_MS);
    // A redelivery, which has read its batch already, always has the time to assemble.
    expect(CLAIM_BY).toBeGreaterThan(0);
  });
});

describe('the invocation deadline (Azurite)', () => {
  const azurite = useAzurite('all');
  const { runRow } = fanoutStorage(() => azurite().connectionString);
  beforeEach(async () => {
    const blobs = BlobServiceClient.fromConnectionString(azurite().connectionString);
    for (const name of [REPORT_CONTAINER, RUN_CONTAINER]) await blobs.getContainerClient(name).deleteIfExists();
    await TableClient.fromConnectionString(azurite().connectionString, ALERT_TABLE, { allowInsecureConnection: true }).deleteTable();
    await QueueServiceClient.fromConnectionString(azurite().connectionString).getQueueClient(AUDIT_QUEUE).clearMessages().catch(() => undefined);
  });

  function app(env: Record<string, string>, overrides: Partial<Adapters> = {}) {
    const clock = fakeClock();
    const slow = { readMs: 0 };
    const estate = new LiveEstate();
    estate.spokePeeringDeleted();
    const mailer = new RecordingMailer();
    const adapters = install(testEnv(azurite().connectionString, env), { live: estate.reader, inventory: estateGraph(estate, () => (clock.t += slow.readMs)) }, {
      mailer,
      clock,
      now: () => new Date(clock.t),
      ...overrides,
    });
    return { clock, slow, mailer, adapters, estate };
  }

  /** The timer has enqueued 2 batches and the first is done; the last one's message. */
  async function twoBatches(a: ReturnType<typeof app>): Promise<AuditBatchMessage> {
    const last = await runFirstOfTwoBatches(azurite().connectionString);
    expect(a.mailer.sent).toEqual([]);
    return last;
  }

  it("the worker whose own read used most of its invocation records its batch but leaves the assembly unclaimed; the queue's redelivery assembles and mails", async () => {
    const a = app({ PEERGUARD_SUBSCRIPTIONS: [SUB, ...MANY].join(',') });
    const last = await twoBatches(a);
    a.slow.readMs = CLAIM_BY + 1_000;
    await expect(auditBatch(last, batchDelivery(1))).rejects.toThrow(/leaves less than the 180 s the assembly needs .* the queue's redelivery of this message assembles it/);
    const row = await runRow(last.runId);
    expect(row).toMatchObject({ assembled: false, completed: '[0,1]' });
    expect(row.leaseOwner ?? '').toBe('');
    expect(a.mailer.sent).toEqual([]);

    // The redelivery reads nothing (its batch is recorded) and has its whole invocation.
    a.slow.readMs = 0;
    await auditBatch(last, batchDelivery(2));
    expect(a.mailer.sent).toHaveLength(1);
    expect(await runRow(last.runId)).toMatchObject({ assembled: true });
  });

  it("a delivery that finds the assembly held waits, counted from its invocation's start, only while the assembly could still be claimed in time", async () => {
    const a = app({ PEERGUARD_SUBSCRIPTIONS: [SUB, ...MANY].join(',') });
    const last = await twoBatches(a);
    // The last batch's read takes 2 minutes; meanwhile another invocation holds the assembly.
    a.slow.readMs = 2 * 60_000;
    const completeBatch = a.adapters.store.completeBatch.bind(a.adapters.store);
    a.adapters.store.completeBatch = async (runId, batch) => {
      const progress = await completeBatch(runId, batch);
      const claim = await a.adapters.store.claimAssembly(runId, 'another-invocation', new Date(a.clock.t), ASSEMBLY_LEASE_MS);
      expect(claim.status).toBe('claimed');
      return progress;
    };
    const startedAt = a.clock.t;
    await expect(auditBatch(last, batchDelivery(1))).rejects.toThrow(/being assembled by another invocation/);
    const waited = a.clock.t - startedAt;
    expect(waited).toBeLessThanOrEqual(CLAIM_BY);
    expect(waited).toBeGreaterThan(CLAIM_BY - 10_000);
    expect(a.mailer.sent).toEqual([]);
  });

  it("the inline audit's remediation ends at its budget or, after a long read, the invocation's deadline less the report's margin", async () => {
    const deadlines: Date[] = [];
    const remediation = {
      runsFor: () => true,
      run: async (input: { deadline?: Date }) => {
        if (input.deadline) deadlines.push(input.deadline);
        return undefined;
      },
      recordsSince: async () => [],
      recordsFor: async () => [],
    } as unknown as RemediationRunner;
    const a = app({}, { remediation });

    // A quick read: the 4-minute budget binds.
    await scheduledAudit(timer, context('scheduledAudit'));
    expect(deadlines[0]?.getTime()).toBe(T0 + 4 * 60_000);
    expect(a.mailer.sent).toHaveLength(1);

    // A 6-minute read: the report's margin before the invocation's deadline binds.
    const startedAt = a.clock.t;
    a.slow.readMs = 6 * 60_000;
    await scheduledAudit(timer, context('scheduledAudit'));
    expect(deadlines[1]?.getTime()).toBe(startedAt + FUNCTION_TIMEOUT_MS - INVOCATION_END_MARGIN_MS - REPORT_MARGIN_MS);
    expect(a.mailer.sent).toHaveLength(2);
  });

  /** A read that waits for its stop, then gives `onStop(stop)`: what a reader stopped at that point returns or throws. */
  function readUntilStopped(a: ReturnType<typeof app>, onStop: (stop: ReadStop) => Inventory | Error): { stopped: () => boolean } {
    let waiting = false;
    a.adapters.inventory = {
      readInventory: (_scope, _progress, signal, stop) => {
        if (signal || !stop) return Promise.reject(new Error('the inline read was given an abort signal instead of a stop'));
        waiting = true;
        return new Promise<Inventory>((resolve, reject) =>
          stop.signal.addEventListener('abort', () => {
            const outcome = onStop(stop);
            if (outcome instanceof Error) reject(outcome);
            else resolve(outcome);
          }),
        );
      },
    };
    return { stopped: () => waiting };
  }

  async function stopWhenWaiting(a: ReturnType<typeof app>, read: { stopped: () => boolean }): Promise<void> {
    for (let i = 0; i < 500 && !read.stopped(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(a.clock.timeouts.map((t) => t.ms)).toEqual([CLAIM_BY]);
    a.clock.timeouts[0]?.abort();
  }

  it("the inline audit's read stops when it would leave the audit and its report too little of the invocation: what it read is reported, PARTIAL", async () => {
    const a = app({ PEERGUARD_SUBSCRIPTIONS: [SUB, OTHER].join(',') });
    const logs: Logged[] = [];
    let reason = '';
    const read = readUntilStopped(a, (stop) => {
      reason = stop.reason;
      const resources = [...a.estate.vnets.values()].map((r) => ({ resource: structuredClone(r), source: 'graph' }));
      return { resources, subscriptions: [SUB], unreadable: [{ scope: OTHER, reason: stop.reason }] };
    });
    const audit = scheduledAudit(timer, context('scheduledAudit', logs));
    await stopWhenWaiting(a, read);
    await audit;
    expect(reason).toBe("not read: the read stopped at 2026-03-04T06:06:30.000Z to leave the audit and its report the time they need within host.json's functionTimeout (10 min)");
    expect(a.mailer.sent).toHaveLength(1);
    const mail = a.mailer.sent[0]!;
    expect(mail.subject).toMatch(/\(PARTIAL\)$/);
    expect(mail.text.split('\n').filter((l) => l.startsWith('  UNREADABLE '))).toEqual([`  UNREADABLE ${OTHER}: ${reason}`]);
    expect(logs.filter((l) => l.level === 'warning').map((l) => l.text)).toContain('scheduled audit: the read stopped at 2026-03-04T06:06:30.000Z with 1 subscription not read: the report is PARTIAL');
  });

  it("the inline audit's read stopped before it listed the scope's subscriptions: no report, and the error says why", async () => {
    const a = app({});
    const read = readUntilStopped(a, (stop) => stop.signal.reason as Error);
    const audit = scheduledAudit(timer, context('scheduledAudit'));
    await stopWhenWaiting(a, read);
    await expect(audit).rejects.toThrow(/scheduled audit \(no report this run\): reading the estate did not finish by 2026-03-04T06:06:30.000Z/);
    expect(a.mailer.sent).toEqual([]);
  });
});
