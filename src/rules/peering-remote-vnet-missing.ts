import { peeringRule } from './rule';
import { subscriptionOf } from '../model/ids';
import { deletePeering, describePeering, describeVnet, isRemoteVnetMissing } from './describe';

// The remote VNet's subscription was read, yet the VNet is not there: it was deleted or moved, and
// the peering is an orphan whatever its state says. Deleting a peering is how Azure removes the
// stale link (virtual-network-manage-peering#delete-a-peering). A remote in a subscription that was
// not read is unknown, not missing (peering-remote-out-of-scope).

export const peeringRemoteVnetMissing = peeringRule({
  meta: {
    id: 'peering-remote-vnet-missing',
    title: 'Remote VNet of a peering is missing',
    category: 'peering-lifecycle',
    defaultSeverity: 'error',
    description:
      "A peering's remote VNet is absent although its subscription was read: the VNet was deleted or moved, and the peering is an orphan that carries no traffic.",
    docsUrl: 'https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering#delete-a-peering',
    fix: 'destructive',
  },
  checkPeering(peering) {
    if (!isRemoteVnetMissing(peering)) return undefined;
    const state = peering.peeringState ? ` (state ${peering.peeringState})` : '';
    return {
      resourceId: peering.id,
      relatedResourceIds: [peering.vnetId, peering.remoteVnetId],
      message:
        `${describePeering(peering)}${state} points at a VNet that does not exist: ` +
        `subscription ${subscriptionOf(peering.remoteVnetId) ?? '?'} was read and has no such VNet. It was deleted or moved; the peering is an orphan.`,
      identity: [peering.id],
      fix: {
        description: `Delete the orphan peering "${peering.name}" from ${describeVnet(peering.vnet)}.`,
        destructive: true,
        operations: [deletePeering(peering.id)],
      },
    };
  },
});
