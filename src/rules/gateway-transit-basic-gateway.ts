import { peeringRule } from './rule';
import { nameOf } from '../model/ids';
import { describeGateway, describePeering, describeVnet, isBasicSkuGateway, isVnetRead } from './describe';

// Source: articles/vpn-gateway/vpn-gateway-peering-gateway-transit.md as published on Learn
// (https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-peering-gateway-transit): "The transit
// option ... can be used with all VPN Gateway SKUs except the Basic SKU"; also
// articles/vpn-gateway/vpn-gateway-different-region.md: "Gateway transit doesn't support the Basic
// SKU". about-gateway-skus.md adds that Basic "has certain feature and performance limitations and
// shouldn't be used for production purposes". A `Basic` SKU reported on an ExpressRoute gateway
// (legacy; not offered for new ER gateways) is treated the same way. Route Servers have no Basic SKU.

export const gatewayTransitBasicGateway = peeringRule({
  meta: {
    id: 'gateway-transit-basic-gateway',
    title: 'Remote gateway used for transit is a Basic SKU',
    category: 'gateway-transit',
    defaultSeverity: 'warning',
    description:
      'A peering uses remote gateways, and the remote VNet\'s gateway is a Basic SKU. Microsoft Learn: gateway transit "can be used with all VPN Gateway SKUs except the Basic SKU", so the peered VNet gets no transit through it.',
    docsUrl: 'https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-peering-gateway-transit',
    fix: 'none',
  },
  checkPeering(peering) {
    if (!peering.useRemoteGateways) return undefined;
    const remote = peering.remoteVnet;
    if (!isVnetRead(remote)) return undefined;
    const basic = remote.gateways.filter(isBasicSkuGateway);
    if (basic.length === 0) return undefined;
    return {
      resourceId: peering.id,
      relatedResourceIds: [peering.vnetId, peering.remoteVnetId, ...basic.map((g) => g.id)],
      message: `${describePeering(peering)} uses remote gateways, but the ${basic.map(describeGateway).join(', ')} of ${describeVnet(remote)} is a Basic SKU, which gateway transit does not support: "${nameOf(peering.vnetId)}" gets no on-premises connectivity through it. Resize or migrate the gateway to a VpnGw SKU (or an ErGw SKU for ExpressRoute).`,
      identity: [peering.id],
    };
  },
});
