import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { describe, expect, it } from 'vitest';
import { BlobDeadLetterStore } from '../../src/alerts/archive';
import { TableAlertStore } from '../../src/alerts/store';
import { ALERT_TABLE, DEAD_LETTER_CONTAINER } from '../../src/functions/composition';
import { eventGridTrigger } from '../../src/functions/eventGridTrigger';
import { scheduledAudit } from '../../src/functions/scheduledAudit';
import type { RawResource } from '../../src/model/snapshot';
import type { Inventory, InventoryReader, LiveReader } from '../../src/ports';
import { context, fixture, install, SUB, type RecordingMailer } from '../functions/harness';
import { forwarder } from '../support/tcp-forwarder';
import { timer, useEventPath } from './harness';

// The event path when deliveries and reads overlap, and when storage is gone for longer than any
// retry (issue 10): a live read that finishes after a newer one must not undo it, concurrent
// deliveries of one change mail once, and an event that cannot be processed or dead-lettered makes
// the delivery fail (Event Grid then redelivers) instead of being dropped.

const deleted = () => fixture('peering-delete-success.eventgrid.json');
const written = () => fixture('peering-write-success.eventgrid.json');
const subjects = (mailer: RecordingMailer) => mailer.sent.map((m) => m.subject.split(':')[0]);
const ERROR = '[peerguard] ERROR peering-disconnected';
const RESOLVED = '[peerguard] RESOLVED peering-disconnected';

/** The SDKs' own retries, short: each call still goes through them before it fails. */
const QUICK_RETRIES = { maxRetries: 2, maxTries: 3, retryDelayInMs: 10, maxRetryDelayInMs: 20 };

/** A point a read stops at until released; `reached` settles once a read has stopped there. */
function gate() {
  let arrive!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((r) => (arrive = r));
  const released = new Promise<void>((r) => (release = r));
  return {
    reached,
    release: () => release(),
    stop: async () => {
      arrive();
      await released;
    },
  };
}

/**
 * A Resource Graph inventory of the estate as it is when a read begins, handed over only once
 * released while `hold` is set (a long read).
 */
function heldInventory(estate: { vnets: Map<string, RawResource> }) {
  const held = {
    hold: true,
    ...gate(),
    reader: {
      readInventory: async (): Promise<Inventory> => {
        const resources = [...estate.vnets.values()].map((resource) => ({ resource: structuredClone(resource), source: 'graph' }));
        if (held.hold) await held.stop();
        return { resources, subscriptions: [SUB], unreadable: [] };
      },
    } satisfies InventoryReader,
  };
  return held;
}

