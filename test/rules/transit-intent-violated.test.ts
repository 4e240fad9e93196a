import { parseIntent } from '../../src/intent/schema';
import { transitIntentViolated } from '../../src/rules/transit-intent-violated';
import { ruleTester } from '../support/rule-tester';
import { SUB_A, SUB_B, firewall, nva, routeTable, vnet, vnetId, type RouteSpec } from '../support/estate';
import { hubAndSpokes, meshGroup, noPropagation, routeServerHub, spokeId, viaFirewall, viaGateway, vpnHubAndSpokes, type SpokeSpec } from '../support/transit';

const s1 = spokeId('spoke1');
const s2 = spokeId('spoke2');
const intent = parseIntent({
  groups: { dev: { tags: ['env=dev'], names: ['spoke1', 'spoke3'] }, prod: { names: ['spoke2'] } },
  statements: [{ isolated: { between: ['dev', 'prod'] } }],
});
// hubAndSpokes gives no tags: select dev by name only.
const byName = parseIntent({ groups: { dev: { names: ['spoke1', 'spoke3'] }, prod: { names: ['spoke2'] } }, statements: [{ name: 'dev and prod are isolated', isolated: { between: ['dev', 'prod'] } }] });
/** The same statement with its groups the other way round: isolation is symmetric. */
const reversed = parseIntent({ groups: { dev: { names: ['spoke1', 'spoke3'] }, prod: { names: ['spoke2'] } }, statements: [{ name: 'prod and dev are isolated', isolated: { between: ['prod', 'dev'] } }] });

/** spoke1 (dev) and spoke2 (prod) peered directly, not with the hub; `one`/`two` override either spoke. */
const direct = (one: Partial<SpokeSpec> = {}, two: Partial<SpokeSpec> = {}) =>
  hubAndSpokes([
    { name: 'spoke1', prefixes: ['10.1.0.0/16'], unpeered: true, peerings: [{ remote: s2 }], ...one },
    { name: 'spoke2', prefixes: ['10.2.0.0/16'], unpeered: true, peerings: [{ remote: s1 }], ...two },
  ]);
const appOnly = (remote: string) => ({ remote, peerCompleteVnets: false, localSubnetNames: ['snet-app'], remoteSubnetNames: ['snet-app'] });
/** QA c5: spoke2 (prod) routes spoke1's space to an NVA inside spoke1; spoke1 answers over the peering. */
const nvaInDev = [
  ...direct(
    { subnets: [{ name: 'snet-app', prefix: '10.1.0.0/24' }, { name: 'snet-nva', prefix: '10.1.9.0/24' }] },
    { routes: [{ name: 'to-nva', prefix: '10.1.0.0/16', nextHopType: 'VirtualAppliance', nextHopIp: '10.1.9.4' }] },
  ),
  nva('nva-dev', s1, 'snet-nva', '10.1.9.4'),
];

