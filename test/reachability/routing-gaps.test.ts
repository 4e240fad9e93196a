import { describe, expect, it } from 'vitest';
import { keyOf } from '../../src/model/ids';
import type { RawResource } from '../../src/model/snapshot';
import type { Peering } from '../../src/model/types';
import { createReachability, describeVerdict } from '../../src/reachability/engine';
import { routedRemotePrefixes } from '../../src/rules/transit-helpers';
import { SUB_A, gateway, routeServer, routeTable, topologyOf, vnet, vnetId, type RouteSpec } from '../support/estate';
import { HUB, hubAndSpokes, peeringId, routeTableId, spokeId, unreadTables, viaFirewall } from '../support/transit';

// What a usable link does not route (a range added and not synced, the unpeered subnets of a subnet
// peering) and what a subnet does not learn (gateway routes behind a table that disables propagation).

const s1 = spokeId('spoke1');
const s2 = spokeId('spoke2');
const texts = (prefixes: ReadonlyArray<{ text: string }>) => prefixes.map((p) => p.text);

function engineOf(resources: RawResource[]) {
  return createReachability(topologyOf(resources));
}

/** spoke2 added 10.22.0.0/16; spoke1's peering to it still routes the space as peered. */
function unsynced(synced = false): RawResource[] {
  return hubAndSpokes([
    {
      name: 'spoke1',
      prefixes: ['10.1.0.0/16'],
      unpeered: true,
      peerings: [{ remote: s2, syncLevel: synced ? 'FullyInSync' : 'LocalNotInSync', remoteAddressSpace: synced ? ['10.2.0.0/16', '10.22.0.0/16'] : ['10.2.0.0/16'] }],
    },
    { name: 'spoke2', prefixes: ['10.2.0.0/16', '10.22.0.0/16'], unpeered: true, peerings: [{ remote: s1, syncLevel: synced ? 'FullyInSync' : 'RemoteNotInSync', remoteAddressSpace: ['10.1.0.0/16'] }] },
  ]);
}

