import { parseIntent } from '../../src/intent/schema';
import { transitIntentViolated } from '../../src/rules/transit-intent-violated';
import { ruleTester } from '../support/rule-tester';
import { hubAndSpokes, meshGroup, spokeId, viaFirewall, viaGateway, vpnHubAndSpokes } from '../support/transit';

const s1 = spokeId('spoke1');
const s2 = spokeId('spoke2');
const intent = parseIntent({
  groups: { dev: { tags: ['env=dev'], names: ['spoke1', 'spoke3'] }, prod: { names: ['spoke2'] } },
  statements: [{ isolated: { between: ['dev', 'prod'] } }],
});
// hubAndSpokes gives no tags: select dev by name only.
const byName = parseIntent({ groups: { dev: { names: ['spoke1', 'spoke3'] }, prod: { names: ['spoke2'] } }, statements: [{ name: 'dev and prod are isolated', isolated: { between: ['dev', 'prod'] } }] });

ruleTester(transitIntentViolated, {
  valid: [
    { name: 'without an intent the rule is silent', resources: hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'], peerings: [{ remote: s2 }] }, { name: 'spoke2', prefixes: ['10.2.0.0/16'], peerings: [{ remote: s1 }] }]) },
    { name: 'spokes of one hub without routes are isolated', resources: hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'] }, { name: 'spoke2', prefixes: ['10.2.0.0/16'] }]), options: { intent: byName } },
    {
      name: 'a route one way only is no path (no return)',
      resources: hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall()] }, { name: 'spoke2', prefixes: ['10.2.0.0/16'] }]),
      options: { intent: byName },
    },
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
    {
      name: 'an AVNM mesh group',
      resources: [...hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'] }, { name: 'spoke2', prefixes: ['10.2.0.0/16'] }]), ...meshGroup('ng', [s1, s2])],
      options: { intent: byName },
      findings: [{ resourceId: s1, messageIncludes: ['(AVNM mesh group)'] }],
    },
  ],
});
