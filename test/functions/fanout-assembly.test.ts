import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ASSEMBLY_LEASE_MS, type AuditBatchMessage } from '../../src/alerts/fanout';
import type { Mailer, MailMessage } from '../../src/alerts/mailer';
import { auditBatch } from '../../src/functions/auditBatch';
import { ALERT_TABLE, AUDIT_QUEUE, REPORT_CONTAINER, RUN_CONTAINER, type Adapters } from '../../src/functions/composition';
import { batchDelivery, runFirstOfTwoBatches, estateGraph, fanoutStorage, install, LiveEstate, RecordingMailer, SUB, testEnv } from './harness';
import { useAzurite } from '../support/use-azurite';

// The fan-out's assembly (src/alerts/fanout.ts): the worker that records the last batch claims a
// lease on the run, and the run counts as assembled only once its report is archived and mailed.
// A failed or crashed assembler is taken over; two assemblers never both mail.

const MANY = Array.from({ length: 150 }, (_, i) => `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`);
const T0 = new Date('2026-03-04T06:00:00.000Z');

/** A promise and what settles it. */
function gate<T = void>() {
  let open!: (value: T) => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<T>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

describe('fan-out assembly (Azurite)', () => {
  const azurite = useAzurite('all');
  let clock: Date;
  beforeEach(async () => {
    // Each test starts from empty storage: no report baseline, no runs, no queued messages.
    const blobs = BlobServiceClient.fromConnectionString(azurite().connectionString);
    for (const name of [REPORT_CONTAINER, RUN_CONTAINER]) await blobs.getContainerClient(name).deleteIfExists();
    await TableClient.fromConnectionString(azurite().connectionString, ALERT_TABLE, { allowInsecureConnection: true }).deleteTable();
    await QueueServiceClient.fromConnectionString(azurite().connectionString).getQueueClient(AUDIT_QUEUE).clearMessages().catch(() => undefined);
    clock = T0;
  });

  /** The app over a broken peering with 151 subscriptions (2 batches); the timer has run and the first batch is done. */
  async function twoBatchRun(mailer: Mailer, assembly: Adapters['assembly'] = {}): Promise<{ adapters: Adapters; last: AuditBatchMessage }> {
    const estate = new LiveEstate();
    estate.spokePeeringDeleted();
    const adapters = install(testEnv(azurite().connectionString, { PEERGUARD_SUBSCRIPTIONS: [SUB, ...MANY].join(',') }), { live: estate.reader, inventory: estateGraph(estate) }, {
      mailer,
      now: () => clock,
      assembly,
    });
    return { adapters, last: await runFirstOfTwoBatches(azurite().connectionString) };
  }

  const { runRow, blobNames } = fanoutStorage(() => azurite().connectionString);

  it("an assembler that fails once (the archive answers 503) is taken over by the queue's redelivery: one report, archived and mailed", async () => {
    const mailer = new RecordingMailer();
    const { adapters, last } = await twoBatchRun(mailer);
    const save = adapters.archive.save.bind(adapters.archive);
    let failures = 1;
    adapters.archive.save = async (...args) => {
      if (failures-- > 0) throw Object.assign(new Error('The server is busy (503)'), { name: 'RestError', statusCode: 503 });
      return save(...args);
    };
    // The last batch claims the assembly; the archive fails; the invocation throws and the queue redelivers.
    await expect(auditBatch(last, batchDelivery(1))).rejects.toThrow(/503/);
    expect(await runRow(last.runId)).toMatchObject({ assembled: false });
    // The redeliveries (up to maxDequeueCount 5): the first takes over, the others find the run assembled.
    for (let n = 2; n <= 5; n++) await auditBatch(last, batchDelivery(n));

    expect(mailer.sent).toHaveLength(1);
    expect(mailer.sent[0]!.subject).toContain('Compliance report 2026-03-04');
    expect(await blobNames(REPORT_CONTAINER, 'reports/2026/03/04/')).toContain('reports/2026/03/04/2026-03-04T06-00-00-000Z.json');
    expect(await runRow(last.runId)).toMatchObject({ assembled: true });
    // Assembled: the run's batch blobs are gone (the row stays a while, for late deliveries).
    expect(await blobNames(RUN_CONTAINER, `runs/${last.runId}/`)).toEqual([]);
  });

  it('an assembler stalled past its lease is taken over; when it wakes it mails nothing: one report mail', async () => {
    const mailer = new RecordingMailer();
    const { adapters, last } = await twoBatchRun(mailer, { leaseMs: 60_000, waitMs: 300, pollMs: 20 });
    // The first assembler stalls while archiving (a long GC pause, a slow storage call).
    const stalled = gate();
    let entered = false;
    const save = adapters.archive.save.bind(adapters.archive);
    let first = true;
    adapters.archive.save = async (...args) => {
      if (first) {
        first = false;
        entered = true;
        await stalled.promise;
      }
      return save(...args);
    };
    const a = auditBatch(last, batchDelivery(1));
    await until(() => entered, 'the first assembler to reach the archive');

    // A duplicate delivery while the lease holds waits for it, then throws to be redelivered later.
    await expect(auditBatch(last, batchDelivery(2))).rejects.toThrow(/being assembled by another invocation/);
    expect(mailer.sent).toHaveLength(0);

    // The lease lapses: the next delivery takes the assembly over and mails the report.
    clock = new Date(T0.getTime() + 2 * 60_000);
    await auditBatch(last, batchDelivery(3));
    expect(mailer.sent).toHaveLength(1);
    // The takeover made the report of the first claim: same time, same blobs, same Operation-Id.
    expect(mailer.sent[0]!.subject).toContain('Compliance report 2026-03-04');
    expect(await blobNames(REPORT_CONTAINER, 'reports/2026/03/04/')).toEqual([
      'reports/2026/03/04/2026-03-04T06-00-00-000Z.csv',
      'reports/2026/03/04/2026-03-04T06-00-00-000Z.html',
      'reports/2026/03/04/2026-03-04T06-00-00-000Z.json',
    ]);

    // The stalled assembler wakes: its lease was taken over, so it sends nothing.
    stalled.open();
    await a;
    expect(mailer.sent).toHaveLength(1);
    expect(await runRow(last.runId)).toMatchObject({ assembled: true });
  });

  it('an assembler that crashed during the send is taken over with the same report and Operation-Id, which Communication Services recognises', async () => {
    const attempts: MailMessage[] = [];
    const hung = gate<{ id: string }>();
    const mailer: Mailer = {
      send: (message) => {
        attempts.push(message);
        // The first send never answers (the process died in it); the next ones are delivered.
        return attempts.length === 1 ? hung.promise : Promise.resolve({ id: `mail-${attempts.length}` });
      },
    };
    const { last } = await twoBatchRun(mailer, { leaseMs: 60_000, waitMs: 300, pollMs: 20 });
    const a = auditBatch(last, batchDelivery(1));
    await until(() => attempts.length === 1, 'the first send');

    clock = new Date(T0.getTime() + 2 * 60_000);
    await auditBatch(last, batchDelivery(2));
    expect(attempts).toHaveLength(2);
    expect(attempts[1]!.operationId).toBe(attempts[0]!.operationId);
    expect(attempts[1]!.subject).toBe(attempts[0]!.subject);
    expect(await runRow(last.runId)).toMatchObject({ assembled: true });

    hung.fail(new Error('the worker process was recycled'));
    await a;
    expect(attempts).toHaveLength(2);
  });

  it("the lease outlasts host.json's functionTimeout, after which the host has given up on its holder", () => {
    const host = JSON.parse(readFileSync(path.resolve(__dirname, '../../host.json'), 'utf8')) as { functionTimeout: string };
    const [h, m, s] = host.functionTimeout.split(':').map(Number) as [number, number, number];
    expect(ASSEMBLY_LEASE_MS).toBeGreaterThan(((h * 60 + m) * 60 + s) * 1000);
  });
});
