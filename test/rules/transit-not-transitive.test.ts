import { describe, expect, it } from 'vitest';
import { parseIntent } from '../../src/intent/schema';
import type { RawResource } from '../../src/model/snapshot';
import { transitNotTransitive } from '../../src/rules/transit-not-transitive';
import { SUB_A, firewall, gateway, nva, routeServer, vnet, vnetId, type SubnetSpec } from '../support/estate';
import { evaluateRule, ruleTester } from '../support/rule-tester';
import { FIREWALL_IP6, HUB, hubAndSpokes, meshGroup, noPropagation, peeringId, routeTableId, spokeId, unreadTables, viaFirewall, viaGateway, vpnHubAndSpokes, type SpokeSpec } from '../support/transit';

const s1 = spokeId('spoke1');
const s2 = spokeId('spoke2');
const s3 = spokeId('spoke3');
const shared = vnetId('vnet-shared', SUB_A);
const viaShared = { name: 'default', prefix: '0.0.0.0/0', nextHopType: 'VirtualAppliance', nextHopIp: '10.9.1.4' };
const toHub = (spoke: string) => peeringId(spoke, HUB);

/** The estate with VNet `id` moved to `location` (the estates place every VNet in westeurope). */
const inRegion = (resources: RawResource[], id: string, location: string) => resources.map((r) => (r.id === id ? { ...r, location } : r));
/** An AVNM mesh over `members` made global ("Enable mesh connectivity across regions"). */
const globalMesh = (name: string, members: string[]) =>
  meshGroup(name, members).map((r) => (r.type === 'Microsoft.Network/networkManagers/connectivityConfigurations' ? { ...r, properties: { ...r.properties, isGlobal: 'True' } } : r));

const erGateway = gateway('ergw-hub', HUB, { type: 'ExpressRoute', sku: 'ErGw1AZ' });
/** QA s2: two spokes route each other's space to the hub's VPN gateway, which they use through gateway transit. */
const throughVpnGateway = (opts: { gateways?: RawResource[]; oneWay?: boolean; useRemoteGateways?: boolean } = {}) =>
  vpnHubAndSpokes(
    [
      { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaGateway('10.2.0.0/16', 'to-spoke2')], toHub: { useRemoteGateways: opts.useRemoteGateways ?? true } },
      { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: opts.oneWay ? [] : [viaGateway('10.1.0.0/16', 'to-spoke1')], toHub: { useRemoteGateways: opts.useRemoteGateways ?? true } },
    ],
    opts.gateways,
  );

const dualStackDefault = [viaFirewall(), { name: 'default6', prefix: '::/0', nextHopType: 'VirtualAppliance', nextHopIp: FIREWALL_IP6 }];

const s4 = spokeId('spoke4');
const NVA_IP = '10.0.2.4';
const viaNva = (prefix = '0.0.0.0/0', name = 'default') => ({ name, prefix, nextHopType: 'VirtualAppliance', nextHopIp: NVA_IP });
/**
 * A hub with an Azure Route Server and (unless `appliance` is false) an NVA that may peer with it
 * over BGP (route-injection-in-spokes), and spokes that use it through gateway transit
 * (useRemoteGateways on their side, allowGatewayTransit on the hub's; `toHub`/`fromHub` override).
 */
const routeServerHub = (spokes: SpokeSpec[], opts: { appliance?: boolean; gateways?: RawResource[] } = {}) => [
  ...hubAndSpokes(
    spokes.map((s) => ({ ...s, toHub: { useRemoteGateways: true, ...s.toHub }, fromHub: { allowGatewayTransit: true, ...s.fromHub } })),
    { firewall: false, subnets: [{ name: 'RouteServerSubnet', prefix: '10.0.3.0/27' }, { name: 'snet-nva', prefix: '10.0.2.0/24' }, { name: 'AzureFirewallSubnet', prefix: '10.0.3.64/26' }] },
  ),
  ...(opts.gateways ?? [routeServer('rs-hub', HUB)]),
  ...(opts.appliance === false ? [] : [nva('nva-hub', HUB, 'snet-nva', NVA_IP)]),
];
/** spoke1, and spoke2 whose snet-app has a route table that disables BGP route propagation, with `second` beside it. */
const spoke2TabledBeside = (second: SubnetSpec) =>
  noPropagation(
    routeServerHub([
      { name: 'spoke1', prefixes: ['10.1.0.0/16'] },
      { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: [], subnets: [{ name: 'snet-app', prefix: '10.2.0.0/24', routeTable: routeTableId('spoke2') }, second] },
    ]),
    'spoke2',
  );
