import { peeringRule } from './rule';
import { describePeering } from './describe';

// provisioningState Failed: the last write on the peering did not succeed. The peering may still
// carry traffic, but further operations on it (and on resources that depend on it) can fail until
// a successful write restores Succeeded (networking/troubleshoot-failed-state).

export const peeringProvisioningFailed = peeringRule({
  meta: {
    id: 'peering-provisioning-failed',
    title: 'Peering provisioning failed',
    category: 'peering-lifecycle',
    defaultSeverity: 'error',
    description:
      "A peering's provisioningState is Failed: its last update did not succeed, and later operations on it may fail until it is written again successfully.",
    docsUrl: 'https://learn.microsoft.com/azure/networking/troubleshoot-failed-state',
    fix: 'none',
  },
  checkPeering(peering) {
    if (peering.provisioningState !== 'Failed') return undefined;
    return {
      resourceId: peering.id,
      relatedResourceIds: [peering.vnetId, peering.remoteVnetId],
      message: `${describePeering(peering)} is in provisioning state Failed: its last update did not succeed, so its settings may not be in effect and further changes to it may fail.`,
      identity: [peering.id],
    };
  },
});
