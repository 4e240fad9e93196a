import { TableClient } from '@azure/data-tables';
import type { Timer } from '@azure/functions';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AuditBatchMessage } from '../../src/alerts/fanout';
import { auditBatch } from '../../src/functions/auditBatch';
import { auditBatchPoison } from '../../src/functions/auditBatchPoison';
import { ALERT_TABLE, AUDIT_POISON_QUEUE, AUDIT_QUEUE, DEAD_LETTER_CONTAINER, REPORT_CONTAINER, RUN_CONTAINER, type Adapters } from '../../src/functions/composition';
import { scheduledAudit } from '../../src/functions/scheduledAudit';
import { RULES } from '../../src/rules';
import type { Rule } from '../../src/rules/rule';
import { batchDelivery, context, estateGraph, fanoutStorage, install, LiveEstate, RecordingMailer, SUB, testEnv, type Logged } from './harness';
import { useAzurite } from '../support/use-azurite';

// A batch message whose every delivery failed (each invocation killed at functionTimeout during a
// throttled read, or storage failing while saving or recording the batch) is moved by the host to
// peerguard-audit-batches-poison. auditBatchPoison gives the batch up without reading: the run
// still ends in one report, PARTIAL, naming the batch's subscriptions and why.

const timer = { isPastDue: false, scheduleStatus: { last: '', next: '', lastUpdated: '' } } as unknown as Timer;
/** With SUB, 251 subscriptions: 3 batches of at most 100 (FANOUT_BATCH_SIZE); SUB is in the first. */
const MANY = Array.from({ length: 250 }, (_, i) => `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`);
const T0 = new Date('2026-03-04T06:00:00.000Z');
const FAST_ASSEMBLY = { waitMs: 2_000, pollMs: 20 };