describe('event path: overlapping reads and deliveries, storage outages (Azurite)', () => {
  const app = useEventPath();

  it('a scheduled audit overrules no event read made while its inventory was being read: its view is as old as its read', async () => {
    let clock = new Date(Date.now() + 60_000);
    app.estate.spokePeeringDeleted();
    const inventory = heldInventory(app.estate);
    install(app.env(), { live: app.estate.reader, inventory: inventory.reader }, { mailer: app.mailer, now: () => clock });
    await eventGridTrigger(deleted(), context('eventGridTrigger'));
    expect(subjects(app.mailer)).toEqual([ERROR]);

    clock = new Date(clock.getTime() + 60_000);
    const audit = scheduledAudit(timer, context('scheduledAudit'));
    await inventory.reached;
    // While the audit reads, the peering is re-created and its event resolves the alert ...
    clock = new Date(clock.getTime() + 60_000);
    app.estate.healthy();
    await eventGridTrigger(written(), context('eventGridTrigger'));
    expect(subjects(app.mailer)).toEqual([ERROR, RESOLVED]);
    // ... and the audit, finished later with what it read before, leaves the alert resolved.
    clock = new Date(clock.getTime() + 60_000);
    inventory.release();
    await audit;
    expect((await app.adapters.store.rowsFor('all')).filter((r) => r.status === 'open')).toEqual([]);
    expect(subjects(app.mailer).filter((subject) => !subject?.includes('Compliance report'))).toEqual([ERROR, RESOLVED]);
  });

  it('an alert resolved before any mail (opened by a scheduled audit) is remembered: an audit that began reading before does not open it again', async () => {
    let clock = new Date(Date.now() + 60_000);
    app.estate.spokePeeringDeleted();
    const inventory = heldInventory(app.estate);
    inventory.hold = false;
    install(app.env(), { live: app.estate.reader, inventory: inventory.reader }, { mailer: app.mailer, now: () => clock });
    // The morning audit records the finding (no alert mail: the report lists it).
    await scheduledAudit(timer, context('scheduledAudit'));
    expect((await app.adapters.store.rowsFor('all')).filter((r) => r.status === 'open').map((r) => r.ruleId)).toEqual(['peering-disconnected']);

    clock = new Date(clock.getTime() + 60_000);
    inventory.hold = true;
    const audit = scheduledAudit(timer, context('scheduledAudit'));
    await inventory.reached;
    // While the next audit reads, the peering is re-created: resolved, with no mail owed.
    clock = new Date(clock.getTime() + 60_000);
    app.estate.healthy();
    await eventGridTrigger(written(), context('eventGridTrigger'));
    clock = new Date(clock.getTime() + 60_000);
    inventory.release();
    await audit;
    expect((await app.adapters.store.rowsFor('all')).filter((r) => r.status === 'open')).toEqual([]);
    expect(subjects(app.mailer).filter((subject) => !subject?.includes('Compliance report'))).toEqual([]);
  });

  it('a live read that finishes after a newer one resurrects nothing, even when both began in one millisecond: the stale view is ignored', async () => {
    app.estate.spokePeeringDeleted();
    await eventGridTrigger(deleted(), context('eventGridTrigger'));
    expect(subjects(app.mailer)).toEqual([ERROR]);

    // A redelivered delete event reads the broken state, then its answer is held back ...
    const held = gate();
    let hold = true;
    const slow: LiveReader = {
      readNeighbourhood: async (vnetIds): Promise<Inventory> => {
        const inventory = await app.estate.reader.readNeighbourhood(vnetIds);
        if (hold) {
          hold = false;
          await held.stop();
        }
        return inventory;
      },
    };
    // Both reads begin in the same millisecond of the clock (one instance, concurrent invocations):
    // the later one must still count as later.
    const instant = new Date(Date.now() + 60_000);
    install(app.env(), { live: slow }, { mailer: app.mailer, now: () => instant });
    const late = eventGridTrigger(deleted(), context('eventGridTrigger'));
    await held.reached;
    // ... while the peering is re-created and its event, read later, resolves the alert.
    app.estate.healthy();
    await eventGridTrigger(written(), context('eventGridTrigger'));
    expect(subjects(app.mailer)).toEqual([ERROR, RESOLVED]);
    held.release();
    const [result] = await late;
    expect(result?.status).toBe('processed');
    expect(subjects(app.mailer)).toEqual([ERROR, RESOLVED]);
    expect((await app.adapters.store.rowsFor('all')).filter((r) => r.status === 'open')).toEqual([]);
  });

  it('concurrent deliveries of one repair send one resolution mail', async () => {
    app.estate.spokePeeringDeleted();
    await eventGridTrigger(deleted(), context('eventGridTrigger'));
    app.estate.healthy();
    // Four deliveries that all read the alert rows before any of them writes: each sees the row open.
    const real = app.adapters.store;
    let arrived = 0;
    let go!: () => void;
    const together = new Promise<void>((r) => (go = r));
    const store = new Proxy(real, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== 'function') return value;
        if (property !== 'rowsFor') return (value as (...a: unknown[]) => unknown).bind(target);
        return async (...args: unknown[]) => {
          const rows = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          if (++arrived === 4) go();
          await together;
          return rows;
        };
      },
    });
    install(app.env(), { live: app.estate.reader }, { mailer: app.mailer, store });
    const results = await Promise.all([1, 2, 3, 4].map(() => eventGridTrigger(written(), context('eventGridTrigger'))));
    expect(results.flat().map((r) => r.status)).toEqual(['processed', 'processed', 'processed', 'processed']);
    expect(subjects(app.mailer)).toEqual([ERROR, RESOLVED]);
  });

  it('storage unreachable beyond every retry: the delivery fails (Event Grid redelivers), nothing is dropped; the redelivery mails once', async () => {
    const storage = { down: true };
    const ports = app.azurite.ports;
    const [table, blob] = await Promise.all([forwarder(ports.table, storage), forwarder(ports.blob, storage)]);
    try {
      // A fresh worker (nothing created yet) starting while storage is unreachable, through the SDKs' own retries.
      const viaForwarders = app.azurite.connectionString.replace(`:${ports.table}/`, `:${table.port}/`).replace(`:${ports.blob}/`, `:${blob.port}/`);
      const store = new TableAlertStore(TableClient.fromConnectionString(viaForwarders, ALERT_TABLE, { allowInsecureConnection: true, retryOptions: QUICK_RETRIES }));
      const deadLetters = new BlobDeadLetterStore(BlobServiceClient.fromConnectionString(viaForwarders, { retryOptions: QUICK_RETRIES }).getContainerClient(DEAD_LETTER_CONTAINER));
      install(app.env(), { live: app.estate.reader }, { mailer: app.mailer, store, deadLetters });
      app.estate.spokePeeringDeleted();

      await expect(eventGridTrigger(deleted(), context('eventGridTrigger'))).rejects.toThrow(/left to Event Grid to redeliver/);
      expect(app.mailer.sent).toEqual([]);
      // A malformed event is not acknowledged either while it cannot be kept.
      const malformed = { id: 'bad-1', eventType: 'Microsoft.Resources.ResourceWriteSuccess', data: 5 };
      await expect(eventGridTrigger(malformed, context('eventGridTrigger'))).rejects.toThrow(/event bad-1: malformed: .*; and the dead-letter store failed/);

      // Storage is back for the same worker: Event Grid's redelivery (twice, at least once) is processed and mails once.
      storage.down = false;
      const [kept] = await eventGridTrigger(malformed, context('eventGridTrigger'));
      expect([kept?.status, kept?.deadLetter]).toEqual(['malformed', expect.stringMatching(/-bad-1-[0-9a-f]{8}\.json$/)]);
      const [redelivered] = await eventGridTrigger(deleted(), context('eventGridTrigger'));
      expect(redelivered?.status).toBe('processed');
      await eventGridTrigger(deleted(), context('eventGridTrigger'));
      expect(subjects(app.mailer)).toEqual([ERROR]);
      expect(await store.pendingRows()).toEqual([]);
    } finally {
      await Promise.all([table.close(), blob.close()]);
    }
  });
});
