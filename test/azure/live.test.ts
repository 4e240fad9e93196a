import { describe, expect, it } from 'vitest';
import { inScope, placeOf } from '../../src/alerts/model';
import { neighbourhoodScope } from '../../src/alerts/scope';
import { DEFAULT_CONFIG } from '../../src/engine/config';
import { auditResources } from '../../src/engine/pipeline';
import { keyOf } from '../../src/model/ids';
import type { Inventory } from '../../src/ports';
import { RULES } from '../../src/rules';
import { startStandIn, type StandIn } from '../azure-stand-in';
import { inAnotherTenant } from '../azure-stand-in/arm';
import { SUB_B, SUB_C, vnet, vnetId } from '../support/estate';
import { liveReader, useStandIn } from './harness';
import { bulkVnets, HUB, HUB2, hubWithSpokes, realisticEstate, SPOKES } from './realistic-estate';

// The live reader through the real @azure/arm-network and @azure/arm-resourcegraph clients: where
// the change happened from ARM, the neighbourhood from one Resource Graph query, in the same few
// calls whatever the size of the estate or the degree of a hub.

const topologyOf = (inventory: Inventory) =>
  auditResources({ resources: inventory.resources, rules: RULES, config: DEFAULT_CONFIG, now: new Date(), version: 't', extraSubscriptions: inventory.subscriptions, unreadable: inventory.unreadable }).extras.topology;
const sourceOf = (inventory: Inventory, id: string) => inventory.resources.find((r) => keyOf(r.resource.id) === keyOf(id))?.source;