/** host.json's functionTimeout in minutes, which the poisoned batch's reason names. */
function functionTimeoutMinutes(): number {
  const host = JSON.parse(readFileSync(path.resolve(__dirname, '../../host.json'), 'utf8')) as { functionTimeout: string };
  const [h, m] = host.functionTimeout.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

describe('fan-out: a batch message poisoned (Azurite)', () => {
  const azurite = useAzurite('all');
  const queues = () => QueueServiceClient.fromConnectionString(azurite().connectionString);
  beforeEach(async () => {
    // Each test starts from empty storage: no report baseline, no runs, no queued messages.
    const blobs = BlobServiceClient.fromConnectionString(azurite().connectionString);
    for (const name of [REPORT_CONTAINER, RUN_CONTAINER, DEAD_LETTER_CONTAINER]) await blobs.getContainerClient(name).deleteIfExists();
    await TableClient.fromConnectionString(azurite().connectionString, ALERT_TABLE, { allowInsecureConnection: true }).deleteTable();
    for (const name of [AUDIT_QUEUE, AUDIT_POISON_QUEUE]) await queues().getQueueClient(name).clearMessages().catch(() => undefined);
  });

  /** The app over a broken peering (in SUB) with 251 subscriptions; the timer has enqueued the 3 batches. */
  async function threeBatchRun(rules: readonly Rule[] = RULES): Promise<{ adapters: Adapters; mailer: RecordingMailer; reads: string[][]; batches: AuditBatchMessage[] }> {
    const estate = new LiveEstate();
    estate.spokePeeringDeleted();
    const mailer = new RecordingMailer();
    const reads: string[][] = [];
    const adapters = install(testEnv(azurite().connectionString, { PEERGUARD_SUBSCRIPTIONS: [SUB, ...MANY].join(',') }), { live: estate.reader, inventory: estateGraph(estate, (subs) => reads.push(subs)) }, {
      mailer,
      now: () => T0,
      assembly: FAST_ASSEMBLY,
      rules,
    });
    await scheduledAudit(timer, context('scheduledAudit'));
    const received = await queues().getQueueClient(AUDIT_QUEUE).receiveMessages({ numberOfMessages: 32 });
    const batches = received.receivedMessageItems.map((m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as AuditBatchMessage);
    expect(batches.map((b) => b.subscriptionIds.length)).toEqual([100, 100, 51]);
    return { adapters, mailer, reads, batches };
  }

  /**
   * What the host does with a message whose deliveries all failed: its text moved to the poison
   * queue (base64, as host.json's messageEncoding has it), then delivered to the poison trigger,
   * decoded and, when it is JSON, parsed.
   */
  async function poison(text: string, logs: Logged[] = []): Promise<void> {
    const queue = queues().getQueueClient(AUDIT_POISON_QUEUE);
    await queue.createIfNotExists();
    await queue.sendMessage(Buffer.from(text).toString('base64'));
    const [item] = (await queue.receiveMessages({ numberOfMessages: 1 })).receivedMessageItems;
    const decoded = Buffer.from(item!.messageText, 'base64').toString('utf8');
    let message: unknown = decoded;
    try {
      message = JSON.parse(decoded);
    } catch {
      // Not JSON: the host passes the text.
    }
    const c = context('auditBatchPoison', logs);
    (c as { triggerMetadata?: Record<string, unknown> }).triggerMetadata = { id: item!.messageId, dequeueCount: item!.dequeueCount };
    await auditBatchPoison(message, c);
    await queue.deleteMessage(item!.messageId, item!.popReceipt);
  }

  const poisonBatch = (batch: AuditBatchMessage, logs?: Logged[]) => poison(JSON.stringify(batch), logs);

  const { runRow, blobNames } = fanoutStorage(() => azurite().connectionString);

  async function archivedReport(): Promise<{ coverage: { subscriptions: string[]; unreadable: { scope: string; reason: string }[] } }> {
    const blob = BlobServiceClient.fromConnectionString(azurite().connectionString).getContainerClient(REPORT_CONTAINER).getBlockBlobClient('reports/2026/03/04/2026-03-04T06-00-00-000Z.json');
    return JSON.parse((await blob.downloadToBuffer()).toString('utf8')) as never;
  }

  /** One report was mailed and archived: PARTIAL, every subscription of `given` unreadable with the poisoned batch's reason, the finding in SUB still reported. */
  async function expectPartialReport(mailer: RecordingMailer, given: AuditBatchMessage): Promise<void> {
    expect(mailer.sent).toHaveLength(1);
    const mail = mailer.sent[0]!;
    expect(mail.subject).toBe('[peerguard] Compliance report 2026-03-04: 1 errors, 0 warnings, 0 info (PARTIAL)');
    const reason = expect.stringMatching(
      new RegExp(
        `^not read: the batch message failed all 5 deliveries \\(most likely each hit the ${functionTimeoutMinutes()}-minute function timeout during a slow or throttled Resource Graph read, ` +
          `or storage failed while saving or recording the batch\\); the auditBatch invocations' logs for run ${given.runId} batch ${given.batch} say which$`,
      ),
    );
    const { coverage } = await archivedReport();
    expect(coverage.unreadable).toEqual(given.subscriptionIds.map((scope) => ({ scope, reason })));
    const unreadableLines = mail.text.split('\n').filter((l) => l.startsWith('  UNREADABLE '));
    expect(unreadableLines).toEqual(given.subscriptionIds.map((s) => expect.stringMatching(new RegExp(`^ {2}UNREADABLE ${s}: not read: the batch message failed all 5 deliveries`))));
    expect(await runRow(given.runId)).toMatchObject({ assembled: true });
    expect(await blobNames(RUN_CONTAINER, `runs/${given.runId}/`)).toEqual([]);
  }

  it('the second of 3 batches poisoned, the others done: its batch is given up without reading, and the last batch mails one PARTIAL report naming its subscriptions', async () => {
    const { mailer, reads, batches } = await threeBatchRun();
    const [first, poisoned, last] = batches as [AuditBatchMessage, AuditBatchMessage, AuditBatchMessage];
    await auditBatch(first, batchDelivery());
    const logs: Logged[] = [];
    await poisonBatch(poisoned, logs);
    // Given up, not read again: a read is what most likely failed five times.
    expect(reads).toEqual([first.subscriptionIds]);
    expect(logs).toContainEqual({ level: 'error', text: expect.stringContaining(`run ${poisoned.runId} batch 1: not read: the batch message failed all 5 deliveries`) });
    expect(mailer.sent).toHaveLength(0);

    await auditBatch(last, batchDelivery());
    await expectPartialReport(mailer, poisoned);
    expect(mailer.sent[0]!.text).toContain(`subscriptions read: ${[...first.subscriptionIds, ...last.subscriptionIds].sort().join(', ')}`);
  });

  it('the poisoned batch handled before the others: the same report', async () => {
    const { mailer, batches } = await threeBatchRun();
    const [first, poisoned, last] = batches as [AuditBatchMessage, AuditBatchMessage, AuditBatchMessage];
    await poisonBatch(poisoned);
    await auditBatch(first, batchDelivery());
    expect(mailer.sent).toHaveLength(0);
    await auditBatch(last, batchDelivery());
    await expectPartialReport(mailer, poisoned);
  });

  it('the last batch poisoned: the poison handler assembles and mails the report', async () => {
    const { mailer, batches } = await threeBatchRun();
    const [first, second, poisoned] = batches as [AuditBatchMessage, AuditBatchMessage, AuditBatchMessage];
    await auditBatch(first, batchDelivery());
    await auditBatch(second, batchDelivery());
    await poisonBatch(poisoned);
    await expectPartialReport(mailer, poisoned);
  });

  it('the poisoned message delivered twice: one report', async () => {
    const { mailer, batches } = await threeBatchRun();
    const [first, poisoned, last] = batches as [AuditBatchMessage, AuditBatchMessage, AuditBatchMessage];
    await auditBatch(first, batchDelivery());
    await poisonBatch(poisoned);
    await poisonBatch(poisoned);
    await auditBatch(last, batchDelivery());
    await expectPartialReport(mailer, poisoned);
    // Once more, after the report: nothing left to do.
    await poisonBatch(poisoned);
    expect(mailer.sent).toHaveLength(1);
  });

  it('the last batch poisoned and delivered twice at once: one assembles, the other finds it done; one report', async () => {
    const { mailer, batches } = await threeBatchRun();
    const [first, second, poisoned] = batches as [AuditBatchMessage, AuditBatchMessage, AuditBatchMessage];
    await auditBatch(first, batchDelivery());
    await auditBatch(second, batchDelivery());
    await Promise.all([poisonBatch(poisoned), poisonBatch(poisoned)]);
    await expectPartialReport(mailer, poisoned);
  });

  it('a batch read and saved whose recording kept failing: the poison handler keeps what was read, and the report is complete', async () => {
    const { adapters, mailer, reads, batches } = await threeBatchRun();
    const [first, poisoned, last] = batches as [AuditBatchMessage, AuditBatchMessage, AuditBatchMessage];
    await auditBatch(first, batchDelivery());
    // The run's row answers 503 to every delivery's recording of the batch; its inventory was saved each time.
    const completeBatch = adapters.store.completeBatch.bind(adapters.store);
    adapters.store.completeBatch = async (runId, batch) => {
      if (batch === poisoned.batch) throw Object.assign(new Error('The server is busy (503)'), { name: 'RestError', statusCode: 503 });
      return completeBatch(runId, batch);
    };
    for (let n = 1; n <= 5; n++) await expect(auditBatch(poisoned, batchDelivery(n))).rejects.toThrow(/503/);
    expect(await blobNames(RUN_CONTAINER, `runs/${poisoned.runId}/`)).toContain(`runs/${poisoned.runId}/batch-1.json`);
    adapters.store.completeBatch = completeBatch;

    const logs: Logged[] = [];
    await poisonBatch(poisoned, logs);
    expect(logs).toContainEqual({ level: 'warning', text: expect.stringContaining('an earlier delivery saved the batch') });
    await auditBatch(last, batchDelivery());
    expect(reads).toHaveLength(1 + 5 + 1);
    expect(mailer.sent).toHaveLength(1);
    expect(mailer.sent[0]!.subject).toBe('[peerguard] Compliance report 2026-03-04: 1 errors, 0 warnings, 0 info');
    expect(mailer.sent[0]!.text).toContain('unreadable: none');
    expect((await archivedReport()).coverage.subscriptions).toHaveLength(251);
  });

  it('a batch whose read fails on every delivery is given up by its last one, not poisoned: the report names the read error', async () => {
    const { adapters, mailer, batches } = await threeBatchRun();
    const [first, failing, last] = batches as [AuditBatchMessage, AuditBatchMessage, AuditBatchMessage];
    const read = adapters.inventory.readInventory.bind(adapters.inventory);
    adapters.inventory.readInventory = async (scope) => {
      if (scope.kind === 'subscriptions' && scope.subscriptionIds[0] === failing.subscriptionIds[0]) throw new Error('Resource Graph answered 429 (throttled)');
      return read(scope);
    };
    await auditBatch(first, batchDelivery());
    for (let n = 1; n < 5; n++) await expect(auditBatch(failing, batchDelivery(n))).rejects.toThrow(/429/);
    await auditBatch(failing, batchDelivery(5));
    await auditBatch(last, batchDelivery());
    expect(mailer.sent).toHaveLength(1);
    expect(mailer.sent[0]!.subject).toContain('(PARTIAL)');
    const reason = 'could not be read after 5 attempts: Resource Graph answered 429 (throttled)';
    expect((await archivedReport()).coverage.unreadable).toEqual(failing.subscriptionIds.map((scope) => ({ scope, reason })));
  });

  it('a poisoned message of a run already assembled, or removed: left alone, and said so', async () => {
    const { mailer, batches } = await threeBatchRun();
    for (const b of batches) await auditBatch(b, batchDelivery());
    expect(mailer.sent).toHaveLength(1);
    const runId = batches[0]!.runId;
    const logs: Logged[] = [];
    await poisonBatch(batches[1]!, logs);
    expect(mailer.sent).toHaveLength(1);
    // No batch blob written again for a run whose blobs are gone.
    expect(await blobNames(RUN_CONTAINER, `runs/${runId}/`)).toEqual([]);
    expect(logs).toContainEqual({ level: 'information', text: `run ${runId}: already assembled; batch 1 has nothing left to do` });

    // The run's row removed (7 days on): nothing either.
    await TableClient.fromConnectionString(azurite().connectionString, ALERT_TABLE, { allowInsecureConnection: true }).deleteEntity('run', runId);
    logs.length = 0;
    await poisonBatch(batches[1]!, logs);
    expect(mailer.sent).toHaveLength(1);
    expect(await blobNames(RUN_CONTAINER, `runs/${runId}/`)).toEqual([]);
    expect(logs).toContainEqual({ level: 'warning', text: expect.stringContaining(`run ${runId}: no such run`) });
  });

  it('a poisoned message that is not an audit batch: an error naming it is logged, and the handler returns (no retry mends it)', async () => {
    const { mailer } = await threeBatchRun();
    for (const text of ['this is not JSON', JSON.stringify({ runId: '2026-03-04T06-00-00-000Z', batch: 'one' })]) {
      const logs: Logged[] = [];
      await expect(poison(text, logs)).resolves.toBeUndefined();
      expect(logs).toEqual([
        {
          level: 'error',
          text: expect.stringMatching(new RegExp(`^${AUDIT_POISON_QUEUE}: message [0-9a-f-]{36} dropped, as no redelivery makes it a batch: .+\\. The message: ${text.replace(/[{}.*+?^$()|[\]\\]/g, '\\$&')}$`)),
        },
      ]);
    }
    expect(mailer.sent).toHaveLength(0);
  });

  /** The dead letters written (none when the container was never created). */
  async function deadLetterNames(): Promise<string[]> {
    const exists = await BlobServiceClient.fromConnectionString(azurite().connectionString).getContainerClient(DEAD_LETTER_CONTAINER).exists();
    return exists ? blobNames(DEAD_LETTER_CONTAINER, 'events/') : [];
  }

  /** A rule that throws while the audit evaluates it (a bug), its message quoting a secret. */
  const throwingRule: Rule = {
    meta: { ...(RULES[0] as Rule).meta, id: 'throws-while-auditing' },
    evaluate: () => {
      throw new TypeError('bug in a rule: AccountKey=S3CR3T-KEY was read');
    },
  };

  it('a report that no delivery can make (a rule that throws): the poison handler dead-letters the message, closes the run and returns, rather than throw at every delivery for 7 days', async () => {
    const { mailer, batches } = await threeBatchRun([...RULES, throwingRule]);
    const [first, second, poisoned] = batches as [AuditBatchMessage, AuditBatchMessage, AuditBatchMessage];
    await auditBatch(first, batchDelivery());
    await auditBatch(second, batchDelivery());
    // Every delivery records the batch, then fails assembling the report.
    for (let n = 1; n <= 5; n++) await expect(auditBatch(poisoned, batchDelivery(n))).rejects.toThrow('bug in a rule');

    const logs: Logged[] = [];
    await expect(poisonBatch(poisoned, logs)).resolves.toBeUndefined();
    const { runId } = poisoned;
    const errors = logs.filter((l) => l.level === 'error').map((l) => l.text);
    expect(errors).toEqual([
      expect.stringMatching(
        new RegExp(
          `^run ${runId}: no report: the poisoned message of batch 2 \\(delivered 6 times\\) failed with an error that no redelivery mends: TypeError: bug in a rule: AccountKey=<redacted> was read\\. ` +
            `The run is closed; message [0-9a-f-]{36} dead-lettered as ${DEAD_LETTER_CONTAINER}/events/\\S+\\.json; its batches' inventories stay in ${RUN_CONTAINER}/runs/${runId}/ for 7 days$`,
        ),
      ),
    ]);
    expect(JSON.stringify(logs)).not.toContain('S3CR3T');
    expect(mailer.sent).toHaveLength(0);
    expect(await runRow(runId)).toMatchObject({ assembled: true });
    expect(await blobNames(RUN_CONTAINER, `runs/${runId}/`)).toHaveLength(3);

    const [letterName, ...others] = await deadLetterNames();
    expect(others).toEqual([]);
    const letter = JSON.parse(
      (await BlobServiceClient.fromConnectionString(azurite().connectionString).getContainerClient(DEAD_LETTER_CONTAINER).getBlockBlobClient(letterName!).downloadToBuffer()).toString('utf8'),
    ) as Record<string, unknown>;
    expect(letter).toMatchObject({ attempts: 6, eventId: `run-${runId}-batch-2`, event: { queue: AUDIT_POISON_QUEUE, message: poisoned } });
    expect(letter.reason).toContain('TypeError: bug in a rule: AccountKey=<redacted> was read');

    // Delivered again all the same: the run is closed, nothing is assembled or dead-lettered again.
    logs.length = 0;
    await poisonBatch(poisoned, logs);
    expect(logs).toContainEqual({ level: 'information', text: `run ${runId}: already assembled; batch 2 has nothing left to do` });
    expect(await deadLetterNames()).toHaveLength(1);
  });

  it('storage failing while the poison handler assembles: it throws, and a later delivery mails the report', async () => {
    const { adapters, mailer, batches } = await threeBatchRun();
    const [first, second, poisoned] = batches as [AuditBatchMessage, AuditBatchMessage, AuditBatchMessage];
    await auditBatch(first, batchDelivery());
    await auditBatch(second, batchDelivery());
    const load = adapters.batches.load.bind(adapters.batches);
    adapters.batches.load = () => Promise.reject(Object.assign(new Error('The server is busy (503)'), { name: 'RestError', statusCode: 503 }));
    await expect(poisonBatch(poisoned)).rejects.toThrow(/503/);
    expect(await runRow(poisoned.runId)).toMatchObject({ assembled: false });
    expect(await deadLetterNames()).toEqual([]);

    adapters.batches.load = load;
    await poisonBatch(poisoned);
    await expectPartialReport(mailer, poisoned);
  });

  it('the assembly held by another invocation: the poison handler throws, for a later delivery to take it', async () => {
    const { adapters, mailer, batches } = await threeBatchRun([...RULES, throwingRule]);
    const [first, second, poisoned] = batches as [AuditBatchMessage, AuditBatchMessage, AuditBatchMessage];
    await auditBatch(first, batchDelivery());
    await auditBatch(second, batchDelivery());
    await adapters.store.completeBatch(poisoned.runId, poisoned.batch);
    expect(await adapters.store.claimAssembly(poisoned.runId, 'another-invocation', new Date(), 60_000)).toMatchObject({ status: 'claimed' });
    await expect(poisonBatch(poisoned)).rejects.toThrow(/being assembled by another invocation/);
    expect(await runRow(poisoned.runId)).toMatchObject({ assembled: false });
    expect(await deadLetterNames()).toEqual([]);
    expect(mailer.sent).toHaveLength(0);
  });
});
