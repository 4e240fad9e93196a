import type { FindingDraft, Rule } from './rule';
import { nameOf } from '../model/ids';
import { describeVnet, listNames, remoteGatewayPeerings } from './describe';

// "Only one peering can have this flag set to true" (useRemoteGateways, Microsoft.Network REST spec;
// virtual-network-manage-peering). One finding per VNet; its identity is the VNet alone, so that the
// fingerprint does not change when the list of peerings does.

export const gatewayTransitMultipleRemote: Rule = {
  meta: {
    id: 'gateway-transit-multiple-remote',
    title: 'More than one peering uses remote gateways',
    category: 'gateway-transit',
    defaultSeverity: 'error',
    description:
      'More than one peering of a VNet sets useRemoteGateways. Only one peering of a VNet may use remote gateways, so the VNet\'s on-premises routing is not what the settings say.',
    docsUrl: 'https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering#requirements-and-constraints',
    fix: 'none',
  },
  evaluate(topology) {
    const findings: FindingDraft[] = [];
    for (const vnet of topology.vnets.values()) {
      const peerings = remoteGatewayPeerings(vnet);
      if (peerings.length < 2) continue;
      findings.push({
        resourceId: vnet.id,
        relatedResourceIds: peerings.map((p) => p.id),
        message: `${describeVnet(vnet)} uses remote gateways on ${peerings.length} peerings (to ${listNames(peerings.map((p) => nameOf(p.remoteVnetId)))}); only one peering of a VNet may use remote gateways. Keep it on the peering to the hub whose gateway "${nameOf(vnet.id)}" should use.`,
        identity: [vnet.id],
      });
    }
    return findings;
  },
};
