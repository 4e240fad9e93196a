import { gatewayTransitRemoteHasNoGateway } from '../../src/rules/gateway-transit-remote-has-no-gateway';
import { SUB_A, SUB_B, SUB_C, gateway, peeringResource, vnet, vnetId } from '../support/estate';
import { hubAndSpokes, peeringIdOf } from '../support/gateway-estate';
import { ruleTester } from '../support/rule-tester';

const hub = vnetId('vnet-hub', SUB_A);
const spoke = vnetId('vnet-spoke1', SUB_B);
const upper = (id: string) => id.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/');
const manySpokes = hubAndSpokes({ hub, spokes: 300, gateway: 'none' });

ruleTester(gatewayTransitRemoteHasNoGateway, {
  valid: [
    { name: 'hub with a VPN gateway', resources: hubAndSpokes({ hub, spokes: [spoke] }).resources },
    { name: 'hub with an ExpressRoute gateway', resources: hubAndSpokes({ hub, spokes: [spoke], gateway: 'expressroute' }).resources },
    { name: 'Route Server as the hub\'s gateway', resources: hubAndSpokes({ hub, spokes: [spoke], gateway: 'routeserver' }).resources },
    {
      name: 'gateway known only through the GatewaySubnet\'s ipConfigurations',
      resources: hubAndSpokes({ hub, spokes: [spoke], gateway: 'subnet-reference' }).resources,
    },
    { name: 'hub with three hundred spokes and a gateway', resources: hubAndSpokes({ hub, spokes: 300 }).resources },
    {
      name: 'ids differ only in case between the peering, the gateway and the hub',
      resources: [
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: upper(hub), useRemoteGateways: true }] }),
        vnet({ id: hub.toLowerCase(), prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke, allowGatewayTransit: true }] }),
        gateway('gw-hub', upper(hub)),
      ],
    },
    {
      name: 'remote hub in a subscription that was not read is unknown',
      resources: [vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: vnetId('vnet-partner', SUB_C), useRemoteGateways: true }] })],
    },
    {
      name: 'remote hub missing from a read subscription is left to peering-remote-vnet-missing',
      resources: [
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: vnetId('gone', SUB_A), useRemoteGateways: true }] }),
        vnet({ id: hub, prefixes: ['10.0.0.0/16'] }),
      ],
    },
    {
      name: 'remote hub known only from a standalone peering of its own: its gateways are unknown',
      resources: [
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub, useRemoteGateways: true }] }),
        peeringResource(hub, { remote: spoke, allowGatewayTransit: true }),
      ],
    },
    {
      name: 'a gateway-less hub that nobody uses for transit',
      resources: hubAndSpokes({ hub, spokes: [spoke], gateway: 'none', hubToSpoke: { allowGatewayTransit: false }, spokeToHub: { useRemoteGateways: false } }).resources,
    },
  ],
  invalid: [
    {
      name: 'spoke uses remote gateways, hub has none',
      resources: hubAndSpokes({ hub, spokes: [spoke], gateway: 'none' }).resources,
      findings: [
        {
          resourceId: peeringIdOf(spoke, hub),
          messageIncludes: ['"vnet-spoke1"', '"vnet-hub"', 'no VPN gateway, ExpressRoute gateway or Route Server'],
          relatedResourceIds: [spoke, hub],
          fix: null,
        },
      ],
    },
    {
      name: 'hub has a gateway in an unrelated VNet\'s GatewaySubnet only (the reference points elsewhere)',
      resources: [
        ...hubAndSpokes({ hub, spokes: [spoke], gateway: 'none' }).resources,
        gateway('gw-elsewhere', vnetId('vnet-other', SUB_A)),
        vnet({ id: vnetId('vnet-other', SUB_A), prefixes: ['10.9.0.0/16'] }),
      ],
      findings: [{ resourceId: peeringIdOf(spoke, hub) }],
    },
    {
      name: 'ids differ only in case: the finding keeps the spoke\'s casing',
      resources: [
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: upper(hub), useRemoteGateways: true }] }),
        vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke.toLowerCase(), allowGatewayTransit: true }] }),
      ],
      findings: [{ resourceId: `${spoke}/virtualNetworkPeerings/vnet-spoke1-to-VNET-HUB`, messageIncludes: ['"vnet-hub"'] }],
    },
    {
      name: 'hub with three hundred spokes and no gateway: one finding per spoke',
      resources: manySpokes.resources,
      findings: manySpokes.spokes.map((s) => ({ resourceId: peeringIdOf(s, hub) })),
    },
  ],
});
