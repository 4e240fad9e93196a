import { describe, expect, it } from 'vitest';
import type { RawResource } from '../../src/model/snapshot';
import { peeringAddressOverlap } from '../../src/rules/peering-address-overlap';
import { SUB_A, SUB_B, SUB_C, peeredPair, vnet, vnetId } from '../support/estate';
import { evaluateRule, ruleTester } from '../support/rule-tester';

const hub = vnetId('vnet-hub', SUB_A);
const spoke = vnetId('vnet-spoke1', SUB_B);
const outside = vnetId('vnet-partner', SUB_C);
const hubToSpoke = `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-spoke1`;
const spokeToHub = `${spoke}/virtualNetworkPeerings/vnet-spoke1-to-vnet-hub`;

/** The estate builder has no `enableOnlyIPv6Peering`: set it on every peering of the VNet resources. */
function ipv6Only(resources: RawResource[]): RawResource[] {
  for (const r of resources) {
    for (const p of (r.properties?.virtualNetworkPeerings ?? []) as Array<{ properties: Record<string, unknown> }>) {
      p.properties.enableOnlyIPv6Peering = true;
    }
  }
  return resources;
}

/** A hub peered both ways with `count` spokes of disjoint /24s. */
function hubWithSpokes(count: number): RawResource[] {
  const spokes = Array.from({ length: count }, (_, i) => ({
    id: vnetId(`spoke-${i}`, SUB_B, 'rg-spokes'),
    prefixes: [`10.${1 + Math.floor(i / 256)}.${i % 256}.0/24`, `fd00:${(i + 1).toString(16)}::/64`],
  }));
  return [
    vnet({ id: hub, prefixes: ['10.0.0.0/16', 'fd00::/64'], peerings: spokes.map((s) => ({ remote: s.id })) }),
    ...spokes.map((s) => vnet({ ...s, peerings: [{ remote: hub }] })),
  ];
}

