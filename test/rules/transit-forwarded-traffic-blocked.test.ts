import { expect } from 'vitest';
import { transitForwardedTrafficBlocked } from '../../src/rules/transit-forwarded-traffic-blocked';
import type { FixPlan } from '../../src/rules/rule';
import { ruleTester } from '../support/rule-tester';
import { FIREWALL_IP6, HUB, hubAndSpokes, meshGroup, peeringId, routeTableId, spokeId, viaFirewall, viaGateway, vpnHubAndSpokes } from '../support/transit';

const s1 = spokeId('spoke1');
const s2 = spokeId('spoke2');
const s3 = spokeId('spoke3');
const toHub = (spoke: string) => peeringId(spoke, HUB);
const blocked = { allowForwardedTraffic: false };

const enablesForwarding = (spoke: string, extra: Record<string, unknown> = {}) => (fix: FixPlan) => {
  expect(fix.operations).toHaveLength(1);
  const op = fix.operations[0]!;
  expect(op.method).toBe('PUT');
  expect(op.resourceId).toBe(toHub(spoke));
  expect(op.body).toEqual({
    properties: {
      allowVirtualNetworkAccess: true,
      allowForwardedTraffic: true,
      allowGatewayTransit: false,
      useRemoteGateways: false,
      remoteVirtualNetwork: { id: HUB },
      ...extra,
    },
  });
};

