import { peeringRule } from './rule';
import { nameOf } from '../model/ids';
import { describeGateways, describePeering, describeVnet, hasGateway } from './describe';

// useRemoteGateways "cannot be set if virtual network already has a gateway" (Microsoft.Network REST
// spec; virtual-network-manage-peering). A Route Server counts as the VNet's gateway. One finding
// per offending peering.

export const gatewayTransitLocalGatewayConflict = peeringRule({
  meta: {
    id: 'gateway-transit-local-gateway-conflict',
    title: 'VNet with its own gateway uses remote gateways',
    category: 'gateway-transit',
    defaultSeverity: 'error',
    description:
      'A VNet that has its own VPN gateway, ExpressRoute gateway or Route Server has a peering that sets useRemoteGateways. A VNet with a gateway cannot use a remote one; one of the two must go.',
    docsUrl: 'https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering#requirements-and-constraints',
    fix: 'none',
  },
  checkPeering(peering) {
    if (!peering.useRemoteGateways) return undefined;
    const vnet = peering.vnet;
    if (!hasGateway(vnet)) return undefined;
    return {
      resourceId: peering.id,
      relatedResourceIds: [vnet.id, peering.remoteVnetId, ...vnet.gateways.map((g) => g.id)],
      message: `${describeVnet(vnet)} has its own ${describeGateways(vnet)}, yet ${describePeering(peering)} uses remote gateways: a VNet with a gateway cannot use the gateway of "${nameOf(peering.remoteVnetId)}". Remove the local gateway or stop using remote gateways.`,
      identity: [peering.id],
    };
  },
});
