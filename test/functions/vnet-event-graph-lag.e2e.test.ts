import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_FRESH_PEERS, reachOf } from '../../src/alerts/event-path';
import { eventGridTrigger } from '../../src/functions/eventGridTrigger';
import { scheduledAudit } from '../../src/functions/scheduledAudit';
import { vnetId } from '../support/estate';
import { context, eventAbout, SPOKE1, SUB } from './harness';
import { HUB_PEERING, PEERING, startApp, timer, type App } from '../reliability/harness';

// A VNet event while Resource Graph still shows the estate as it was (it lags ARM by seconds to
// minutes, with no delay promised). Azure changed the VNet's peers' peerings with it (Disconnected
// after a delete) and publishes no event for them: the event must read them from ARM, not judge
// them from Resource Graph's stale rows.

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
});

describe('the peers a VNet event reads fresh', () => {
  const subject = vnetId('vnet-hub', SUB);
  const peers = (n: number) => Array.from({ length: n }, (_, i) => vnetId(`vnet-spoke${i}`, SUB));
  const reach = (n: number) => reachOf({ index: { vnetsRelatedTo: async () => peers(n) } as never }, { subject, resourceType: 'Microsoft.Network/virtualNetworks' });

  it(`reads up to ${MAX_FRESH_PEERS} peers from ARM with the VNet, and judges them`, async () => {
    const few = await reach(MAX_FRESH_PEERS);
    expect(few.fresh).toEqual([subject, ...peers(MAX_FRESH_PEERS)]);
    expect(few.vnetIds).toEqual([subject, ...peers(MAX_FRESH_PEERS)]);
    expect(few.alsoRead).toEqual([]);
  });

  it('a hub with more: its peers come from Resource Graph, so that the event stays within its calls', async () => {
    const many = await reach(MAX_FRESH_PEERS + 1);
    expect(many.fresh).toEqual([subject]);
    expect(many.alsoRead).toEqual(peers(MAX_FRESH_PEERS + 1));
    expect(many.vnetIds).toEqual([subject, ...peers(MAX_FRESH_PEERS + 1)]);
  });
});