ruleTester(transitForwardedTrafficBlocked, {
  valid: [
    {
      name: 'forwarded traffic allowed on both spokes, default routes both ways',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: [viaFirewall()] },
      ]),
    },
    {
      name: 'no route through the hub: nothing is forwarded, the missing flag is harmless',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], toHub: blocked },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'], toHub: blocked },
      ]),
    },
    {
      name: "the sender's own peering needs no flag (its packets are not forwarded when they enter the hub)",
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()], toHub: blocked },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'] },
      ]),
    },
    {
      name: 'longest prefix wins: a more specific route to None keeps the traffic from the firewall',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall(), { name: 'drop', prefix: '10.2.0.0/16', nextHopType: 'None' }] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'], toHub: blocked },
      ]),
    },
    {
      name: 'spokes peered directly: the peering route beats the default route to the firewall',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()], peerings: [{ remote: s2 }] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'], toHub: blocked, peerings: [{ remote: s1 }] },
      ]),
    },
    {
      name: 'spokes in one AVNM mesh group',
      resources: [
        ...hubAndSpokes([
          { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()] },
          { name: 'spoke2', prefixes: ['10.2.0.0/16'], toHub: blocked },
        ]),
        ...meshGroup('ng-spokes', [s1, s2]),
      ],
    },
    {
      name: 'a destination whose link to the hub is not usable is left to the lifecycle rules',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'], toHub: { ...blocked, state: 'Disconnected' } },
      ]),
    },
    {
      name: 'a route to an IPv6 appliance does not carry IPv4 traffic',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16', 'fd00:1::/48'], routes: [{ prefix: '::/0', nextHopType: 'VirtualAppliance', nextHopIp: FIREWALL_IP6 }] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'], toHub: blocked },
      ]),
    },
    {
      name: "routes to the hub's VPN gateway need no forwarded traffic (virtual-network-manage-peering)",
      resources: vpnHubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaGateway('10.2.0.0/16')], toHub: blocked },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: [viaGateway('10.1.0.0/16')], toHub: blocked },
      ]),
    },
  ],
  invalid: [
    {
      name: "the VPN gateway carries part of the far spoke, the hub's appliance the rest: the appliance's part is dropped",
      resources: vpnHubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaGateway('10.2.0.0/17', 'half'), viaFirewall('10.2.0.0/16', 'rest')] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'], toHub: blocked },
      ]),
      findings: [{ resourceId: toHub(s2), messageIncludes: ['Route "rest" (10.2.0.0/16 to 10.0.1.4)'] }],
    },
    {
      name: 'spokes in one mesh group, but subnet-peered: the subnet peering takes precedence, the rest goes through the hub',
      resources: [
        ...hubAndSpokes([
          {
            name: 'spoke1',
            prefixes: ['10.1.0.0/16'],
            routes: [viaFirewall()],
            peerings: [{ remote: s2, peerCompleteVnets: false, localSubnetNames: ['snet-app'], remoteSubnetNames: ['snet-app'] }],
          },
          {
            name: 'spoke2',
            prefixes: ['10.2.0.0/16'],
            subnets: [{ name: 'snet-app', prefix: '10.2.0.0/24' }, { name: 'snet-db', prefix: '10.2.1.0/24' }],
            toHub: blocked,
            peerings: [{ remote: s1, peerCompleteVnets: false, localSubnetNames: ['snet-app'], remoteSubnetNames: ['snet-app'] }],
          },
        ]),
        ...meshGroup('ng-spokes', [s1, s2]),
      ],
      findings: [{ resourceId: toHub(s2), messageIncludes: ['does not allow forwarded traffic'] }],
    },
    {
      name: 'a default route to the hub firewall, forwarded traffic missing on the far spoke',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'], toHub: blocked },
      ]),
      findings: [
        {
          resourceId: toHub(s2),
          relatedResourceIds: [routeTableId('spoke1'), s1, HUB],
          messageIncludes: [
            'Route "default" (0.0.0.0/0 to 10.0.1.4) in route table "rt-spoke1" of VNet "spoke1"',
            'traffic for VNet "spoke2"',
            'appliance in hub VNet "vnet-hub"',
            'peering "spoke2-to-vnet-hub" from VNet "spoke2"',
            'does not allow forwarded traffic',
          ],
          fix: enablesForwarding(s2),
        },
      ],
    },
    {
      name: 'default routes both ways, forwarded traffic missing on both sides: each peering is reported',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()], toHub: blocked },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: [viaFirewall()], toHub: blocked },
      ]),
      findings: [
        { resourceId: toHub(s1), relatedResourceIds: [routeTableId('spoke2'), s2, HUB], fix: enablesForwarding(s1) },
        { resourceId: toHub(s2), relatedResourceIds: [routeTableId('spoke1'), s1, HUB], fix: enablesForwarding(s2) },
      ],
    },
    {
      name: 'several senders, one receiving peering: reported once, the others counted',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: [viaFirewall()] },
        { name: 'spoke3', prefixes: ['10.3.0.0/16'], toHub: blocked },
      ]),
      findings: [{ resourceId: toHub(s3), relatedResourceIds: [routeTableId('spoke1'), s1, HUB], messageIncludes: ['1 more VNet routes to it'] }],
    },
    {
      name: 'several senders, the one with the greater id read first: the sender with the least id is still the one named',
      resources: hubAndSpokes([
        { name: 'spoke3', prefixes: ['10.3.0.0/16'], toHub: blocked },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: [viaFirewall()] },
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()] },
      ]),
      findings: [{ resourceId: toHub(s3), relatedResourceIds: [routeTableId('spoke1'), s1, HUB], messageIncludes: ['1 more VNet routes to it'] }],
    },
    {
      name: 'a specific route that covers only part of the far spoke still has its packets dropped',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall('10.2.128.0/17', 'to-spoke2-hi')] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'], toHub: blocked },
      ]),
      findings: [{ resourceId: toHub(s2), messageIncludes: ['Route "to-spoke2-hi" (10.2.128.0/17 to 10.0.1.4)'] }],
    },
    {
      name: 'IPv6: a default route to the firewall\'s IPv6 address',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['fd00:1::/48'], routes: [{ name: 'default6', prefix: '::/0', nextHopType: 'VirtualAppliance', nextHopIp: FIREWALL_IP6 }] },
        { name: 'spoke2', prefixes: ['fd00:2::/48'], toHub: blocked },
      ]),
      findings: [{ resourceId: toHub(s2), messageIncludes: ['(::/0 to fd00:0:0:1::4)'] }],
    },
    {
      name: 'ids differ only in case; the fix keeps the remote id as read',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()], toHub: { remote: HUB.toLowerCase() } },
        {
          name: 'spoke2',
          prefixes: ['10.2.0.0/16'],
          toHub: { ...blocked, remote: HUB.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/'), name: 'spoke2-to-vnet-hub' },
          fromHub: { remote: s2.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/') },
        },
      ]),
      findings: [
        {
          resourceId: toHub(s2),
          fix: (fix) =>
            expect(fix.operations[0]?.body).toMatchObject({
              properties: { allowForwardedTraffic: true, remoteVirtualNetwork: { id: HUB.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/') } },
            }),
        },
      ],
    },
    {
      name: 'subnet peering: the fix keeps the subnet lists',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()] },
        {
          name: 'spoke2',
          prefixes: ['10.2.0.0/16'],
          subnets: [{ name: 'snet-app', prefix: '10.2.0.0/24' }],
          toHub: { ...blocked, peerCompleteVnets: false, localSubnetNames: ['snet-app'], remoteSubnetNames: ['AzureFirewallSubnet'] },
          fromHub: { peerCompleteVnets: false, localSubnetNames: ['AzureFirewallSubnet'], remoteSubnetNames: ['snet-app'] },
        },
      ]),
      findings: [
        {
          resourceId: toHub(s2),
          fix: enablesForwarding(s2, { peerCompleteVnets: false, localSubnetNames: ['snet-app'], remoteSubnetNames: ['AzureFirewallSubnet'] }),
        },
      ],
    },
  ],
});