describe('reachability: a peering routes the remote space as peered', () => {
  it('routedRemotePrefixes: the space as peered, else the current space; subnet peering: the named subnets', () => {
    const topology = topologyOf([
      ...unsynced(),
      vnet({ id: vnetId('vnet-x', SUB_A), prefixes: ['10.5.0.0/16'], peerings: [{ remote: s1 }] }),
      vnet({
        id: vnetId('vnet-y', SUB_A),
        prefixes: ['10.6.0.0/16'],
        peerings: [{ remote: s2, peerCompleteVnets: false, localSubnetNames: ['default'], remoteSubnetNames: ['snet-app'], remoteAddressSpace: ['10.2.0.0/16'] }],
      }),
    ]);
    const peering = (from: string, to: string) => {
      const p = topology.peeringBetween(keyOf(from), keyOf(to));
      if (!p) throw new Error(`no peering ${from} -> ${to}`);
      return p;
    };
    expect(texts(routedRemotePrefixes(peering(s1, s2)))).toEqual(['10.2.0.0/16']);
    expect(texts(routedRemotePrefixes(peering(vnetId('vnet-x', SUB_A), s1)))).toEqual(['10.1.0.0/16']);
    // spoke2's only subnet, snet-app, holds both of its prefixes.
    expect(texts(routedRemotePrefixes(peering(vnetId('vnet-y', SUB_A), s2)))).toEqual(['10.2.0.0/16', '10.22.0.0/16']);
  });

  it('an IPv6-only peering (enableOnlyIPv6Peering) routes the IPv6 prefixes only, a subnet peering or not', () => {
    const subnets = [{ name: 'snet-app', prefix: ['10.2.0.0/24', 'fd00:2::/64'] }];
    const topology = topologyOf([
      vnet({ id: s2, prefixes: ['10.2.0.0/24', 'fd00:2::/64'], subnets }),
      vnet({ id: vnetId('vnet-x', SUB_A), prefixes: ['10.5.0.0/16'], peerings: [{ remote: s2, peerCompleteVnets: false, localSubnetNames: ['default'], remoteSubnetNames: ['snet-app'], enableOnlyIPv6Peering: true }] }),
      vnet({ id: vnetId('vnet-y', SUB_A), prefixes: ['10.6.0.0/16'], peerings: [{ remote: s2, enableOnlyIPv6Peering: true }] }),
      vnet({ id: vnetId('vnet-z', SUB_A), prefixes: ['10.7.0.0/16'], peerings: [{ remote: s2, enableOnlyIPv6Peering: false }] }),
    ]);
    const routed = (from: string) => texts(routedRemotePrefixes(topology.peeringBetween(keyOf(vnetId(from, SUB_A)), keyOf(s2)) as Peering));
    expect(routed('vnet-x')).toEqual(['fd00:2::/64']);
    expect(routed('vnet-y')).toEqual(['fd00:2::/64']);
    expect(routed('vnet-z')).toEqual(['10.2.0.0/24', 'fd00:2::/64']);
  });

  it('a range the remote added and the peering has not synced is not reached; the peering to sync is named', () => {
    const v = engineOf(unsynced()).explain(keyOf(s1), keyOf(s2));
    expect(v.reachable).toBe(false);
    expect(v.missing?.kind).toBe('no-route');
    expect(v.missing?.resourceId).toBe(peeringId(s1, s2));
    expect(v.missing?.message).toBe(
      '"spoke1" reaches only part of "spoke2": peering "spoke1-to-spoke2" routes the address space of "spoke2" as it was peered (10.2.0.0/16), ' +
        'not all of 10.22.0.0/16, which "spoke2" has added since; the peering (sync level LocalNotInSync) must be synced to route it.',
    );
    expect(engineOf(unsynced(true)).explain(keyOf(s1), keyOf(s2)).reachable).toBe(true);
  });

  it('through a hub: the hub does not forward to a range its peering has not synced', () => {
    const v = engineOf(
      hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()], fromHub: { remoteAddressSpace: ['10.1.0.0/16'] } },
        { name: 'spoke2', prefixes: ['10.2.0.0/16', '10.22.0.0/16'], routes: [viaFirewall()], fromHub: { remoteAddressSpace: ['10.2.0.0/16'], syncLevel: 'LocalNotInSync' } },
      ]),
    ).explain(keyOf(s1), keyOf(s2));
    expect(v.missing?.kind).toBe('no-route');
    expect(v.missing?.resourceId).toBe(peeringId(HUB, s2));
    expect(v.missing?.message).toContain('"vnet-hub" reaches only part of "spoke2": peering "vnet-hub-to-spoke2" routes the address space of "spoke2" as it was peered (10.2.0.0/16)');
    expect(v.missing?.message).toContain('(the appliance in "vnet-hub" cannot forward there).');
  });

  it('an appliance in an unsynced range: the route is named with what the peering routes, not a flag it lacks', () => {
    // The hub added 10.9.0.0/16 and holds an appliance there; spoke1's peering still routes 10.0.0.0/16 only.
    const moved = engineOf(
      hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [{ name: 'via-nva', prefix: '10.2.0.0/16', nextHopType: 'VirtualAppliance', nextHopIp: '10.9.0.4' }], toHub: { remoteAddressSpace: ['10.0.0.0/16'] } },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'] },
      ], { prefixes: ['10.0.0.0/16', '10.9.0.0/16'] }),
    ).explain(keyOf(s1), keyOf(s2));
    expect(moved.missing?.kind).toBe('route-to-unreachable-next-hop');
    expect(moved.missing?.message).toContain(
      '10.9.0.4 lies in "vnet-hub", but "spoke1" reaches only part of "vnet-hub": peering "spoke1-to-vnet-hub" routes the address space of "vnet-hub" as it was peered (10.0.0.0/16), not 10.9.0.4, which "vnet-hub" has added since',
    );
  });
});

