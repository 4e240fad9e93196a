import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_REFRESHED_PEERS, reachOf } from '../../src/alerts/event-path';
import { eventGridTrigger } from '../../src/functions/eventGridTrigger';
import { scheduledAudit } from '../../src/functions/scheduledAudit';
import { vnetId } from '../support/estate';
import { context, eventAbout, SPOKE1, SUB } from './harness';
import { HUB_PEERING, HUB_WEU, PEERING, startApp, timer, type App } from '../reliability/harness';

// A VNet event while Resource Graph still shows the estate as it was (it lags ARM by seconds to
// minutes, with no delay promised). Azure changed the VNet's peers' peerings with it (Disconnected
// after a delete) and publishes no event for them: the event must read them from ARM, not judge
// them from Resource Graph's stale rows.

const SPOKE2 = '/subscriptions/bbbbbbbb-0000-0000-0000-000000000002/resourceGroups/rg-spoke2-prod/providers/Microsoft.Network/virtualNetworks/vnet-spoke2-prod';
const SPOKE5 = '/subscriptions/cccccccc-0000-0000-0000-000000000003/resourceGroups/rg-spoke5-dev/providers/Microsoft.Network/virtualNetworks/vnet-spoke5-dev';
const subjects = (app: App) => app.standIn.email.sent.map((m) => m.subject);
const openOn = async (app: App, resourceId: string) =>
  (await app.adapters.store.rowsFor('all')).filter((r) => r.status === 'open' && r.resourceId.toLowerCase() === resourceId.toLowerCase()).map((r) => r.ruleId);

describe('VNet events while Resource Graph lags ARM (real SDKs against the stand-in, Azurite)', () => {
  let app: App;
  beforeEach(async () => {
    app = await startApp();
    // The audit teaches the index the neighbourhoods, as in a running deployment.
    await scheduledAudit(timer, context('scheduledAudit'));
    app.standIn.email.reset();
    app.clock.now = new Date('2026-03-02T07:00:00.000Z');
    app.standIn.state.lagGraph();
  }, 120_000);
  afterEach(async () => {
    await app?.stop();
  });

  it('a deleted spoke: its hub\'s link, Disconnected in ARM and Connected in Resource Graph, is mailed as an orphan', async () => {
    app.standIn.state.deleteResource(SPOKE1);
    const [result] = await eventGridTrigger(eventAbout(SPOKE1, 'delete', 'spoke-deleted'), context('eventGridTrigger'));
    expect(result?.status).toBe('processed');
    expect(await openOn(app, HUB_PEERING)).toEqual(['peering-remote-vnet-missing']);
    expect(subjects(app)).toContain('[peerguard] ERROR peering-remote-vnet-missing: vnet-hub-weu <-> vnet-spoke1');
  });

  it('a write to a spoke seconds after its peering was deleted leaves the alert that delete opened from ARM: no RESOLVED mail, no new alert', async () => {
    app.standIn.state.deletePeering(PEERING);
    await eventGridTrigger(eventAbout(PEERING, 'delete', 'peering-deleted'), context('eventGridTrigger'));
    expect(subjects(app)).toContain('[peerguard] ERROR peering-disconnected: vnet-hub-weu <-> vnet-spoke1');
    const mailed = subjects(app).length;
    app.clock.now = new Date('2026-03-02T07:00:30.000Z');
    // A tag written on the spoke (the next step of the same deployment): nothing about the peering changed.
    const [result] = await eventGridTrigger(eventAbout(SPOKE1, 'write', 'spoke-tagged'), context('eventGridTrigger'));
    expect(result?.status).toBe('processed');
    expect(subjects(app).slice(mailed)).toEqual([]);
    expect(await openOn(app, HUB_PEERING)).toEqual(['peering-disconnected']);
  });

  // Only the peers' rows are refreshed: the neighbourhood stays what Resource Graph gives, so a
  // spoke's event does not come to judge its hub's transit findings from the other spokes' stale rows.
  it("a write to another spoke leaves a transit alert a peering event opened from ARM: its hub's other spokes are still stale", async () => {
    app.standIn.state.raw(PEERING)!.properties.allowForwardedTraffic = false;
    await eventGridTrigger(eventAbout(PEERING, 'write', 'forwarding-off'), context('eventGridTrigger'));
    expect(subjects(app)).toEqual(['[peerguard] ERROR transit-forwarded-traffic-blocked: vnet-spoke1 <-> vnet-spoke2-prod (+1 more)']);
    app.clock.now = new Date('2026-03-02T07:00:30.000Z');
    const [result] = await eventGridTrigger(eventAbout(SPOKE5, 'write', 'spoke5-tagged'), context('eventGridTrigger'));
    expect(result?.status).toBe('processed');
    expect(subjects(app)).toHaveLength(1);
    expect(await openOn(app, PEERING)).toContain('transit-forwarded-traffic-blocked');
  });

  it("a peer ARM will not read (403 in its subscription, or 503) keeps its Resource Graph row: the event is judged as before, not failed", async () => {
    app.standIn.state.catchUpGraph();
    app.standIn.faults.add({ kind: 'armGet', when: (q) => q.path.toLowerCase().includes('/vnet-hub-weu') }, { type: 'status', status: 503 }, Infinity);
    const [unavailable] = await eventGridTrigger(eventAbout(SPOKE1, 'write', 'hub-unavailable'), context('eventGridTrigger'));
    expect(unavailable?.status).toBe('processed');
    app.standIn.faults.clear();
    // The hub's subscription refuses ARM and Resource Graph does not list it: out of scope, as
    // the scheduled audit has it, and spoke2's link that the hub's delete left Disconnected is mailed.
    app.standIn.faults.forbid(SUB, { listed: false });
    app.standIn.state.deletePeering(`${HUB_WEU}/virtualNetworkPeerings/hub-to-spoke2`);
    const [refused] = await eventGridTrigger(eventAbout(SPOKE2, 'write', 'hub-refused'), context('eventGridTrigger'));
    expect(refused?.status).toBe('processed');
    expect(subjects(app)).toContain('[peerguard] ERROR peering-disconnected: vnet-spoke2-prod <-> vnet-hub-weu');
  });
});

describe('the peers a VNet event reads again from ARM', () => {
  const subject = vnetId('vnet-hub', SUB);
  const peers = (n: number) => Array.from({ length: n }, (_, i) => vnetId(`vnet-spoke${i}`, SUB));
  const reach = (n: number) => reachOf({ index: { vnetsRelatedTo: async () => peers(n) } as never }, { subject, resourceType: 'Microsoft.Network/virtualNetworks' });

  it(`judges the VNet and its peers, read from Resource Graph, and refreshes up to ${MAX_REFRESHED_PEERS} peers' rows from ARM`, async () => {
    const few = await reach(MAX_REFRESHED_PEERS);
    expect(few).toEqual({ vnetIds: [subject, ...peers(MAX_REFRESHED_PEERS)], fresh: [subject], alsoRead: peers(MAX_REFRESHED_PEERS), refresh: peers(MAX_REFRESHED_PEERS) });
  });

  it('a hub with more: none refreshed, so that the event stays within its calls', async () => {
    const many = await reach(MAX_REFRESHED_PEERS + 1);
    expect(many).toEqual({ vnetIds: [subject, ...peers(MAX_REFRESHED_PEERS + 1)], fresh: [subject], alsoRead: peers(MAX_REFRESHED_PEERS + 1) });
  });
});
