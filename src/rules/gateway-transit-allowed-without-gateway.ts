import { peeringRule } from './rule';
import { nameOf } from '../model/ids';
import { describePeering, describeVnet, hasGateway, isVnetRead, putPeering } from './describe';

// allowGatewayTransit offers "this virtual network's gateway or Route Server" to the peer
// (virtual-network-manage-peering); without one, the offer is empty. The fix withdraws the offer,
// and only when the remote VNet was read and its peering back does not use remote gateways: if it
// does, gateway-transit-remote-has-no-gateway reports it there, and whether to add a gateway here
// or stop using it there is not peerguard's choice. An unread remote VNet is unknown: no fix.

export const gatewayTransitAllowedWithoutGateway = peeringRule({
  meta: {
    id: 'gateway-transit-allowed-without-gateway',
    title: 'Gateway transit allowed but the VNet has no gateway',
    category: 'gateway-transit',
    defaultSeverity: 'warning',
    description:
      'A peering sets allowGatewayTransit, but its own VNet has no VPN gateway, ExpressRoute gateway or Route Server: the offer is empty, and a peer that relies on it gets no on-premises routes.',
    docsUrl: 'https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering#create-a-peering',
    fix: 'safe',
  },
  checkPeering(peering, topology) {
    if (!peering.allowGatewayTransit) return undefined;
    const local = peering.vnet;
    if (!isVnetRead(local) || hasGateway(local)) return undefined;
    const remoteRead = isVnetRead(peering.remoteVnet);
    const reverse = remoteRead ? topology.reverseOf(peering) : undefined;
    const message = `${describePeering(peering)} allows gateway transit, but ${describeVnet(local)} has no VPN gateway, ExpressRoute gateway or Route Server: the offer to "${nameOf(peering.remoteVnetId)}" is empty.`;
    let why: string | undefined;
    if (!remoteRead) why = `"${nameOf(peering.remoteVnetId)}" was not read, so whether it relies on the offer is unknown`;
    else if (reverse?.useRemoteGateways) {
      why = `"${nameOf(peering.remoteVnetId)}" uses it through peering "${reverse.name}" (see gateway-transit-remote-has-no-gateway); adding a gateway to "${local.name}" or no longer using remote gateways there is the owners' choice`;
    }
    return {
      resourceId: peering.id,
      relatedResourceIds: reverse ? [peering.vnetId, peering.remoteVnetId, reverse.id] : [peering.vnetId, peering.remoteVnetId],
      message: why ? `${message} No fix is proposed: ${why}.` : message,
      identity: [peering.id],
      ...(why
        ? {}
        : {
            fix: {
              description: `Stop offering gateway transit on peering "${peering.name}" of ${describeVnet(local)}.`,
              destructive: false,
              operations: [putPeering(peering, { allowGatewayTransit: false })],
            },
          }),
    };
  },
});