describe('reachability: a direct subnet peering', () => {
  const subnetPeering = (remote: string) => ({ remote, peerCompleteVnets: false, localSubnetNames: ['snet-app'], remoteSubnetNames: ['snet-app'] });
  const resources = hubAndSpokes([
    { name: 'spoke1', prefixes: ['10.1.0.0/16'], unpeered: true, subnets: [{ name: 'snet-app', prefix: '10.1.0.0/24' }], peerings: [subnetPeering(s2)] },
    {
      name: 'spoke2',
      prefixes: ['10.2.0.0/16'],
      unpeered: true,
      subnets: [{ name: 'snet-app', prefix: '10.2.0.0/24' }, { name: 'snet-db', prefix: '10.2.1.0/24' }],
      peerings: [subnetPeering(s1)],
    },
  ]);

  it('access allowed both ways: the finding says only the named subnets are peered, not that access is off', () => {
    const v = engineOf(resources).explain(keyOf(s1), keyOf(s2));
    expect(v.missing?.kind).toBe('no-route');
    expect(v.missing?.resourceId).toBe(peeringId(s1, s2));
    // The named subnets do reach each other: partly reachable.
    expect(describeVerdict(v)).toBe(
      'partly reachable: "spoke1" → "spoke2" (peering "spoke1-to-spoke2") for 10.2.0.0/24 of "spoke2", and back for 10.1.0.0/24 of "spoke1"; ' +
        'not all of it (no-route): "spoke1" reaches only part of "spoke2": subnet peering "spoke1-to-spoke2" peers only subnet "snet-app" of "spoke2" (10.2.0.0/24), not all of 10.2.0.0/16.',
    );
  });

  it('an IPv6-only subnet peering of dual-stack VNets: the IPv4 space is not reached, the IPv6 space is (QA c7)', () => {
    const dual = (name: string, v4: string, v6: string, remote: string) => ({
      name,
      prefixes: [v4, v6],
      unpeered: true,
      subnets: [{ name: 'snet-app', prefix: [v4, v6] }],
      peerings: [{ ...subnetPeering(remote), enableOnlyIPv6Peering: true }],
    });
    const v = engineOf(hubAndSpokes([dual('spoke1', '10.1.0.0/24', 'fd00:1::/64', s2), dual('spoke2', '10.2.0.0/24', 'fd00:2::/64', s1)])).explain(keyOf(s1), keyOf(s2));
    expect(v.reachable).toBe(false);
    expect(describeVerdict(v)).toBe(
      'partly reachable: "spoke1" → "spoke2" (peering "spoke1-to-spoke2") for fd00:2::/64 of "spoke2", and back for fd00:1::/64 of "spoke1"; ' +
        'not all of it (no-route): "spoke1" reaches only part of "spoke2": subnet peering "spoke1-to-spoke2" peers only the IPv6 prefixes of subnet "snet-app" of "spoke2" (fd00:2::/64), not all of 10.2.0.0/24.',
    );
  });

  it('access off on one side is still named as such', () => {
    const off = hubAndSpokes([
      { name: 'spoke1', prefixes: ['10.1.0.0/16'], unpeered: true, subnets: [{ name: 'snet-app', prefix: '10.1.0.0/24' }], peerings: [subnetPeering(s2)] },
      { name: 'spoke2', prefixes: ['10.2.0.0/16'], unpeered: true, subnets: [{ name: 'snet-app', prefix: '10.2.0.0/24' }], peerings: [{ ...subnetPeering(s1), allowVirtualNetworkAccess: false }] },
    ]);
    expect(engineOf(off).explain(keyOf(s1), keyOf(s2)).missing?.kind).toBe('access-disabled');
  });
});

