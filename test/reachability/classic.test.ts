import { describe, expect, it } from 'vitest';
import { keyOf } from '../../src/model/ids';
import type { RawResource } from '../../src/model/snapshot';
import { createReachability, describeVerdict } from '../../src/reachability/engine';
import { SUB_A, gateway, topologyOf, vnet, vnetId } from '../support/estate';
import { FIREWALL_IP6, HUB, hubAndSpokes, meshGroup, peeringId, routeTableId, spokeId, viaFirewall } from '../support/transit';

// The classic cases, each with the explanation asserted.

const s1 = spokeId('spoke1');
const s2 = spokeId('spoke2');

function explain(resources: RawResource[], a = s1, c = s2, via?: 'firewall' | 'appliance') {
  return createReachability(topologyOf(resources)).explain(keyOf(a), keyOf(c), via);
}

describe('reachability: classic cases', () => {
  it('refuses a VNet asked about itself rather than inventing a path', () => {
    const resources = hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'] }]);
    expect(() => explain(resources, s1, s1)).toThrow('explain: "spoke1" was asked about itself');
  });

  it('spoke to spoke through the hub firewall, routes both ways, forwarded traffic allowed', () => {
    const v = explain(hubAndSpokes([
      { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()] },
      { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: [viaFirewall()] },
    ]), s1, s2, 'firewall');
    expect(v.reachable).toBe(true);
    expect(describeVerdict(v)).toBe('reachable: "spoke1" → firewall "afw-vnet-hub" in "vnet-hub" → "spoke2"');
  });

  it('one direction missing: the return path is named', () => {
    const resources = hubAndSpokes([
      { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()] },
      { name: 'spoke2', prefixes: ['10.2.0.0/16'] },
    ]);
    const there = explain(resources, s1, s2);
    expect(there.missing?.kind).toBe('return-path-missing');
    expect(there.missing?.message).toContain('no return path from "spoke2" to "spoke1": "spoke2" and "spoke1" are not peered and no route table');
    const back = explain(resources, s2, s1);
    expect(back.missing?.kind).toBe('no-peering');
  });

  it('forwarded traffic blocked on one side: the peering is named', () => {
    const v = explain(hubAndSpokes([
      { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()] },
      { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: [viaFirewall()], toHub: { allowForwardedTraffic: false } },
    ]));
    expect(v.missing?.kind).toBe('forwarded-traffic-not-allowed');
    expect(v.missing?.resourceId).toBe(peeringId(s2, HUB));
    expect(v.missing?.message).toContain('peering "spoke2-to-vnet-hub" from "spoke2" to "vnet-hub" does not allow forwarded traffic');
  });

  it('a route to an appliance in an unpeered VNet', () => {
    const other = vnetId('vnet-other', SUB_A);
    const v = explain([
      ...hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [{ name: 'default', prefix: '0.0.0.0/0', nextHopType: 'VirtualAppliance', nextHopIp: '10.9.1.4' }] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: [viaFirewall()] },
      ]),
      vnet({ id: other, prefixes: ['10.9.0.0/16'] }),
    ]);
    expect(v.missing?.kind).toBe('route-to-unreachable-next-hop');
    expect(v.missing?.message).toContain('route "default" (0.0.0.0/0 to VirtualAppliance 10.9.1.4) in route table "rt-spoke1"');
    expect(v.missing?.message).toContain('10.9.1.4 lies in no VNet peered with "spoke1"');
  });

  it('overlapping prefixes: the longest prefix wins (a /24 to None beats the default to the firewall)', () => {
    const resources = hubAndSpokes([
      { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall(), { name: 'drop-db', prefix: '10.2.5.0/24', nextHopType: 'None' }] },
      { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: [viaFirewall()] },
    ]);
    const v = explain(resources);
    expect(v.missing?.kind).toBe('blackholed');
    // The route's prefix is named, not the whole prefix of spoke2 it cuts into.
    expect(v.missing?.message).toContain('route "drop-db" (10.2.5.0/24 to None) in route table "rt-spoke1" of "spoke1" drops traffic for 10.2.5.0/24 of "spoke2" (next hop None).');
    // and a more specific route to the firewall beats a direct peering's system route... not here:
    const peered = explain(hubAndSpokes([
      { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()], peerings: [{ remote: s2 }] },
      { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: [viaFirewall()], peerings: [{ remote: s1 }] },
    ]));
    expect(describeVerdict(peered)).toBe('reachable: "spoke1" → "spoke2" (peering "spoke1-to-spoke2")');
  });

  it("a user route to VnetLocal for the peer's space: the route is named, not an overlap of the address spaces (QA c8)", () => {
    const v = explain(hubAndSpokes([
      { name: 'spoke1', prefixes: ['10.1.0.0/16'], unpeered: true, routes: [{ name: 'keep-local', prefix: '10.2.0.0/16', nextHopType: 'VnetLocal' }], peerings: [{ remote: s2 }] },
      { name: 'spoke2', prefixes: ['10.2.0.0/16'], unpeered: true, peerings: [{ remote: s1 }] },
    ]));
    expect(v.missing?.kind).toBe('route-elsewhere');
    expect(v.missing?.resourceId).toBe(`${routeTableId('spoke1')}/routes/keep-local`);
    expect(v.missing?.message).toBe(
      'route "keep-local" (10.2.0.0/16 to VnetLocal) in route table "rt-spoke1" of "spoke1" keeps traffic for 10.2.0.0/16 of "spoke2" inside "spoke1" (next hop VnetLocal), not sending it to "spoke2".',
    );
  });

  it('gateway transit to on-premises', () => {
    const resources = [
      ...hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], toHub: { useRemoteGateways: true }, fromHub: { allowGatewayTransit: true } },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'], toHub: { useRemoteGateways: true } },
      ]),
      gateway('vgw-hub', HUB),
    ];
    const engine = createReachability(topologyOf(resources));
    const hubs = new Set([keyOf(HUB)]);
    expect(describeVerdict(engine.onPremises(keyOf(s1), hubs, 'hubs'))).toBe('reachable: "spoke1" → VPN gateway "vgw-hub" (SKU VpnGw1) in "vnet-hub" → on-premises');
    const no = engine.onPremises(keyOf(s2), hubs, 'hubs');
    expect(no.missing?.kind).toBe('gateway-transit-not-allowed');
    expect(no.missing?.resourceId).toBe(peeringId(HUB, s2));
  });

  it('AVNM mesh connects without peerings; access disabled and unconnected peerings are named', () => {
    const mesh = explain([...hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'] }, { name: 'spoke2', prefixes: ['10.2.0.0/16'] }]), ...meshGroup('ng', [s1, s2])]);
    expect(mesh.path?.kind).toBe('mesh');
    const off = explain(hubAndSpokes([
      { name: 'spoke1', prefixes: ['10.1.0.0/16'], peerings: [{ remote: s2 }] },
      { name: 'spoke2', prefixes: ['10.2.0.0/16'], peerings: [{ remote: s1, allowVirtualNetworkAccess: false }] },
    ]));
    expect(off.missing?.kind).toBe('access-disabled');
    // Access off narrows the VirtualNetwork service tag only: an explicit NSG allow still passes.
    expect(off.missing?.message).toContain("traffic is blocked unless an NSG rule allows the peer's addresses explicitly (NSGs are not read)");
    const initiated = explain(hubAndSpokes([
      { name: 'spoke1', prefixes: ['10.1.0.0/16'], peerings: [{ remote: s2, state: 'Initiated' }] },
      { name: 'spoke2', prefixes: ['10.2.0.0/16'] },
    ]));
    expect(initiated.missing?.kind).toBe('peering-not-connected');
  });

  it('a subnet peering between two members of a mesh group takes precedence: the unpeered subnets are cut off', () => {
    // how-to-configure-subnet-peering: "subnet peering takes preference and the connectivity between
    // nonpeered subnets gets dropped".
    const subnetPeering = (remote: string) => ({ remote, peerCompleteVnets: false, localSubnetNames: ['snet-app'], remoteSubnetNames: ['snet-app'] });
    const resources = [
      ...hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], subnets: [{ name: 'snet-app', prefix: '10.1.0.0/24' }], peerings: [subnetPeering(s2)] },
        {
          name: 'spoke2',
          prefixes: ['10.2.0.0/16'],
          subnets: [{ name: 'snet-app', prefix: '10.2.0.0/24' }, { name: 'snet-db', prefix: '10.2.1.0/24' }],
          peerings: [subnetPeering(s1)],
        },
      ]),
      ...meshGroup('ng', [s1, s2]),
    ];
    const v = explain(resources);
    expect(v.reachable).toBe(false);
    expect(v.missing?.message).toContain('"spoke2"');
  });

  it('subnet peering: only the named subnets are reachable through the hub', () => {
    const v = explain(hubAndSpokes([
      { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()] },
      {
        name: 'spoke2',
        prefixes: ['10.2.0.0/16'],
        subnets: [{ name: 'snet-app', prefix: '10.2.0.0/24' }, { name: 'snet-db', prefix: '10.2.1.0/24' }],
        toHub: { peerCompleteVnets: false, localSubnetNames: ['snet-app'], remoteSubnetNames: ['AzureFirewallSubnet'] },
        fromHub: { peerCompleteVnets: false, localSubnetNames: ['AzureFirewallSubnet'], remoteSubnetNames: ['snet-app'] },
      },
    ]));
    expect(v.missing?.kind).toBe('no-route');
    expect(v.missing?.message).toContain('"vnet-hub" reaches only part of "spoke2"');
  });

  it('via firewall: a direct peering is a path, but not through the firewall', () => {
    const v = explain(hubAndSpokes([
      { name: 'spoke1', prefixes: ['10.1.0.0/16'], peerings: [{ remote: s2 }] },
      { name: 'spoke2', prefixes: ['10.2.0.0/16'], peerings: [{ remote: s1 }] },
    ]), s1, s2, 'firewall');
    expect(v.missing?.kind).toBe('not-through-appliance');
  });
});

