import { resolveIntent } from '../intent/resolve';
import type { Vnet } from '../model/types';
import type { FindingDraft, Rule } from './rule';
import { describeVnet, flat } from './describe';
import { isHub, reachesThroughAppliance, shareMeshGroup, transitIndex, type Link, type RoutedTable, type TransitIndex } from './transit-helpers';

// Peering is not transitive: spokes A and C of hub B reach each other only when they are peered
// (or share an AVNM mesh group), or when each sends the other's space to an appliance in a VNet
// both have usable links with ("no connectivity between VirtualNetwork1 and VirtualNetwork3
// through VirtualNetwork2", virtual-network-peering-overview), or to that VNet's VPN gateway: "a VPN
// gateway can forward network traffic between virtual networks that are peered with the virtual
// network the gateway is in" given routes to VirtualNetworkGateway (virtual-network-manage-peering).
//
// Semantics chosen where the catalog is silent:
// - Any peering between A and C, in any state, silences the pair: a broken direct peering is the
//   lifecycle rules' finding, and a peering with access disabled is deliberate isolation.
// - A route joins A and C when some route table of A sends every address of C's space (as the
//   appliance's VNet reaches C: subnet peering counts the named subnets only; of the IP versions A
//   has space of, so an IPv4-only A needs no route to a dual-stack C's IPv6 prefixes, and C none
//   back: transit-helpers.reachesThroughAppliance; plain spokes are IPv4-only) to an appliance in a
//   VNet H with usable links to both, and some route table of C does the same for A. H may be B
//   or another shared hub: A is then not cut off from C, only routed elsewhere. A route to
//   VirtualNetworkGateway counts as a route to an appliance in H when the gateway it reaches is H's
//   VPN gateway, used through gateway transit (transit-helpers.gatewayHub): the routed tables list
//   H as a hub of such a table, so the pair logic below is the same for both.
// - Route Server: routes an NVA advertises over BGP are not in the configuration, so a pair they may
//   join is unknown, not unreachable, and is not reported (as a remote that was not read is unknown,
//   not missing). An NVA peers with an Azure Route Server and advertises prefixes, which the Route
//   Server "injects ... so they appear in the effective routes of any virtual machine deployed in the
//   hub VNet or spoke VNets that are peered with the hub VNet with the setting 'Use the remote
//   virtual network's gateway or Route Server'" (route-injection-in-spokes): spoke-to-spoke
//   traffic through the NVA with no user route. A spoke may learn such routes
//   (transit-helpers.routeServerSource) when it uses a hub G with a Route Server through gateway
//   transit (useRemoteGateways, the hub's side allowGatewayTransit, a usable link; without them
//   spokes "don't learn these routes") and some workload subnet does not disable BGP route
//   propagation ("Disabling 'Propagate gateway routes' ... would prevent both types of routes ...
//   to be injected into NICs in that subnet"), and B reaches it over IPv4 only (a Route Server
//   carries no IPv6, route-server-faq). Two such spokes are not judged through B when B holds an
//   appliance (a learned route's next hop may be there, an NVA or an Azure Firewall: "the SDWAN NVA
//   can advertise routes with the next-hop pointing to other IP addresses", route-injection-in-spokes),
//   or when both learn from one G with an appliance in G or in a VNet with a usable link to G: the NVAs
//   a Route Server peers with sit "in the same virtual network or a directly peered virtual network"
//   (peer-route-server-with-virtual-appliance), as in the split design where the NVA in the hub
//   peers with a Route Server in an auxiliary VNet (route-injection-in-spokes). A Route Server with
//   no appliance there is still judged: it forwards no traffic itself (route-server-faq).
//   Not weighed, so such pairs stay unreported: whether the VNet of G's appliance is linked with
//   both spokes, and a user route of a learning spoke that decides the other's space itself (a
//   route to None). A pair where one spoke learns and the other learns nothing but routes to an
//   appliance would need a check per pair of a learner and a routed spoke: it stays reported.
// - Route tables not read: a table associated with a subnet adds its routes to the subnet's
//   defaults ("the table's routes are combined with the subnet's default routes",
//   virtual-networks-udr-overview), so a spoke with a source subnet whose table was not read
//   (transit-helpers.routeTableUnread) may route to an appliance: its pairs are unknown, not
//   unreachable, and are not reported (as BGP-learned routes). Looked at only for the spokes of a
//   hub that has a finding, once per VNet (memoized in the index), and per finding only the hub's
//   such spokes (none in nearly every estate).
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
// with each routed sibling C (both have route tables with appliance next hops in a usable peer, or
// routes to a hub's VPN gateway), each direction once per hub, O(prefixes of C × log routes) against
// the table's merged stretches into the hub. So Σ_B routed(B)² pair checks, and Σ_B deg(B)² only with an intent or mesh groups,
// whose filters single out pairs. Route Server (only when the estate has one): a BGP group per spoke
// of each hub, O(deg(B)) with a count per group; whether a VNet learns a Route Server's routes and
// whether an appliance is near a VNet are worked out once per VNet (O(its peerings + subnets × its
// route tables), memoized in the index); A's group partners are counted from the group's size less
// those A is peered with (the same walk over A's peerings), so no pair of the group is looked at. A
// grouped spoke is never "plain": routed grouped pairs skip the pair check, and those with routed
// siblings outside the group are among the routed pairs above. Output is O(findings) (at most 6 ids
// per finding).