describe('reachability: on-premises behind a table that disables gateway route propagation', () => {
  const hubs = new Set([keyOf(HUB)]);
  const rtId = routeTableId('spoke1');

  /** spoke1 uses the hub's gateway; its snet-app has route table rt-spoke1 with `routes`. */
  function estate(opts: { routes?: RouteSpec[]; propagate?: boolean; gateways?: RawResource[]; moreSubnets?: boolean } = {}): RawResource[] {
    const resources = hubAndSpokes([
      {
        name: 'spoke1',
        prefixes: ['10.1.0.0/16'],
        routes: opts.routes ?? [],
        toHub: { useRemoteGateways: true },
        fromHub: { allowGatewayTransit: true },
        ...(opts.moreSubnets ? { subnets: [{ name: 'snet-app', prefix: '10.1.0.0/24', routeTable: rtId }, { name: 'snet-web', prefix: '10.1.1.0/24' }] } : {}),
      },
    ]);
    return [...withPropagation(resources, rtId, opts.propagate ?? false), ...(opts.gateways ?? [gateway('vgw-hub', HUB)])];
  }

  it('a spoke whose subnets all sit behind such a table does not reach on-premises; the table is named', () => {
    const v = engineOf(estate()).onPremises(keyOf(s1), hubs, 'hubs');
    expect(v.reachable).toBe(false);
    expect(v.missing?.kind).toBe('gateway-routes-not-propagated');
    expect(v.missing?.resourceId).toBe(rtId);
    expect(v.missing?.message).toBe(
      'route table "rt-spoke1" of the subnets of "spoke1" disables gateway route propagation (disableBgpRoutePropagation) and has no route for addresses outside the estate\'s VNets ' +
        'with next hop VirtualNetworkGateway or an appliance in "vnet-hub": they learn no on-premises routes from VPN gateway "vgw-hub" (SKU VpnGw1) in "vnet-hub".',
    );
  });

  it('propagation on, or one source subnet without the table: reachable', () => {
    expect(engineOf(estate({ propagate: true })).onPremises(keyOf(s1), hubs, 'hubs').reachable).toBe(true);
    expect(engineOf(estate({ moreSubnets: true })).onPremises(keyOf(s1), hubs, 'hubs').reachable).toBe(true);
  });

  // A route to the gateway for VNets of the estate only (spoke to spoke through the hub) takes no
  // on-premises traffic: the prefix must reach past the estate's VNets, as for an appliance (QA c10).
  it.each([
    ['the default route', '0.0.0.0/0', true],
    ['an on-premises range', '192.168.0.0/16', true],
    ['a range wider than the estate', '10.0.0.0/8', true],
    ["the hub's space", '10.0.0.0/16', false],
    ["spoke1's own space", '10.1.0.0/16', false],
    ["a VNet's IPv6 space", 'fd00::/48', false],
  ])('a user route to VirtualNetworkGateway for %s (%s): on-premises reachable %s', (_name, prefix, reachable) => {
    const v = engineOf(estate({ routes: [{ name: 'via-gateway', prefix, nextHopType: 'VirtualNetworkGateway' }] })).onPremises(keyOf(s1), hubs, 'hubs');
    expect(v.reachable).toBe(reachable);
    if (!reachable) expect(v.missing?.kind).toBe('gateway-routes-not-propagated');
  });

  it('a user route to the VPN gateway reaches on-premises without propagation; not to an ExpressRoute gateway', () => {
    const toGateway: RouteSpec = { name: 'onprem', prefix: '192.168.0.0/16', nextHopType: 'VirtualNetworkGateway' };
    expect(describeVerdict(engineOf(estate({ routes: [toGateway] })).onPremises(keyOf(s1), hubs, 'hubs'))).toBe(
      'reachable: "spoke1" → VPN gateway "vgw-hub" (SKU VpnGw1) in "vnet-hub" → on-premises',
    );
    const er = engineOf(estate({ routes: [toGateway], gateways: [gateway('ergw-hub', HUB, { type: 'ExpressRoute', sku: 'ErGw1AZ' })] })).onPremises(keyOf(s1), hubs, 'hubs');
    expect(er.missing?.kind).toBe('gateway-routes-not-propagated');
    expect(er.missing?.message).toContain(
      'disables gateway route propagation (disableBgpRoutePropagation); a route with next hop VirtualNetworkGateway works only with a VPN gateway that has no ExpressRoute gateway beside it, and "vnet-hub" has ExpressRoute gateway "ergw-hub" (SKU ErGw1AZ)',
    );
    const rs = engineOf(estate({ routes: [toGateway], gateways: [routeServer('rs-hub', HUB)] })).onPremises(keyOf(s1), hubs, 'hubs');
    expect(rs.missing?.kind).toBe('gateway-routes-not-propagated');
  });

  it("a route past the estate to the hub firewall (forced inspection) reaches on-premises; one for the hub's own space does not", () => {
    const er = [gateway('ergw-hub', HUB, { type: 'ExpressRoute', sku: 'ErGw1AZ' })];
    expect(engineOf(estate({ routes: [viaFirewall()], gateways: er })).onPremises(keyOf(s1), hubs, 'hubs').reachable).toBe(true);
    expect(engineOf(estate({ routes: [viaFirewall('192.168.0.0/16', 'onprem')], gateways: er })).onPremises(keyOf(s1), hubs, 'hubs').reachable).toBe(true);
    // 10.0.0.0/16 is the hub's own space: no on-premises address is sent to the firewall.
    const hubOnly = engineOf(estate({ routes: [viaFirewall('10.0.0.0/16', 'hub')], gateways: er })).onPremises(keyOf(s1), hubs, 'hubs');
    expect(hubOnly.missing?.kind).toBe('gateway-routes-not-propagated');
  });

  it('the hub itself: its workload subnets behind such a table do not learn its own gateway routes', () => {
    const hubTable = `/subscriptions/${SUB_A}/resourceGroups/rg-vnet-hub/providers/Microsoft.Network/routeTables/rt-hub`;
    const resources = [
      ...withPropagation(
        [
          ...hubAndSpokes([], {
            subnets: [
              { name: 'GatewaySubnet', prefix: '10.0.0.0/27' },
              { name: 'snet-mgmt', prefix: '10.0.2.0/24', routeTable: hubTable },
            ],
          }),
          routeTable('rt-hub', SUB_A, 'rg-vnet-hub', [], [`${HUB}/subnets/snet-mgmt`]),
        ],
        hubTable,
        false,
      ),
      gateway('vgw-hub', HUB),
    ];
    const v = engineOf(resources).onPremises(keyOf(HUB), hubs, 'hubs');
    expect(v.missing?.kind).toBe('gateway-routes-not-propagated');
    expect(v.missing?.resourceId).toBe(hubTable);
  });
});