ruleTester(peeringAddressOverlap, {
  valid: [
    {
      name: 'disjoint dual-stack spaces with several prefixes',
      resources: peeredPair(
        { id: hub, prefixes: ['10.0.0.0/16', '172.16.0.0/20', 'fd00:0:0:1::/64'] },
        { id: spoke, prefixes: ['10.1.0.0/16', '172.16.16.0/20', 'fd00:0:0:2::/64'] },
      ),
    },
    {
      name: 'IPv4 and IPv6 never overlap each other (::ffff:10.0.0.0/104 is not 10.0.0.0/8)',
      resources: peeredPair({ id: hub, prefixes: ['10.0.0.0/8'] }, { id: spoke, prefixes: ['::ffff:10.0.0.0/104'] }),
    },
    {
      // how-to-configure-subnet-peering's example: 10.1.0.0/16 is in both VNets, but no subnet of it is peered.
      name: 'subnet peering: an address space present in both VNets holds no peered subnet',
      resources: peeredPair(
        { id: hub, prefixes: ['10.1.0.0/16', '10.0.0.0/16'], subnets: [{ name: 'Subnet1', prefix: '10.1.1.0/24' }, { name: 'Subnet4', prefix: '10.0.1.0/24' }] },
        { id: spoke, prefixes: ['10.1.0.0/16', '10.6.0.0/16'], subnets: [{ name: 'Subnet5', prefix: '10.6.1.0/24' }, { name: 'Subnet6', prefix: '10.1.1.0/24' }] },
        { peerCompleteVnets: false, localSubnetNames: ['subnet4'], remoteSubnetNames: ['SUBNET5'] },
        { peerCompleteVnets: false, localSubnetNames: ['subnet5'], remoteSubnetNames: ['SUBNET4'] },
      ),
    },
    {
      name: 'subnet peering, remote not read: the recorded peered subnets count, not the whole remote space',
      resources: [
        vnet({
          id: hub,
          prefixes: ['10.0.0.0/16'],
          subnets: [{ name: 'app', prefix: '10.0.1.0/24' }],
          peerings: [
            {
              remote: outside,
              peerCompleteVnets: false,
              localSubnetNames: ['app'],
              remoteSubnetNames: ['db'],
              remoteAddressSpace: ['10.5.0.0/24'],
              remoteVirtualNetworkAddressSpace: ['10.0.0.0/8'],
            },
          ],
        }),
      ],
    },
    {
      name: 'subnet peering, remote read without subnets and no recorded peered space: its whole space does not stand in for its peered subnets',
      resources: [
        vnet({
          id: hub,
          prefixes: ['10.0.0.0/16', '172.16.0.0/16'],
          subnets: [{ name: 'App', prefix: '10.0.1.0/24' }],
          peerings: [{ remote: spoke, peerCompleteVnets: false, localSubnetNames: ['App'], remoteSubnetNames: ['Db'], remoteVirtualNetworkAddressSpace: ['172.16.0.0/16', '10.9.0.0/16'] }],
        }),
        vnet({ id: spoke, prefixes: ['172.16.0.0/16', '10.9.0.0/16'] }),
      ],
    },
    {
      name: 'IPv6-only peering: overlapping IPv4 is not peered',
      resources: ipv6Only(peeredPair({ id: hub, prefixes: ['10.0.0.0/16', 'fd00:1::/48'] }, { id: spoke, prefixes: ['10.0.0.0/16', 'fd00:2::/48'] })),
    },
    {
      name: 'remote VNet missing is peering-remote-vnet-missing, whatever it recorded',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: vnetId('gone', SUB_A), remoteVirtualNetworkAddressSpace: ['10.0.0.0/8'] }] })],
    },
    {
      name: 'remote not read, recorded space disjoint',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: outside, remoteVirtualNetworkAddressSpace: ['10.9.0.0/16'] }] })],
    },
    {
      name: 'a hub with 400 disjoint spokes',
      resources: hubWithSpokes(400),
    },
  ],
  invalid: [
    {
      name: 'overlap reported once per pair, on the side whose VNet sorts first (not the first listed)',
      resources: [
        vnet({ id: vnetId('vnet-b', SUB_B), prefixes: ['10.0.0.0/16'], peerings: [{ remote: vnetId('vnet-a', SUB_A) }] }),
        vnet({ id: vnetId('vnet-a', SUB_A), prefixes: ['10.0.128.0/17'], peerings: [{ remote: vnetId('vnet-b', SUB_B) }] }),
      ],
      findings: [
        {
          resourceId: `${vnetId('vnet-a', SUB_A)}/virtualNetworkPeerings/vnet-a-to-vnet-b`,
          relatedResourceIds: [vnetId('vnet-a', SUB_A), vnetId('vnet-b', SUB_B), `${vnetId('vnet-b', SUB_B)}/virtualNetworkPeerings/vnet-b-to-vnet-a`],
          messageIncludes: ['"vnet-a"', '"vnet-b"', '10.0.128.0/17 ("vnet-a") with 10.0.0.0/16 ("vnet-b")'],
          fix: null,
        },
      ],
    },
    {
      name: 'multi-prefix dual-stack: only the IPv6 prefixes overlap',
      resources: peeredPair(
        { id: hub, prefixes: ['10.0.0.0/16', 'fd00:0:0:1::/64'] },
        { id: spoke, prefixes: ['10.1.0.0/16', '192.168.0.0/24', 'fd00::/48'] },
      ),
      findings: [{ resourceId: hubToSpoke, messageIncludes: ['fd00:0:0:1::/64 ("vnet-hub") with fd00::/48 ("vnet-spoke1")'] }],
    },
    {
      name: 'the same prefix on both sides, and a second overlap',
      resources: peeredPair({ id: hub, prefixes: ['10.0.0.0/16', '10.8.0.0/16'] }, { id: spoke, prefixes: ['10.0.0.0/16', '10.8.4.0/24'] }),
      findings: [{ resourceId: hubToSpoke, messageIncludes: ['10.0.0.0/16 (in both); 10.8.0.0/16 ("vnet-hub") with 10.8.4.0/24 ("vnet-spoke1")'] }],
    },
    {
      name: 'only the later-sorting side has a peering: reported there',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'] }), vnet({ id: spoke, prefixes: ['10.0.5.0/24'], peerings: [{ remote: hub, state: 'Initiated' }] })],
      findings: [{ resourceId: spokeToHub, relatedResourceIds: [spoke, hub] }],
    },
    {
      name: 'ids differ only in case between the sides: still one finding',
      resources: [
        vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/') }] }),
        vnet({ id: spoke, prefixes: ['10.0.0.0/24'], peerings: [{ remote: hub.toLowerCase() }] }),
      ],
      findings: [{ resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-VNET-SPOKE1` }],
    },
    {
      name: 'remote not read: its current space as the peering recorded it',
      resources: [
        vnet({
          id: hub,
          prefixes: ['10.0.0.0/16'],
          peerings: [{ remote: outside, remoteAddressSpace: ['10.9.0.0/16'], remoteVirtualNetworkAddressSpace: ['10.9.0.0/16', '10.0.200.0/24'] }],
        }),
      ],
      findings: [{ resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-partner`, messageIncludes: ['10.0.0.0/16 ("vnet-hub") with 10.0.200.0/24 ("vnet-partner")'] }],
    },
    {
      name: 'remote not read, only the peered space recorded',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: outside, remoteAddressSpace: ['10.0.0.0/8'] }] })],
      findings: [{ resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-partner` }],
    },
    {
      name: 'subnet peering: the peered subnets do not overlap, but the address space holding one is in both VNets',
      resources: peeredPair(
        { id: hub, prefixes: ['10.0.0.0/16'], subnets: [{ name: 'App', prefix: '10.0.1.0/24' }, { name: 'Shared', prefix: '10.0.2.0/24' }] },
        { id: spoke, prefixes: ['10.0.0.0/16'], subnets: [{ name: 'Db', prefix: '10.0.3.0/24' }, { name: 'Shared', prefix: '10.0.2.0/24' }] },
        { peerCompleteVnets: false, localSubnetNames: ['app'], remoteSubnetNames: ['DB'] },
        { peerCompleteVnets: false, localSubnetNames: ['db'], remoteSubnetNames: ['APP'] },
      ),
      findings: [{ resourceId: hubToSpoke, messageIncludes: ['peers subnets whose address spaces are not unique to one VNet: 10.0.0.0/16 (in both).'] }],
    },
    {
      // how-to-configure-subnet-peering's example, with Subnet1 of 10.1.0.0/16 peered.
      name: 'subnet peering: a peered subnet of one VNet lies in a space the other VNet also has',
      resources: peeredPair(
        { id: hub, prefixes: ['10.1.0.0/16', '10.0.0.0/16'], subnets: [{ name: 'Subnet1', prefix: '10.1.1.0/24' }, { name: 'Subnet4', prefix: '10.0.1.0/24' }] },
        { id: spoke, prefixes: ['10.1.0.0/16', '10.6.0.0/16'], subnets: [{ name: 'Subnet5', prefix: '10.6.1.0/24' }] },
        { peerCompleteVnets: false, localSubnetNames: ['Subnet1'], remoteSubnetNames: ['Subnet5'] },
        { peerCompleteVnets: false, localSubnetNames: ['Subnet5'], remoteSubnetNames: ['Subnet1'] },
      ),
      findings: [{ resourceId: hubToSpoke, messageIncludes: ['not unique to one VNet: 10.1.0.0/16 (in both).'] }],
    },
    {
      name: 'subnet peering: the other side\'s peered subnet lies in a space that overlaps this VNet\'s',
      resources: peeredPair(
        { id: hub, prefixes: ['10.0.0.0/16', '172.16.0.0/16'], subnets: [{ name: 'App', prefix: '10.0.1.0/24' }] },
        { id: spoke, prefixes: ['10.1.0.0/16', '172.16.128.0/17'], subnets: [{ name: 'Db', prefix: '172.16.130.0/24' }] },
        { peerCompleteVnets: false, localSubnetNames: ['App'], remoteSubnetNames: ['Db'] },
        { peerCompleteVnets: false, localSubnetNames: ['Db'], remoteSubnetNames: ['App'] },
      ),
      findings: [{ resourceId: hubToSpoke, messageIncludes: ['not unique to one VNet: 172.16.0.0/16 ("vnet-hub") with 172.16.128.0/17 ("vnet-spoke1").'] }],
    },
    {
      name: 'subnet peering: the named subnets overlap (names match case-insensitively)',
      resources: peeredPair(
        { id: hub, prefixes: ['10.0.0.0/16'], subnets: [{ name: 'App', prefix: '10.0.1.0/24' }, { name: 'Other', prefix: '10.0.9.0/24' }] },
        { id: spoke, prefixes: ['10.0.0.0/16'], subnets: [{ name: 'Db', prefix: ['10.0.1.128/25', 'fd00::/64'] }] },
        { peerCompleteVnets: false, localSubnetNames: ['APP'], remoteSubnetNames: ['db'] },
        { peerCompleteVnets: false, localSubnetNames: ['DB'], remoteSubnetNames: ['app'] },
      ),
      findings: [{ resourceId: hubToSpoke, messageIncludes: ['10.0.1.0/24 ("vnet-hub") with 10.0.1.128/25 ("vnet-spoke1")'] }],
    },
    {
      name: 'the first side is chosen by key, not by id casing (uppercase sorts before lowercase)',
      resources: peeredPair({ id: vnetId('Zeta', SUB_A, 'rg'), prefixes: ['10.0.0.0/16'] }, { id: vnetId('alpha', SUB_A, 'rg'), prefixes: ['10.0.0.0/16'] }),
      findings: [{ resourceId: `${vnetId('alpha', SUB_A, 'rg')}/virtualNetworkPeerings/alpha-to-Zeta`, messageIncludes: ['10.0.0.0/16 (in both)'] }],
    },
    {
      name: 'subnet peering, remote read without its subnets: the recorded peered subnets count',
      resources: [
        vnet({
          id: hub,
          prefixes: ['10.0.0.0/16'],
          subnets: [{ name: 'app', prefix: '10.0.1.0/24' }],
          peerings: [{ remote: spoke, peerCompleteVnets: false, localSubnetNames: ['app'], remoteSubnetNames: ['db'], remoteAddressSpace: ['10.0.1.0/26'] }],
        }),
        vnet({ id: spoke, prefixes: ['10.0.0.0/16'] }),
      ],
      findings: [{ resourceId: hubToSpoke, messageIncludes: ['10.0.1.0/24 ("vnet-hub") with 10.0.1.0/26 ("vnet-spoke1")'] }],
    },
    {
      name: 'IPv6-only peering: the IPv6 prefixes overlap',
      resources: ipv6Only(peeredPair({ id: hub, prefixes: ['10.0.0.0/16', 'fd00:1::/48'] }, { id: spoke, prefixes: ['10.0.0.0/16', 'fd00:1:0:2::/64'] })),
      findings: [{ resourceId: hubToSpoke, messageIncludes: ['fd00:1::/48 ("vnet-hub") with fd00:1:0:2::/64 ("vnet-spoke1")'] }],
    },
    {
      name: 'a hub with 400 spokes, one of which overlaps',
      resources: [
        ...hubWithSpokes(400),
        vnet({ id: vnetId('late', SUB_C), prefixes: ['10.0.7.0/24'], peerings: [{ remote: hub }] }),
      ],
      findings: [{ resourceId: `${vnetId('late', SUB_C)}/virtualNetworkPeerings/late-to-vnet-hub` }],
    },
  ],
});

describe('peering-address-overlap identity', () => {
  it('names the pair, so the fingerprint stays when the finding moves to the other side', () => {
    const both = evaluateRule(peeringAddressOverlap, {
      name: 'both',
      resources: peeredPair({ id: hub, prefixes: ['10.0.0.0/16'] }, { id: spoke, prefixes: ['10.0.0.0/24'] }),
    });
    const spokeOnly = evaluateRule(peeringAddressOverlap, {
      name: 'spoke only',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'] }), vnet({ id: spoke, prefixes: ['10.0.0.0/24'], peerings: [{ remote: hub.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/'), name: 'vnet-spoke1-to-vnet-hub' }] })],
    });
    expect(both.map((f) => f.resourceId)).toEqual([hubToSpoke]);
    expect(spokeOnly.map((f) => f.resourceId)).toEqual([spokeToHub]);
    expect(spokeOnly[0]?.identity).toEqual(both[0]?.identity);
  });
});
