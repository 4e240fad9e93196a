import { peeringRule } from './rule';
import { overlappingPairs, type Prefix } from '../model/cidr';
import { nameOf } from '../model/ids';
import { describePeering, isRemoteVnetMissing, peeredLocalPrefixes, peeredRemotePrefixes, remoteNameOf } from './describe';

// Peered address spaces must not overlap (virtual-network-manage-peering, requirements and
// constraints): Azure refuses such a peering, and an address change made afterwards leaves
// ambiguous routes. Subnet peering connects only the named subnets, so only their prefixes count;
// an IPv6-only peering connects only the IPv6 prefixes. Reported once per VNet pair: on the peering
// whose VNet key sorts first when both links exist. A missing remote VNet is another rule's finding.

function peeredFamilies(prefixes: readonly Prefix[], ipv6Only: boolean): readonly Prefix[] {
  return ipv6Only ? prefixes.filter((p) => p.version === 6) : prefixes;
}

export const peeringAddressOverlap = peeringRule({
  meta: {
    id: 'peering-address-overlap',
    title: 'Peered address spaces overlap',
    category: 'peering-lifecycle',
    defaultSeverity: 'error',
    description:
      'The address spaces (or, for subnet peering, the peered subnets) of two peered VNets overlap, IPv4 or IPv6: traffic to the shared range cannot be routed to both.',
    docsUrl: 'https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering#requirements-and-constraints',
    fix: 'none',
  },
  checkPeering(peering, topology) {
    if (isRemoteVnetMissing(peering)) return undefined;
    const local = peeredFamilies(peeredLocalPrefixes(peering), peering.enableOnlyIPv6Peering);
    const remote = peeredFamilies(peeredRemotePrefixes(peering), peering.enableOnlyIPv6Peering);
    const pairs = overlappingPairs(local, remote);
    if (pairs.length === 0) return undefined;
    const reverse = topology.reverseOf(peering);
    if (reverse && reverse.vnetKey < peering.vnetKey) return undefined; // the pair is reported from the other side
    const localName = `"${nameOf(peering.vnetId)}"`;
    const remoteName = `"${remoteNameOf(peering)}"`;
    const list = pairs.map(([a, b]) => (a.text === b.text ? `${a.text} (in both)` : `${a.text} (${localName}) with ${b.text} (${remoteName})`));
    return {
      resourceId: peering.id,
      relatedResourceIds: reverse ? [peering.vnetId, peering.remoteVnetId, reverse.id] : [peering.vnetId, peering.remoteVnetId],
      message: `${describePeering(peering)} joins overlapping address spaces: ${list.join('; ')}. Traffic to the shared addresses cannot reach both ${localName} and ${remoteName}.`,
      // The pair, not the link: the finding keeps its fingerprint when it moves to the other side.
      identity: [peering.vnetKey, peering.remoteVnetKey].sort(),
    };
  },
});