/** Spokes named in the message and listed in relatedResourceIds; the rest are counted. */
const LISTED = 5;

/** `VNets "c1", "c2" and 3 more` from the first names (at most LISTED) and the total count. */
function namesList(names: readonly string[], total: number): string {
  const quoted = names.map((n) => `"${n}"`);
  const rest = total - quoted.length;
  if (rest > 0) return `VNets ${quoted.join(', ')} and ${rest} more`;
  if (quoted.length === 1) return `VNet ${quoted[0]}`;
  return `VNets ${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1]}`;
}

const IPV4_LAST = 2 ** 32 - 1;

const NONE: readonly number[] = [];

/** Prefixes of some spokes (by spoke position), IPv4 as numbers, sorted by first address. */
interface SortedPrefixes {
  firsts: number[];
  lasts: number[];
  owners: number[];
  /** The largest last address among the prefixes up to each position (a prefix can span others). */
  reach: number[];
}

function sortedPrefixes(spokes: readonly Link[], owners: readonly number[]): SortedPrefixes {
  // The owners are plain spokes, whose prefixes are all IPv4: their addresses are numbers.
  const entries = owners.flatMap((j) => (spokes[j] as Link).remotePrefixes.map((p) => ({ first: p.first as number, last: p.last as number, owner: j })));
  entries.sort((x, y) => x.first - y.first);
  let max = -1;
  return {
    firsts: entries.map((e) => e.first),
    lasts: entries.map((e) => e.last),
    owners: entries.map((e) => e.owner),
    reach: entries.map((e) => (max = Math.max(max, e.last))),
  };
}

/** Adds to `out` the owners of the prefixes that share an address with [from, to] (an owner once per such prefix). */
function ownersTouching(sorted: SortedPrefixes, from: number, to: number, out: number[]): void {
  const { firsts, lasts, owners, reach } = sorted;
  // The last prefix that starts at or before `to`; earlier ones touch only while they reach `from`.
  let low = 0;
  let high = firsts.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if ((firsts[mid] as number) <= to) low = mid + 1;
    else high = mid - 1;
  }
  for (let k = high; k >= 0 && (reach[k] as number) >= from; k -= 1) if ((lasts[k] as number) >= from) out.push(owners[k] as number);
}

/**
 * The spokes (among `sorted`'s owners) that a table does not send wholly to the hub: those with a
 * prefix that touches an address outside the table's merged stretches to the hub. O(gaps × log r)
 * plus what it finds, where a default route to the hub leaves a gap per peered or own prefix only.
 * A spoke may be listed more than once.
 */
function missedBy(stretches: readonly number[], sorted: SortedPrefixes): number[] {
  const missed: number[] = [];
  let next = 0;
  for (let k = 0; k < stretches.length; k += 2) {
    const first = stretches[k] as number;
    if (first > next) ownersTouching(sorted, next, first - 1, missed);
    next = (stretches[k + 1] as number) + 1;
  }
  if (next <= IPV4_LAST) ownersTouching(sorted, next, IPV4_LAST, missed);
  return missed;
}

/**
 * Through hub `b`, for each "plain" spoke (routed, in no BGP group, every routed table of it leads
 * into B alone, and B reaches it over IPv4 prefixes only): the plain spokes it does not reach. For
 * two plain spokes, i reaches j through an appliance exactly when some table of i sends all of j's
 * prefixes to B, so the missed lists decide every plain pair without a check per pair. Other spokes
 * are undefined.
 */
