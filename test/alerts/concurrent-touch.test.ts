import { describe, expect, it } from 'vitest';
import type { NeighbourhoodOptions } from '../../src/ports';
import { HUB, RecordingMailer } from '../functions/harness';
import { useAzurite } from '../support/use-azurite';
import { alertingOn, alertSubjects, disconnected, ERROR_MAIL, lifecycleApp, RESOLVED_MAIL, SPOKE_LINK, T0 } from './lifecycle-app';

// A view's deciding write is If-Match on the ETag it read. Any other write of the row in between (an
// older view refreshing last-seen, alertFlush's claim, a mail's outcome) fails it with 412: the row
// is then read and decided again under the same view, so a newer view's resolution is not lost
// until the next day's audit. Only a view at least as new, or the same decision already held, ends it.

describe('a decision whose row another write touched between its read and its write (Azurite)', () => {
  const azurite = useAzurite();

  it("an older event that only refreshed the open row does not cost a newer event its resolution (the reviewer's case)", async () => {
    const a = lifecycleApp(azurite().connectionString);
    await a.event(SPOKE_LINK, 'learn');
    a.estate.spokePeeringDeleted();
    a.at(10);
    await a.event(SPOKE_LINK, 'deleted', 'delete');
    expect(alertSubjects(a.mailer.sent)).toEqual([ERROR_MAIL]);

    // Event A (a write on the hub) reads while the pair is broken, then is slow; event B (spoke1's
    // link re-created) reads after it, and A refreshes the open row after B read it, before B writes.
    let releaseA!: () => void;
    const gateA = new Promise<void>((r) => (releaseA = r));
    let aRead!: () => void;
    const aHasRead = new Promise<void>((r) => (aRead = r));
    const read = a.estate.reader.readNeighbourhood;
    let reads = 0;
    (a.adapters.live as { readNeighbourhood: unknown }).readNeighbourhood = async (ids: readonly string[], o?: NeighbourhoodOptions) => {
      reads += 1;
      const result = await read(ids, o);
      if (reads === 1) {
        aRead();
        await gateA;
      }
      return result;
    };
    a.at(100);
    const eventA = a.event(HUB, 'hub-tagged');
    await aHasRead;
    // A waits at its read, so the first rows read from here on are B's.
    const store = a.adapters.store;
    const rowsFor = store.rowsFor.bind(store);
    let hooked = false;
    store.rowsFor = async (anchors) => {
      const rows = await rowsFor(anchors);
      if (!hooked) {
        hooked = true;
        releaseA();
        await eventA;
      }
      return rows;
    };
    a.estate.healthy();
    const [fixed] = await a.event(SPOKE_LINK, 'recreated');
    const [older] = await eventA;
    expect(older?.outcome?.plan.unchanged).toHaveLength(1);
    expect(fixed?.outcome?.plan.resolved.map((r) => r.ruleId)).toEqual(['peering-disconnected']);
    expect(fixed?.outcome?.lostRaces).toBe(0);

    // Decided and mailed by the newer event itself, not left open for the next day's audit.
    expect((await a.row())?.status).toBe('resolved');
    expect(alertSubjects(a.mailer.sent)).toEqual([ERROR_MAIL, RESOLVED_MAIL]);
  });

  it('an older view refreshing last-seen in between: the resolution is decided again on the row as it is now', async () => {
    const { store, apply } = alertingOn(azurite().connectionString);
    await apply(10, [disconnected]);
    const read = await store.rowsFor('all');
    // The older view (read at 100, finding there) writes last; the newer one (read at 200, gone) then writes on what it read.
    await apply(100, [disconnected], read);
    const outcome = await apply(200, [], read);
    expect(outcome.lostRaces).toBe(0);
    expect(outcome.sent.map((m) => m.kind)).toEqual(['resolved']);
    expect(await store.get(disconnected.fingerprint)).toMatchObject({ status: 'resolved', observedAt: new Date(T0 + 200_000).toISOString(), pendingResolved: false });
  });

  it("alertFlush's claim and the mail's outcome in between: the resolution still lands and is mailed", async () => {
    const mailer = new RecordingMailer();
    const { store, alerting, at, apply } = alertingOn(azurite().connectionString, mailer);
    mailer.failures = 1;
    await apply(10, [disconnected]);
    const read = await store.rowsFor('all');
    expect(read[0]).toMatchObject({ pendingOpen: true, mailedOpenAt: undefined });
    // The retry of the failed open mail: a claim written, the mail sent, its outcome written.
    at(100);
    expect((await alerting.flushPending()).sent.map((m) => m.kind)).toEqual(['opened']);
    const outcome = await apply(200, [], read);
    expect(outcome.lostRaces).toBe(0);
    expect(outcome.sent.map((m) => m.kind)).toEqual(['resolved']);
    expect(alertSubjects(mailer.sent)).toEqual([ERROR_MAIL, RESOLVED_MAIL]);
  });

  it('gives up when a view at least as new decided the row in between', async () => {
    const mailer = new RecordingMailer();
    const { store, apply } = alertingOn(azurite().connectionString, mailer);
    await apply(10, [disconnected]);
    const read = await store.rowsFor('all');
    // A newer view (read at 300) still found it; the older resolution (read at 200) must not undo that.
    await apply(300, [disconnected], read);
    const outcome = await apply(200, [], read);
    expect(outcome.lostRaces).toBe(1);
    expect((await store.get(disconnected.fingerprint))?.status).toBe('open');
    expect(alertSubjects(mailer.sent)).toEqual([ERROR_MAIL]);
  });

  it('gives up when the row already holds the same decision: the resolution is mailed once', async () => {
    const mailer = new RecordingMailer();
    const { store, apply } = alertingOn(azurite().connectionString, mailer);
    await apply(10, [disconnected]);
    const read = await store.rowsFor('all');
    // Two views that both found it gone: the first to write resolves and mails it; the other has nothing to add.
    expect((await apply(150, [], read)).sent.map((m) => m.kind)).toEqual(['resolved']);
    const outcome = await apply(200, [], read);
    expect(outcome.lostRaces).toBe(1);
    expect(outcome.sent).toEqual([]);
    expect(alertSubjects(mailer.sent)).toEqual([ERROR_MAIL, RESOLVED_MAIL]);
  });
});
