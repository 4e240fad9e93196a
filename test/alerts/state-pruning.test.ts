import { TableClient } from '@azure/data-tables';
import type { Timer } from '@azure/functions';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { coveredBy } from '../../src/alerts/scheduled';
import { auditBatch } from '../../src/functions/auditBatch';
import { ALERT_TABLE, AUDIT_QUEUE, RUN_CONTAINER, useAdapters } from '../../src/functions/composition';
import { eventGridTrigger } from '../../src/functions/eventGridTrigger';
import { scheduledAudit } from '../../src/functions/scheduledAudit';
import { keyOf, subscriptionOf } from '../../src/model/ids';
import type { AuditScope, Inventory, NeighbourhoodOptions } from '../../src/ports';
import { startAzurite, type AzuriteInstance } from '../support/azurite';
import { context, eventAbout, HUB, install, LiveEstate, RecordingMailer, SUB, testEnv } from '../functions/harness';

// The alert table must not grow with churn (src/alerts/store.ts, StateHousekeeping): the scheduled
// audit, a full read, removes the index rows of resources it no longer finds (only in
// subscriptions it read, only rows recorded before its read began) and read marks older than a
// day; fan-out runs go after RUN_HORIZON_DAYS.

const timer = { isPastDue: false, scheduleStatus: { last: '', next: '', lastUpdated: '' } } as unknown as Timer;
const day = (d: number) => new Date(Date.UTC(2026, 2, d, 6));
const B = 'bbbbbbbb-0000-0000-0000-000000000002';
const vnetIn = (sub: string, name: string) => `/subscriptions/${sub}/resourceGroups/rg-${name}/providers/Microsoft.Network/virtualNetworks/${name}`;

