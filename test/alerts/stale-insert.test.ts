import { TableClient } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import type { AlertRow } from '../../src/alerts/model';
import { TableAlertStore } from '../../src/alerts/store';
import { ALERT_TABLE } from '../../src/functions/composition';
import { eventGridTrigger } from '../../src/functions/eventGridTrigger';
import type { Inventory, LiveReader } from '../../src/ports';
import { context, fixture, install } from '../functions/harness';
import { useEventPath } from '../reliability/harness';

// An older live read that finishes last must not open (and mail) what a newer read found gone, nor
// resolve what a newer read found still open. With no row, or before the newer read writes it, only
// the newer read's mark on the VNet (store.ts) remembers that it decided it.

const deleted = () => fixture('peering-delete-success.eventgrid.json');
const written = () => fixture('peering-write-success.eventgrid.json');

/** A gate a test opens by hand; `reached` settles once something waits at it. */
function gate() {
  let open!: () => void;
  let arrive!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  const reached = new Promise<void>((r) => (arrive = r));
  return { open, reached, pass: async () => { arrive(); await opened; } };
}

describe('an older live read that finishes last (Azurite)', () => {
  const app = useEventPath();

  /** The delete event's read sees the peering broken, then its answer is held until `held.open()`. */
  function slowFirstRead(held: ReturnType<typeof gate>): LiveReader {
    let first = true;
    return {
      readNeighbourhood: async (ids, options): Promise<Inventory> => {
        const inventory = await app.estate.reader.readNeighbourhood(ids, options);
        if (first) {
          first = false;
          await held.pass();
        }
        return inventory;
      },
    };
  }

  const openRows = async () => (await app.adapters.store.rowsFor('all')).filter((r) => r.status === 'open');

  it("opens nothing a newer read already found gone, though the newer read left no row (QA's case)", async () => {
    app.estate.spokePeeringDeleted();
    const held = gate();
    install(app.env(), { live: slowFirstRead(held) }, { mailer: app.mailer });
    const late = eventGridTrigger(deleted(), context('eventGridTrigger'));
    await held.reached;
    // The peering is re-created; its write event is read later and finds nothing wrong.
    app.estate.healthy();
    const [fresh] = await eventGridTrigger(written(), context('eventGridTrigger'));
    expect(fresh?.outcome?.plan.opened).toEqual([]);
    held.open();
    const [old] = await late;
    expect(old?.status).toBe('processed');
    expect(old?.outcome?.lostRaces).toBe(1);
    expect(app.mailer.sent).toEqual([]);
    expect(await openRows()).toEqual([]);
  });

  it('opens nothing when its write lands between the newer read marking the VNets and reading their rows', async () => {
    app.estate.spokePeeringDeleted();
    const held = gate();
    const rowRead = gate();
    // The newer read's row read waits at the gate: it has marked the VNets, and sees no row yet.
    const table = new TableAlertStore(TableClient.fromConnectionString(app.azurite.connectionString, ALERT_TABLE, { allowInsecureConnection: true }));
    let holdNextRowRead = false;
    const store = new Proxy(table, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (property !== 'rowsFor') return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        return async (anchors: Parameters<TableAlertStore['rowsFor']>[0]) => {
          if (holdNextRowRead) {
            holdNextRowRead = false;
            await rowRead.pass();
          }
          return target.rowsFor(anchors);
        };
      },
    });
    install(app.env(), { live: slowFirstRead(held) }, { mailer: app.mailer, store });
    const late = eventGridTrigger(deleted(), context('eventGridTrigger'));
    await held.reached;
    app.estate.healthy();
    holdNextRowRead = true;
    const newer = eventGridTrigger(written(), context('eventGridTrigger'));
    await rowRead.reached;
    // The older read finishes now: without the mark it would insert the row the newer one never sees.
    held.open();
    const [old] = await late;
    expect(old?.outcome?.lostRaces).toBe(1);
    rowRead.open();
    const [fresh] = await newer;
    expect(fresh?.status).toBe('processed');
    expect(app.mailer.sent).toEqual([]);
    expect(await openRows()).toEqual([]);
  });

  it('resolves nothing a newer read found still open, though both read the row before either wrote it', async () => {
    app.estate.spokePeeringDeleted();
    await eventGridTrigger(deleted(), context('eventGridTrigger'));
    expect(app.mailer.sent).toHaveLength(1);
    // Each event's row read returns, then waits at its gate: both views hold the same row (one ETag).
    const afterRowRead = [gate(), gate()];
    let rowReads = 0;
    const table = new TableAlertStore(TableClient.fromConnectionString(app.azurite.connectionString, ALERT_TABLE, { allowInsecureConnection: true }));
    const store = new Proxy(table, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (property !== 'rowsFor') return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        return async (anchors: Parameters<TableAlertStore['rowsFor']>[0]) => {
          const rows = await target.rowsFor(anchors);
          await afterRowRead[rowReads++]?.pass();
          return rows;
        };
      },
    });
    install(app.env(), { live: app.estate.reader }, { mailer: app.mailer, store });
    // The peering is re-created (the older read sees it healthy), then deleted again (the newer one sees it broken).
    app.estate.healthy();
    const older = eventGridTrigger(written(), context('eventGridTrigger'));
    await afterRowRead[0]!.reached;
    app.estate.spokePeeringDeleted();
    const newer = eventGridTrigger(deleted(), context('eventGridTrigger'));
    await afterRowRead[1]!.reached;
    // The older view writes first: without the newer read's mark it would resolve the row (and mail
    // RESOLVED), and the newer view's update would then lose its If-Match.
    afterRowRead[0]!.open();
    const [old] = await older;
    expect(old?.outcome?.plan.resolved).toHaveLength(1);
    expect(old?.outcome?.lostRaces).toBe(1);
    afterRowRead[1]!.open();
    const [fresh] = await newer;
    expect(fresh?.outcome?.lostRaces).toBe(0);
    expect(app.mailer.sent.map((m) => m.subject)).toEqual(['[peerguard] ERROR peering-disconnected: vnet-hub <-> vnet-spoke1']);
    expect((await openRows()).map((r) => r.ruleId)).toEqual(['peering-disconnected']);
  });

  it('a single event still opens and mails its finding once, and its redelivery sends nothing', async () => {
    app.estate.spokePeeringDeleted();
    const [first] = await eventGridTrigger(deleted(), context('eventGridTrigger'));
    expect(first?.outcome?.lostRaces).toBe(0);
    expect(app.mailer.sent.map((m) => m.subject)).toEqual(['[peerguard] ERROR peering-disconnected: vnet-hub <-> vnet-spoke1']);
    const [again] = await eventGridTrigger(deleted(), context('eventGridTrigger'));
    expect(again?.status).toBe('processed');
    expect(app.mailer.sent).toHaveLength(1);
    expect((await openRows()).map((r) => r.ruleId)).toEqual(['peering-disconnected']);
  });


  it('the store: a mark only rises, and a deciding write commits only under a mark no newer than its read', async () => {
    const store = new TableAlertStore(TableClient.fromConnectionString(app.azurite.connectionString, ALERT_TABLE, { allowInsecureConnection: true }));
    app.estate.spokePeeringDeleted();
    await eventGridTrigger(deleted(), context('eventGridTrigger'));
    const [opened] = await app.adapters.store.rowsFor('all');
    // A VNet no read has marked, so that this test's times are the only ones.
    const vnet = '/subscriptions/s0/resourcegroups/rg/providers/microsoft.network/virtualnetworks/probe' as AlertRow['anchor'];
    const row = opened && { ...opened, anchor: vnet };
    const t = (s: number) => `2026-03-02T06:00:0${s}.000Z`;
    await store.raiseReadMarks([vnet], t(5));
    await store.raiseReadMarks([vnet, vnet.toUpperCase()], t(3)); // an older read: leaves it at t(5)
    const fresh = { ...row!, fingerprint: 'f'.repeat(32), observedAt: t(4) };
    expect(await store.writeUnlessMarked(fresh, 'insert')).toBe('stale');
    expect(await store.get(fresh.fingerprint)).toBeUndefined();
    const newer = await store.writeUnlessMarked({ ...fresh, observedAt: t(6) }, 'insert');
    expect(newer).toMatchObject({ fingerprint: fresh.fingerprint });
    // The row's own write losing is a lost race, not a stale view; marks never show up as rows.
    expect(await store.writeUnlessMarked({ ...fresh, observedAt: t(7) }, 'insert')).toBeUndefined();
    expect((await store.rowsFor('all')).map((r) => r.fingerprint).sort()).toEqual([fresh.fingerprint, row!.fingerprint].sort());
  });
});
