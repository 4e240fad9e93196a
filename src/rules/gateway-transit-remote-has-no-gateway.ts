import { peeringRule } from './rule';
import { nameOf } from '../model/ids';
import { describePeering, describeVnet, hasGateway, isVnetRead } from './describe';

// useRemoteGateways needs a VPN or ExpressRoute gateway, or a Route Server, in the remote VNet
// (virtual-network-manage-peering: "Use the remote virtual network's gateway or Route Server").
// A gateway counts however it is known: its own resource, or the GatewaySubnet's / RouteServerSubnet's
// ipConfigurations. A remote VNet that was not read is unknown and not judged.

export const gatewayTransitRemoteHasNoGateway = peeringRule({
  meta: {
    id: 'gateway-transit-remote-has-no-gateway',
    title: 'Remote gateways used but the remote VNet has none',
    category: 'gateway-transit',
    defaultSeverity: 'error',
    description:
      'A peering sets useRemoteGateways, but the remote VNet has no VPN gateway, ExpressRoute gateway or Route Server, so there is nothing to use and no on-premises routes are learned.',
    docsUrl: 'https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering#create-a-peering',
    fix: 'none',
  },
  checkPeering(peering) {
    if (!peering.useRemoteGateways) return undefined;
    const remote = peering.remoteVnet;
    if (!isVnetRead(remote) || hasGateway(remote)) return undefined;
    return {
      resourceId: peering.id,
      relatedResourceIds: [peering.vnetId, peering.remoteVnetId],
      message: `${describePeering(peering)} uses remote gateways, but ${describeVnet(remote)} has no VPN gateway, ExpressRoute gateway or Route Server, so "${nameOf(peering.vnetId)}" reaches no on-premises network through "${remote.name}".`,
      identity: [peering.id],
    };
  },
});