describe('alert table housekeeping (Azurite)', () => {
  let azurite: AzuriteInstance;
  let now: Date;
  let table: TableClient;
  beforeAll(async () => {
    azurite = await startAzurite();
    table = TableClient.fromConnectionString(azurite.connectionString, ALERT_TABLE, { allowInsecureConnection: true });
  });
  afterAll(async () => {
    useAdapters(undefined);
    await azurite?.stop();
  });
  beforeEach(async () => {
    await table.deleteTable();
    await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(RUN_CONTAINER).deleteIfExists();
    await QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient(AUDIT_QUEUE).clearMessages().catch(() => undefined);
  });

  async function rows(): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for await (const e of table.listEntities<Record<string, unknown>>()) {
      const kind = e.partitionKey === 'finding' ? (String(e.rowKey).startsWith('~mark-') ? 'mark' : 'alert') : String(e.partitionKey);
      (out[kind] ??= []).push(String(e.resourceId ?? e.vnetKey ?? e.rowKey));
    }
    return out;
  }

  /** Resource Graph over a LiveEstate, with subscriptions that may be unreadable. */
  function graph(estate: LiveEstate, subs: string[], unreadable: () => string[] = () => [], during?: () => Promise<void>) {
    return {
      readInventory: async (_scope: AuditScope): Promise<Inventory> => {
        await during?.();
        const blind = new Set(unreadable());
        return {
          resources: [...estate.vnets.values()].filter((r) => !blind.has(subscriptionOf(String(r.id)) ?? '')).map((r) => ({ resource: structuredClone(r), source: 'graph' })),
          subscriptions: subs.filter((s) => !blind.has(s)),
          unreadable: [...blind].map((scope) => ({ scope, reason: 'access denied by Resource Graph (403 AuthorizationFailed)' })),
        };
      },
    };
  }

  it("removes the index rows and read marks that short-lived spokes leave behind, so a hub's events stop reading them", async () => {
    const estate = new LiveEstate();
    estate.set(HUB, ['10.0.0.0/16'], []);
    const alsoRead: string[][] = [];
    const live = {
      readNeighbourhood: (ids: readonly string[], options: NeighbourhoodOptions = {}) => {
        alsoRead.push([...(options.alsoRead ?? [])].map(keyOf));
        return estate.reader.readNeighbourhood(ids, options);
      },
    };
    now = day(2);
    install(testEnv(azurite.connectionString), { live, inventory: graph(estate, [SUB]) }, { mailer: new RecordingMailer(), now: () => now });
    const spokes: string[] = [];
    for (let i = 0; i < 15; i++) {
      // A short-lived spoke (a pull request's environment): peered both ways, then deleted with its hub peering.
      const spoke = vnetIn(SUB, `vnet-pr-${i}`);
      spokes.push(keyOf(spoke));
      estate.set(spoke, [`10.${10 + i}.0.0/16`], [{ remote: HUB, name: 'to-hub' }]);
      estate.set(HUB, ['10.0.0.0/16'], [{ remote: spoke, name: `to-pr-${i}` }]);
      await eventGridTrigger(eventAbout(`${spoke}/virtualNetworkPeerings/to-hub`, 'write', `w-${i}`), context('eventGridTrigger'));
      estate.vnets.delete(keyOf(spoke));
      estate.set(HUB, ['10.0.0.0/16'], []);
      await eventGridTrigger(eventAbout(spoke, 'delete', `d-${i}`), context('eventGridTrigger'));
      await eventGridTrigger(eventAbout(`${HUB}/virtualNetworkPeerings/to-pr-${i}`, 'delete', `dh-${i}`), context('eventGridTrigger'));
    }
    const before = await rows();
    expect(before.peering).toHaveLength(30);
    expect(before.mark!.length).toBeGreaterThan(1);

    // The next morning's audit reads the estate: the spokes and their peerings are gone.
    now = day(3);
    await scheduledAudit(timer, context('scheduledAudit'));
    const after = await rows();
    expect(after.peering ?? []).toEqual([]);
    // A mark younger than a day stays: a read that began before it might still be finishing.
    expect(after.mark).toHaveLength(before.mark!.length);

    now = day(4);
    await scheduledAudit(timer, context('scheduledAudit'));
    expect((await rows()).mark ?? []).toEqual([]);

    // The hub's next event reads none of the deleted spokes.
    alsoRead.length = 0;
    await eventGridTrigger(eventAbout(HUB, 'write', 'hub-later'), context('eventGridTrigger'));
    expect(alsoRead.flat().filter((id) => spokes.includes(id))).toEqual([]);
  });

  it("keeps the rows of a subscription it could not read, and rows recorded after its read began; prunes them once a read shows them gone", async () => {
    const A_VNET = vnetIn(SUB, 'vnet-a');
    const B_VNET = vnetIn(B, 'vnet-b');
    const estate = new LiveEstate();
    estate.set(A_VNET, ['10.1.0.0/16'], [{ remote: B_VNET, name: 'a-to-b' }]);
    estate.set(B_VNET, ['10.2.0.0/16'], [{ remote: A_VNET, name: 'b-to-a' }]);
    let bUnreadable = false;
    let during: (() => Promise<void>) | undefined;
    now = day(2);
    const app = install(testEnv(azurite.connectionString, { PEERGUARD_SUBSCRIPTIONS: `${SUB},${B}` }), { live: estate.reader, inventory: graph(estate, [SUB, B], () => (bUnreadable ? [B] : []), () => during?.() ?? Promise.resolve()) }, {
      mailer: new RecordingMailer(),
      now: () => now,
    });
    await scheduledAudit(timer, context('scheduledAudit'));
    expect((await rows()).peering!.sort()).toEqual([`${A_VNET}/virtualNetworkPeerings/a-to-b`, `${B_VNET}/virtualNetworkPeerings/b-to-a`]);

    // Day 3: B cannot be read (its VNet was deleted meanwhile, but this read cannot know), and A's
    // peering is deleted too. While the audit reads, an event records a peering created in A that
    // Resource Graph does not show yet.
    estate.vnets.delete(keyOf(B_VNET));
    estate.set(A_VNET, ['10.1.0.0/16'], []);
    bUnreadable = true;
    const NEW_PEERING = `${A_VNET}/virtualNetworkPeerings/a-to-c`;
    during = async () => {
      now = new Date(day(3).getTime() + 10 * 60_000);
      await app.store.record([{ kind: 'peering', resourceId: NEW_PEERING, vnetIds: [A_VNET], remoteVnetId: vnetIn(SUB, 'vnet-c') }]);
      during = undefined;
    };
    now = day(3);
    await scheduledAudit(timer, context('scheduledAudit'));
    expect((await rows()).peering!.sort()).toEqual([NEW_PEERING, `${B_VNET}/virtualNetworkPeerings/b-to-a`]);

    // Day 4: B is readable again and empty; the peering recorded during the last read is still not
    // in Resource Graph (it was deleted again): both go.
    bUnreadable = false;
    now = day(4);
    await scheduledAudit(timer, context('scheduledAudit'));
    expect((await rows()).peering ?? []).toEqual([]);
  });

  it('removes fan-out runs, and the batch blobs an unfinished run left, after the horizon; a late delivery for a removed run does nothing', async () => {
    const estate = new LiveEstate();
    estate.healthy();
    const many = Array.from({ length: 150 }, (_, i) => `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`);
    let reads = 0;
    const inventory = {
      readInventory: async (scope: AuditScope): Promise<Inventory> => {
        reads += 1;
        const subs = scope.kind === 'subscriptions' ? scope.subscriptionIds.map((s) => s.toLowerCase()) : [SUB];
        return { resources: subs.includes(SUB) ? [...estate.vnets.values()].map((r) => ({ resource: structuredClone(r), source: 'graph' })) : [], subscriptions: subs, unreadable: [] };
      },
    };
    now = day(2);
    install(testEnv(azurite.connectionString, { PEERGUARD_SUBSCRIPTIONS: [SUB, ...many].join(',') }), { live: estate.reader, inventory }, { mailer: new RecordingMailer(), now: () => now });
    const queue = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient(AUDIT_QUEUE);
    const take = async () =>
      (await queue.receiveMessages({ numberOfMessages: 32 })).receivedMessageItems.map((m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as unknown);
    const runBlobs = async () => {
      const names: string[] = [];
      for await (const b of BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(RUN_CONTAINER).listBlobsFlat({ prefix: 'runs/' })) names.push(b.name);
      return names;
    };
    const delivery = () => {
      const c = context('auditBatch');
      (c as { triggerMetadata?: Record<string, unknown> }).triggerMetadata = { dequeueCount: 1 };
      return c;
    };

    // Day 2's run never finishes: one batch is read, the other's message is lost.
    await scheduledAudit(timer, context('scheduledAudit'));
    const [first, second] = await take();
    await auditBatch(first, delivery());
    expect(await runBlobs()).toEqual(['runs/2026-03-02T06-00-00-000Z/batch-0.json']);

    // Day 3's run finishes: its blobs go at once, its row stays for late deliveries.
    now = day(3);
    await scheduledAudit(timer, context('scheduledAudit'));
    for (const m of await take()) await auditBatch(m, delivery());
    expect(await runBlobs()).toEqual(['runs/2026-03-02T06-00-00-000Z/batch-0.json']);
    expect((await rows()).run!.sort()).toEqual(['2026-03-02T06-00-00-000Z', '2026-03-03T06-00-00-000Z']);

    // Day 10: day 2's run is past the horizon (7 days), day 3's not yet.
    now = day(10);
    await scheduledAudit(timer, context('scheduledAudit'));
    await take();
    expect(await runBlobs()).toEqual([]);
    expect((await rows()).run!.sort()).toEqual(['2026-03-03T06-00-00-000Z', '2026-03-10T06-00-00-000Z']);

    // The lost message of day 2 turns up: its run is gone, so nothing is read or stored.
    const before = reads;
    await auditBatch(second, delivery());
    expect(reads).toBe(before);
    expect(await runBlobs()).toEqual([]);
  });
});

describe('coveredBy (what a full read may prune)', () => {
  it('a resource of a subscription read, outside every scope it could not read', () => {
    const covers = coveredBy({
      subscriptions: [SUB, B],
      unreadable: [{ scope: B, reason: '403' }, { scope: `/subscriptions/${SUB}/resourceGroups/rg-locked`, reason: '403' }],
    });
    expect(covers(`${vnetIn(SUB, 'vnet-a')}/virtualNetworkPeerings/p`)).toBe(true);
    expect(covers(`${vnetIn(SUB, 'vnet-a')}/virtualNetworkPeerings/p`.toUpperCase())).toBe(true);
    expect(covers(`${vnetIn(B, 'vnet-b')}/virtualNetworkPeerings/p`)).toBe(false);
    expect(covers(`/subscriptions/${SUB}/resourceGroups/rg-locked/providers/Microsoft.Network/virtualNetworks/v`)).toBe(false);
    expect(covers(`/subscriptions/${SUB}/resourceGroups/rg-locked-not/providers/Microsoft.Network/virtualNetworks/v`)).toBe(true);
    expect(covers(vnetIn('cccccccc-0000-0000-0000-000000000003', 'vnet-c'))).toBe(false);
  });
});