describe('reachability: IP versions', () => {
  // A VNet sends packets of an IP version only from addresses of that version: C's prefixes of a
  // version are judged only when A has space of that version, and so on the way back.
  const v6Default = { name: 'default6', prefix: '::/0', nextHopType: 'VirtualAppliance', nextHopIp: FIREWALL_IP6 };
  const estate = (spoke2Routes = [viaFirewall(), v6Default], spoke2Prefixes = ['10.2.0.0/16', 'fd02::/48']) =>
    hubAndSpokes([
      { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()] },
      { name: 'spoke2', prefixes: spoke2Prefixes, routes: spoke2Routes },
    ]);

  it('an IPv4-only spoke reaches a dual-stack spoke through the firewall, both ways, without a way to its IPv6 space', () => {
    for (const routes of [[viaFirewall(), v6Default], [viaFirewall()]]) {
      expect(describeVerdict(explain(estate(routes)))).toBe('reachable: "spoke1" → firewall "afw-vnet-hub" in "vnet-hub" → "spoke2"');
      expect(describeVerdict(explain(estate(routes), s2, s1))).toBe('reachable: "spoke2" → firewall "afw-vnet-hub" in "vnet-hub" → "spoke1"');
    }
  });

  it('a dual-stack spoke still needs a way to the IPv6 space of another dual-stack spoke', () => {
    const resources = hubAndSpokes([
      { name: 'spoke1', prefixes: ['10.1.0.0/16', 'fd01::/48'], routes: [viaFirewall()] },
      { name: 'spoke2', prefixes: ['10.2.0.0/16', 'fd02::/48'], routes: [viaFirewall(), v6Default] },
    ]);
    expect(explain(resources).missing?.message).toContain('sends fd02::/48 nowhere');
  });

  it('an IPv4-only spoke and an IPv6-only spoke share no IP version: no address space to reach', () => {
    const v = explain(estate([v6Default], ['fd02::/48']));
    expect(v.missing).toMatchObject({ kind: 'no-address-space', resourceId: s2 });
    expect(v.missing?.message).toBe('"spoke2" has no address space of the IP version of "spoke1": "spoke1" has IPv4 space only, "spoke2" IPv6.');
  });
});
