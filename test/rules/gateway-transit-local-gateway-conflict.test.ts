import { gatewayTransitLocalGatewayConflict } from '../../src/rules/gateway-transit-local-gateway-conflict';
import { SUB_A, SUB_B, SUB_C, gateway, routeServer, vnet, vnetId } from '../support/estate';
import { gatewaySubnetReferencing, hubAndSpokes, peeringIdOf } from '../support/gateway-estate';
import { ruleTester } from '../support/rule-tester';

const hub = vnetId('vnet-hub', SUB_A);
const hub2 = vnetId('vnet-hub2', SUB_A);
const spoke = vnetId('vnet-spoke1', SUB_B);
const gwSpokeId = `/subscriptions/${SUB_B}/resourceGroups/rg-vnet-spoke1/providers/Microsoft.Network/virtualNetworkGateways/gw-spoke`;
const rsSpokeId = `/subscriptions/${SUB_B}/resourceGroups/rg-vnet-spoke1/providers/Microsoft.Network/virtualHubs/rs-spoke`;

ruleTester(gatewayTransitLocalGatewayConflict, {
  valid: [
    { name: 'spoke without a gateway uses the hub\'s', resources: hubAndSpokes({ hub, spokes: [spoke] }).resources },
    { name: 'hub with three hundred spokes', resources: hubAndSpokes({ hub, spokes: 300, gateway: 'routeserver' }).resources },
    {
      name: 'spoke with its own gateway does not use remote gateways',
      resources: [...hubAndSpokes({ hub, spokes: [spoke], spokeToHub: { useRemoteGateways: false } }).resources, gateway('gw-spoke', spoke)],
    },
    {
      name: 'remote hub out of scope does not matter when the spoke has no gateway',
      resources: [vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: vnetId('vnet-partner', SUB_C), useRemoteGateways: true }] })],
    },
  ],
  invalid: [
    {
      name: 'spoke with its own VPN gateway uses remote gateways',
      resources: [...hubAndSpokes({ hub, spokes: [spoke] }).resources, gateway('gw-spoke', spoke)],
      findings: [
        {
          resourceId: peeringIdOf(spoke, hub),
          messageIncludes: ['"vnet-spoke1"', '"vnet-hub"', 'VPN gateway "gw-spoke" (SKU VpnGw1)', 'cannot use'],
          relatedResourceIds: [spoke, hub, gwSpokeId],
          fix: null,
        },
      ],
    },
    {
      name: 'Route Server counts as the spoke\'s own gateway',
      resources: [...hubAndSpokes({ hub, spokes: [spoke] }).resources, routeServer('rs-spoke', spoke)],
      findings: [{ resourceId: peeringIdOf(spoke, hub), messageIncludes: ['Route Server "rs-spoke"'], relatedResourceIds: [spoke, hub, rsSpokeId] }],
    },
    {
      name: 'spoke\'s gateway known only through its GatewaySubnet\'s ipConfigurations',
      resources: [
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], subnets: [gatewaySubnetReferencing(spoke, 'gw-spoke', '10.1.255.0/27')], peerings: [{ remote: hub, useRemoteGateways: true }] }),
        vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke, allowGatewayTransit: true }] }),
        gateway('gw-hub', hub),
      ],
      findings: [{ resourceId: peeringIdOf(spoke, hub), messageIncludes: ['gateway "gw-spoke"'] }],
    },
    {
      name: 'remote hub out of scope: the local conflict is still known',
      resources: [
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: vnetId('vnet-partner', SUB_C), useRemoteGateways: true }] }),
        gateway('gw-spoke', spoke),
      ],
      findings: [{ resourceId: peeringIdOf(spoke, vnetId('vnet-partner', SUB_C)), messageIncludes: ['"vnet-partner"'] }],
    },
    {
      name: 'one finding per peering that uses remote gateways',
      resources: [
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub, useRemoteGateways: true }, { remote: hub2.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/'), useRemoteGateways: true }] }),
        gateway('gw-spoke', spoke.toLowerCase()),
      ],
      findings: [{ resourceId: peeringIdOf(spoke, hub) }, { resourceId: `${spoke}/virtualNetworkPeerings/vnet-spoke1-to-VNET-HUB2` }],
    },
  ],
});
