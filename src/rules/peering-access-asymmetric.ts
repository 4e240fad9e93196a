import { peeringRule } from './rule';
import { nameOf } from '../model/ids';
import { describePeering, remoteNameOf } from './describe';

// `allowVirtualNetworkAccess` false on one link only: the pair is Connected but access is cut in a
// way the other side does not show, which may be deliberate (a temporary cut-off) or a half-done
// change (virtual-network-manage-peering). Reported once per pair, on the side that disables it.

export const peeringAccessAsymmetric = peeringRule({
  meta: {
    id: 'peering-access-asymmetric',
    title: 'Virtual network access disabled on one side only',
    category: 'peering-lifecycle',
    defaultSeverity: 'warning',
    description:
      'One link of a peering pair disables allowVirtualNetworkAccess while the other allows it: communication is cut although the other side looks open. It may be deliberate.',
    docsUrl: 'https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering#change-a-peering',
    fix: 'none',
  },
  checkPeering(peering, topology) {
    if (peering.allowVirtualNetworkAccess) return undefined;
    const reverse = topology.reverseOf(peering);
    if (!reverse || !reverse.allowVirtualNetworkAccess) return undefined;
    const remoteName = remoteNameOf(peering);
    return {
      resourceId: peering.id,
      relatedResourceIds: [peering.vnetId, peering.remoteVnetId, reverse.id],
      message:
        `${describePeering(peering)} disables virtual network access while peering "${reverse.name}" from "${remoteName}" allows it: ` +
        `access between "${nameOf(peering.vnetId)}" and "${remoteName}" is disabled on one side only, which the other side does not show.`,
      identity: [peering.id],
    };
  },
});
