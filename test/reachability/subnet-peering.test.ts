import { describe, expect, it } from 'vitest';
import { keyOf } from '../../src/model/ids';
import type { RawResource } from '../../src/model/snapshot';
import { createReachability, describeVerdict } from '../../src/reachability/engine';
import { SUB_A, routeTable, topologyOf, vnet, vnetId, type RouteSpec } from '../support/estate';
import { FIREWALL_IP, hubAndSpokes, spokeId } from '../support/transit';

// A subnet peering routes the peered subnets of the remote to every subnet of the VNet, but packets
// from a subnet it does not name are dropped (how-to-configure-subnet-peering): such a subnet is no
// source over it.

const a = vnetId('vnet-a');
const c = vnetId('vnet-c');
const rt = `/subscriptions/${SUB_A}/resourceGroups/rg-rt/providers/Microsoft.Network/routeTables/rt-s1`;

/** vnet-a's s1 peered with vnet-c's c1 only; s1's table holds `routes`, s2 has none (or `s2Table`). */
function subnetPeered(routes: RouteSpec[], cSpace = '10.2.0.0/16', s2Table?: string): RawResource[] {
  return [
    vnet({
      id: a,
      prefixes: ['10.1.0.0/16'],
      subnets: [{ name: 's1', prefix: '10.1.1.0/24', routeTable: rt }, { name: 's2', prefix: '10.1.2.0/24', ...(s2Table ? { routeTable: s2Table } : {}) }],
      peerings: [{ remote: c, peerCompleteVnets: false, localSubnetNames: ['s1'], remoteSubnetNames: ['c1'] }],
    }),
    vnet({ id: c, prefixes: [cSpace], subnets: [{ name: 'c1', prefix: '10.2.1.0/24' }], peerings: [{ remote: a, peerCompleteVnets: false, localSubnetNames: ['c1'], remoteSubnetNames: ['s1'] }] }),
    routeTable('rt-s1', SUB_A, 'rg-rt', routes, [`${a}/subnets/s1`]),
  ];
}

describe('reachability: subnet peering and the subnets it does not peer', () => {
  it('the peered subnet blackholes the peered range and the other subnet is not peered: isolated', () => {
    const engine = createReachability(topologyOf(subnetPeered([{ name: 'drop-c1', prefix: '10.2.1.0/24', nextHopType: 'None' }])));
    for (const [x, y] of [[a, c], [c, a]] as const) {
      const v = engine.isolation(keyOf(x), keyOf(y));
      expect(v.reachable).toBe(false);
      expect(v.partly).toBeUndefined();
      expect(v.undetermined).toBeUndefined();
    }
  });

  it('names the peering and the subnets it leaves out', () => {
    // s2 has a table of its own, "rt-a", tried before "rt-s1": its context is the first that fails.
    const rtA = rt.replace(/rt-s1$/, 'rt-a');
    const resources = subnetPeered([{ name: 'drop-c1', prefix: '10.2.1.0/24', nextHopType: 'None' }], '10.2.1.0/24', rtA);
    resources.push(routeTable('rt-a', SUB_A, 'rg-rt', [{ name: 'web', prefix: '192.168.0.0/16', nextHopType: 'Internet' }], [`${a}/subnets/s2`]));
    const engine = createReachability(topologyOf(resources));
    expect(describeVerdict(engine.explain(keyOf(a), keyOf(c)))).toBe(
      'not reachable (no-route): subnet peering "vnet-a-to-vnet-c" from "vnet-a" to "vnet-c" peers only subnet "s1" of "vnet-a", not "s2" (route table "rt-a"): packets from it are dropped.',
    );
  });

  it('the peered subnet still reaches the peered range', () => {
    const engine = createReachability(topologyOf(subnetPeered([{ name: 'elsewhere', prefix: '192.168.0.0/16', nextHopType: 'None' }])));
    const v = engine.isolation(keyOf(a), keyOf(c));
    expect(v.partly?.there).toBe('10.2.1.0/24 of "vnet-c"');
    expect(v.partly?.back).toBe('10.1.1.0/24 of "vnet-a"');
  });

  it('a spoke subnet the subnet peering to the hub does not name cannot reach the hub firewall', () => {
    const s1 = spokeId('spoke1');
    const s2 = spokeId('spoke2');
    const resources = hubAndSpokes([
      {
        name: 'spoke1',
        prefixes: ['10.1.0.0/16'],
        subnets: [{ name: 'snet-app', prefix: '10.1.0.0/24', routeTable: `/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-spoke1/providers/Microsoft.Network/routeTables/rt-spoke1` }],
        routes: [{ name: 'to-fw', prefix: '10.2.0.0/16', nextHopType: 'VirtualAppliance', nextHopIp: FIREWALL_IP }],
        toHub: { peerCompleteVnets: false, localSubnetNames: ['snet-other'], remoteSubnetNames: ['AzureFirewallSubnet'] },
        fromHub: { peerCompleteVnets: false, localSubnetNames: ['AzureFirewallSubnet'], remoteSubnetNames: ['snet-other'] },
      },
      { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: [{ name: 'to-fw', prefix: '10.1.0.0/16', nextHopType: 'VirtualAppliance', nextHopIp: FIREWALL_IP }] },
    ]);
    const v = createReachability(topologyOf(resources)).explain(keyOf(s1), keyOf(s2));
    expect(v.missing?.kind).toBe('route-to-unreachable-next-hop');
    expect(v.missing?.message).toContain('peers only subnet "snet-other" of "spoke1", not "snet-app" (route table "rt-spoke1")');
  });
});
