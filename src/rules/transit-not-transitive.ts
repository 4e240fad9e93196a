import { nameOf } from '../model/ids';
import type { FindingDraft, Rule } from './rule';
import { describeVnet } from './describe';
import { reachesThroughAppliance, routedTablesCache, shareMeshGroup, transitIndex, type Link } from './transit-helpers';

// Peering is not transitive: spokes A and C of hub B reach each other only when they are peered
// (or share an AVNM mesh group), or when each sends the other's space to an appliance in a VNet
// both have usable links with ("no connectivity between VirtualNetwork1 and VirtualNetwork3
// through VirtualNetwork2", virtual-network-peering-overview).
//
// Semantics chosen where the catalog is silent:
// - Any peering between A and C, in any state, silences the pair: a broken direct peering is the
//   lifecycle rules' finding, and a peering with access disabled is deliberate isolation.
// - A route joins A and C when some route table of A sends every address of C's space (as the
//   appliance's VNet reaches C: subnet peering counts the named subnets only) to an appliance in a
//   VNet H with usable links to both, and some route table of C does the same for A. H may be B
//   or another shared hub: A is then not cut off from C, only routed elsewhere.
// - One finding per (A, B), listing every unreachable C, with a fingerprint of [A→B, B] that stays
//   stable as spokes come and go.
//
// Bound: the index is O(V + P). Each VNet B with usable links is taken as a hub, and each of its
// peers A is compared with each other peer C: Σ_B deg(B)² set look-ups, the size of the output in
// the worst case (every spoke lists every other). Route work is done only when both A and C have
// route tables with appliance next hops in a usable peer: O(tables × hubs × prefixes × routes)
// per such pair. A spoke without such routes costs one set difference.

const LISTED = 5;

function vnetName(link: Link): string {
  return link.peer?.name ?? nameOf(link.out.remoteVnetId);
}

function namesList(names: readonly string[]): string {
  const quoted = names.slice(0, LISTED).map((n) => `"${n}"`);
  const rest = names.length - quoted.length;
  if (rest > 0) return `VNets ${quoted.join(', ')} and ${rest} more`;
  if (quoted.length === 1) return `VNet ${quoted[0]}`;
  return `VNets ${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1]}`;
}

export const transitNotTransitive: Rule = {
  meta: {
    id: 'transit-not-transitive',
    title: 'Spokes of a hub cannot reach each other',
    category: 'transit',
    defaultSeverity: 'info',
    description:
      'Two VNets peer with the same hub but not with each other, share no mesh group, and no route sends their traffic to an appliance in a hub: peering is not transitive, so they cannot reach each other.',
    docsUrl: 'https://learn.microsoft.com/azure/virtual-network/virtual-network-peering-overview',
    fix: 'none',
  },
  evaluate(topology) {
    const index = transitIndex(topology);
    const routed = routedTablesCache(index);
    const findings: FindingDraft[] = [];
    for (const hub of index.vnets) {
      const spokes = index.links(hub.key);
      if (spokes.length < 2) continue;
      for (const toA of spokes) {
        const a = toA.peer;
        if (!a) continue;
        const aRoutes = routed(a);
        const unreachable: Link[] = [];
        for (const toC of spokes) {
          if (toC === toA || toC.peerKey === a.key) continue;
          if (index.isPeered(a.key, toC.peerKey) || shareMeshGroup(a, toC.peer)) continue;
          // Only pairs where both sides route through appliances need prefix work.
          if (aRoutes.length > 0 && toC.peer) {
            const cRoutes = routed(toC.peer);
            if (
              cRoutes.length > 0 &&
              reachesThroughAppliance(index, aRoutes, toC.peerKey) &&
              reachesThroughAppliance(index, cRoutes, a.key)
            ) {
              continue;
            }
          }
          unreachable.push(toC);
        }
        if (unreachable.length === 0) continue;
        const aToB = toA.back;
        findings.push({
          resourceId: aToB.id,
          relatedResourceIds: [hub.id, ...unreachable.map((c) => c.peer?.id ?? c.out.remoteVnetId)],
          identity: [aToB.id, hub.id],
          message:
            `${describeVnet(topology, a.id)} cannot reach ${namesList(unreachable.map(vnetName))} through hub VNet "${hub.name}": ` +
            `peering is not transitive, and no route sends their traffic to an appliance in "${hub.name}" in both directions.`,
        });
      }
    }
    return findings;
  },
};
