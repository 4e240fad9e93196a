import { peeringRule } from './rule';
import { overlappingPairs, overlaps, type Prefix } from '../model/cidr';
import { nameOf } from '../model/ids';
import { describePeering, isRemoteVnetMissing, peeredFamilies, peeredLocalPrefixes, peeredRemotePrefixes, remoteNameOf } from './describe';

// Peered address spaces must not overlap (virtual-network-manage-peering, requirements and
// constraints): Azure refuses such a peering, and an address change made afterwards leaves
// ambiguous routes. An IPv6-only peering connects only the IPv6 prefixes. Reported once per VNet
// pair: on the peering whose VNet key sorts first when both links exist. A missing remote VNet is
// another rule's finding.
//
// Subnet peering connects only the named subnets, so their prefixes are compared. It also needs
// them to "belong to unique address spaces" (how-to-configure-subnet-peering): a VNet can't subnet
// peer a subnet whose address space "is also present in" the other VNet, while spaces holding no
// peered subnet may be reused. So each side's spaces that hold a peered subnet are compared with the
// other side's whole space, when both VNets were read with their spaces and peered subnets.

/** The prefixes of `space` that hold some of `subnets`. */
function spacesHolding(space: readonly Prefix[], subnets: readonly Prefix[]): Prefix[] {
  return space.filter((s) => subnets.some((subnet) => overlaps(s, subnet)));
}

type Pairs = ReadonlyArray<readonly [Prefix, Prefix]>;

/**
 * Subnet peering: local and remote spaces that break "unique address spaces", each pair once, or
 * none when a side's space or peered subnets are unknown.
 */
function sharedSubnetSpaces(local: readonly Prefix[], localSubnets: readonly Prefix[], remote: readonly Prefix[], remoteSubnets: readonly Prefix[]): Pairs {
  if (local.length === 0 || remote.length === 0 || localSubnets.length === 0 || remoteSubnets.length === 0) return [];
  const pairs = [...overlappingPairs(spacesHolding(local, localSubnets), remote)];
  for (const [a, b] of overlappingPairs(local, spacesHolding(remote, remoteSubnets))) {
    if (!pairs.some(([x, y]) => x === a && y === b)) pairs.push([a, b]);
  }
  return pairs;
}

export const peeringAddressOverlap = peeringRule({
  meta: {
    id: 'peering-address-overlap',
    title: 'Peered address spaces overlap',
    category: 'peering-lifecycle',
    defaultSeverity: 'error',
    description:
      'The address spaces of two peered VNets overlap, IPv4 or IPv6: traffic to the shared range cannot be routed to both. For subnet peering, the peered subnets overlap, or an address space holding a peered subnet is also present in the other VNet.',
    docsUrl: 'https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering#requirements-and-constraints',
    fix: 'none',
  },
  checkPeering(peering, topology) {
    if (isRemoteVnetMissing(peering)) return undefined;
    const local = peeredFamilies(peering, peeredLocalPrefixes(peering));
    const remote = peeredRemotePrefixes(peering);
    const pairs = overlappingPairs(local, remote);
    // The remote's peered subnets are known from its subnets, or from the space the peering recorded
    // (subnet peering records only theirs); without either, its whole space would stand in for them.
    const remoteSubnetsKnown = (peering.remoteVnet?.subnets.length ?? 0) > 0 || peering.remoteAddressSpace !== undefined;
    const spaces =
      pairs.length > 0 || peering.peerCompleteVnets || !remoteSubnetsKnown
        ? []
        : sharedSubnetSpaces(peeredFamilies(peering, peering.vnet.prefixes), local, peeredFamilies(peering, peering.remoteVnet?.prefixes ?? []), remote);
    if (pairs.length === 0 && spaces.length === 0) return undefined;
    const reverse = topology.reverseOf(peering);
    if (reverse && reverse.vnetKey < peering.vnetKey) return undefined; // the pair is reported from the other side
    const localName = `"${nameOf(peering.vnetId)}"`;
    const remoteName = `"${remoteNameOf(peering)}"`;
    const list = (found: Pairs) => found.map(([a, b]) => (a.text === b.text ? `${a.text} (in both)` : `${a.text} (${localName}) with ${b.text} (${remoteName})`)).join('; ');
    return {
      resourceId: peering.id,
      relatedResourceIds: reverse ? [peering.vnetId, peering.remoteVnetId, reverse.id] : [peering.vnetId, peering.remoteVnetId],
      message:
        pairs.length > 0
          ? `${describePeering(peering)} joins overlapping address spaces: ${list(pairs)}. Traffic to the shared addresses cannot reach both ${localName} and ${remoteName}.`
          : `${describePeering(peering)} peers subnets whose address spaces are not unique to one VNet: ${list(spaces)}. Subnet peering needs each peered subnet's address space to be absent from the other VNet.`,
      // The pair, not the link: the finding keeps its fingerprint when it moves to the other side.
      identity: [peering.vnetKey, peering.remoteVnetKey].sort(),
    };
  },
});
