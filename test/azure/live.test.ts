import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/engine/config';
import { auditResources } from '../../src/engine/pipeline';
import { keyOf } from '../../src/model/ids';
import { RULES } from '../../src/rules';
import { startStandIn, type StandIn } from '../azure-stand-in';
import { SUB_B, vnet, vnetId } from '../support/estate';
import { liveReader } from './harness';
import { bulkVnets, HUB, HUB2, realisticEstate, SPOKES } from './realistic-estate';

// The live ARM reader through the real @azure/arm-network client: a neighbourhood in a handful of
// calls, the same number whatever the size of the estate.

describe('live ARM reader', () => {
  let small: StandIn;
  let large: StandIn;
  beforeAll(async () => {
    small = await startStandIn({ resources: realisticEstate() });
    large = await startStandIn({ resources: [...realisticEstate(), ...bulkVnets(3_000)] });
  });
  afterAll(async () => {
    await small?.stop();
    await large?.stop();
  });
  beforeEach(() => {
    for (const s of [small, large]) {
      s.requests.clear();
      s.faults.clear();
    }
  });

  it("reads a hub's neighbourhood: VNet, peerings, peers, gateway, firewall, route tables", async () => {
    const inventory = await liveReader(small).readNeighbourhood([HUB]);
    expect(inventory.unreadable).toEqual([]);
    const ids = new Set(inventory.resources.map((r) => keyOf(r.resource.id)));
    for (const id of [HUB, HUB2, ...SPOKES]) expect(ids.has(keyOf(id))).toBe(true);
    const types = inventory.resources.map((r) => String(r.resource.type).toLowerCase());
    expect(types).toEqual(expect.arrayContaining(['microsoft.network/virtualnetworkgateways', 'microsoft.network/azurefirewalls', 'microsoft.network/routetables']));
    const topology = auditResources({ resources: inventory.resources, rules: RULES, config: DEFAULT_CONFIG, now: new Date(), version: 't', extraSubscriptions: inventory.subscriptions }).extras.topology;
    const hub = topology.vnets.get(keyOf(HUB));
    expect(hub?.gateways.map((g) => [g.kind, g.sku])).toEqual([['Vpn', 'VpnGw1']]);
    expect(hub?.appliances.map((a) => a.kind)).toEqual(['AzureFirewall']);
    expect(hub?.peerings).toHaveLength(4);
    expect(hub?.peerings.every((p) => p.etag)).toBe(true);
    expect(topology.vnets.get(keyOf(SPOKES[0] as string))?.routeTables).toHaveLength(1);
  });

  it('finds the Route Server and only the NVA that a route points at', async () => {
    const inventory = await liveReader(small).readNeighbourhood([SPOKES[0] as string, HUB2]);
    const topology = auditResources({ resources: inventory.resources, rules: RULES, config: DEFAULT_CONFIG, now: new Date(), version: 't', extraSubscriptions: inventory.subscriptions }).extras.topology;
    const hub2 = topology.vnets.get(keyOf(HUB2));
    expect(hub2?.gateways.map((g) => g.kind)).toEqual(['RouteServer']);
    expect(hub2?.appliances.map((a) => a.name)).toEqual(['nva-1']);
    expect(inventory.resources.some((r) => r.resource.name === 'vm-nic-plain')).toBe(true); // read, but not an NVA (no forwarding)
  });

  it('costs the same handful of calls whatever the size of the estate', async () => {
    await liveReader(small).readNeighbourhood([HUB]);
    await liveReader(large).readNeighbourhood([HUB]);
    const smallCounts = small.requests.counts();
    const largeCounts = large.requests.counts();
    expect(largeCounts).toEqual(smallCounts);
    // hub GET + its peerings list + 4 peers + gateway + firewall + the spokes' route table
    // + the peer hub's Route Server + the 2 NICs in the subnet holding a route's next hop = 12
    expect(small.requests.count()).toBe(12);
    expect(smallCounts).toEqual({ armGet: 11, armList: 1 });
  });

  it('reports a peer in a subscription it may not read as unreadable, and reads the rest', async () => {
    small.faults.forbid(SUB_B);
    const inventory = await liveReader(small).readNeighbourhood([HUB]);
    expect(inventory.unreadable).toEqual([{ scope: SUB_B, reason: expect.stringMatching(/403 AuthorizationFailed/) }]);
    expect(inventory.subscriptions).not.toContain(SUB_B);
    expect(inventory.resources.some((r) => keyOf(r.resource.id) === keyOf(HUB))).toBe(true);
  });

  it('survives a dropped connection and a 503 burst; names a resource that keeps failing', async () => {
    small.faults.drop('armGet', 1);
    small.faults.fail('armList', 503, 2);
    const recovered = await liveReader(small).readNeighbourhood([HUB]);
    expect(recovered.unreadable).toEqual([]);
    small.faults.add({ kind: 'armGet', when: (r) => r.path.toLowerCase().includes('virtualnetworkgateways') }, { type: 'status', status: 500 }, Infinity);
    const partial = await liveReader(small).readNeighbourhood([HUB]);
    expect(partial.unreadable).toEqual([{ scope: expect.stringMatching(/virtualNetworkGateways\/vpngw-weu$/), reason: expect.stringMatching(/500/) }]);
  });

  it('reads a peer in a subscription Azure does not know (another tenant) as unknown, not as missing', async () => {
    const partnerSub = '99999999-9999-9999-9999-999999999999';
    const partner = vnetId('partner', partnerSub, 'rg-partner');
    const standIn = await startStandIn({
      resources: [vnet({ id: HUB, prefixes: ['10.0.0.0/16'], peerings: [{ remote: partner }] })],
    });
    try {
      const inventory = await liveReader(standIn).readNeighbourhood([HUB]);
      expect(inventory.unreadable).toEqual([{ scope: partnerSub, reason: expect.stringMatching(/SubscriptionNotFound/) }]);
      expect(inventory.subscriptions).not.toContain(partnerSub);
      // So the peering is out of scope (info), never "remote VNet missing" (error).
      const run = auditResources({ resources: inventory.resources, rules: RULES, config: DEFAULT_CONFIG, now: new Date(), version: 't', extraSubscriptions: inventory.subscriptions });
      expect(run.report.findings.map((f) => f.ruleId)).toContain('peering-remote-out-of-scope');
      expect(run.report.findings.map((f) => f.ruleId)).not.toContain('peering-remote-vnet-missing');
    } finally {
      await standIn.stop();
    }
  });

  it('reads a deleted VNet as absent, not as an error', async () => {
    const inventory = await liveReader(small).readNeighbourhood([HUB.replace('hub-weu', 'deleted-vnet')]);
    expect(inventory.resources).toEqual([]);
    expect(inventory.unreadable).toEqual([]);
  });
});