describe('live reader', () => {
  const small = useStandIn(() => ({ resources: realisticEstate() }));
  const large = useStandIn(() => ({ resources: [...realisticEstate(), ...bulkVnets(3_000)] }));

  it("reads a hub's neighbourhood: the hub from ARM with its peerings' etags; peers, gateway, firewall, route tables from Resource Graph", async () => {
    const inventory = await liveReader(small()).readNeighbourhood([HUB]);
    expect(inventory.unreadable).toEqual([]);
    expect(sourceOf(inventory, HUB)).toMatch(/^ARM /);
    for (const id of [HUB2, ...SPOKES]) expect(sourceOf(inventory, id)).toMatch(/^Resource Graph row /);
    expect(inventory.sought?.sort()).toEqual([HUB, HUB2, ...SPOKES].map(keyOf).sort());
    const types = inventory.resources.map((r) => String(r.resource.type).toLowerCase());
    expect(types).toEqual(expect.arrayContaining(['microsoft.network/virtualnetworkgateways', 'microsoft.network/azurefirewalls', 'microsoft.network/routetables']));
    const topology = topologyOf(inventory);
    const hub = topology.vnets.get(keyOf(HUB));
    expect(hub?.gateways.map((g) => [g.kind, g.sku])).toEqual([['Vpn', 'VpnGw1']]);
    expect(hub?.appliances.map((a) => a.kind)).toEqual(['AzureFirewall']);
    expect(hub?.peerings).toHaveLength(4);
    expect(hub?.peerings.every((p) => p.etag)).toBe(true);
    expect(topology.vnets.get(keyOf(SPOKES[0] as string))?.routeTables).toHaveLength(1);
  });

  it('finds the Route Server, and among the NICs only the NVA (Resource Graph keeps NICs without IP forwarding)', async () => {
    const inventory = await liveReader(small()).readNeighbourhood([SPOKES[0] as string, HUB2]);
    const hub2 = topologyOf(inventory).vnets.get(keyOf(HUB2));
    expect(hub2?.gateways.map((g) => g.kind)).toEqual(['RouteServer']);
    expect(hub2?.appliances.map((a) => a.name)).toEqual(['nva-1']);
    expect(inventory.resources.some((r) => r.resource.name === 'vm-nic-plain')).toBe(false);
  });

  it('costs one GET and one Resource Graph query whatever the size of the estate', async () => {
    await liveReader(small()).readNeighbourhood([HUB]);
    await liveReader(large()).readNeighbourhood([HUB]);
    expect(small().requests.counts()).toEqual({ armGet: 1, resourceGraph: 1 });
    expect(large().requests.counts()).toEqual(small().requests.counts());
  });

  for (const degree of [60, 500, 1_000]) {
    it(`a spoke-to-hub peering change on a hub with ${degree} peers: both VNets from ARM, the rest in a page or two, at most 6 calls`, async () => {
      const big = hubWithSpokes(degree);
      const standIn = await startStandIn({ resources: big.resources });
      try {
        const spoke = big.spokes[7] as string;
        const inventory = await liveReader(standIn).readNeighbourhood([spoke], { changed: `${spoke}/virtualNetworkPeerings/${spoke.split('/').pop()}-to-hub-big` });
        const calls = standIn.requests.counts();
        // The spoke, then the hub it peers with (found in the spoke's peering); the hub's spokes and
        // their route tables, the gateway, the firewall and the subscription: 2 × degree + 4 rows, 1,000 a page.
        expect(calls).toEqual({ armGet: 2, resourceGraph: Math.ceil((2 * degree + 4) / 1000) });
        expect(standIn.requests.count()).toBeLessThanOrEqual(6);
        expect(sourceOf(inventory, big.hub)).toMatch(/^ARM /);
        const topology = topologyOf(inventory);
        expect(topology.vnets.get(keyOf(big.hub))?.peerings).toHaveLength(degree);
        expect(big.spokes.every((id) => topology.vnets.get(keyOf(id))?.routeTables.length === 1)).toBe(true);
      } finally {
        await standIn.stop();
      }
    }, 60_000);
  }

  it('a fresh row, or a fresh "not found", wins over a lagging Resource Graph', async () => {
    const standIn = await startStandIn({ resources: realisticEstate() });
    try {
      standIn.state.lagGraph();
      const [s1, , s3] = SPOKES as [string, string, string];
      // Behind Resource Graph's back: spoke-1 drops its peering (the hub's side goes Disconnected) and
      // its route table; spoke-3 is deleted.
      standIn.state.deletePeering(`${s1}/virtualNetworkPeerings/spoke-1-to-hub-weu`);
      const spoke1 = standIn.state.get(s1)!;
      standIn.state.putResource(s1, { ...spoke1, properties: { ...spoke1.properties, subnets: [{ id: `${s1}/subnets/app`, name: 'app', properties: { addressPrefix: '10.1.0.0/24' } }] } });
      standIn.state.deleteResource(s3);
      const inventory = await liveReader(standIn).readNeighbourhood([HUB, s1, s3]);
      const topology = topologyOf(inventory);
      expect(topology.vnets.get(keyOf(HUB))?.peerings.find((p) => p.remoteVnetKey === keyOf(s1))?.peeringState).toBe('Disconnected');
      expect(topology.vnets.get(keyOf(s1))?.peerings).toEqual([]);
      // Resource Graph still lists spoke-1's subnet among the table's: the subnet says otherwise.
      expect(topology.vnets.get(keyOf(s1))?.routeTables).toEqual([]);
      expect(topology.vnets.get(keyOf(SPOKES[1] as string))?.routeTables).toHaveLength(1);
      expect(topology.vnets.has(keyOf(s3))).toBe(false);
      expect(inventory.sought).toContain(keyOf(s3));
    } finally {
      await standIn.stop();
    }
  });

  it('finds a route table a fresh subnet names although Resource Graph does not list the subnet yet', async () => {
    const standIn = await startStandIn({ resources: realisticEstate() });
    try {
      standIn.state.lagGraph();
      const s3 = SPOKES[2] as string;
      const table = `/subscriptions/${SUB_B}/resourceGroups/rg-spokes/providers/Microsoft.Network/routeTables/rt-spokes`;
      const spoke3 = standIn.state.get(s3)!;
      standIn.state.putResource(s3, { ...spoke3, properties: { ...spoke3.properties, subnets: [{ id: `${s3}/subnets/app`, name: 'app', properties: { addressPrefix: '10.3.0.0/24', routeTable: { id: table } } }] } });
      const topology = topologyOf(await liveReader(standIn).readNeighbourhood([s3]));
      expect(topology.vnets.get(keyOf(s3))?.routeTables.map((t) => t.name)).toEqual(['rt-spokes']);
    } finally {
      await standIn.stop();
    }
  });

  it('reports a peer in a subscription it may not read as unreadable, and reads the rest', async () => {
    small().faults.forbid(SUB_B);
    const inventory = await liveReader(small()).readNeighbourhood([HUB]);
    expect(inventory.unreadable).toEqual([{ scope: SUB_B, reason: expect.stringMatching(/not visible to the identity/) }]);
    expect(inventory.subscriptions).not.toContain(SUB_B);
    expect(inventory.resources.some((r) => keyOf(r.resource.id) === keyOf(HUB))).toBe(true);
    expect(inventory.resources.some((r) => keyOf(r.resource.id) === keyOf(HUB2))).toBe(true);
    // Not listed by Resource Graph: as far as the identity can tell, out of reach (another tenant, or no role).
    expect(inventory.outOfReach).toEqual([SUB_B]);
    // Asked of ARM, the subscription refuses (403): unreadable, not out of reach.
    const refused = await liveReader(small()).readNeighbourhood([HUB, SPOKES[0] as string]);
    expect(refused.unreadable).toEqual([{ scope: SUB_B, reason: expect.stringMatching(/access denied reading/) }]);
    expect(refused.outOfReach).toEqual([]);
  });

  it('survives a dropped connection and a 503 burst; throws, naming it, when a VNet or Resource Graph keeps failing', async () => {
    small().faults.drop('armGet', 1);
    small().faults.fail('resourceGraph', 503, 2);
    const recovered = await liveReader(small(), { backoffMs: 5 }).readNeighbourhood([HUB]);
    expect(recovered.unreadable).toEqual([]);
    expect(small().faults.pending()).toEqual([]);
    small().faults.add({ kind: 'armGet', when: (r) => r.path.toLowerCase().endsWith('/hub-neu') }, { type: 'status', status: 500 }, Infinity);
    // Neither ARM's old answer nor Resource Graph's row stands in for it: the read fails, naming it.
    await expect(liveReader(small(), { backoffMs: 5 }).readNeighbourhood([HUB, HUB2])).rejects.toThrow(/hub-neu could not be read from Resource Manager \(500/);
    small().faults.clear();
    small().faults.fail('resourceGraph', 503, Infinity);
    await expect(liveReader(small(), { backoffMs: 5 }).readNeighbourhood([HUB])).rejects.toThrow(/could not be read from Resource Graph \(503 /);
  });

  it("locates a gateway's VNet from ARM; none when it does not exist; a refusal or an outage is thrown (the event is retried)", async () => {
    const gw = `${HUB.replace(/virtualNetworks\/.*/, '')}virtualNetworkGateways/vpngw-weu`;
    expect((await liveReader(small()).locate(gw)).map((id) => id.toLowerCase())).toEqual([HUB.toLowerCase()]);
    expect(await liveReader(small()).locate(gw.replace('vpngw-weu', 'no-such-gateway'))).toEqual([]);
    small().faults.add({ kind: 'armGet', when: (r) => r.path.toLowerCase().includes('/virtualnetworkgateways/') }, { type: 'status', status: 403, code: 'AuthorizationFailed', message: 'no' }, Infinity);
    await expect(liveReader(small()).locate(gw)).rejects.toThrow(/vpngw-weu could not be read from Resource Manager \(403 AuthorizationFailed/);
    small().faults.clear();
    small().faults.fail('armGet', 503, Infinity);
    await expect(liveReader(small(), { backoffMs: 5 }).locate(gw)).rejects.toThrow(/503/);
  });

  it('reads a peer in a subscription Azure does not know (another tenant) as unknown, not as missing', async () => {
    const partnerSub = '99999999-9999-9999-9999-999999999999';
    const partner = vnetId('partner', partnerSub, 'rg-partner');
    const standIn = await startStandIn({
      resources: [vnet({ id: HUB, prefixes: ['10.0.0.0/16'], peerings: [{ remote: partner }] })],
    });
    try {
      const inventory = await liveReader(standIn).readNeighbourhood([HUB]);
      expect(inventory.unreadable).toEqual([{ scope: partnerSub, reason: expect.stringMatching(/another tenant/) }]);
      expect(inventory.outOfReach).toEqual([partnerSub]);
      expect(inventory.subscriptions).not.toContain(partnerSub);
      // So the peering is out of scope (info), never "remote VNet missing" (error).
      const run = auditResources({ resources: inventory.resources, rules: RULES, config: DEFAULT_CONFIG, now: new Date(), version: 't', extraSubscriptions: inventory.subscriptions });
      expect(run.report.findings.map((f) => f.ruleId)).toContain('peering-remote-out-of-scope');
      expect(run.report.findings.map((f) => f.ruleId)).not.toContain('peering-remote-vnet-missing');
    } finally {
      await standIn.stop();
    }
  });

  // The event of a peering reads its remote VNet from ARM, whose answer places the subscription: not
  // found, or in another tenant (Azure's 401 for a token of the wrong issuer).
  const partnerSub = '99999999-9999-9999-9999-999999999999';
  const answers = [
    { answer: '404 SubscriptionNotFound: The subscription', place: () => undefined }, // a subscription the stand-in does not hold
    { answer: '401 InvalidAuthenticationTokenTenant: The access token is from the wrong issuer', place: (standIn: StandIn) => inAnotherTenant(standIn.state, partnerSub, '88888888-8888-8888-8888-888888888888') },
  ];
  for (const { answer, place } of answers) {
    it(`reads a peering's remote VNet that ARM answers ${answer.split(':')[0]} as out of reach: the event decides peering-remote-out-of-scope`, async () => {
      const partner = vnetId('partner', partnerSub, 'rg-partner');
      const peering = `${HUB}/virtualNetworkPeerings/hub-weu-to-partner`;
      const standIn = await startStandIn({ resources: [vnet({ id: HUB, prefixes: ['10.0.0.0/16'], peerings: [{ remote: partner }] })] });
      try {
        place(standIn);
        const inventory = await liveReader(standIn).readNeighbourhood([HUB], { changed: peering });
        expect(inventory.unreadable).toEqual([{ scope: partnerSub, reason: expect.stringContaining(`subscription not found or not in this tenant (${answer}`) }]);
        expect(inventory.outOfReach).toEqual([partnerSub]);
        // As the event path judges it: the peering is out of scope (info), and the read decides it.
        const run = auditResources({ resources: inventory.resources, rules: RULES, config: DEFAULT_CONFIG, now: new Date(), version: 't', extraSubscriptions: inventory.subscriptions, unreadable: inventory.unreadable });
        const scope = neighbourhoodScope({ topology: run.extras.topology, inventory, vnetIds: [HUB] }, RULES);
        const decided = run.report.findings.filter((f) => inScope(scope, f, placeOf(scope, f)));
        expect(decided.map((f) => [f.ruleId, f.resourceId])).toEqual([['peering-remote-out-of-scope', peering]]);
      } finally {
        await standIn.stop();
      }
    });
  }

  const refusedTokens = [
    { code: 'ExpiredAuthenticationToken', message: "The access token expiry UTC time '11/26/2025 9:00:00 AM' is earlier than current UTC time '11/26/2025 9:05:00 AM'." },
    { code: 'InvalidAuthenticationToken', message: 'The access token is invalid.' },
  ];
  for (const { code, message } of refusedTokens) {
    it(`reads a subscription whose ARM answer is a refused token (401 ${code}) as access denied, not as another tenant`, async () => {
      small().faults.add({ kind: 'armGet', when: (r) => r.subscriptions.includes(SUB_B) }, { type: 'status', status: 401, code, message }, Infinity);
      const inventory = await liveReader(small()).readNeighbourhood([HUB, SPOKES[0] as string]);
      expect(inventory.unreadable).toEqual([{ scope: SUB_B, reason: expect.stringMatching(new RegExp(`^access denied reading .*\\(401 ${code}: `)) }]);
      expect(inventory.outOfReach).toEqual([]);
    });
  }

  it('reads a deleted VNet, and a peer gone from a readable subscription, as absent, not as errors', async () => {
    const gone = HUB.replace('hub-weu', 'deleted-vnet');
    const deleted = await liveReader(small()).readNeighbourhood([gone]);
    expect(deleted.resources).toEqual([]);
    expect(deleted.unreadable).toEqual([]);
    expect(deleted.sought).toEqual([keyOf(gone)]);
    const inventory = await liveReader(small()).readNeighbourhood([HUB2]);
    expect(inventory.subscriptions).toContain(SUB_C);
    const run = auditResources({ resources: inventory.resources, rules: RULES, config: DEFAULT_CONFIG, now: new Date(), version: 't', extraSubscriptions: inventory.subscriptions });
    expect(run.report.findings.filter((f) => f.ruleId === 'peering-remote-vnet-missing').map((f) => f.resourceId)).toEqual([`${HUB2}/virtualNetworkPeerings/hub-neu-to-gone`]);
  });
});
