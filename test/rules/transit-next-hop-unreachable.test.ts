import { describe, expect, it } from 'vitest';
import { runAudit } from '../../src/engine/audit';
import { DEFAULT_CONFIG } from '../../src/engine/config';
import { transitNextHopUnreachable } from '../../src/rules/transit-next-hop-unreachable';
import { SUB_A, SUB_B, SUB_C, nva, routeTable, topologyOf, vnet, vnetId } from '../support/estate';
import { ruleTester } from '../support/rule-tester';
import { FIREWALL_IP6, HUB, hubAndSpokes, meshGroup, peeringId, routeTableId, spokeId, viaFirewall } from '../support/transit';

const s1 = spokeId('spoke1');
const s2 = spokeId('spoke2');
const other = vnetId('vnet-other', SUB_A);
const routeId = (spoke: string, name: string) => `${routeTableId(spoke)}/routes/${name}`;
const to = (ip: string, name = 'default', prefix = '0.0.0.0/0') => ({ name, prefix, nextHopType: 'VirtualAppliance', nextHopIp: ip });

ruleTester(transitNextHopUnreachable, {
  valid: [
    {
      name: 'next hop in a peer (the hub firewall)',
      resources: hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()] }]),
    },
    {
      name: 'next hop in the VNet itself (an NVA in its own subnet)',
      resources: [
        ...hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [to('10.1.0.68')] }]),
        nva('nic-nva', s1, 'snet-app', '10.1.0.68'),
      ],
    },
    {
      name: "peer not read (another tenant): the peering's remoteAddressSpace holds the IP",
      resources: [
        vnet({
          id: s1,
          prefixes: ['10.1.0.0/16'],
          subnets: [{ name: 'snet-app', prefix: '10.1.0.0/24', routeTable: routeTableId('spoke1') }],
          peerings: [{ remote: vnetId('vnet-partner', SUB_C), remoteAddressSpace: ['10.50.0.0/16'] }],
        }),
        routeTable('rt-spoke1', SUB_B, 'rg-spoke1', [to('10.50.1.4')]),
      ],
    },
    {
      name: 'next hop in a range the hub added, once the peering is synced',
      resources: hubAndSpokes(
        [{ name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [to('10.9.0.4', 'via-nva')], toHub: { remoteAddressSpace: ['10.0.0.0/16', '10.9.0.0/16'] } }],
        { prefixes: ['10.0.0.0/16', '10.9.0.0/16'] },
      ),
    },
    {
      name: 'a route table associated with no subnet routes nothing',
      resources: [
        vnet({ id: s1, prefixes: ['10.1.0.0/16'], subnets: [{ name: 'snet-app', prefix: '10.1.0.0/24' }] }),
        routeTable('rt-spoke1', SUB_B, 'rg-spoke1', [to('192.168.0.4')]),
      ],
    },
    {
      name: 'routes to other next-hop types are not judged here',
      resources: hubAndSpokes([
        {
          name: 'spoke1',
          prefixes: ['10.1.0.0/16'],
          routes: [
            { prefix: '0.0.0.0/0', nextHopType: 'Internet' },
            { prefix: '192.168.0.0/16', nextHopType: 'VirtualNetworkGateway' },
            { prefix: '172.16.0.0/12', nextHopType: 'None' },
          ],
        },
      ]),
    },
    {
      name: 'next hop in an AVNM mesh member (connected without a peering)',
      resources: [
        ...hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [to('10.9.0.4')], unpeered: true }]),
        vnet({ id: other, prefixes: ['10.9.0.0/16'] }),
        ...meshGroup('ng-all', [s1, other]),
      ],
    },
    {
      name: 'IPv6 next hop in the hub',
      resources: hubAndSpokes([{ name: 'spoke1', prefixes: ['fd00:1::/48'], routes: [to(FIREWALL_IP6, 'default6', '::/0')] }]),
    },
    {
      name: 'ids differ only in case between subnet, table and peering',
      resources: [
        vnet({
          id: s1,
          prefixes: ['10.1.0.0/16'],
          subnets: [{ name: 'snet-app', prefix: '10.1.0.0/24', routeTable: routeTableId('spoke1').toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/') }],
          peerings: [{ remote: HUB.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/') }],
        }),
        vnet({ id: HUB, prefixes: ['10.0.0.0/16'], peerings: [{ remote: s1.toLowerCase() }] }),
        routeTable('rt-spoke1', SUB_B, 'rg-spoke1', [viaFirewall()]),
      ],
    },
  ],
  invalid: [
    {
      name: 'next hop in a VNet that exists but is not peered',
      resources: [
        ...hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [to('10.9.0.4', 'to-other')] }]),
        vnet({ id: other, prefixes: ['10.9.0.0/16'] }),
      ],
      findings: [
        {
          resourceId: routeId('spoke1', 'to-other'),
          relatedResourceIds: [routeTableId('spoke1'), s1],
          messageIncludes: ['Route "to-other" (0.0.0.0/0 to virtual appliance 10.9.0.4)', 'route table "rt-spoke1"', 'VNet "spoke1" (subscription', 'points at 10.9.0.4'],
          fix: null,
        },
      ],
    },
    {
      name: 'next hop in a range the hub gave up, which the unsynced peering still lists: no VNet holds it',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [to('10.9.0.4', 'via-nva')], toHub: { remoteAddressSpace: ['10.0.0.0/16', '10.9.0.0/16'], syncLevel: 'LocalNotInSync' } },
      ]),
      findings: [{ resourceId: routeId('spoke1', 'via-nva'), messageIncludes: ['points at 10.9.0.4', 'nor in any VNet peered with it'] }],
    },
    {
      name: 'next hop that no VNet holds, beside a good route',
      resources: hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall(), to('192.168.255.4', 'onprem', '192.168.0.0/16')] }]),
      findings: [{ resourceId: routeId('spoke1', 'onprem'), messageIncludes: ['192.168.0.0/16', '192.168.255.4'] }],
    },
    {
      name: 'IPv6 next hop outside every peer',
      resources: hubAndSpokes([{ name: 'spoke1', prefixes: ['fd00:1::/48'], routes: [to('fd00:99::4', 'default6', '::/0')] }]),
      findings: [{ resourceId: routeId('spoke1', 'default6'), messageIncludes: ['fd00:99::4'] }],
    },
    {
      name: 'subnet peering: the appliance sits in a subnet of the hub that is not peered',
      resources: hubAndSpokes([
        {
          name: 'spoke1',
          prefixes: ['10.1.0.0/16'],
          routes: [viaFirewall()],
          toHub: { peerCompleteVnets: false, localSubnetNames: ['snet-app'], remoteSubnetNames: ['snet-shared'] },
          fromHub: { peerCompleteVnets: false, localSubnetNames: ['snet-shared'], remoteSubnetNames: ['snet-app'] },
        },
      ], {
        subnets: [
          { name: 'AzureFirewallSubnet', prefix: '10.0.1.0/26' },
          { name: 'snet-shared', prefix: '10.0.2.0/24' },
        ],
      }),
      findings: [{ resourceId: routeId('spoke1', 'default') }],
    },
    {
      name: 'next hop in a range the hub added and the peering has not synced: the peering is named',
      resources: hubAndSpokes(
        [{ name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [to('10.9.0.4', 'via-nva')], toHub: { remoteAddressSpace: ['10.0.0.0/16'], syncLevel: 'LocalNotInSync' } }],
        { prefixes: ['10.0.0.0/16', '10.9.0.0/16'] },
      ),
      findings: [
        {
          resourceId: routeId('spoke1', 'via-nva'),
          relatedResourceIds: [routeTableId('spoke1'), s1, peeringId(s1, HUB)],
          messageIncludes: [
            'points at 10.9.0.4, which lies in "vnet-hub" but not in what peering "spoke1-to-vnet-hub" routes (the space as peered, 10.0.0.0/16: the peering is LocalNotInSync and must be synced)',
          ],
        },
      ],
    },
    {
      name: 'a table shared by two VNets is judged in each: only the one without the peer is told',
      resources: [
        ...hubAndSpokes([
          { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()] },
          { name: 'spoke2', prefixes: ['10.2.0.0/16'], unpeered: true, subnets: [{ name: 'snet-app', prefix: '10.2.0.0/24', routeTable: routeTableId('spoke1') }] },
        ]),
      ],
      findings: [{ resourceId: routeId('spoke1', 'default'), relatedResourceIds: [routeTableId('spoke1'), s2] }],
    },
  ],
});

describe('transit-next-hop-unreachable fingerprint', () => {
  it('is the route in its table and VNet: a peer coming to hold the next hop (unsynced) changes the message, not the finding', () => {
    const fingerprints = (hubPrefixes: string[]) => {
      const resources = hubAndSpokes(
        [{ name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [to('10.9.0.4', 'via-nva')], toHub: { remoteAddressSpace: ['10.0.0.0/16'], syncLevel: 'LocalNotInSync' } }],
        { prefixes: hubPrefixes },
      );
      return runAudit(topologyOf(resources), [transitNextHopUnreachable], DEFAULT_CONFIG, new Date('2026-11-26T00:00:00Z')).findings.map((f) => ({ message: f.message, fingerprint: f.fingerprint }));
    };
    const [nowhere] = fingerprints(['10.0.0.0/16']);
    const [inTheHub] = fingerprints(['10.0.0.0/16', '10.9.0.0/16']);
    expect(nowhere?.message).toMatch(/which lies neither in "[^"]+" nor in any VNet peered with it/);
    expect(inTheHub?.message).toContain('which lies in "vnet-hub"');
    expect(inTheHub?.fingerprint).toBe(nowhere?.fingerprint);
  });
});
