import { TableClient } from '@azure/data-tables';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableAlertStore } from '../../src/alerts/store';
import { ALERT_TABLE, DEAD_LETTER_CONTAINER } from '../../src/functions/composition';
import { eventGridTrigger } from '../../src/functions/eventGridTrigger';
import { scheduledAudit } from '../../src/functions/scheduledAudit';
import type { Inventory } from '../../src/ports';
import { PEERING, startApp, timer, useEventPath, writeEvent, type App } from '../reliability/harness';
import { forwarder } from '../support/tcp-forwarder';
import { context, fixture, install, SUB } from './harness';

// An event whose handling keeps failing for a reason a later delivery may not meet (storage, ARM or
// Resource Graph unreachable, throttled or failing beyond the invocation's own attempts) is thrown,
// so that the Functions host answers Event Grid 500 and Event Grid redelivers: acknowledging it with
// a dead letter of ours lost the alert (nothing replays those, and the scheduled audit records a
// finding it first sees without mailing it). Only a failure no redelivery can change is kept in our
// dead-letter container and acknowledged. Real SDKs throughout: Tables and Blobs in Azurite behind a
// TCP forwarder, ARM and Resource Graph against the stand-in.

const deleted = () => fixture('peering-delete-success.eventgrid.json');

async function blobNames(container: ContainerClient): Promise<string[]> {
  const names: string[] = [];
  if (await container.exists()) for await (const b of container.listBlobsFlat()) names.push(b.name);
  return names.sort();
}

describe('the alert table unreachable beyond the invocation’s attempts (blobs still answer)', () => {
  const app = useEventPath();

  it('the delivery fails, nothing is dead-lettered or acknowledged; Event Grid’s redelivery mails the alert once', async () => {
    const storage = { down: true };
    const table = await forwarder(app.azurite.ports.table, storage);
    const letters = BlobServiceClient.fromConnectionString(app.azurite.connectionString).getContainerClient(DEAD_LETTER_CONTAINER);
    try {
      const via = app.azurite.connectionString.replace(`:${app.azurite.ports.table}/`, `:${table.port}/`);
      // The SDK's own retries, short, so that the outage outlasts them quickly; the client is untouched otherwise.
      const store = new TableAlertStore(TableClient.fromConnectionString(via, ALERT_TABLE, { allowInsecureConnection: true, retryOptions: { maxRetries: 2, retryDelayInMs: 10, maxRetryDelayInMs: 20 } }));
      const estate = app.estate;
      const inventory = { readInventory: async (): Promise<Inventory> => ({ resources: [...estate.vnets.values()].map((r) => ({ resource: structuredClone(r), source: 'graph' })), subscriptions: [SUB], unreadable: [] }) };
      const adapters = install(app.env(), { live: estate.reader, inventory }, { mailer: app.mailer, store });
      const before = await blobNames(letters);
      estate.spokePeeringDeleted();

      await expect(eventGridTrigger(deleted(), context('eventGridTrigger'))).rejects.toThrow(/failed after 3 attempts, left to Event Grid to redeliver/);
      expect(await blobNames(letters)).toEqual(before);
      expect(app.mailer.sent).toEqual([]);

      // Storage is back; Event Grid redelivers (at least once: twice here), then the morning audit runs.
      storage.down = false;
      const [redelivered] = await eventGridTrigger(deleted(), context('eventGridTrigger'));
      expect(redelivered?.status).toBe('processed');
      await eventGridTrigger(deleted(), context('eventGridTrigger'));
      await scheduledAudit(timer, context('scheduledAudit'));
      const alerts = app.mailer.sent.filter((m) => !/Compliance report/.test(m.subject)).map((m) => m.subject);
      expect(alerts).toEqual([expect.stringContaining('ERROR peering-disconnected')]);
      expect(await adapters.store.pendingRows()).toEqual([]);
    } finally {
      await table.close();
    }
  }, 60_000);
});

describe('Resource Graph failing during an event (real SDKs against the stand-in)', () => {
  let app: App;
  const letters = () => BlobServiceClient.fromConnectionString(app.azurite.connectionString).getContainerClient(DEAD_LETTER_CONTAINER);
  beforeAll(async () => {
    app = await startApp();
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
  });

  it('503 beyond every retry: the delivery fails naming Resource Graph; nothing decided, nothing dead-lettered', async () => {
    const before = await blobNames(letters());
    app.standIn.faults.fail('resourceGraph', 503, Infinity);
    try {
      await expect(eventGridTrigger(writeEvent('graph-503'), context('eventGridTrigger'))).rejects.toThrow(/left to Event Grid to redeliver: .*Resource Graph \(503 /);
    } finally {
      app.standIn.faults.clear();
    }
    expect(await blobNames(letters())).toEqual(before);
    expect(app.standIn.email.sent).toEqual([]);
    expect(await app.adapters.store.rowsFor('all')).toEqual([]);
  }, 60_000);

  it('400 (the request refused as malformed): no redelivery can change it, so it is dead-lettered with its reason at once and acknowledged', async () => {
    app.standIn.requests.clear();
    app.standIn.faults.add({ kind: 'resourceGraph' }, { type: 'status', status: 400, code: 'BadRequest', message: 'Query is invalid.' }, Infinity);
    let result;
    try {
      [result] = await eventGridTrigger(writeEvent('graph-400'), context('eventGridTrigger'));
    } finally {
      app.standIn.faults.clear();
    }
    expect(result?.status).toBe('dead-lettered');
    expect(result?.reason).toMatch(/^failed permanently after 1 attempt: .*Resource Graph \(400 BadRequest/);
    expect(app.standIn.requests.count('resourceGraph')).toBe(1);
    const letter = JSON.parse((await letters().getBlockBlobClient(result!.deadLetter!).downloadToBuffer()).toString('utf8')) as { reason: string; eventId: string; event: { subject: string } };
    expect([letter.eventId, letter.event.subject, letter.reason]).toEqual(['graph-400', PEERING, result?.reason]);
    expect(app.standIn.email.sent).toEqual([]);
  }, 60_000);
});