/** A spoke whose one workload subnet has a route table (no routes unless given). */
const tabled = (name: string, prefix: string, routes: SpokeSpec['routes'] = []): SpokeSpec => ({ name, prefixes: [prefix], routes });

/**
 * route-injection-in-spokes, "Different Route Servers": the NVA in the hub peers with a Route Server
 * in an auxiliary VNet that the spokes (peered with both) use through gateway transit; the routes
 * it learns lead to the NVA in the hub.
 */
const AUX = vnetId('vnet-rs', SUB_A);
const splitRouteServer = (): RawResource[] => [
  ...hubAndSpokes(
    [
      { name: 'spoke1', prefixes: ['10.1.0.0/16'], peerings: [{ remote: AUX, useRemoteGateways: true }] },
      { name: 'spoke2', prefixes: ['10.2.0.0/16'], peerings: [{ remote: AUX, useRemoteGateways: true }] },
    ],
    { firewall: false, subnets: [{ name: 'snet-nva', prefix: '10.0.2.0/24' }], peerings: [{ remote: AUX }] },
  ),
  nva('nva-hub', HUB, 'snet-nva', NVA_IP),
  vnet({
    id: AUX,
    prefixes: ['10.9.0.0/16'],
    subnets: [{ name: 'RouteServerSubnet', prefix: '10.9.0.0/27' }],
    peerings: [{ remote: s1, allowGatewayTransit: true }, { remote: s2, allowGatewayTransit: true }, { remote: HUB }],
  }),
  routeServer('rs-aux', AUX),
];

