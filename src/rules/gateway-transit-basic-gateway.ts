import type { FindingDraft, Rule } from './rule';
import { nameOf } from '../model/ids';
import { describeGateway, describePeering, describeVnet, isBasicSkuGateway, isVnetRead, remoteGatewayUsers, } from './describe';

// Source: articles/vpn-gateway/vpn-gateway-peering-gateway-transit.md as published on Learn
// (https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-peering-gateway-transit): "The transit
// option ... can be used with all VPN Gateway SKUs except the Basic SKU"; also
// articles/vpn-gateway/vpn-gateway-different-region.md: "Gateway transit doesn't support the Basic
// SKU". about-gateway-skus.md adds that Basic "has certain feature and performance limitations and
// shouldn't be used for production purposes". A `Basic` SKU reported on an ExpressRoute gateway
// (legacy; not offered for new ER gateways) is treated the same way. Route Servers have no Basic SKU.

export const gatewayTransitBasicGateway: Rule = {
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
  evaluate(topology) {
    const findings: FindingDraft[] = [];
    for (const peerings of remoteGatewayUsers(topology).values()) {
      for (const peering of peerings) {
        const remote = peering.remoteVnet;
        if (!isVnetRead(remote)) continue;
        const basic = remote.gateways.filter(isBasicSkuGateway);
        if (basic.length === 0) continue;
        findings.push({
          resourceId: peering.id,
          relatedResourceIds: [peering.vnetId, peering.remoteVnetId, ...basic.map((g) => g.id)],
          message: `${describePeering(topology, peering)} uses remote gateways, but the ${basic.map(describeGateway).join(', ')} of ${describeVnet(topology, remote.id)} is a Basic SKU, which gateway transit does not support: "${nameOf(peering.vnetId)}" gets no on-premises connectivity through it. Resize or migrate the gateway to a VpnGw SKU (or an ErGw SKU for ExpressRoute).`,
          identity: [peering.id],
        });
      }
    }
    return findings;
  },
};