// QA intent defects 1 and 2: vnet-a and vnet-c peered directly, vnet-hub peered with both.
const qa = { a: vnetId('vnet-a', SUB_B), c: vnetId('vnet-c', SUB_B), hub: vnetId('vnet-hub', SUB_A) };
const qaIntent = parseIntent({ groups: { a: { names: ['vnet-a'] }, c: { names: ['vnet-c'] } }, statements: [{ name: 'a and c isolated', isolated: { between: ['a', 'c'] } }] });
const rtId = (name: string) => `/subscriptions/${SUB_B}/resourceGroups/rg-rt/providers/Microsoft.Network/routeTables/${name}`;
const qaTable = (name: string, routes: RouteSpec[], subnet: string) => routeTable(name, SUB_B, 'rg-rt', routes, [`${subnet}/subnets/app`]);
/** vnet-a has its own Azure Firewall, the next hop of both route tables (`cPeered`: vnet-c peered back). */
const ownFirewall = (cPeered = true) => [
  vnet({ id: qa.a, prefixes: ['10.1.0.0/16'], subnets: [{ name: 'AzureFirewallSubnet', prefix: '10.1.1.0/26' }, { name: 'app', prefix: '10.1.0.0/24', routeTable: rtId('rt-a') }], peerings: cPeered ? [{ remote: qa.c, allowForwardedTraffic: true }] : [] }),
  vnet({ id: qa.c, prefixes: ['10.2.0.0/16'], subnets: [{ name: 'app', prefix: '10.2.0.0/24', routeTable: rtId('rt-c') }], peerings: cPeered ? [{ remote: qa.a, allowForwardedTraffic: true }] : [] }),
  firewall('afw-a', qa.a, '10.1.1.4'),
  qaTable('rt-a', [{ name: 'to-c', prefix: '10.2.0.0/16', nextHopType: 'VirtualAppliance', nextHopIp: '10.1.1.4' }], qa.a),
  qaTable('rt-c', [{ name: 'to-a', prefix: '10.1.0.0/16', nextHopType: 'VirtualAppliance', nextHopIp: '10.1.1.4' }], qa.c),
];
/** vnet-a → router NVA in vnet-hub → vnet-c; vnet-c answers directly over the peering. */
const asymmetricNva = [
  vnet({ id: qa.hub, prefixes: ['10.0.0.0/16'], subnets: [{ name: 'nvasubnet', prefix: '10.0.3.0/24' }], peerings: [{ remote: qa.a, allowForwardedTraffic: true }, { remote: qa.c, allowForwardedTraffic: true }] }),
  nva('nic-router', qa.hub, 'nvasubnet', '10.0.3.4'),
  vnet({ id: qa.a, prefixes: ['10.1.0.0/16'], subnets: [{ name: 'app', prefix: '10.1.0.0/24', routeTable: rtId('rt-a') }], peerings: [{ remote: qa.hub, allowForwardedTraffic: true }, { remote: qa.c, allowForwardedTraffic: true }] }),
  vnet({ id: qa.c, prefixes: ['10.2.0.0/16'], subnets: [{ name: 'app', prefix: '10.2.0.0/24' }], peerings: [{ remote: qa.hub, allowForwardedTraffic: true }, { remote: qa.a, allowForwardedTraffic: true }] }),
  qaTable('rt-a', [{ name: 'to-c', prefix: '10.2.0.0/16', nextHopType: 'VirtualAppliance', nextHopIp: '10.0.3.4' }], qa.a),
];

const devAndProd = [
  { name: 'spoke1', prefixes: ['10.1.0.0/16'] },
  { name: 'spoke2', prefixes: ['10.2.0.0/16'] },
];
/** spoke2's only workload subnet has a route table, without routes, that disables gateway (and so Route Server) route propagation. */
const spoke2LearnsNothing = noPropagation(routeServerHub([devAndProd[0] as SpokeSpec, { ...(devAndProd[1] as SpokeSpec), routes: [] }]), 'spoke2');

