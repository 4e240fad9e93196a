import { resolveIntent } from '../intent/resolve';
import type { FindingDraft, Rule } from './rule';
import { describeVnet } from './describe';
import { isHub, reachesThroughAppliance, shareMeshGroup, transitIndex, type Link, type RoutedTable } from './transit-helpers';

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
// VNet, O(P) in all (shared with the other transit rules through the topology's transit index).
// Each VNet B with two or more usable links is taken as a hub. A spoke A's unreachable siblings are
// counted from A's own peerings, O(deg(A)), except where routes may join them: a routed A is compared
// with each routed sibling C (both have route tables with appliance next hops in a usable peer),
// each direction once per hub, O(prefixes of C × log routes) against the table's merged appliance
// stretches. So Σ_B routed(B)² pair checks, and Σ_B deg(B)² only with an intent or mesh groups,
// whose filters single out pairs. Output is O(findings) (at most 6 ids per finding).

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

/**
 * Decides in bulk, into `reach` (n × n: 1 yes, 2 no, 0 left to `reachesThroughAppliance`), whether
 * routed spoke i reaches routed spoke j through an appliance in hub `b` itself, the common case (a
 * default route to the hub's firewall): the routed spokes' IPv4 prefixes as B reaches them are
 * sorted once per hub, and each table's merged stretches to B are walked against them, O(r + s)
 * number comparisons per table instead of a search per pair. Pairs it cannot decide stay 0: a
 * spoke with IPv6 or no prefixes, and any pair a table with another hub might still carry.
 */
function fillReachThroughHub(b: number, spokes: readonly Link[], tables: ReadonlyArray<readonly RoutedTable[]>, routed: readonly number[], reach: Uint8Array): void {
  const n = spokes.length;
  const prefixCount = new Int32Array(n);
  const entries: Array<{ first: number; last: number; owner: number }> = [];
  for (const j of routed) {
    const prefixes = (spokes[j] as Link).remotePrefixes;
    if (prefixes.length === 0 || prefixes.some((p) => p.version !== 4)) continue;
    prefixCount[j] = prefixes.length;
    for (const p of prefixes) entries.push({ first: Number(p.first), last: Number(p.last), owner: j });
  }
  if (entries.length === 0) return;
  entries.sort((x, y) => x.first - y.first);
  const inside = new Int32Array(n);
  const reached = new Uint8Array(n);
  for (const i of routed) {
    reached.fill(0);
    let otherHub = false;
    for (const table of tables[i] as readonly RoutedTable[]) {
      if (table.hubs.some((h) => h.peer !== b)) otherHub = true;
      if (!table.hubs.some((h) => h.peer === b)) continue;
      const stretches = table.stretchesTo(b, 4);
      if (stretches.length === 0) continue;
      const firsts = stretches.map((d) => Number(d.first));
      const lasts = stretches.map((d) => Number(d.last));
      inside.fill(0);
      let k = 0;
      for (const e of entries) {
        // The last stretch that starts at or before the prefix is the only one that can hold it.
        while (k + 1 < firsts.length && (firsts[k + 1] as number) <= e.first) k += 1;
        if ((firsts[k] as number) <= e.first && e.last <= (lasts[k] as number)) inside[e.owner] = (inside[e.owner] as number) + 1;
      }
      for (const j of routed) if (prefixCount[j] !== 0 && inside[j] === prefixCount[j]) reached[j] = 1;
    }
    for (const j of routed) {
      if (j === i || prefixCount[j] === 0) continue;
      reach[i * n + j] = reached[j] === 1 ? 1 : otherHub ? 0 : 2;
    }
  }
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
    // mark[x] === token: VNet x has a peering with the spoke being looked at (token: one per hub and spoke).
    const mark = new Int32Array(index.vnets.length).fill(-1);
    // spokeOf[x] === b: VNet x is a spoke of the hub being looked at.
    const spokeOf = new Int32Array(index.vnets.length).fill(-1);
    let token = 0;
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
      for (const c of peers) spokeOf[c] = b;
      const tables = peers.map((c) => index.routedTables(c));
      // Only pairs where both sides route through appliances need prefix work.
      const routed = peers.flatMap((_, j) => ((tables[j] as readonly RoutedTable[]).length > 0 ? [j] : []));
      fillReachThroughHub(b, spokes, tables, routed, reach);
      const reaches = (i: number, j: number): boolean => {
        const k = i * n + j;
        if (reach[k] === 0) {
          const onward = spokes[j] as Link;
          reach[k] = reachesThroughAppliance(index, tables[i] as readonly RoutedTable[], onward.peer, { hub: b, link: onward }) ? 1 : 2;
        }
        return reach[k] === 1;
      };
      spokes.forEach((toA, i) => {
        const a = toA.peer;
        const spokeA = toA.peerVnet;
        const inMesh = spokeA.meshGroupKeys.length > 0;
        const aRouted = (tables[i] as readonly RoutedTable[]).length > 0;
        token += 1;
        let peered = 0; // distinct spokes of this hub A has a peering with
        for (const x of index.neighbours(a)) {
          if (mark[x] === token) continue;
          mark[x] = token;
          if (spokeOf[x] === b && x !== a) peered += 1;
        }
        const unreachableFrom = (j: number): boolean => {
          const c = peers[j] as number;
          if (c === a || mark[c] === token) return false;
          const spokeC = (spokes[j] as Link).peerVnet;
          if (expects && !expects(spokeA.key, spokeC.key) && !expects(spokeC.key, spokeA.key)) return false;
          if (inMesh && shareMeshGroup(spokeA, spokeC)) return false;
          return !(aRouted && (tables[j] as readonly RoutedTable[]).length > 0 && reaches(i, j) && reaches(j, i));
        };
        let unreachable = 0;
        if (expects || inMesh) {
          // Filters that single out pairs: every spoke is looked at.
          for (let j = 0; j < n; j += 1) if (unreachableFrom(j)) unreachable += 1;
        } else {
          // Every spoke A has no peering with is unreachable unless both route through an appliance:
          // counted from A's own peerings, with route work for the routed spokes alone.
          unreachable = n - 1 - peered;
          if (aRouted) {
            for (const j of routed) {
              if (j === i || mark[peers[j] as number] === token) continue;
              // Filled in bulk for most pairs; `reaches` decides the rest.
              const there = reach[i * n + j];
              if (there === 2) continue;
              const back = reach[j * n + i];
              if (back === 2) continue;
              if ((there === 1 || reaches(i, j)) && (back === 1 || reaches(j, i))) unreachable -= 1;
            }
          }
        }
        if (unreachable === 0) return;
        const related = [hub.id];
        const names: string[] = [];
        for (let j = 0; j < n && names.length < LISTED; j += 1) {
          if (!unreachableFrom(j)) continue;
          related.push((spokes[j] as Link).peerVnet.id);
          names.push((spokes[j] as Link).peerVnet.name);
        }
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
