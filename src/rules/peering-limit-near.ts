import type { FindingDraft, Rule } from './rule';
import { describeVnet } from './describe';

// A VNet may hold 500 peerings by default (networking limits). Nearing it blocks the next spoke;
// warn from 90% so that there is time to split the hub or move to Virtual WAN / AVNM.

export const peeringLimitNear: Rule = {
  meta: {
    id: 'peering-limit-near',
    title: 'VNet near its peering limit',
    category: 'peering-lifecycle',
    defaultSeverity: 'warning',
    description:
      'A VNet holds 90% or more of the peerings it may have (500 by default, configurable): new peerings will soon be refused.',
    docsUrl: 'https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#networking-limits',
    fix: 'none',
  },
  evaluate(topology, options) {
    const findings: FindingDraft[] = [];
    const limit = options.peeringLimit;
    if (!(limit > 0)) return findings;
    const threshold = Math.ceil(0.9 * limit);
    for (const vnet of topology.vnets.values()) {
      const count = vnet.peerings.length;
      if (count < threshold) continue;
      const state = count >= limit ? 'it has reached the limit, so new peerings are refused' : 'new peerings will soon be refused';
      findings.push({
        resourceId: vnet.id,
        relatedResourceIds: [],
        message: `${describeVnet(vnet)} holds ${count} of ${limit} peerings: ${state}.`,
        identity: [vnet.id],
      });
    }
    return findings;
  },
};