describe('reachability: a route table associated with a subnet but not read', () => {
  // "When you create a route table and associate it to a subnet, the table's routes are combined
  // with the subnet's default routes" (virtual-networks-udr-overview): a table that was not read
  // leaves the subnet's routing unknown (unsupported), not "no route table".
  const hubs = new Set([keyOf(HUB)]);
  const APP1 = `${s1}/subnets/snet-app`;
  const routed = (opts: { toHub?: object; fromHub?: object } = {}) =>
    hubAndSpokes([
      { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()], ...opts },
      { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: [viaFirewall()], ...opts },
    ]);

  it.each([
    ["spoke1's table", ['spoke1']],
    ["spoke2's table (the way back)", ['spoke2']],
    ['both tables', ['spoke1', 'spoke2']],
  ])('%s not read: reach is unsupported, not no-peering, either way; isolation is not confirmed', (_name, unread) => {
    const engine = engineOf(unreadTables(routed(), ...unread));
    for (const [x, y] of [[s1, s2], [s2, s1]] as const) {
      expect(engine.explain(keyOf(x), keyOf(y)).missing?.kind).toBe('unsupported');
      const isolation = engine.isolation(keyOf(x), keyOf(y));
      expect([isolation.partly, isolation.undetermined?.kind]).toEqual([undefined, 'unsupported']);
    }
  });

  it('the message names the subnet and the table, and the finding the subnet', () => {
    const verdict = engineOf(unreadTables(routed(), 'spoke1')).explain(keyOf(s1), keyOf(s2));
    expect(describeVerdict(verdict)).toBe('not reachable (unsupported): subnet "snet-app" of "spoke1" is associated with route table "rt-spoke1", which was not read: its routes are not known.');
    expect(verdict.missing?.resourceId).toBe(APP1);
  });

  it('another subnet of the VNet that reaches is enough, whatever the order of the subnets', () => {
    for (const reverse of [false, true]) {
      const subnets = [
        { name: 'snet-app', prefix: '10.1.0.0/24', routeTable: routeTableId('spoke1') },
        { name: 'snet-direct', prefix: '10.1.1.0/24' },
      ];
      const resources = unreadTables(
        hubAndSpokes([
          { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [], subnets: reverse ? [...subnets].reverse() : subnets, peerings: [{ remote: s2 }] },
          { name: 'spoke2', prefixes: ['10.2.0.0/16'], peerings: [{ remote: s1 }] },
        ]),
        'spoke1',
      );
      expect(engineOf(resources).explain(keyOf(s1), keyOf(s2)).reachable).toBe(true);
    }
  });

  it('on-premises: a subnet whose table was not read may not learn the gateway routes, unsupported; one without a table learns them', () => {
    const transit = { toHub: { useRemoteGateways: true }, fromHub: { allowGatewayTransit: true } };
    const v = engineOf([...unreadTables(routed(transit), 'spoke1'), gateway('vgw-hub', HUB)]).onPremises(keyOf(s1), hubs, 'hubs');
    expect(v.missing).toMatchObject({ kind: 'unsupported', resourceId: APP1 });
    const beside = hubAndSpokes([
      {
        name: 'spoke1',
        prefixes: ['10.1.0.0/16'],
        routes: [],
        ...transit,
        subnets: [{ name: 'snet-app', prefix: '10.1.0.0/24', routeTable: routeTableId('spoke1') }, { name: 'snet-web', prefix: '10.1.1.0/24' }],
      },
    ]);
    expect(engineOf([...unreadTables(beside, 'spoke1'), gateway('vgw-hub', HUB)]).onPremises(keyOf(s1), hubs, 'hubs').reachable).toBe(true);
  });
});

/** `resources` with the route table `id` set to propagate gateway routes or not. */
function withPropagation(resources: RawResource[], id: string, propagate: boolean): RawResource[] {
  return resources.map((r) =>
    r.id === id ? { ...r, properties: { ...(r.properties as Record<string, unknown>), disableBgpRoutePropagation: !propagate } } : r,
  );
}
