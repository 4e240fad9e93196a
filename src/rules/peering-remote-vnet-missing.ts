import { peeringRule, type FindingDraft } from './rule';
import { subscriptionOf } from '../model/ids';
import type { Peering } from '../model/types';
import { deletePeering, describePeering, describeVnet, isRemoteVnetMissing, remoteMayBeUnread } from './describe';

// The remote VNet's subscription was read, yet the VNet is not there. Only the peering's own state
// tells a deletion from a VNet that was merely not read: when one link of a pair is deleted, the
// other turns Disconnected (virtual-network-troubleshoot-peering-issues#the-peering-status-is-disconnected),
// and a Disconnected link must be deleted anyway, so the orphan is deleted
// (virtual-network-manage-peering#delete-a-peering). Initiated carries no traffic, but Microsoft
// does not say what a deletion of the remote does to it: an unproven orphan gets no delete. A
// Connected peering, or one without a state, may point at a VNet that was not read:
// peering-remote-out-of-scope reports it. A remote in a subscription that was not read is unknown,
// not missing (peering-remote-out-of-scope too).

function where(peering: Peering): string {
  return `subscription ${subscriptionOf(peering.remoteVnetId) ?? '?'}`;
}

/** Disconnected: the other link is gone, so the peering is an orphan; deleting it is safe to propose. */
function orphan(peering: Peering): FindingDraft {
  return {
    resourceId: peering.id,
    relatedResourceIds: [peering.vnetId, peering.remoteVnetId],
    message:
      `${describePeering(peering)} (state Disconnected) points at a VNet that does not exist: ` +
      `${where(peering)} was read and has no such VNet, and the peering's other link is gone. It was deleted or moved; the peering is an orphan.`,
    identity: [peering.id],
    fix: {
      description: `Delete the orphan peering "${peering.name}" from ${describeVnet(peering.vnet)}.`,
      destructive: true,
      operations: [deletePeering(peering.id)],
    },
  };
}

/** Initiated: no traffic flows, but whether the VNet was deleted or not read is unknown. */
function unprovenOrphan(peering: Peering): FindingDraft {
  return {
    resourceId: peering.id,
    relatedResourceIds: [peering.vnetId, peering.remoteVnetId],
    message:
      `${describePeering(peering)} (state Initiated) points at a VNet that is not in the input although ${where(peering)} was read: ` +
      'it was deleted or moved, or it was not read (Reader granted per resource group, Resource Graph lag, a stale export). ' +
      'Initiated means no traffic flows either way, but not which, so no delete is proposed: ' +
      'delete the peering if the VNet is gone, else create the peering back from it.',
    identity: [peering.id],
  };
}

export const peeringRemoteVnetMissing = peeringRule({
  meta: {
    id: 'peering-remote-vnet-missing',
    title: 'Remote VNet of a peering is missing',
    category: 'peering-lifecycle',
    defaultSeverity: 'error',
    description:
      "A peering's remote VNet is absent although its subscription was read, and the peering is Disconnected (the VNet was deleted or moved: an orphan that carries no traffic) or Initiated (no traffic, though the VNet may only be unread, so no delete is proposed).",
    docsUrl: 'https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering#delete-a-peering',
    fix: 'destructive',
  },
  checkPeering(peering) {
    if (!isRemoteVnetMissing(peering) || remoteMayBeUnread(peering)) return undefined;
    return peering.peeringState === 'Disconnected' ? orphan(peering) : unprovenOrphan(peering);
  },
});
