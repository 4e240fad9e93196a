import type { FindingDraft, Rule } from './rule';
import { describeVnet } from './describe';

// A VNet may hold 500 peerings by default (networking limits). Nearing it blocks the next spoke;
// warn from 90% so that there is time to split the hub or move to Virtual WAN / AVNM. A hub of an
// AVNM hub-and-spoke configuration may be peered with up to 1,000 VNets (AVNM limitations), so it
// is held to that unless the configured limit is higher.

const AVNM_HUB_LIMIT = 1000;

export const peeringLimitNear: Rule = {
  meta: {
    id: 'peering-limit-near',
    title: 'VNet near its peering limit',
    category: 'peering-lifecycle',
    defaultSeverity: 'warning',
    description:
      'A VNet holds 90% or more of the peerings it may have (500 by default, configurable; 1,000 for a hub of an AVNM hub-and-spoke configuration): new peerings will soon be refused.',
    docsUrl: 'https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#networking-limits',
    fix: 'none',
  },
  evaluate(topology, options) {
    const findings: FindingDraft[] = [];
    const configured = options.peeringLimit;
    if (!(configured > 0)) return findings;
    for (const vnet of topology.vnets.values()) {
      const count = vnet.peerings.length;
      const limit = vnet.avnmHub ? Math.max(configured, AVNM_HUB_LIMIT) : configured;
      if (count < Math.ceil(0.9 * limit)) continue;
      const state = count >= limit ? 'it has reached the limit, so new peerings are refused' : 'new peerings will soon be refused';
      const why = limit !== configured ? ' (the limit of a hub in an AVNM hub-and-spoke connectivity configuration)' : '';
      findings.push({
        resourceId: vnet.id,
        relatedResourceIds: [],
        message: `${describeVnet(vnet)} holds ${count} of ${limit} peerings${why}: ${state}.`,
        identity: [vnet.id],
      });
    }
    return findings;
  },
};