function plainMisses(
  b: number,
  spokes: readonly Link[],
  tables: ReadonlyArray<readonly RoutedTable[]>,
  routed: readonly number[],
  groups: BgpGroups | undefined,
): Array<number[] | undefined> {
  const plain = routed.filter((j) => {
    if (groups && (groups.group[j] as number) >= 0) return false;
    const prefixes = (spokes[j] as Link).remotePrefixes;
    return prefixes.length > 0 && prefixes.every((p) => p.version === 4) && (tables[j] as readonly RoutedTable[]).every((t) => t.hubs.every((h) => h.peer === b));
  });
  const missed: Array<number[] | undefined> = new Array(spokes.length);
  if (plain.length === 0) return missed;
  const sorted = sortedPrefixes(spokes, plain);
  for (const i of plain) {
    const [table, ...others] = tables[i] as readonly RoutedTable[];
    let all = missedBy((table as RoutedTable).stretchesTo(b, 4), sorted);
    // Reached when some table reaches it: missed only by every table (a spoke seldom has two).
    for (const other of others) {
      const missedByOther = missedBy(other.stretchesTo(b, 4), sorted);
      all = all.filter((j) => missedByOther.includes(j));
    }
    missed[i] = all;
  }
  return missed;
}

/** Spokes of a hub whose pairs within a group are not judged (see "Route Server" in the header). */
interface BgpGroups {
  /** By spoke position: the spoke's group (a VNet number), or -1. */
  group: Int32Array;
  /** Members per group (2 or more: a group of one is none). */
  size: Map<number, number>;
}

/**
 * The BGP groups of hub `b`'s spokes, undefined when there are none. A spoke is in one when a Route
 * Server may program routes into it (`routeServerSource`: its gateway-transit hub G has one, and
 * some workload subnet learns BGP routes) and B reaches it over IPv4 prefixes only (a Route Server
 * carries no IPv6: route-server-faq) and an appliance sits in G or a VNet G has a usable link with
 * (`applianceNear`: the NVAs that can peer with G's Route Server; without one it programs
 * nothing). Its group is B when B holds an appliance (a learned route's next hop may be one there,
 * whichever Route Server learned it), else G. O(spokes), and once per VNet its peerings (`routeServerSource`,
 * `applianceNear`, memoized in the index).
 */
function bgpGroups(index: TransitIndex, b: number, spokes: readonly Link[]): BgpGroups | undefined {
  const hubAppliance = (index.vnets[b] as Vnet).appliances.length > 0;
  let groups: BgpGroups | undefined;
  spokes.forEach((spoke, j) => {
    const source = index.routeServerSource(spoke.peer);
    if (source < 0) return;
    const prefixes = spoke.remotePrefixes;
    if (prefixes.length === 0 || !prefixes.every((p) => p.version === 4)) return;
    // No NVA that can peer with G's Route Server: it learns nothing, so it programs nothing.
    if (!index.applianceNear(source)) return;
    const key = hubAppliance ? b : source;
    groups ??= { group: new Int32Array(spokes.length).fill(-1), size: new Map() };
    groups.group[j] = key;
    groups.size.set(key, (groups.size.get(key) ?? 0) + 1);
  });
  if (!groups) return undefined;
  const { group, size } = groups;
  let any = false;
  for (let j = 0; j < group.length; j += 1) {
    const key = group[j] as number;
    if (key < 0) continue;
    if ((size.get(key) as number) < 2) group[j] = -1;
    else any = true;
  }
  return any ? groups : undefined;
}

