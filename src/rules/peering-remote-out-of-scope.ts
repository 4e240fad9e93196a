import { peeringRule } from './rule';
import type { Peering } from '../model/types';
import { describePeering, remoteNameOf, unreadRemoteReason } from './describe';
import { subscriptionOf } from '../model/ids';

// A remote VNet that was not read is unknown, not missing: the pair cannot be verified from here.
// Cross-subscription peering needs rights on both sides (create-peering-different-subscriptions), so
// granting read on the remote closes the gap. A classic VNet as the remote is never read (Resource
// Graph's Microsoft.Network inventory does not hold it): unknown too, never missing, so no rule
// proposes deleting a working peering to it. A VNet absent from a subscription that was read is
// unknown as well while its peering says Connected, which Azure reports only while both links exist
// (virtual-network-troubleshoot-peering-issues), or records no state (`remoteMayBeUnread`).

/** Why the remote was not read, or undefined when it was (or is missing: peering-remote-vnet-missing). */
function unreadBecause(peering: Peering): string | undefined {
  switch (unreadRemoteReason(peering)) {
    case undefined:
      return undefined;
    case 'vnet-not-read': {
      const absent = `VNet "${remoteNameOf(peering)}" is not in the input although subscription ${subscriptionOf(peering.remoteVnetId) ?? '?'} was read`;
      const unread = 'not read (Reader granted per resource group, Resource Graph lag, a stale export)';
      return peering.peeringState === 'Connected'
        ? `${absent}, yet the peering says Connected, which Azure reports only while both links exist: the VNet was ${unread}, not deleted`
        : `${absent}, and the peering's state (${peering.peeringState ?? 'none recorded'}) does not tell whether it was deleted or ${unread}`;
    }
    case 'classic-vnet':
      return 'the remote is a classic VNet (Microsoft.ClassicNetwork), which is not read';
    case 'subscription-not-read':
      return peering.remoteSubscriptionId ? `subscription ${peering.remoteSubscriptionId} was not read` : 'its subscription cannot be told from the remote id';
  }
}

export const peeringRemoteOutOfScope = peeringRule({
  meta: {
    id: 'peering-remote-out-of-scope',
    title: 'Remote VNet of a peering was not read',
    category: 'peering-lifecycle',
    defaultSeverity: 'info',
    description:
      "A peering's remote VNet was not read: it is in a subscription or tenant that was not read, or it is absent from a read subscription while the peering says Connected (or records no state). The other side of the pair cannot be verified.",
    docsUrl: 'https://learn.microsoft.com/azure/virtual-network/create-peering-different-subscriptions',
    fix: 'none',
  },
  checkPeering(peering) {
    const because = unreadBecause(peering);
    if (because === undefined) return undefined;
    return {
      resourceId: peering.id,
      relatedResourceIds: [peering.vnetId, peering.remoteVnetId],
      message: `${describePeering(peering)} cannot be verified: ${because}, so the reverse peering and the remote address space are unknown.`,
      identity: [peering.id],
    };
  },
});
