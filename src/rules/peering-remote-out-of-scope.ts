import { peeringRule } from './rule';
import { describePeering } from './describe';
import { isClassicVnetId } from '../model/ids';

// A remote VNet in a subscription (or tenant) that was not read is unknown, not missing: the pair
// cannot be verified from here. Cross-subscription peering needs rights on both sides
// (create-peering-different-subscriptions), so granting read on the remote closes the gap. A classic
// VNet as the remote is never read (Resource Graph's Microsoft.Network inventory does not hold it):
// unknown too, never missing, so no rule proposes deleting a working peering to it.

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
    const where = isClassicVnetId(peering.remoteVnetId)
      ? 'the remote is a classic VNet (Microsoft.ClassicNetwork), which is not read'
      : peering.remoteSubscriptionId
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