export const transitNotTransitive: Rule = {
  meta: {
    id: 'transit-not-transitive',
    title: 'Spokes of a hub cannot reach each other',
    category: 'transit',
    defaultSeverity: 'info',
    description:
      'Two VNets peer with the same hub but not with each other, share no mesh group, and no route sends their traffic to an appliance or VPN gateway in a hub: peering is not transitive, so they cannot reach each other. Spokes that may both learn an NVA\'s routes from an Azure Route Server (BGP routes, not in the configuration) are not judged, nor a spoke whose subnet uses a route table that was not read.',
    docsUrl: 'https://learn.microsoft.com/azure/virtual-network/virtual-network-peering-overview',
    fix: 'none',
  },
  evaluate(topology, options) {
    const index = transitIndex(topology);
    // With an intent, only pairs the intent expects to reach each other are reported.
    const expects = options?.intent ? resolveIntent(options.intent, topology).expectsReach : undefined;
    // mark[x] === token: VNet x has a peering with the spoke being looked at (token: one per hub and spoke).
    const mark = new Int32Array(index.vnets.length).fill(-1);
    // spokeOf[x] === b: VNet x is a spoke of the hub being looked at; plainAt[x] === b: a plain one.
    const spokeOf = new Int32Array(index.vnets.length).fill(-1);
    const plainAt = new Int32Array(index.vnets.length).fill(-1);
    // groupAt[x]: the BGP group of VNet x as a spoke of the hub being looked at (valid where spokeOf[x] === b).
    const groupAt = new Int32Array(index.vnets.length).fill(-1);
    // unknownAt[x] === b: VNet x is a spoke of the hub being looked at whose routing is not known
    // (a route table not read); filled only once the hub has a finding.
    const unknownAt = new Int32Array(index.vnets.length).fill(-1);
    // Without a Route Server in the estate no spoke learns BGP routes from one: no group anywhere.
    const routeServers = index.vnets.some((v) => v.gateways.some((g) => g.kind === 'RouteServer'));
    let token = 0;
    // notMutualAt[j] === token: plain spoke position j of the hub being looked at and the plain
    // spoke being looked at miss each other in some direction.
    let notMutualAt = new Int32Array(0);
    // Per hub, whether spoke i reaches spoke j through an appliance (0 unknown, 1 yes, 2 no): each
    // direction of a pair is worked out once although both spokes' findings need it.
    let reach = new Uint8Array(0);
    const neighbours = index.neighbours();
    const findings: FindingDraft[] = [];
    index.vnets.forEach((hub, b) => {
      // isHub first: it tells most spokes apart without building their links.
      if (hub.peerings.length < 2 || !isHub(index, b)) return;
      const spokes = index.links(b);
      const n = spokes.length;
      if (n < 2) return;
      if (reach.length < n * n) reach = new Uint8Array(n * n);
      else reach.fill(0, 0, n * n);
      if (notMutualAt.length < n) notMutualAt = new Int32Array(n).fill(-1);
      const peers = spokes.map((l) => l.peer);
      for (const c of peers) spokeOf[c] = b;
      const tables = peers.map((c) => index.routedTables(c));
      // Only pairs where both sides route through appliances need prefix work.
      const routed: number[] = [];
      tables.forEach((t, j) => {
        if (t.length > 0) routed.push(j);
      });
      const groups = routeServers ? bgpGroups(index, b, spokes) : undefined;
      // The spokes whose routing is not known, worked out at the hub's first finding.
      let unknown: readonly number[] | undefined;
      const unknownSpokes = (): readonly number[] => {
        if (unknown) return unknown;
        let found: number[] | undefined;
        peers.forEach((c, j) => {
          if (!index.routeTableUnread(c)) return;
          unknownAt[c] = b;
          (found ??= []).push(j);
        });
        unknown = found ?? NONE;
        return unknown;
      };
      const groupOf = groups?.group;
      if (groupOf) peers.forEach((c, j) => (groupAt[c] = groupOf[j] as number));
      /** Whether spokes i and j are in one BGP group: the pair is not judged. */
      const grouped = (i: number, j: number): boolean => groupOf !== undefined && (groupOf[i] as number) >= 0 && groupOf[i] === groupOf[j];
      const missed = plainMisses(b, spokes, tables, routed, groups);
      // notMutual[i], for a plain spoke i: the plain spokes that it misses or that miss it (missed,
      // both ways; one may be listed more than once).
      const notMutual: Array<number[] | undefined> = new Array(n);
      let plainCount = 0;
      missed.forEach((list, i) => {
        // forEach skips the holes: spokes that are not plain.
        plainCount += 1;
        plainAt[peers[i] as number] = b;
        for (const j of list as number[]) {
          (notMutual[i] ??= []).push(j);
          (notMutual[j] ??= []).push(i);
        }
      });
      // Routed spokes that are not plain: pairs with them are decided one by one.
      const unplain = routed.filter((j) => !missed[j]);
      const reaches = (i: number, j: number): boolean => {
        const k = i * n + j;
        if (reach[k] === 0) {
          const onward = spokes[j] as Link;
          reach[k] = reachesThroughAppliance(index, peers[i] as number, tables[i] as readonly RoutedTable[], onward.peer, { hub: b, link: onward }) ? 1 : 2;
        }
        return reach[k] === 1;
      };
      // `i`: the spoke being looked at (notMutualAt and mark are marked for it).
      const mutual = (i: number, j: number): boolean => {
        if (missed[i] && missed[j]) return notMutualAt[j] !== token;
        return reaches(i, j) && reaches(j, i);
      };
      const unreachableFrom = (i: number, j: number): boolean => {
        const c = peers[j] as number;
        if (j === i || mark[c] === token) return false;
        const spokeA = (spokes[i] as Link).peerVnet;
        const spokeC = (spokes[j] as Link).peerVnet;
        if (expects && !expects(spokeA.key, spokeC.key) && !expects(spokeC.key, spokeA.key)) return false;
        if (spokeA.meshGroupKeys.length > 0 && shareMeshGroup(spokeA, spokeC)) return false;
        if (grouped(i, j)) return false;
        return !((tables[i] as readonly RoutedTable[]).length > 0 && (tables[j] as readonly RoutedTable[]).length > 0 && mutual(i, j));
      };
      spokes.forEach((toA, i) => {
        const a = toA.peer;
        const spokeA = toA.peerVnet;
        const inMesh = spokeA.meshGroupKeys.length > 0;
        const aRouted = (tables[i] as readonly RoutedTable[]).length > 0;
        const aGroup = groupOf ? (groupOf[i] as number) : -1;
        token += 1;
        let peered = 0; // distinct spokes of this hub A has a peering with
        let peeredPlain = 0; // of which plain
        let peeredGrouped = 0; // of which in A's BGP group
        for (let k = neighbours.start[a] as number; k < (neighbours.start[a + 1] as number); k += 1) {
          const x = neighbours.list[k] as number;
          if (mark[x] === token || x === a) continue;
          mark[x] = token;
          if (spokeOf[x] === b) {
            peered += 1;
            if (aGroup >= 0 && groupAt[x] === aGroup) peeredGrouped += 1;
          }
          if (plainAt[x] === b) peeredPlain += 1;
        }
        let notMutualUnpeered = 0; // plain spokes that miss A or that A misses, other than A and not peered with it
        for (const j of notMutual[i] ?? NONE) {
          if (notMutualAt[j] === token) continue;
          notMutualAt[j] = token;
          if (j !== i && mark[peers[j] as number] !== token) notMutualUnpeered += 1;
        }
        let unreachable = 0;
        if (expects || inMesh) {
          // Filters that single out pairs: every spoke is looked at.
          for (let j = 0; j < n; j += 1) if (unreachableFrom(i, j)) unreachable += 1;
        } else {
          // Every spoke A has no peering with is unreachable unless both route through an appliance
          // or both are in one BGP group: counted from A's own peerings; A's group partners are
          // subtracted from the group's size, routed pairs as before: plain ones from the missed
          // lists (a plain spoke is in no group), the others pair by pair (A's group skipped).
          unreachable = n - 1 - peered;
          if (aGroup >= 0) unreachable -= ((groups as BgpGroups).size.get(aGroup) as number) - 1 - peeredGrouped;
          const aPlain = missed[i] !== undefined;
          if (aPlain) unreachable -= plainCount - 1 - peeredPlain - notMutualUnpeered;
          if (aRouted) {
            for (const j of aPlain ? unplain : routed) {
              if (j === i || mark[peers[j] as number] === token || grouped(i, j)) continue;
              if (mutual(i, j)) unreachable -= 1;
            }
          }
        }
        if (unreachable === 0) return;
        // A spoke with a route table that was not read: its pairs are not judged (see "Route
        // tables not read" in the header). Only spokes with a finding ask.
        const notKnown = unknownSpokes();
        if (notKnown.length > 0) {
          if (unknownAt[a] === b) return;
          for (const j of notKnown) if (unreachableFrom(i, j)) unreachable -= 1;
          if (unreachable === 0) return;
        }
        const related = [hub.id];
        const names: string[] = [];
        for (let j = 0; j < n && names.length < LISTED; j += 1) {
          if (!unreachableFrom(i, j) || (notKnown.length > 0 && unknownAt[peers[j] as number] === b)) continue;
          related.push((spokes[j] as Link).peerVnet.id);
          names.push((spokes[j] as Link).peerVnet.name);
        }
        const aToB = toA.back;
        findings.push({
          resourceId: aToB.id,
          relatedResourceIds: related,
          identity: [aToB.id, hub.id],
          message: flat`${describeVnet(spokeA)} cannot reach ${namesList(names, unreachable)} through hub VNet "${hub.name}": peering is not transitive, and no route sends their traffic to an appliance or VPN gateway in "${hub.name}" in both directions.`,
        });
      });
    });
    return findings;
  },
};
