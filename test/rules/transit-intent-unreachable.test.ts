import { describe, expect, it } from 'vitest';
import { parseIntent } from '../../src/intent/schema';
import type { RawResource } from '../../src/model/snapshot';
import { transitIntentUnreachable } from '../../src/rules/transit-intent-unreachable';
import { SUB_A, gateway } from '../support/estate';
import { evaluateRule, ruleTester } from '../support/rule-tester';
import { FIREWALL_IP6, HUB, hubAndSpokes, meshGroup, noPropagation, peeringId, routeServerHub, routeTableId, spokeId, unreadTables, viaFirewall, viaGateway, vpnHubAndSpokes, type SpokeSpec } from '../support/transit';

const s1 = spokeId('spoke1');
const s2 = spokeId('spoke2');
const spokes = { names: ['spoke*'] };
const hubs = { names: ['vnet-hub'] };
const eachOther = parseIntent({ groups: { spokes }, statements: [{ name: 'spokes talk', 'reach-each-other': 'spokes', via: 'firewall' }] });
const onPrem = parseIntent({ groups: { spokes, hubs }, statements: [{ 'on-premises': { group: 'spokes', via: 'hubs' } }] });
const toHub = parseIntent({ groups: { spokes, hubs }, statements: [{ reach: { from: 'spokes', to: 'hubs' } }] });
const appOnly = { peerCompleteVnets: false, localSubnetNames: ['snet-app'], remoteSubnetNames: ['snet-app'] };
const anyWay = parseIntent({ groups: { spokes }, statements: [{ name: 'spokes talk', 'reach-each-other': 'spokes' }] });
/** QA s2: each spoke routes the other's space to the hub's VPN gateway, used through gateway transit. */
const throughGateway = (gateways?: Parameters<typeof vpnHubAndSpokes>[1]) =>
  vpnHubAndSpokes(
    [
      { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaGateway('10.2.0.0/16', 'to-spoke2')] },
      { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: [viaGateway('10.1.0.0/16', 'to-spoke1')] },
    ],
    gateways,
  );
const routed = [
  { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()] },
  { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: [viaFirewall()] },
];
/** QA c4: spoke1's first subnet has no table (the direct peering), its snet-app goes through the firewall, as spoke2 does. */
const firewallFromSecondSubnet = hubAndSpokes([
  {
    name: 'spoke1',
    prefixes: ['10.1.0.0/16'],
    routes: [viaFirewall('10.2.0.0/16', 'to-spoke2')],
    subnets: [{ name: 'snet-direct', prefix: '10.1.0.0/24' }, { name: 'snet-app', prefix: '10.1.1.0/24', routeTable: routeTableId('spoke1') }],
    peerings: [{ remote: s2 }],
  },
  { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: [viaFirewall('10.1.0.0/16', 'to-spoke1')], peerings: [{ remote: s1 }] },
]);
/** QA c11: spoke1 routes the hub's space to the hub firewall; the hub's workload subnet answers over the peering. */
const hubSpaceThroughFirewall = hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall('10.0.0.0/16', 'to-hub')] }], {
  prefixes: ['10.0.0.0/16'],
  subnets: [{ name: 'AzureFirewallSubnet', prefix: '10.0.1.0/26' }, { name: 'snet-shared', prefix: '10.0.2.0/24' }],
});
const ROUTE_SERVER_ID = `/subscriptions/${SUB_A}/resourceGroups/rg-vnet-hub/providers/Microsoft.Network/virtualHubs/rs-hub`;
const twoSpokes = [
  { name: 'spoke1', prefixes: ['10.1.0.0/16'] },
  { name: 'spoke2', prefixes: ['10.2.0.0/16'] },
];
/** spoke2's only workload subnet has a route table, without routes, that disables gateway (and so Route Server) route propagation. */
const spoke2LearnsNothing = (resources: RawResource[]): RawResource[] => noPropagation(resources, 'spoke2');
const bothWays = parseIntent({ groups: { spokes, hubs }, statements: [{ reach: { from: 'spokes', to: 'hubs' } }, { reach: { from: 'hubs', to: 'spokes' } }] });

