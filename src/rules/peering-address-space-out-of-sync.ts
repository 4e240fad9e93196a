import { peeringRule } from './rule';
import { samePrefixSet, type Prefix } from '../model/cidr';
import { describePeering, formatPrefixes, isRemoteVnetMissing, putPeering, remoteCurrentSpace, remoteNameOf } from './describe';

// After an address range of a peered VNet is added, removed or resized, "you need to sync the
// virtual network peer for each remote peered virtual network" (update-virtual-network-peering-
// address-space): until then the peer routes to the old space. `peeringSyncLevel` says a side is
// behind; a whole-VNet peering's `remoteAddressSpace` (the space as peered) differing from the
// remote's current space says so too. Subnet peering records only the peered subnets' prefixes in
// `remoteAddressSpace`, so that comparison does not apply to it. Disconnected peerings and missing
// remotes are other rules' findings: syncing cannot help them.

const SYNC = { syncRemoteAddressSpace: 'true' } as const;

function difference(a: readonly Prefix[], b: readonly Prefix[]): Prefix[] {
  const inB = new Set(b.map((p) => p.key));
  return a.filter((p) => !inB.has(p.key));
}

export const peeringAddressSpaceOutOfSync = peeringRule({
  meta: {
    id: 'peering-address-space-out-of-sync',
    title: 'Peering address space out of sync',
    category: 'peering-lifecycle',
    defaultSeverity: 'warning',
    description:
      "A peering's sync level is not FullyInSync, or the remote space it peered differs from the remote VNet's current one: traffic to added ranges does not flow until the peering is synced.",
    docsUrl: 'https://learn.microsoft.com/azure/virtual-network/update-virtual-network-peering-address-space',
    fix: 'safe',
  },
  checkPeering(peering, topology) {
    if (peering.peeringState === 'Disconnected' || isRemoteVnetMissing(peering)) return undefined;
    const reasons: string[] = [];
    if (peering.peeringSyncLevel !== undefined && peering.peeringSyncLevel !== 'FullyInSync') {
      reasons.push(`its sync level is ${peering.peeringSyncLevel}`);
    }
    const current = peering.peerCompleteVnets ? remoteCurrentSpace(peering) : undefined;
    const peered = peering.remoteAddressSpace;
    if (peered && current && !samePrefixSet(peered, current)) {
      const remoteName = `"${remoteNameOf(peering)}"`;
      const added = difference(current, peered);
      const removed = difference(peered, current);
      const changes = [
        added.length > 0 ? `not yet peered: ${formatPrefixes(added)}` : '',
        removed.length > 0 ? `no longer in ${remoteName}: ${formatPrefixes(removed)}` : '',
      ].filter(Boolean);
      reasons.push(
        `it peered ${formatPrefixes(peered)} but ${remoteName} now holds ${formatPrefixes(current)}` +
          (changes.length > 0 ? ` (${changes.join('; ')})` : ''),
      );
    }
    if (reasons.length === 0) return undefined;
    const reverse = topology.reverseOf(peering);
    return {
      resourceId: peering.id,
      relatedResourceIds: reverse ? [peering.vnetId, peering.remoteVnetId, reverse.id] : [peering.vnetId, peering.remoteVnetId],
      message: `${describePeering(peering)} is out of sync with the remote address space: ${reasons.join(', and ')}.`,
      identity: [peering.id],
      fix: {
        description: reverse
          ? `Sync both links ("${peering.name}" and "${reverse.name}") with the current address spaces.`
          : `Sync "${peering.name}" with the current address space of "${remoteNameOf(peering)}".`,
        destructive: false,
        operations: [putPeering(peering, {}, { ...SYNC }), ...(reverse ? [putPeering(reverse, {}, { ...SYNC })] : [])],
      },
    };
  },
});