ruleTester(transitIntentViolated, {
  valid: [
    { name: 'without an intent the rule is silent', resources: hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'], peerings: [{ remote: s2 }] }, { name: 'spoke2', prefixes: ['10.2.0.0/16'], peerings: [{ remote: s1 }] }]) },
    { name: 'spokes of one hub without routes are isolated', resources: hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'] }, { name: 'spoke2', prefixes: ['10.2.0.0/16'] }]), options: { intent: byName } },
    {
      name: 'a route one way only is no path (no return)',
      resources: hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()] }, { name: 'spoke2', prefixes: ['10.2.0.0/16'] }]),
      options: { intent: byName },
    },
    // An appliance in the source VNet cannot be judged (unsupported), but with no way back at all nothing is left undetermined.
    { name: "vnet-a routes vnet-c to its own firewall, vnet-c has no way back: isolated", resources: ownFirewall(false), options: { intent: qaIntent } },
    { name: 'Route Server and NVA in the hub, but spoke2 disables BGP route propagation on its only subnet and has no route: isolated', resources: spoke2LearnsNothing, options: { intent: byName } },
    { name: 'a hub with a VPN gateway only (no Route Server): spokes without routes are isolated, as before', resources: vpnHubAndSpokes(devAndProd), options: { intent: byName } },
    { name: 'a direct peering with access off on one side (NSGs are not read)', resources: direct({}, { peerings: [{ remote: s1, allowVirtualNetworkAccess: false }] }), options: { intent: byName } },
    { name: 'a group selecting nobody (no VNet has the tag) names no pair', resources: hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'], peerings: [{ remote: s2 }] }, { name: 'spoke2', prefixes: ['10.2.0.0/16'], peerings: [{ remote: s1 }] }]), options: { intent } },
  ],
  invalid: [
    {
      name: 'routes both ways through the hub firewall join dev and prod',
      resources: hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()] }, { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: [viaFirewall()] }]),
      options: { intent: byName },
      findings: [{ resourceId: s1, relatedResourceIds: [s2], messageIncludes: ['Intent "dev and prod are isolated"', 'a path exists: "spoke1" → firewall "afw-vnet-hub" in "vnet-hub" → "spoke2"'], fix: null }],
    },
    {
      name: "routes to VirtualNetworkGateway both ways: the hub's VPN gateway joins dev and prod",
      resources: vpnHubAndSpokes([
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaGateway('10.2.0.0/16')] },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: [viaGateway('10.1.0.0/16')] },
      ]),
      options: { intent: byName },
      findings: [{ resourceId: s1, messageIncludes: ['a path exists: "spoke1" → VPN gateway "vgw-hub" (SKU VpnGw1) in "vnet-hub" → "spoke2"'] }],
    },
    {
      name: 'a direct peering',
      resources: hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'], peerings: [{ remote: s2 }] }, { name: 'spoke2', prefixes: ['10.2.0.0/16'], peerings: [{ remote: s1 }] }]),
      options: { intent: byName },
      findings: [{ resourceId: s1, messageIncludes: ['"spoke1" → "spoke2" (peering "spoke1-to-spoke2")'] }],
    },
    // QA c2, c1, c3: a path to part of the other VNet breaks isolation as much as a whole one.
    {
      name: "a direct peering, dev's route table blackholing one /24 of prod: the rest is reachable, and the parts are named",
      resources: direct({ routes: [{ name: 'drop-99', prefix: '10.2.99.0/24', nextHopType: 'None' }] }),
      options: { intent: byName },
      findings: [
        {
          resourceId: s1,
          relatedResourceIds: [s2],
          messageIncludes: ['a path exists: "spoke1" → "spoke2" (peering "spoke1-to-spoke2") for 10.2.0.0/16 of "spoke2" except 10.2.99.0/24, and back for all of "spoke1".'],
        },
      ],
    },
    {
      name: 'a range prod added that the peering has not synced: the synced range is reachable',
      resources: direct(
        { peerings: [{ remote: s2, syncLevel: 'LocalNotInSync', remoteAddressSpace: ['10.2.0.0/16'] }] },
        { prefixes: ['10.2.0.0/16', '10.3.0.0/16'], peerings: [{ remote: s1, syncLevel: 'RemoteNotInSync' }] },
      ),
      options: { intent: byName },
      findings: [{ resourceId: s1, messageIncludes: ['a path exists: "spoke1" → "spoke2" (peering "spoke1-to-spoke2") for 10.2.0.0/16 of "spoke2", and back for all of "spoke1"'] }],
    },
    {
      name: 'a subnet peering between the app subnets of dev and prod',
      resources: direct(
        { subnets: [{ name: 'snet-app', prefix: '10.1.0.0/24' }, { name: 'snet-db', prefix: '10.1.1.0/24' }], peerings: [appOnly(s2)] },
        { subnets: [{ name: 'snet-app', prefix: '10.2.0.0/24' }, { name: 'snet-db', prefix: '10.2.1.0/24' }], peerings: [appOnly(s1)] },
      ),
      options: { intent: reversed },
      findings: [{ resourceId: s2, relatedResourceIds: [s1], messageIncludes: ['a path exists: "spoke2" → "spoke1" (peering "spoke2-to-spoke1") for 10.1.0.0/24 of "spoke1", and back for 10.2.0.0/24 of "spoke2".'] }],
    },
    // QA intent defect 2: for isolation, any way out and any way back connect the VNets (packets flow
    // both ways), whichever group is named first; a `reach` still needs the same way (QA c5 reversed).
    {
      name: 'prod reaches dev through an NVA in dev, dev answers over the peering: connected (dev, prod)',
      resources: nvaInDev,
      options: { intent: byName },
      findings: [{ resourceId: s1, relatedResourceIds: [s2], messageIncludes: ['a path exists: "spoke1" → "spoke2" (peering "spoke1-to-spoke2") for all of "spoke2", and back "spoke2" → appliance "nva-dev" in "spoke1" → "spoke1" for all of "spoke1".'] }],
    },
    {
      name: 'the same with the groups named the other way round (prod, dev)',
      resources: nvaInDev,
      options: { intent: reversed },
      findings: [{ resourceId: s2, relatedResourceIds: [s1], messageIncludes: ['a path exists: "spoke2" → appliance "nva-dev" in "spoke1" → "spoke1" for all of "spoke1", and back "spoke1" → "spoke2" (peering "spoke1-to-spoke2") for all of "spoke2".'] }],
    },
    {
      name: 'vnet-a reaches vnet-c through a router NVA in the hub, vnet-c answers over the direct peering: connected (QA asym-nva)',
      resources: asymmetricNva,
      options: { intent: qaIntent },
      findings: [
        {
          resourceId: qa.a,
          relatedResourceIds: [qa.c],
          messageIncludes: ['a path exists: "vnet-a" → appliance "nic-router" in "vnet-hub" → "vnet-c" for all of "vnet-c", and back "vnet-c" → "vnet-a" (peering "vnet-c-to-vnet-a") for all of "vnet-a".'],
        },
      ],
    },
    // QA intent defect 1: an undetermined verdict never confirms isolation.
    {
      name: "vnet-a's own firewall is the next hop both ways (unsupported): isolation not confirmed (QA spoke-fw)",
      resources: ownFirewall(),
      options: { intent: qaIntent },
      findings: [
        {
          resourceId: qa.a,
          relatedResourceIds: [qa.c],
          messageIncludes: [
            'Intent "a and c isolated" says',
            'are isolated, but it cannot be confirmed: a path between them cannot be ruled out (unsupported): route "to-c" (10.2.0.0/16 to VirtualAppliance 10.1.1.4) in route table "rt-a" sends traffic for "vnet-c" to an appliance inside "vnet-a" itself; chains of appliances are not followed.',
          ],
        },
      ],
    },
    {
      name: 'spokes that may both learn the routes an NVA advertises to the hub Route Server over BGP: isolation not confirmed, naming the Route Server',
      resources: routeServerHub(devAndProd),
      options: { intent: byName },
      findings: [
        {
          resourceId: s1,
          relatedResourceIds: [s2],
          messageIncludes: [
            'Intent "dev and prod are isolated" says VNet "spoke1"',
            'are isolated, but it cannot be confirmed: a path between them cannot be ruled out (unsupported): "spoke1" and "spoke2" are not peered and no route table sends its traffic to an appliance; but both use the Route Server in "vnet-hub" through gateway transit and subnets of both propagate gateway routes, and the routes an NVA advertises to a Route Server over BGP are not in the configuration: such a route may send 10.2.0.0/16 of "spoke2" from "spoke1" to an appliance in "vnet-hub".',
          ],
        },
      ],
    },
    {
      name: 'the same with the groups named the other way round',
      resources: routeServerHub(devAndProd),
      options: { intent: reversed },
      findings: [{ resourceId: s2, relatedResourceIds: [s1], messageIncludes: ['cannot be ruled out (unsupported)', 'both use the Route Server in "vnet-hub"', 'not in the configuration'] }],
    },
    {
      name: 'an AVNM mesh group',
      resources: [...hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'] }, { name: 'spoke2', prefixes: ['10.2.0.0/16'] }]), ...meshGroup('ng', [s1, s2])],
      options: { intent: byName },
      findings: [{ resourceId: s1, messageIncludes: ['(AVNM mesh group)'] }],
    },
  ],
});
