import { peeringRule } from './rule';
import { describePeering } from './describe';

// A remote VNet in a subscription (or tenant) that was not read is unknown, not missing: the pair
// cannot be verified from here. Cross-subscription peering needs rights on both sides
// (create-peering-different-subscriptions), so granting read on the remote closes the gap.

export const peeringRemoteOutOfScope = peeringRule({
  meta: {
    id: 'peering-remote-out-of-scope',
    title: 'Remote VNet of a peering was not read',
    category: 'peering-lifecycle',
    defaultSeverity: 'info',
    description:
      "A peering's remote VNet is in a subscription or tenant that was not read, so the other side of the pair cannot be verified.",
    docsUrl: 'https://learn.microsoft.com/azure/virtual-network/create-peering-different-subscriptions',
    fix: 'none',
  },
  checkPeering(peering) {
    if (peering.remoteInScope) return undefined;
    const where = peering.remoteSubscriptionId
      ? `subscription ${peering.remoteSubscriptionId} was not read`
      : 'its subscription cannot be told from the remote id';
    return {
      resourceId: peering.id,
      relatedResourceIds: [peering.vnetId, peering.remoteVnetId],
      message: `${describePeering(peering)} cannot be verified: ${where}, so the reverse peering and the remote address space are unknown.`,
      identity: [peering.id],
    };
  },
});