ruleTester(transitNotTransitive, {
  valid: [
    { name: 'a single spoke has no one to miss', resources: hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'] }]) },
    {
      name: 'spokes directly peered with each other',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], peerings: [{ remote: s2 }] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'], peerings: [{ remote: s1 }] },
      ]),
    },
    {
      name: 'a direct peering in any state silences the pair (the lifecycle rules report it)',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], peerings: [{ remote: s2, state: 'Initiated' }] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'] },
      ]),
    },
    {
      name: 'spokes in one AVNM mesh group',
      resources: [
        ...hubAndSpokes([
          { name: 'spoke1', prefixes: ['10.1.0.0/16'] },
          { name: 'spoke2', prefixes: ['10.2.0.0/16'] },
        ]),
        ...meshGroup('ng-spokes', [s1, s2.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/')]),
      ],
    },
    {
      name: 'spokes in two regions in one global AVNM mesh group',
      resources: [
        ...inRegion(hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'] }, { name: 'spoke2', prefixes: ['10.2.0.0/16'] }]), s2, 'eastus'),
        ...globalMesh('ng-spokes', [s1, s2]),
      ],
    },
    {
      name: 'default routes both ways through the hub firewall',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: [viaFirewall()] },
      ]),
    },
    {
      name: "specific routes both ways through the hub firewall (each covers the other's whole space)",
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall('10.2.0.0/16', 'to-spoke2')] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: [viaFirewall('10.1.0.0/17', 'lo'), viaFirewall('10.1.128.0/17', 'hi')] },
      ]),
    },
    {
      name: 'a hub link that is not usable (Disconnected, or access disabled) makes no spoke of that hub',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], toHub: { state: 'Disconnected' } },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'], fromHub: { allowVirtualNetworkAccess: false } },
        { name: 'spoke3', prefixes: ['10.3.0.0/16'] },
      ]),
    },
    {
      name: 'ids differ only in case across peerings, route tables and subnets',
      resources: hubAndSpokes([
        {
          name: 'spoke1',
          prefixes: ['10.1.0.0/16'],
          routes: [viaFirewall()],
          toHub: { remote: HUB.toLowerCase() },
          fromHub: { remote: s1.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/') },
        },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: [viaFirewall()], toHub: { remote: HUB.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/') } },
      ]),
    },
    {
      name: 'IPv6: dual-stack spokes with default routes for both families',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16', 'fd00:1::/48'], routes: dualStackDefault },
        { name: 'spoke2', prefixes: ['10.2.0.0/16', 'fd00:2::/48'], routes: dualStackDefault },
      ]),
    },
    {
      name: 'subnet peering: only the peered subnet of the far spoke needs a route',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall('10.2.0.0/24', 'to-spoke2-app')] },
        {
          name: 'spoke2',
          prefixes: ['10.2.0.0/16'],
          subnets: [
            { name: 'snet-app', prefix: '10.2.0.0/24', routeTable: routeTableId('spoke2') },
            { name: 'snet-db', prefix: '10.2.1.0/24' },
          ],
          routes: [viaFirewall()],
          toHub: { peerCompleteVnets: false, localSubnetNames: ['snet-app'], remoteSubnetNames: ['AzureFirewallSubnet'] },
          fromHub: { peerCompleteVnets: false, localSubnetNames: ['AzureFirewallSubnet'], remoteSubnetNames: ['snet-app'] },
        },
      ]),
    },
    {
      name: 'spokes of a hub without a firewall are joined through another hub they share',
      resources: [
        ...hubAndSpokes(
          [
            { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaShared], peerings: [{ remote: shared }] },
            { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: [viaShared], peerings: [{ remote: shared }] },
          ],
          { firewall: false, peerings: [{ remote: shared }] },
        ),
        vnet({ id: shared, prefixes: ['10.9.0.0/16'], peerings: [{ remote: s1 }, { remote: s2 }, { remote: HUB }] }),
      ],
    },
    { name: "routes to VirtualNetworkGateway both ways: the hub's VPN gateway forwards between its spokes (QA s2)", resources: throughVpnGateway() },
    {
      name: 'routes to the VPN gateway: three spokes with default routes, and a dual-stack spoke (decided pair by pair)',
      resources: vpnHubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaGateway('0.0.0.0/0'), viaGateway('::/0', 'default6')] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16', 'fd02::/48'], routes: [viaGateway('0.0.0.0/0')] },
        { name: 'spoke3', prefixes: ['10.3.0.0/16'], routes: [viaGateway('10.0.0.0/8'), viaGateway('fd02::/48', 'to-spoke2-v6')] },
      ]),
    },
    {
      name: 'siblings: a VNet without gateway, appliance or transit offer peered with only two others is no hub',
      resources: hubAndSpokes(
        [
          { name: 'spoke1', prefixes: ['10.1.0.0/16'] },
          { name: 'spoke2', prefixes: ['10.2.0.0/16'] },
        ],
        { firewall: false },
      ),
    },
    {
      name: 'Route Server and an NVA in the hub, spokes using it through gateway transit: routes the NVA advertises over BGP (not read) may join them',
      resources: routeServerHub([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'] },
        // A route table that propagates gateway routes (the default) learns them as well.
        tabled('spoke3', '10.3.0.0/16'),
      ]),
    },
    {
      name: 'Route Server and an Azure Firewall in the hub: a learned route may lead to the firewall',
      resources: [
        ...routeServerHub(
          [
            { name: 'spoke1', prefixes: ['10.1.0.0/16'] },
            { name: 'spoke2', prefixes: ['10.2.0.0/16'] },
          ],
          { appliance: false },
        ),
        firewall('afw-hub', HUB, '10.0.3.68'),
      ],
    },
    {
      name: 'Route Server in an auxiliary VNet, the NVA in the hub peered with it (split Route Servers): neither VNet judges the spokes',
      resources: splitRouteServer(),
    },
    {
      name: 'Route Server: a spoke learns BGP routes when one of its workload subnets does (another disables propagation)',
      resources: spoke2TabledBeside({ name: 'snet-web', prefix: '10.2.1.0/24' }),
    },
    {
      name: 'Route Server with an intent: a pair the intent expects to reach each other is not judged either',
      resources: routeServerHub([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'] },
      ]),
      options: { intent: parseIntent({ groups: { app: { names: ['spoke1', 'spoke2'] } }, statements: [{ 'reach-each-other': 'app' }] }) },
    },
    {
      // A VNet sends IPv6 packets only from IPv6 addresses: spoke1 (IPv4 only) needs no way to fd02::/48.
      name: 'IPv6: an IPv4-only spoke and a dual-stack spoke with default routes for their versions through the firewall',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16', 'fd02::/48'], routes: dualStackDefault },
      ]),
    },
    {
      name: 'IPv6: an IPv4-only spoke and a dual-stack spoke whose route covers IPv4 only (the IPv4-only spoke has no IPv6 space to answer)',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16', 'fd02::/48'], routes: [viaFirewall()] },
        { name: 'spoke3', prefixes: ['10.3.0.0/16'], routes: [viaFirewall()] },
      ]),
    },
    {
      name: 'route tables associated with the spokes but not read: their routes are not known, the pair is not judged (QA: not "no route table")',
      resources: unreadTables(hubAndSpokes([tabled('spoke1', '10.1.0.0/16', [viaFirewall()]), tabled('spoke2', '10.2.0.0/16', [viaFirewall()])]), 'spoke1', 'spoke2'),
    },
    {
      name: "one spoke's route table not read, the other routing through the hub firewall: not judged",
      resources: unreadTables(hubAndSpokes([tabled('spoke1', '10.1.0.0/16', [viaFirewall()]), tabled('spoke2', '10.2.0.0/16', [viaFirewall()])]), 'spoke1'),
    },
    {
      name: 'a route table not read, with an intent that expects the spokes to reach each other: not judged either',
      resources: unreadTables(hubAndSpokes([tabled('spoke1', '10.1.0.0/16', [viaFirewall()]), { name: 'spoke2', prefixes: ['10.2.0.0/16'] }]), 'spoke1'),
      options: { intent: parseIntent({ groups: { app: { names: ['spoke1', 'spoke2'] } }, statements: [{ 'reach-each-other': 'app' }] }) },
    },
  ],
  invalid: [
    {
      name: 'spokes in two regions in one regional AVNM mesh group (the default): the mesh does not join them',
      resources: [
        ...inRegion(hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'] }, { name: 'spoke2', prefixes: ['10.2.0.0/16'] }]), s2, 'eastus'),
        ...meshGroup('ng-spokes', [s1, s2]),
      ],
      findings: [
        { resourceId: toHub(s1), relatedResourceIds: [HUB, s2] },
        { resourceId: toHub(s2), relatedResourceIds: [HUB, s1] },
      ],
    },
    {
      name: 'a spoke of unknown region in a regional AVNM mesh group is not assumed to share the region of the others',
      resources: [
        ...hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'] }, { name: 'spoke2', prefixes: ['10.2.0.0/16'] }]).map((r) => (r.id === s2 ? { ...r, location: undefined } : r)),
        ...meshGroup('ng-spokes', [s1, s2]),
      ],
      findings: [{ resourceId: toHub(s1) }, { resourceId: toHub(s2) }],
    },
    {
      name: 'with an intent: only pairs it expects to reach each other are reported',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'] },
        { name: 'spoke3', prefixes: ['10.3.0.0/16'] },
      ]),
      options: { intent: parseIntent({ groups: { app: { names: ['spoke1', 'spoke2'] } }, statements: [{ 'reach-each-other': 'app' }] }) },
      findings: [
        { resourceId: toHub(s1), relatedResourceIds: [HUB, s2] },
        { resourceId: toHub(s2), relatedResourceIds: [HUB, s1] },
      ],
    },
    {
      name: 'siblings: a spoke (it uses the hub gateway) peered with three siblings is no hub between its siblings',
      resources: [
        ...hubAndSpokes(
          [
            { name: 'spoke1', prefixes: ['10.1.0.0/16'], toHub: { useRemoteGateways: true }, fromHub: { allowGatewayTransit: true }, peerings: [{ remote: s2 }, { remote: s3 }] },
            { name: 'spoke2', prefixes: ['10.2.0.0/16'], toHub: { useRemoteGateways: true }, fromHub: { allowGatewayTransit: true }, peerings: [{ remote: s1 }] },
            { name: 'spoke3', prefixes: ['10.3.0.0/16'], toHub: { useRemoteGateways: true }, fromHub: { allowGatewayTransit: true }, peerings: [{ remote: s1 }] },
          ],
          { firewall: false },
        ).filter((r) => r.id !== HUB),
        vnet({ id: HUB, prefixes: ['10.0.0.0/16'], peerings: [{ remote: s1, allowGatewayTransit: true }, { remote: s2, allowGatewayTransit: true }, { remote: s3, allowGatewayTransit: true }] }),
        gateway('vgw-hub', HUB),
      ],
      // spoke2 and spoke3 are told about each other through the hub only: spoke1 is no hub between them.
      findings: [{ resourceId: toHub(s2) }, { resourceId: toHub(s3) }],
    },
    {
      name: 'a VNet without appliance is a hub when it has a gateway',
      resources: [
        ...hubAndSpokes(
          [
            { name: 'spoke1', prefixes: ['10.1.0.0/16'] },
            { name: 'spoke2', prefixes: ['10.2.0.0/16'] },
          ],
          { firewall: false },
        ),
        gateway('vgw-hub', HUB),
      ],
      findings: [{ resourceId: toHub(s1) }, { resourceId: toHub(s2) }],
    },
    {
      name: 'a VNet without appliance is a hub when it offers gateway transit',
      resources: hubAndSpokes(
        [
          { name: 'spoke1', prefixes: ['10.1.0.0/16'], fromHub: { allowGatewayTransit: true } },
          { name: 'spoke2', prefixes: ['10.2.0.0/16'] },
        ],
        { firewall: false },
      ),
      findings: [{ resourceId: toHub(s1) }, { resourceId: toHub(s2) }],
    },
    {
      name: 'a VNet without gateway or appliance is a hub when it is a star of three usable links',
      resources: hubAndSpokes(
        [
          { name: 'spoke1', prefixes: ['10.1.0.0/16'] },
          { name: 'spoke2', prefixes: ['10.2.0.0/16'] },
          { name: 'spoke3', prefixes: ['10.3.0.0/16'] },
        ],
        { firewall: false },
      ),
      findings: [{ resourceId: toHub(s1) }, { resourceId: toHub(s2) }, { resourceId: toHub(s3) }],
    },
    {
      name: 'spokes of one hub without routes: each one is told about the others',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'] },
        { name: 'spoke3', prefixes: ['10.3.0.0/16'] },
      ]),
      findings: [
        {
          resourceId: toHub(s1),
          relatedResourceIds: [HUB, s2, s3],
          messageIncludes: ['VNet "spoke1" (subscription 22222222', 'cannot reach VNets "spoke2" and "spoke3" through hub VNet "vnet-hub"', 'not transitive'],
          fix: null,
        },
        { resourceId: toHub(s2), relatedResourceIds: [HUB, s1, s3] },
        { resourceId: toHub(s3), relatedResourceIds: [HUB, s1, s2] },
      ],
    },
    {
      name: 'a route one way only: the reply has no way back, both sides are told',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'] },
      ]),
      findings: [
        { resourceId: toHub(s1), relatedResourceIds: [HUB, s2], messageIncludes: ['cannot reach VNet "spoke2" through'] },
        { resourceId: toHub(s2), relatedResourceIds: [HUB, s1] },
      ],
    },
    {
      name: 'longest prefix wins: a more specific route to None beats the default to the firewall',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall(), { name: 'drop-spoke2', prefix: '10.2.0.0/16', nextHopType: 'None' }] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: [viaFirewall()] },
      ]),
      findings: [{ resourceId: toHub(s1) }, { resourceId: toHub(s2) }],
    },
    {
      name: 'longest prefix wins: a more specific VnetLocal route carves part of the far spoke out',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: [viaFirewall(), { name: 'local', prefix: '10.1.5.0/24', nextHopType: 'VnetLocal' }] },
      ]),
      findings: [{ resourceId: toHub(s1) }, { resourceId: toHub(s2) }],
    },
    {
      name: 'a route to a next hop outside the hub does not join the spokes',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [{ prefix: '0.0.0.0/0', nextHopType: 'VirtualAppliance', nextHopIp: '192.168.0.4' }] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: [viaFirewall()] },
      ]),
      findings: [{ resourceId: toHub(s1) }, { resourceId: toHub(s2) }],
    },
    {
      name: 'IPv6: an IPv4 default route leaves the IPv6 space of the far spoke unreachable',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16', 'fd00:1::/48'], routes: [viaFirewall()] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16', 'fd00:2::/48'], routes: dualStackDefault },
      ]),
      findings: [{ resourceId: toHub(s1) }, { resourceId: toHub(s2) }],
    },
    {
      name: 'more than five unreachable spokes: five are named and related, the rest counted',
      resources: hubAndSpokes(Array.from({ length: 8 }, (_, i) => ({ name: `spoke${i + 1}`, prefixes: [`10.${i + 1}.0.0/16`] }))),
      findings: Array.from({ length: 8 }, (_, i) => ({
        resourceId: toHub(spokeId(`spoke${i + 1}`)),
        ...(i === 0
          ? {
              relatedResourceIds: [HUB, ...Array.from({ length: 5 }, (_, k) => spokeId(`spoke${k + 2}`))],
              messageIncludes: ['cannot reach VNets "spoke2", "spoke3", "spoke4", "spoke5", "spoke6" and 2 more through hub VNet "vnet-hub"'],
            }
          : {}),
      })),
    },
    {
      name: 'routes to VirtualNetworkGateway with an ExpressRoute gateway in the hub: a UDR cannot point at it',
      resources: throughVpnGateway({ gateways: [erGateway] }),
      findings: [
        {
          resourceId: toHub(s1),
          relatedResourceIds: [HUB, s2],
          messageIncludes: ['cannot reach VNet "spoke2" through hub VNet "vnet-hub": peering is not transitive, and no route sends their traffic to an appliance or VPN gateway in "vnet-hub" in both directions.'],
        },
        { resourceId: toHub(s2), relatedResourceIds: [HUB, s1] },
      ],
    },
    {
      name: 'routes to VirtualNetworkGateway with a hub gateway of unknown type (it may be an ExpressRoute one): no path is claimed',
      resources: throughVpnGateway({
        gateways: [gateway('gw-hub', HUB)].map((g) => ({ ...g, properties: { ...g.properties, gatewayType: undefined, sku: undefined } })),
      }),
      findings: [{ resourceId: toHub(s1) }, { resourceId: toHub(s2) }],
    },
    {
      name: 'routes to VirtualNetworkGateway with VPN and ExpressRoute gateways coexisting',
      resources: throughVpnGateway({ gateways: [gateway('vgw-hub', HUB), erGateway] }),
      findings: [{ resourceId: toHub(s1) }, { resourceId: toHub(s2) }],
    },
    {
      name: 'a route to the VPN gateway one way only',
      resources: throughVpnGateway({ oneWay: true }),
      findings: [{ resourceId: toHub(s1) }, { resourceId: toHub(s2) }],
    },
    {
      name: 'routes to VirtualNetworkGateway from spokes that do not use the hub gateway',
      resources: throughVpnGateway({ useRemoteGateways: false }),
      findings: [{ resourceId: toHub(s1) }, { resourceId: toHub(s2) }],
    },
    {
      name: 'only the pair that routes both ways is left out of the list',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: [viaFirewall()] },
        { name: 'spoke3', prefixes: ['10.3.0.0/16'] },
      ]),
      findings: [
        { resourceId: toHub(s1), relatedResourceIds: [HUB, s3] },
        { resourceId: toHub(s2), relatedResourceIds: [HUB, s3] },
        { resourceId: toHub(s3), relatedResourceIds: [HUB, s1, s2] },
      ],
    },
    {
      // route-injection-in-spokes: disabling "Propagate gateway routes" keeps Route Server routes
      // out of the subnet too. spoke2 learns none and has no route of its own: its replies to
      // spoke1 have no way back whatever the NVA advertises.
      name: "Route Server and NVA: a spoke whose route table disables BGP route propagation learns no route to its sibling",
      resources: noPropagation(routeServerHub([{ name: 'spoke1', prefixes: ['10.1.0.0/16'] }, tabled('spoke2', '10.2.0.0/16')]), 'spoke2'),
      findings: [
        { resourceId: toHub(s1), relatedResourceIds: [HUB, s2], messageIncludes: ['cannot reach VNet "spoke2" through hub VNet "vnet-hub"'] },
        { resourceId: toHub(s2), relatedResourceIds: [HUB, s1], messageIncludes: ['cannot reach VNet "spoke1" through hub VNet "vnet-hub"'] },
      ],
    },
    {
      name: 'Route Server and NVA: a subnet without a table that is an infrastructure subnet (AzureBastionSubnet) does not make the spoke learn',
      resources: spoke2TabledBeside({ name: 'AzureBastionSubnet', prefix: '10.2.1.0/26' }),
      findings: [{ resourceId: toHub(s1) }, { resourceId: toHub(s2) }],
    },
    {
      // The Route Server forwards no traffic (route-server-faq), and the NVAs it can peer with sit in
      // its VNet or a directly peered one (peer-route-server-with-virtual-appliance): none here.
      name: 'Route Server without an appliance in the hub or a VNet peered with it: nothing can carry the traffic',
      resources: routeServerHub(
        [
          { name: 'spoke1', prefixes: ['10.1.0.0/16'] },
          { name: 'spoke2', prefixes: ['10.2.0.0/16'] },
        ],
        { appliance: false },
      ),
      findings: [
        { resourceId: toHub(s1), relatedResourceIds: [HUB, s2] },
        { resourceId: toHub(s2), relatedResourceIds: [HUB, s1] },
      ],
    },
    {
      name: "Route Server and NVA, spokes that do not use the hub's gateway or Route Server: they learn no route",
      resources: routeServerHub([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], toHub: { useRemoteGateways: false } },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'], toHub: { useRemoteGateways: false } },
      ]),
      findings: [{ resourceId: toHub(s1) }, { resourceId: toHub(s2) }],
    },
    {
      name: 'Route Server and NVA, the hub does not allow gateway transit: the spokes learn no route',
      resources: routeServerHub([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], fromHub: { allowGatewayTransit: false } },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'], fromHub: { allowGatewayTransit: false } },
      ]),
      findings: [{ resourceId: toHub(s1) }, { resourceId: toHub(s2) }],
    },
    {
      name: 'Route Server and NVA, dual-stack spokes: a Route Server carries no IPv6 routes',
      resources: routeServerHub([
        { name: 'spoke1', prefixes: ['10.1.0.0/16', 'fd00:1::/48'] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16', 'fd00:2::/48'] },
      ]),
      findings: [{ resourceId: toHub(s1) }, { resourceId: toHub(s2) }],
    },
    {
      // The VPN gateway's learned routes are on-premises ones; only a Route Server programs what an
      // NVA advertises. (A Route Server elsewhere in the estate changes nothing here.)
      name: 'a VPN gateway (no Route Server) and an NVA in the hub: spokes that use the gateway are judged as before',
      resources: [
        ...routeServerHub(
          [
            { name: 'spoke1', prefixes: ['10.1.0.0/16'] },
            { name: 'spoke2', prefixes: ['10.2.0.0/16'] },
          ],
          { gateways: [gateway('vgw-hub', HUB)] },
        ),
        vnet({ id: AUX, prefixes: ['10.9.0.0/16'], subnets: [{ name: 'RouteServerSubnet', prefix: '10.9.0.0/27' }] }),
        routeServer('rs-aux', AUX),
      ],
      findings: [{ resourceId: toHub(s1) }, { resourceId: toHub(s2) }],
    },
    {
      name: 'Route Server and NVA: learning spokes are not judged with each other, a spoke that learns nothing still is (peerings counted once)',
      resources: noPropagation(
        routeServerHub([
          { name: 'spoke1', prefixes: ['10.1.0.0/16'], peerings: [{ remote: s2 }] },
          { name: 'spoke2', prefixes: ['10.2.0.0/16'], peerings: [{ remote: s1 }] },
          { name: 'spoke3', prefixes: ['10.3.0.0/16'] },
          tabled('spoke4', '10.4.0.0/16'),
        ]),
        'spoke4',
      ),
      findings: [
        { resourceId: toHub(s1), relatedResourceIds: [HUB, s4], messageIncludes: ['cannot reach VNet "spoke4" through'] },
        { resourceId: toHub(s2), relatedResourceIds: [HUB, s4], messageIncludes: ['cannot reach VNet "spoke4" through'] },
        { resourceId: toHub(s3), relatedResourceIds: [HUB, s4], messageIncludes: ['cannot reach VNet "spoke4" through'] },
        { resourceId: toHub(s4), relatedResourceIds: [HUB, s1, s2, s3], messageIncludes: ['cannot reach VNets "spoke1", "spoke2" and "spoke3" through'] },
      ],
    },
    {
      // spoke1 and spoke2 also route each other to the NVA: the pair is subtracted once, and spoke1
      // still misses spoke3 (which routes elsewhere and learns nothing).
      name: 'Route Server and NVA: learning spokes with routes of their own are counted once',
      resources: noPropagation(
        routeServerHub([
          tabled('spoke1', '10.1.0.0/16', [viaNva()]),
          tabled('spoke2', '10.2.0.0/16', [viaNva()]),
          tabled('spoke3', '10.3.0.0/16', [viaNva('10.9.0.0/16', 'elsewhere')]),
        ]),
        'spoke3',
      ),
      findings: [
        { resourceId: toHub(s1), relatedResourceIds: [HUB, s3], messageIncludes: ['cannot reach VNet "spoke3" through'] },
        { resourceId: toHub(s2), relatedResourceIds: [HUB, s3], messageIncludes: ['cannot reach VNet "spoke3" through'] },
        { resourceId: toHub(s3), relatedResourceIds: [HUB, s1, s2], messageIncludes: ['cannot reach VNets "spoke1" and "spoke2" through'] },
      ],
    },
    {
      name: 'Route Server and NVA: routed spokes that learn nothing are judged by their routes, with each other and with learning spokes',
      resources: noPropagation(
        routeServerHub([
          tabled('spoke1', '10.1.0.0/16', [viaNva()]),
          tabled('spoke2', '10.2.0.0/16', [viaNva()]),
          // Routes to spoke4 only, and spoke4 to it: joined with each other, with neither learning spoke.
          tabled('spoke3', '10.3.0.0/16', [viaNva('10.4.0.0/16', 'to-spoke4')]),
          tabled('spoke4', '10.4.0.0/16', [viaNva('10.3.0.0/16', 'to-spoke3')]),
        ]),
        'spoke3',
        'spoke4',
      ),
      findings: [
        { resourceId: toHub(s1), relatedResourceIds: [HUB, s3, s4], messageIncludes: ['cannot reach VNets "spoke3" and "spoke4" through'] },
        { resourceId: toHub(s2), relatedResourceIds: [HUB, s3, s4], messageIncludes: ['cannot reach VNets "spoke3" and "spoke4" through'] },
        { resourceId: toHub(s3), relatedResourceIds: [HUB, s1, s2], messageIncludes: ['cannot reach VNets "spoke1" and "spoke2" through'] },
        { resourceId: toHub(s4), relatedResourceIds: [HUB, s1, s2], messageIncludes: ['cannot reach VNets "spoke1" and "spoke2" through'] },
      ],
    },
    {
      name: 'IPv6: an IPv4-only spoke and an IPv6-only spoke share no IP version: routes for their own versions join nothing',
      resources: hubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: dualStackDefault },
        { name: 'spoke2', prefixes: ['fd02::/48'], routes: dualStackDefault },
      ]),
      findings: [
        { resourceId: toHub(s1), relatedResourceIds: [HUB, s2] },
        { resourceId: toHub(s2), relatedResourceIds: [HUB, s1] },
      ],
    },
    {
      // spoke3's table was not read: its pairs are not judged, and it is neither counted nor listed
      // in the others' findings; the rest are judged as before (plain and routed spokes).
      name: 'a spoke whose route table was not read is left out; the others are judged as before',
      resources: unreadTables(
        hubAndSpokes([
          tabled('spoke1', '10.1.0.0/16', [viaFirewall()]),
          tabled('spoke2', '10.2.0.0/16', [viaFirewall()]),
          tabled('spoke3', '10.3.0.0/16', [viaFirewall()]),
          { name: 'spoke4', prefixes: ['10.4.0.0/16'] },
        ]),
        'spoke3',
      ),
      findings: [
        { resourceId: toHub(s1), relatedResourceIds: [HUB, s4], messageIncludes: ['cannot reach VNet "spoke4" through'] },
        { resourceId: toHub(s2), relatedResourceIds: [HUB, s4], messageIncludes: ['cannot reach VNet "spoke4" through'] },
        { resourceId: toHub(s4), relatedResourceIds: [HUB, s1, s2], messageIncludes: ['cannot reach VNets "spoke1" and "spoke2" through'] },
      ],
    },
    {
      name: 'a spoke whose route table was not read, with an intent over all of them: left out too',
      resources: unreadTables(
        hubAndSpokes([tabled('spoke1', '10.1.0.0/16', [viaFirewall()]), { name: 'spoke2', prefixes: ['10.2.0.0/16'] }, { name: 'spoke3', prefixes: ['10.3.0.0/16'] }]),
        'spoke1',
      ),
      options: { intent: parseIntent({ groups: { app: { names: ['spoke*'] } }, statements: [{ 'reach-each-other': 'app' }] }) },
      findings: [
        { resourceId: toHub(s2), relatedResourceIds: [HUB, s3], messageIncludes: ['cannot reach VNet "spoke3" through'] },
        { resourceId: toHub(s3), relatedResourceIds: [HUB, s2], messageIncludes: ['cannot reach VNet "spoke2" through'] },
      ],
    },
    {
      name: 'a route table not read on an infrastructure subnet only: the workload subnet decides, the pair is judged',
      resources: unreadTables(
        hubAndSpokes([
          {
            name: 'spoke1',
            prefixes: ['10.1.0.0/16'],
            routes: [],
            subnets: [{ name: 'snet-app', prefix: '10.1.0.0/24' }, { name: 'AzureBastionSubnet', prefix: '10.1.1.0/26', routeTable: routeTableId('spoke1') }],
          },
          { name: 'spoke2', prefixes: ['10.2.0.0/16'] },
        ]),
        'spoke1',
      ),
      findings: [{ resourceId: toHub(s1) }, { resourceId: toHub(s2) }],
    },
  ],
});

