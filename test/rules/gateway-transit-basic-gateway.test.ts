import { gatewayTransitBasicGateway } from '../../src/rules/gateway-transit-basic-gateway';
import { SUB_A, SUB_B, SUB_C, gateway, vnet, vnetId } from '../support/estate';
import { hubAndSpokes, peeringIdOf } from '../support/gateway-estate';
import { ruleTester } from '../support/rule-tester';

const hub = vnetId('vnet-hub', SUB_A);
const spoke = vnetId('vnet-spoke1', SUB_B);
const basicGatewayId = `/subscriptions/${SUB_A}/resourceGroups/rg-vnet-hub/providers/Microsoft.Network/virtualNetworkGateways/gw-basic`;
const upper = (id: string) => id.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/');
const manySpokes = hubAndSpokes({ hub, spokes: 300, gateway: { basic: 'Vpn' } });

ruleTester(gatewayTransitBasicGateway, {
  valid: [
    { name: 'VpnGw1 hub', resources: hubAndSpokes({ hub, spokes: [spoke] }).resources },
    { name: 'ErGw1AZ hub', resources: hubAndSpokes({ hub, spokes: [spoke], gateway: 'expressroute' }).resources },
    { name: 'Route Server as the hub\'s gateway', resources: hubAndSpokes({ hub, spokes: [spoke], gateway: 'routeserver' }).resources },
    {
      name: 'gateway known only through the GatewaySubnet\'s ipConfigurations (SKU unknown: not judged)',
      resources: hubAndSpokes({ hub, spokes: [spoke], gateway: 'subnet-reference' }).resources,
    },
    { name: 'hub with three hundred spokes and a VpnGw1', resources: hubAndSpokes({ hub, spokes: 300 }).resources },
    {
      name: 'Basic hub that nobody uses for transit',
      resources: hubAndSpokes({ hub, spokes: [spoke], gateway: { basic: 'Vpn' }, hubToSpoke: { allowGatewayTransit: false }, spokeToHub: { useRemoteGateways: false } }).resources,
    },
    {
      name: 'remote hub in a subscription that was not read is unknown',
      resources: [vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: vnetId('vnet-partner', SUB_C), useRemoteGateways: true }] })],
    },
  ],
  invalid: [
    {
      name: 'spoke uses a Basic VPN gateway',
      resources: hubAndSpokes({ hub, spokes: [spoke], gateway: { basic: 'Vpn' } }).resources,
      findings: [
        {
          resourceId: peeringIdOf(spoke, hub),
          messageIncludes: ['"vnet-spoke1"', '"vnet-hub"', 'VPN gateway "gw-basic" (SKU Basic)', 'does not support'],
          relatedResourceIds: [spoke, hub, basicGatewayId],
          fix: null,
        },
      ],
    },
    {
      name: 'legacy Basic ExpressRoute gateway',
      resources: hubAndSpokes({ hub, spokes: [spoke], gateway: { basic: 'ExpressRoute' } }).resources,
      findings: [{ resourceId: peeringIdOf(spoke, hub), messageIncludes: ['ExpressRoute gateway "gw-basic" (SKU Basic)'] }],
    },
    {
      name: 'SKU in other casing, ids differing only in case',
      resources: [
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: upper(hub), useRemoteGateways: true }] }),
        vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke.toLowerCase(), allowGatewayTransit: true }] }),
        gateway('gw-basic', hub.toLowerCase(), { sku: 'BASIC' }),
      ],
      findings: [{ resourceId: `${spoke}/virtualNetworkPeerings/vnet-spoke1-to-VNET-HUB` }],
    },
    {
      name: 'hub with three hundred spokes on a Basic gateway: one finding per spoke',
      resources: manySpokes.resources,
      findings: manySpokes.spokes.map((s) => ({ resourceId: peeringIdOf(s, hub) })),
    },
  ],
});
