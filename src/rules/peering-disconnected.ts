import { peeringRule, type ArmOperation, type FindingDraft } from './rule';
import type { Peering } from '../model/types';
import { keyOf, nameOf } from '../model/ids';
import {
  deletePeering,
  describePeering,
  describeVnet,
  isRemoteVnetMissing,
  putPeering,
  remoteNameOf,
  reversePeeringOperation,
} from './describe';

// Disconnected: one link was deleted after the pair was Connected, or the pair fell out of sync
// (subscription/tenant move, unsynced address change). Azure refuses to re-create one side while
// the other is Disconnected: both links must be deleted and re-created
// (virtual-network-troubleshoot-peering-issues). A remote VNet missing from a read subscription is
// peering-remote-vnet-missing's: deleting the orphan is the fix there, not re-creating it. A remote
// that was not read (another subscription or tenant, a classic VNet) may still hold its own
// Disconnected link: re-creating ours would then be refused after the delete, so no plan is offered.

/** Disconnected towards a remote that was not read: whether its link back still exists is unknown. */
function remoteUnknown(peering: Peering): FindingDraft {
  const remote = `"${remoteNameOf(peering)}"`;
  return {
    resourceId: peering.id,
    relatedResourceIds: [peering.vnetId, peering.remoteVnetId],
    message:
      `${describePeering(peering)} is Disconnected, and the other side is unknown: ${remote} was not read, so whether its peering back still exists cannot be told. ` +
      'No traffic flows until both links are deleted and re-created, and Azure refuses to re-create one while the other is Disconnected, ' +
      `so no plan is offered: check ${remote}'s side, delete any peering back there and this one, then re-create both.`,
    identity: [peering.id],
  };
}

export const peeringDisconnected = peeringRule({
  meta: {
    id: 'peering-disconnected',
    title: 'Peering is Disconnected',
    category: 'peering-lifecycle',
    defaultSeverity: 'error',
    description:
      'A peering is Disconnected: the other link was deleted, or the pair fell out of sync (move, unsynced address change). No traffic flows until both links are deleted and re-created.',
    docsUrl: 'https://learn.microsoft.com/azure/virtual-network/virtual-network-troubleshoot-peering-issues#the-peering-status-is-disconnected',
    fix: 'destructive',
    // Every deleted pair passes through this state: deleting one link leaves the other Disconnected
    // until it is deleted too (virtual-network-troubleshoot-peering-issues), and a pair is deleted one
    // link after the other (a destroy, `az network vnet peering delete` twice). The finding is
    // resolved when the second link goes, so without a settle period a routine teardown mails twice.
    settles: true,
  },
  checkPeering(peering, topology) {
    if (peering.peeringState !== 'Disconnected') return undefined;
    if (isRemoteVnetMissing(peering)) return undefined;
    if (!peering.remoteInScope) return remoteUnknown(peering);
    const reverse = topology.reverseOf(peering);
    const local = `"${nameOf(peering.vnetId)}"`;
    const remote = `"${remoteNameOf(peering)}"`;
    const cause = reverse
      ? `peering "${reverse.name}" back from ${remote} still exists (state ${reverse.peeringState ?? 'unknown'}), so the pair fell out of sync`
      : `${remote} has no peering back to ${local}: the other side was deleted, or the pair fell out of sync`;
    const recreateLocal = putPeering(peering);
    const recreateRemote = reverse ? putPeering(reverse) : reversePeeringOperation(peering);
    // The side that offers gateway transit first: ARM rejects a useRemoteGateways link written while
    // the remote peering does not allow gateway transit ("corresponding remote peering has
    // AllowGatewayTransit flag set to false", hashicorp/terraform-provider-azurerm#2872).
    // The deletes in one order whichever side reports (by key): the other side's finding, fixed by
    // another invocation at the same moment, then fails on the first delete, before deleting
    // anything, rather than each run deleting one link and finding the other gone, with neither left
    // to re-create the pair.
    const deletes = (reverse ? [peering.id, reverse.id].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1)) : [peering.id]).map(deletePeering);
    const operations: ArmOperation[] = [...deletes, ...(peering.useRemoteGateways ? [recreateRemote, recreateLocal] : [recreateLocal, recreateRemote])];
    return {
      resourceId: peering.id,
      relatedResourceIds: reverse ? [peering.vnetId, peering.remoteVnetId, reverse.id] : [peering.vnetId, peering.remoteVnetId],
      message:
        `${describePeering(peering)} is Disconnected: ${cause}. ` +
        `No traffic flows between ${local} and ${remote} until both links are deleted and re-created.`,
      identity: [peering.id],
      fix: {
        description: `Delete both links between ${describeVnet(peering.vnet)} and ${describeVnet(peering.remoteVnet ?? peering.remoteVnetId)}, then re-create both with their current settings.`,
        destructive: true,
        operations,
      },
    };
  },
});