describe('transit-not-transitive at scale', () => {
  it('a hub with 300 spokes: one finding per spoke (not per pair), with a stable identity', () => {
    const resources = hubAndSpokes(
      Array.from({ length: 300 }, (_, i) => ({
        name: `spoke${i}`,
        prefixes: [`10.${1 + (i >> 8)}.${i & 255}.0/24`],
        // A third route to the firewall both ways: those pairs are joined and need prefix work.
        ...(i % 3 === 0 ? { routes: [viaFirewall()] } : {}),
      })),
    );
    const findings = evaluateRule(transitNotTransitive, { name: 'big hub', resources });
    expect(findings).toHaveLength(300);
    const routed = findings.find((f) => f.resourceId === toHub(spokeId('spoke0')));
    const plain = findings.find((f) => f.resourceId === toHub(spokeId('spoke1')));
    // Spokes with routes reach each other; each lists the 200 spokes without routes.
    expect(routed?.message).toContain('cannot reach VNets "spoke1", "spoke2", "spoke4", "spoke5", "spoke7" and 195 more');
    expect(plain?.message).toContain('cannot reach VNets "spoke0", "spoke2", "spoke3", "spoke4", "spoke5" and 294 more');
    expect(plain?.relatedResourceIds).toEqual([HUB, ...[0, 2, 3, 4, 5].map((i) => spokeId(`spoke${i}`))]);
    // The link to the hub and the hub, not the spokes listed: stable as spokes come and go.
    expect(plain?.identity).toEqual([toHub(spokeId('spoke1')), HUB]);
  });
});