ruleTester(transitIntentUnreachable, {
  valid: [
    { name: 'without an intent the rule is silent', resources: hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'] }, { name: 'spoke2', prefixes: ['10.2.0.0/16'] }]) },
    { name: 'spokes reach each other through the hub firewall, routes both ways', resources: hubAndSpokes(routed), options: { intent: eachOther } },
    {
      name: 'an IPv4-only spoke and a dual-stack spoke reach each other through the hub firewall (no way to the IPv6 space is needed)',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16', 'fd02::/48'], routes: [viaFirewall(), { name: 'v6', prefix: '::/0', nextHopType: 'VirtualAppliance', nextHopIp: FIREWALL_IP6 }] },
      ]),
      options: { intent: eachOther },
    },
    { name: 'spokes reach the hub over their peerings', resources: hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'] }]), options: { intent: toHub } },
    {
      name: 'spokes use the hub gateway',
      resources: [...hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'], toHub: { useRemoteGateways: true }, fromHub: { allowGatewayTransit: true } }]), gateway('vgw-hub', HUB)],
      options: { intent: onPrem },
    },
    { name: "spokes reach each other through the hub's VPN gateway, routes to VirtualNetworkGateway both ways (QA s2)", resources: throughGateway(), options: { intent: anyWay } },
    { name: "through the firewall from spoke1's second subnet, its first going direct: every subnet is tried (QA c4)", resources: firewallFromSecondSubnet, options: { intent: eachOther } },
  ],
  invalid: [
    {
      name: 'routes to VirtualNetworkGateway with an ExpressRoute gateway in the hub: the route is named',
      resources: throughGateway([gateway('ergw-hub', HUB, { type: 'ExpressRoute', sku: 'ErGw1AZ' })]),
      options: { intent: anyWay },
      findings: [
        {
          resourceId: s1,
          relatedResourceIds: [s2, `${routeTableId('spoke1')}/routes/to-spoke2`],
          messageIncludes: ['sends traffic for "spoke2" to a virtual network gateway, but a route with next hop VirtualNetworkGateway works only with a VPN gateway that has no ExpressRoute gateway beside it'],
        },
        { resourceId: s2 },
      ],
    },
    {
      name: 'forwarded traffic blocked on one side: each spoke is told, with the peering',
      resources: hubAndSpokes([routed[0] as never, { ...(routed[1] as object), toHub: { allowForwardedTraffic: false } } as never]),
      options: { intent: eachOther },
      findings: [
        {
          resourceId: s1,
          relatedResourceIds: [s2, peeringId(s2, HUB)],
          messageIncludes: ['Intent "spokes talk" says VNet "spoke1"', 'must reach VNet "spoke2"', 'peering "spoke2-to-vnet-hub" from "spoke2" to "vnet-hub" does not allow forwarded traffic'],
          fix: null,
        },
        { resourceId: s2, messageIncludes: ['no return path from "spoke1" to "spoke2"'] },
      ],
    },
    {
      name: 'mesh members reach each other, but not through a firewall',
      resources: [...hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'] }, { name: 'spoke2', prefixes: ['10.2.0.0/16'] }]), ...meshGroup('ng', [s1, s2])],
      options: { intent: eachOther },
      findings: [{ resourceId: s1, messageIncludes: ['does not pass an Azure Firewall'] }, { resourceId: s2 }],
    },
    {
      name: 'a spoke that does not use the hub gateway',
      resources: [...hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'] }]), gateway('vgw-hub', HUB)],
      options: { intent: onPrem },
      findings: [{ resourceId: s1, relatedResourceIds: [peeringId(s1, HUB)], messageIncludes: ['must reach on-premises', 'does not use the remote gateway'] }],
    },
    {
      name: "spokes whose route tables were not read: not shown reachable, but no definite \"cannot\" either (not \"no route table\")",
      resources: unreadTables(hubAndSpokes(routed), 'spoke1', 'spoke2'),
      options: { intent: anyWay },
      findings: [
        {
          resourceId: s1,
          messageIncludes: ['but it cannot be confirmed', 'subnet "snet-app" of "spoke1" is associated with route table "rt-spoke1", which was not read: its routes are not known.'],
        },
        { resourceId: s2, messageIncludes: ['but it cannot be confirmed', 'route table "rt-spoke2", which was not read'] },
      ],
    },
    {
      name: 'a hub whose only gateway is a Route Server, with an NVA: on-premises cannot be confirmed (the Route Server forwards no traffic)',
      resources: routeServerHub([{ name: 'spoke1', prefixes: ['10.1.0.0/16'] }]),
      options: { intent: onPrem },
      findings: [
        {
          resourceId: s1,
          relatedResourceIds: [ROUTE_SERVER_ID],
          messageIncludes: ['must reach on-premises, but it cannot be confirmed', 'only Route Server "rs-hub", which exchanges BGP routes with NVAs and forwards no traffic itself'],
        },
      ],
    },
    {
      name: 'a Basic VPN gateway beside a Route Server: the Basic gateway is named',
      resources: [...routeServerHub([{ name: 'spoke1', prefixes: ['10.1.0.0/16'] }], { appliance: false }), gateway('vgw-basic', HUB, { sku: 'Basic' })],
      options: { intent: onPrem },
      findings: [{ resourceId: s1, messageIncludes: ['must reach on-premises, but it cannot: VPN gateway "vgw-basic" (SKU Basic) in "vnet-hub" is a Basic SKU'] }],
    },
    {
      name: "a spoke whose only subnet's route table disables gateway route propagation: the table is named",
      resources: [
        ...hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [], toHub: { useRemoteGateways: true }, fromHub: { allowGatewayTransit: true } }]).map((r) =>
          r.id === routeTableId('spoke1') ? { ...r, properties: { ...(r.properties as object), disableBgpRoutePropagation: true } } : r,
        ),
        gateway('vgw-hub', HUB),
      ],
      options: { intent: onPrem },
      findings: [
        {
          resourceId: s1,
          relatedResourceIds: [routeTableId('spoke1')],
          messageIncludes: ['must reach on-premises', 'route table "rt-spoke1" of the subnets of "spoke1" disables gateway route propagation'],
        },
      ],
    },
    {
      name: 'a direct subnet peering with access on both sides: the unpeered subnets are named, not access',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], unpeered: true, subnets: [{ name: 'snet-app', prefix: '10.1.0.0/24' }], peerings: [{ remote: s2, ...appOnly }] },
        {
          name: 'spoke2',
          prefixes: ['10.2.0.0/16'],
          unpeered: true,
          subnets: [{ name: 'snet-app', prefix: '10.2.0.0/24' }, { name: 'snet-db', prefix: '10.2.1.0/24' }],
          peerings: [{ remote: s1, ...appOnly }],
        },
      ]),
      options: { intent: parseIntent({ groups: { a: { names: ['spoke1'] }, c: { names: ['spoke2'] } }, statements: [{ reach: { from: 'a', to: 'c' } }] }) },
      findings: [
        {
          resourceId: s1,
          relatedResourceIds: [s2, peeringId(s1, s2)],
          messageIncludes: ['subnet peering "spoke1-to-spoke2" peers only subnet "snet-app" of "spoke2" (10.2.0.0/24), not all of 10.2.0.0/16'],
        },
      ],
    },
    {
      name: 'out through the hub firewall, back over the peering: neither reach statement holds, whichever VNet it names first (QA c11)',
      resources: hubSpaceThroughFirewall,
      options: { intent: bothWays },
      findings: [
        { resourceId: s1, messageIncludes: ['must reach VNet "vnet-hub"', 'the return path differs from the way out (out: "spoke1" → firewall "afw-vnet-hub" in "vnet-hub" → "vnet-hub"'] },
        { resourceId: HUB, messageIncludes: ['must reach VNet "spoke1"', 'the return path differs from the way out (out: "vnet-hub" → "spoke1" (peering "vnet-hub-to-spoke1")'] },
      ],
    },
    {
      name: 'spokes that may both learn the routes an NVA advertises to the hub Route Server: not shown reachable, but no definite "cannot" either',
      resources: routeServerHub(twoSpokes),
      options: { intent: anyWay },
      findings: [
        {
          resourceId: s1,
          relatedResourceIds: [s2, ROUTE_SERVER_ID],
          messageIncludes: [
            'Intent "spokes talk" says VNet "spoke1"',
            'must reach VNet "spoke2"',
            'but it cannot be confirmed: a path between them cannot be judged (unsupported): "spoke1" and "spoke2" are not peered and no route table sends its traffic to an appliance; but both use the Route Server in "vnet-hub" through gateway transit',
            'the routes an NVA advertises to a Route Server over BGP are not in the configuration',
          ],
        },
        { resourceId: s2, messageIncludes: ['but it cannot be confirmed: a path between them cannot be judged (unsupported)', 'the Route Server in "vnet-hub"'] },
      ],
    },
    {
      name: 'Route Server and NVA, but spoke2 disables BGP route propagation on its only subnet and has no route: it cannot, as before',
      resources: spoke2LearnsNothing(routeServerHub([twoSpokes[0] as SpokeSpec, { ...(twoSpokes[1] as SpokeSpec), routes: [] }])),
      options: { intent: anyWay },
      findings: [
        { resourceId: s1, messageIncludes: ['must reach VNet "spoke2"', 'but it cannot: "spoke1" and "spoke2" are not peered and no route table sends its traffic to an appliance.'] },
        { resourceId: s2, messageIncludes: ['must reach VNet "spoke1"', 'but it cannot: "spoke2" and "spoke1" are not peered and route table "rt-spoke2" sends 10.1.0.0/16 nowhere.'] },
      ],
    },
    {
      name: 'a hub with a VPN gateway only (no Route Server): spokes without routes cannot reach each other, as before',
      resources: vpnHubAndSpokes(twoSpokes),
      options: { intent: anyWay },
      findings: [
        { resourceId: s1, messageIncludes: ['but it cannot: "spoke1" and "spoke2" are not peered and no route table sends its traffic to an appliance.'] },
        { resourceId: s2, messageIncludes: ['but it cannot: "spoke2" and "spoke1" are not peered'] },
      ],
    },
    {
      name: 'a spoke whose hub peering is Disconnected cannot reach the hub',
      resources: hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'], toHub: { state: 'Disconnected' } }]),
      options: { intent: toHub },
      findings: [{ resourceId: s1, relatedResourceIds: [HUB, peeringId(s1, HUB)], messageIncludes: ['is Disconnected, not Connected'] }],
    },
  ],
});

describe('transit-intent-unreachable: Route Server', () => {
  it('spokes that may learn BGP routes are never told they "cannot" reach each other, and the count says "not shown reachable"', () => {
    const three = parseIntent({ groups: { spokes }, statements: [{ name: 'spokes talk', reach: { from: 'spokes', to: 'spokes' } }] });
    const drafts = evaluateRule(transitIntentUnreachable, { resources: routeServerHub([...twoSpokes, { name: 'spoke3', prefixes: ['10.3.0.0/16'] }]), options: { intent: three }, name: '' });
    expect(drafts).toHaveLength(3);
    for (const d of drafts) {
      expect(d.message).not.toContain('but it cannot:');
      expect(d.message).toContain('(1 more of the statement\'s VNets unreachable from it as well, or not shown reachable from it)');
    }
  });
});
