import { peeringRule, type ArmOperation } from './rule';
import { samePrefixSet, type Prefix } from '../model/cidr';
import { isClassicVnetId, nameOf } from '../model/ids';
import type { Peering } from '../model/types';
import { describePeering, formatPrefixes, isRemoteVnetMissing, putPeering, remoteCurrentSpace, remoteNameOf } from './describe';

// After an address range of a peered VNet is added, removed or resized, "you need to sync the
// virtual network peer for each remote peered virtual network" (update-virtual-network-peering-
// address-space): until then the peer routes to the old space. `peeringSyncLevel` says a side is
// behind; a whole-VNet peering's `remoteAddressSpace` (the space as peered) differing from the
// remote's current space says so too. Subnet peering records only the peered subnets' prefixes in
// `remoteAddressSpace`, so that comparison does not apply to it. Disconnected peerings and missing
// remotes are other rules' findings: syncing cannot help them.
//
// A sync (`syncRemoteAddressSpace`) brings one link up to "the current address space on the remote
// vNet", so it is run on the link whose view of its remote is stale: after VNet1's space changes,
// VNet1's link reads RemoteNotInSync, VNet2's reads LocalNotInSync, and the sync runs on VNet2's
// (Azure PowerShell's peering sync scenario test, VirtualNetworkTests.ps1; Sync-AzVirtualNetworkPeering
// "needs to be called on the (peered) remote virtual network"). Sync "isn't supported when the
// virtual network is peered with a classic virtual network" (virtual-network-troubleshoot-peering-issues).

const SYNC = { syncRemoteAddressSpace: 'true' } as const;

function difference(a: readonly Prefix[], b: readonly Prefix[]): Prefix[] {
  const inB = new Set(b.map((p) => p.key));
  return a.filter((p) => !inB.has(p.key));
}

/** Why the peering is out of sync, each as a clause; empty when it is in sync. */
function reasonsOf(peering: Peering): string[] {
  const reasons: string[] = [];
  if (peering.peeringSyncLevel !== undefined && peering.peeringSyncLevel !== 'FullyInSync') {
    reasons.push(`its sync level is ${peering.peeringSyncLevel}`);
  }
  if (hasStaleRemoteSpace(peering)) {
    const current = remoteCurrentSpace(peering) ?? [];
    const peered = peering.remoteAddressSpace ?? [];
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
  return reasons;
}

/** Whether a whole-VNet peering peered another space than its remote holds now: its own view is stale. */
function hasStaleRemoteSpace(peering: Peering): boolean {
  const current = peering.peerCompleteVnets ? remoteCurrentSpace(peering) : undefined;
  const peered = peering.remoteAddressSpace;
  return peered !== undefined && current !== undefined && !samePrefixSet(peered, current);
}

/** Which links must be synced: this one when its view of the remote is stale, the reverse when the remote's view of this VNet is. */
function linksToSync(peering: Peering): { local: boolean; reverse: boolean } {
  const level = peering.peeringSyncLevel;
  return {
    local: level === 'LocalNotInSync' || level === 'LocalAndRemoteNotInSync' || hasStaleRemoteSpace(peering),
    reverse: level === 'RemoteNotInSync' || level === 'LocalAndRemoteNotInSync',
  };
}

/** The sync of each link that must be synced, or a sentence saying why no fix is proposed. */
function syncPlan(peering: Peering, reverse: Peering | undefined): { operations: ArmOperation[]; description: string } | string {
  if (isClassicVnetId(peering.remoteVnetId)) {
    return `Address space sync isn't supported with a classic VNet, so no fix is proposed: delete peering "${peering.name}" and create it again to peer the current address spaces.`;
  }
  const links = linksToSync(peering);
  if (!links.local && !links.reverse) return 'Its sync level does not say which link must be synced, so no fix is proposed.';
  if (links.reverse && !reverse) {
    const back = `the peering back from "${remoteNameOf(peering)}" to "${nameOf(peering.vnetId)}"`;
    return links.local
      ? `Both "${peering.name}" and ${back} must be synced, and that peering is not in the input, so no fix is proposed.`
      : `Not "${peering.name}" but ${back} must be synced, and that peering is not in the input, so no fix is proposed.`;
  }
  const toSync = [...(links.local ? [peering] : []), ...(links.reverse && reverse ? [reverse] : [])];
  return {
    operations: toSync.map((p) => putPeering(p, {}, { ...SYNC })),
    description: `Sync ${toSync.map((p) => `"${p.name}" of "${p.vnet.name}" with the current address space of "${remoteNameOf(p)}"`).join(', and ')}.`,
  };
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
    const reasons = reasonsOf(peering);
    if (reasons.length === 0) return undefined;
    const reverse = topology.reverseOf(peering);
    const plan = syncPlan(peering, reverse);
    const message = `${describePeering(peering)} is out of sync with the remote address space: ${reasons.join(', and ')}.`;
    return {
      resourceId: peering.id,
      relatedResourceIds: reverse ? [peering.vnetId, peering.remoteVnetId, reverse.id] : [peering.vnetId, peering.remoteVnetId],
      message: typeof plan === 'string' ? `${message} ${plan}` : message,
      identity: [peering.id],
      ...(typeof plan === 'string' ? {} : { fix: { description: plan.description, destructive: false, operations: plan.operations } }),
    };
  },
});
