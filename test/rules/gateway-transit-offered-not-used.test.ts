import { gatewayTransitOfferedNotUsed } from '../../src/rules/gateway-transit-offered-not-used';
import { SUB_A, SUB_B, SUB_C, gateway, peeringResource, routeServer, vnet, vnetId } from '../support/estate';
import { hubAndSpokes, peeringIdOf } from '../support/gateway-estate';
import { ruleTester } from '../support/rule-tester';

const hub = vnetId('vnet-hub', SUB_A);
const hub2 = vnetId('vnet-hub2', SUB_A);
const spoke = vnetId('vnet-spoke1', SUB_B);
const upper = (id: string) => id.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/');
const notUsed = { useRemoteGateways: false };
const manySpokes = hubAndSpokes({ hub, spokes: 300, spokeToHub: notUsed });

ruleTester(gatewayTransitOfferedNotUsed, {
  valid: [
    { name: 'offered and used', resources: hubAndSpokes({ hub, spokes: [spoke] }).resources },
    { name: 'hub with three hundred spokes, all using the offer', resources: hubAndSpokes({ hub, spokes: 300, gateway: 'routeserver' }).resources },
    {
      name: 'offer without a gateway is left to gateway-transit-allowed-without-gateway',
      resources: hubAndSpokes({ hub, spokes: [spoke], gateway: 'none', spokeToHub: notUsed }).resources,
    },
    {
      name: 'the spoke has a gateway of its own: deliberate',
      resources: [...hubAndSpokes({ hub, spokes: [spoke], spokeToHub: notUsed }).resources, gateway('gw-spoke', spoke)],
    },
    {
      name: 'the spoke has a Route Server of its own: deliberate',
      resources: [...hubAndSpokes({ hub, spokes: [spoke], spokeToHub: notUsed }).resources, routeServer('rs-spoke', spoke)],
    },
    {
      name: 'the spoke uses the gateway of another hub: deliberate',
      resources: [
        vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke, allowGatewayTransit: true }] }),
        vnet({ id: hub2, prefixes: ['10.2.0.0/16'], peerings: [{ remote: spoke, allowGatewayTransit: true }] }),
        gateway('gw-hub', hub),
        gateway('gw-hub2', hub2),
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub }, { remote: hub2, useRemoteGateways: true }] }),
      ],
    },
    {
      // "can be used with all VPN Gateway SKUs except the Basic SKU" (vpn-gateway-peering-gateway-transit):
      // the spoke is not told to use an offer that carries nothing (gateway-transit-basic-gateway's case once it does).
      name: "the hub's only gateway is a Basic SKU, which carries no transit: nothing to use",
      resources: [...hubAndSpokes({ hub, spokes: [spoke], gateway: 'none', spokeToHub: notUsed }).resources, gateway('gw-hub', hub, { sku: 'Basic' })],
    },
    {
      name: 'no peering back: left to peering-one-sided',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke, allowGatewayTransit: true }] }), gateway('gw-hub', hub), vnet({ id: spoke, prefixes: ['10.1.0.0/16'] })],
    },
    {
      name: 'peer in a subscription that was not read is unknown',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: vnetId('vnet-partner', SUB_C), allowGatewayTransit: true }] }), gateway('gw-hub', hub)],
    },
    {
      name: 'peer known only from a standalone peering of its own: its gateways are unknown',
      resources: [
        vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke, allowGatewayTransit: true }] }),
        gateway('gw-hub', hub),
        peeringResource(spoke, { remote: hub }),
      ],
    },
    {
      name: 'ids differ only in case: the use is still seen',
      resources: [
        vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: upper(spoke), allowGatewayTransit: true }] }),
        gateway('gw-hub', hub.toLowerCase()),
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub.toLowerCase(), useRemoteGateways: true }] }),
      ],
    },
  ],
  invalid: [
    {
      name: 'hub with a VPN gateway offers transit, the spoke does not use it',
      resources: hubAndSpokes({ hub, spokes: [spoke], spokeToHub: notUsed }).resources,
      findings: [
        {
          resourceId: peeringIdOf(spoke, hub),
          messageIncludes: ['"vnet-hub"', '"vnet-spoke1"', 'learns no on-premises routes'],
          relatedResourceIds: [spoke, hub, peeringIdOf(hub, spoke)],
          fix: null,
        },
      ],
    },
    {
      name: 'Route Server as the hub\'s gateway',
      resources: hubAndSpokes({ hub, spokes: [spoke], gateway: 'routeserver', spokeToHub: notUsed }).resources,
      findings: [{ resourceId: peeringIdOf(spoke, hub) }],
    },
    {
      name: 'a Basic VPN gateway beside an ExpressRoute gateway: the ExpressRoute one carries transit',
      resources: [
        ...hubAndSpokes({ hub, spokes: [spoke], gateway: 'none', spokeToHub: notUsed }).resources,
        gateway('gw-hub', hub, { sku: 'Basic' }),
        gateway('er-hub', hub, { type: 'ExpressRoute', sku: 'ErGw1AZ' }),
      ],
      findings: [{ resourceId: peeringIdOf(spoke, hub) }],
    },
    {
      name: 'gateway known only through the GatewaySubnet\'s ipConfigurations',
      resources: hubAndSpokes({ hub, spokes: [spoke], gateway: 'subnet-reference', spokeToHub: notUsed }).resources,
      findings: [{ resourceId: peeringIdOf(spoke, hub) }],
    },
    {
      name: 'ids differ only in case: the finding keeps the spoke\'s casing',
      resources: [
        vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke.toLowerCase(), allowGatewayTransit: true }] }),
        gateway('gw-hub', upper(hub)),
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: upper(hub) }] }),
      ],
      findings: [{ resourceId: `${spoke}/virtualNetworkPeerings/vnet-spoke1-to-VNET-HUB` }],
    },
    {
      name: 'hub with three hundred spokes, none using the offer: one finding per spoke',
      resources: manySpokes.resources,
      findings: manySpokes.spokes.map((s) => ({ resourceId: peeringIdOf(s, hub) })),
    },
  ],
});
