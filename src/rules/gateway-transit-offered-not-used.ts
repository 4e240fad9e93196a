import { peeringRule } from './rule';
import { nameOf } from '../model/ids';
import { describePeering, describeVnet, hasGateway, isBasicSkuGateway, isVnetRead } from './describe';

// B→A offers transit (allowGatewayTransit) and B has a gateway, but A→B does not set
// useRemoteGateways: A learns no on-premises routes through B (vpn-gateway-peering-gateway-transit).
// A Basic SKU gateway does not count: transit "can be used with all VPN Gateway SKUs except the
// Basic SKU" (same page), so an offer through it alone holds nothing to use.
// Silent when it is evidently deliberate: A has its own gateway, or uses remote gateways through
// another peering, or A→B does not exist (peering-one-sided's case). A VNet that was not read is
// unknown and not judged.

export const gatewayTransitOfferedNotUsed = peeringRule({
  meta: {
    id: 'gateway-transit-offered-not-used',
    title: 'Gateway transit offered but not used',
    category: 'gateway-transit',
    defaultSeverity: 'info',
    description:
      'A hub with a VPN gateway (not a Basic SKU, which carries no transit), ExpressRoute gateway or Route Server offers gateway transit, but the peer\'s peering back does not use remote gateways, and the peer has no other way to on-premises: it learns no on-premises routes through the hub.',
    docsUrl: 'https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-peering-gateway-transit',
    fix: 'none',
  },
  checkPeering(offer, topology) {
    if (!offer.allowGatewayTransit || !offer.vnet.gateways.some((g) => !isBasicSkuGateway(g))) return undefined;
    const back = topology.reverseOf(offer);
    if (!back || back.useRemoteGateways) return undefined;
    const peer = back.vnet;
    if (!isVnetRead(peer) || hasGateway(peer) || peer.peerings.some((p) => p.useRemoteGateways)) return undefined;
    return {
      resourceId: back.id,
      relatedResourceIds: [back.vnetId, back.remoteVnetId, offer.id],
      message: `${describeVnet(offer.vnet)} offers gateway transit on peering "${offer.name}", but ${describePeering(back)} does not use remote gateways: "${peer.name}" learns no on-premises routes through "${nameOf(offer.vnetId)}".`,
      identity: [back.id],
    };
  },
});
