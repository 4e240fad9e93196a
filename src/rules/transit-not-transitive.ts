import { resolveIntent } from '../intent/resolve';
import type { FindingDraft, Rule } from './rule';
import { describeVnet } from './describe';
import { isHub, reachesThroughAppliance, routedTablesCache, shareMeshGroup, transitIndex, type Link, type RoutedTable } from './transit-helpers';

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
// - One finding per (A, B), with a fingerprint of [A→B, B] that stays stable as spokes come and go.
//   It names the first 5 unreachable Cs (message and relatedResourceIds, after B) and counts the
//   rest: listing every C in relatedResourceIds makes the output itself Σ deg² ids (6.6 million at
//   50k VNets in the bench estate, a JSON report longer than a JavaScript string can hold).
//
// - A hub B is a VNet with a gateway or Route Server, an Azure Firewall or NVA, a peering that
//   offers gateway transit, or a star of 3 or more usable links that is no spoke itself (uses no
//   remote gateway, routes nothing to an appliance in a peer). A spoke that also peers with a few
//   siblings is not a hub: its siblings are not expected to reach each other through it.
// - With an intent (options.intent), a pair is reported only when a reach or reach-each-other
//   statement names it (either direction); everything else is silent.
//
// Bound: numbering the VNets and their peerings is O(V + P) id look-ups; links are built once per
// VNet, O(P) in all. Each VNet B with two or more usable links is taken as a hub, and each of its
// peers A is compared with each other peer C by integer marks: Σ_B deg(B)² + Σ_A deg(A)² integer
// steps (about 11 million at 50k VNets with hubs of 470 spokes), unavoidable since every such pair
// must be decided to count it. Route work is done only for pairs where both A and C have route
// tables with appliance next hops in a usable peer, once per direction per hub:
// O(tables × hubs × prefixes × effective routes) each, allocation-free when a route contains C's
// prefix (a default route). Output is O(findings) (at most 6 ids per finding).

/** Spokes named in the message and listed in relatedResourceIds; the rest are counted. */
const LISTED = 5;

/** `VNets "c1", "c2" and 3 more` from the first names and the total count. */
function namesList(names: readonly string[], total: number): string {
  const quoted = names.slice(0, LISTED).map((n) => `"${n}"`);
  const rest = total - quoted.length;
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
  evaluate(topology, options) {
    const index = transitIndex(topology);
    // With an intent, only pairs the intent expects to reach each other are reported.
    const expects = options?.intent ? resolveIntent(options.intent, topology).expectsReach : undefined;
    const routed = routedTablesCache(index);
    // mark[c] === a: VNet c has a peering with VNet a (stamped per spoke, never cleared).
    const mark = new Int32Array(index.vnets.length).fill(-1);
    // Per hub, whether spoke i reaches spoke j through an appliance (0 unknown, 1 yes, 2 no): each
    // direction of a pair is worked out once although both spokes' findings need it.
    let reach = new Uint8Array(0);
    const findings: FindingDraft[] = [];
    index.vnets.forEach((hub, b) => {
      const spokes = index.links(b);
      const n = spokes.length;
      if (n < 2 || !isHub(index, b)) return;
      if (reach.length < n * n) reach = new Uint8Array(n * n);
      else reach.fill(0, 0, n * n);
      const peers = spokes.map((l) => l.peer);
      const tables = peers.map(routed);
      const reaches = (i: number, j: number): boolean => {
        const k = i * n + j;
        if (reach[k] === 0) {
          const onward = spokes[j] as Link;
          reach[k] = reachesThroughAppliance(index, tables[i] as RoutedTable[], onward.peer, { hub: b, link: onward }) ? 1 : 2;
        }
        return reach[k] === 1;
      };
      spokes.forEach((toA, i) => {
        const a = toA.peer;
        const spokeA = toA.peerVnet;
        const inMesh = spokeA.meshGroupKeys.length > 0;
        for (const x of index.neighbours(a)) mark[x] = a;
        // Only pairs where both sides route through appliances need prefix work.
        const aRouted = (tables[i] as RoutedTable[]).length > 0;
        const related = [hub.id];
        const names: string[] = [];
        let unreachable = 0;
        for (let j = 0; j < n; j += 1) {
          const c = peers[j] as number;
          if (c === a || mark[c] === a) continue;
          if (expects && !expects(spokeA.key, (spokes[j] as Link).peerVnet.key) && !expects((spokes[j] as Link).peerVnet.key, spokeA.key)) continue;
          if (inMesh && shareMeshGroup(spokeA, (spokes[j] as Link).peerVnet)) continue;
          if (aRouted && (tables[j] as RoutedTable[]).length > 0 && reaches(i, j) && reaches(j, i)) continue;
          unreachable += 1;
          if (unreachable <= LISTED) {
            related.push((spokes[j] as Link).peerVnet.id);
            names.push((spokes[j] as Link).peerVnet.name);
          }
        }
        if (unreachable === 0) return;
        const aToB = toA.back;
        findings.push({
          resourceId: aToB.id,
          relatedResourceIds: related,
          identity: [aToB.id, hub.id],
          message:
            `${describeVnet(topology, spokeA.id)} cannot reach ${namesList(names, unreachable)} through hub VNet "${hub.name}": ` +
            `peering is not transitive, and no route sends their traffic to an appliance in "${hub.name}" in both directions.`,
        });
      });
    });
    return findings;
  },
};
