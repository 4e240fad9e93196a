import { contains, type Prefix } from '../model/cidr';
import type { ResourceKey } from '../model/ids';
import type { Peering, Route, RouteTable, Topology, Vnet } from '../model/types';
import { peeredRemotePrefixes } from './describe';

// Shared vocabulary of the transit rules: usable links, which peer holds a next-hop IP, effective
// routes of a VNet's subnets, and what a longest-prefix match decides for a whole prefix.
//
// Cost model: `transitIndex` numbers the VNets (one pass, O(V)); a VNet's usable links are built on
// first use (one reverse lookup per peering, so at most O(P) in all) and everything after that is
// array and integer-keyed work, so that the rules' inner loops (over the peers of a hub, up to 500)
// do no string hashing. Route decisions are linear in the effective routes of one table.

/** A usable link seen from one VNet: both peerings exist, both Connected, both allow VNet access. */
export interface Link {
  /** This VNet's peering to the peer. */
  out: Peering;
  /** The peer's peering back. */
  back: Peering;
  /** The peer's number in the index. */
  peer: number;
  peerVnet: Vnet;
  /** The peer's prefixes this VNet reaches over the link (subnet peering: the named subnets only). */
  remotePrefixes: readonly Prefix[];
}

export function isUsable(out: Peering, back: Peering | undefined): back is Peering {
  return (
    back !== undefined &&
    out.peeringState === 'Connected' &&
    back.peeringState === 'Connected' &&
    out.allowVirtualNetworkAccess &&
    back.allowVirtualNetworkAccess
  );
}

export interface TransitIndex {
  topology: Topology;
  /** Every VNet, in input order; a VNet's number is its position. */
  vnets: readonly Vnet[];
  numberOf(key: ResourceKey): number | undefined;
  /** Usable links of VNet `n`, in the order of its peerings (built on first use). */
  links(n: number): readonly Link[];
  /** The usable link from VNet `from` to VNet `to`. */
  link(from: number, to: number): Link | undefined;
  /** The link of VNet `n` whose peer holds `ip` (as reachable over the link), if any. */
  linkHolding(n: number, ip: Prefix): Link | undefined;
  /** The VNets that have a peering with VNet `n`, in either direction and any state. */
  neighbours(n: number): readonly number[];
  /** `routedTables` of VNet `n`, worked out once. */
  routedTables(n: number): readonly RoutedTable[];
}

interface Edge {
  to: number;
  peering: Peering;
}

const indexes = new WeakMap<Topology, TransitIndex>();

/**
 * Numbers the VNets, O(V). A VNet's peerings are numbered on first use, O(deg), and its links
 * resolved from them (each peering's reverse was resolved when the topology was built).
 * `neighbours` needs every peering: O(P) on first use.
 * One index per topology (a topology is not changed once built): the transit rules share the
 * links and effective routes they work out.
 */
export function transitIndex(topology: Topology): TransitIndex {
  let index = indexes.get(topology);
  if (!index) {
    index = buildTransitIndex(topology);
    indexes.set(topology, index);
  }
  return index;
}

function buildTransitIndex(topology: Topology): TransitIndex {
  const vnets = [...topology.vnets.values()];
  const ordinals = new Map<Vnet, number>();
  vnets.forEach((v, i) => ordinals.set(v, i));
  let numbers: Map<ResourceKey, number> | undefined;
  const edgesOf: Array<Edge[] | undefined> = new Array(vnets.length);
  const edges = (n: number): Edge[] => {
    let list = edgesOf[n];
    if (list) return list;
    list = [];
    for (const peering of (vnets[n] as Vnet).peerings) {
      const to = peering.remoteVnet ? ordinals.get(peering.remoteVnet) : undefined;
      if (to !== undefined && to !== n) list.push({ to, peering });
    }
    edgesOf[n] = list;
    return list;
  };
  let neighbourLists: number[][] | undefined;
  const neighbours = (n: number): readonly number[] => {
    if (!neighbourLists) {
      const lists: number[][] = vnets.map(() => []);
      vnets.forEach((_, i) => {
        for (const { to } of edges(i)) {
          (lists[i] as number[]).push(to);
          (lists[to] as number[]).push(i);
        }
      });
      neighbourLists = lists;
    }
    return neighbourLists[n] ?? [];
  };

  const linksOf: Array<Link[] | undefined> = new Array(vnets.length);
  const linkMaps: Array<Map<number, Link> | undefined> = new Array(vnets.length);
  const links = (n: number): Link[] => {
    let list = linksOf[n];
    if (list) return list;
    list = [];
    const seen = new Set<number>();
    for (const { to, peering: out } of edges(n)) {
      if (seen.has(to)) continue;
      const back = out.reverse;
      if (!isUsable(out, back)) continue;
      seen.add(to); // two peerings to the same remote: the first usable one counts
      list.push({ out, back, peer: to, peerVnet: vnets[to] as Vnet, remotePrefixes: peeredRemotePrefixes(topology, out) });
    }
    linksOf[n] = list;
    return list;
  };
  const link = (from: number, to: number): Link | undefined => {
    const list = links(from);
    if (list.length <= 16) return list.find((l) => l.peer === to);
    let map = linkMaps[from];
    if (!map) {
      map = new Map(list.map((l) => [l.peer, l]));
      linkMaps[from] = map;
    }
    return map.get(to);
  };
  const routed: Array<RoutedTable[] | undefined> = new Array(vnets.length);
  const index: TransitIndex = {
    topology,
    vnets,
    numberOf: (key) => {
      numbers ??= new Map(vnets.map((v, i) => [v.key, i]));
      return numbers.get(key);
    },
    links,
    link,
    linkHolding: (n, ip) => links(n).find((l) => isInside(ip, l.remotePrefixes)),
    neighbours,
    routedTables: (n) => (routed[n] ??= routedTables(index, n)),
  };
  return index;
}

/**
 * Whether VNet `n` acts as a hub: it has a gateway or Route Server, an Azure Firewall or NVA, offers
 * gateway transit on some peering, or is the centre of a star of 3 or more usable links while being
 * no spoke itself (it neither uses a remote gateway nor routes through an appliance in a peer). A
 * spoke that also peers with a few siblings is not a hub: its peers are not meant to transit it.
 */
export function isHub(index: TransitIndex, n: number): boolean {
  const vnet = index.vnets[n] as Vnet;
  if (vnet.gateways.length > 0 || vnet.appliances.length > 0) return true;
  if (vnet.peerings.some((p) => p.allowGatewayTransit)) return true;
  if (index.links(n).length < 3) return false;
  if (vnet.peerings.some((p) => p.useRemoteGateways)) return false;
  return index.routedTables(n).length === 0;
}

/** Whether two VNets belong to a common AVNM mesh group (connected without peerings). */
export function shareMeshGroup(a: Vnet | undefined, b: Vnet | undefined): boolean {
  if (!a || !b || a.meshGroupKeys.length === 0 || b.meshGroupKeys.length === 0) return false;
  return a.meshGroupKeys.some((g) => b.meshGroupKeys.includes(g));
}

export function isInside(ip: Prefix, prefixes: readonly Prefix[]): boolean {
  return prefixes.some((p) => contains(p, ip));
}

/** A user-defined route to a virtual appliance IP. */
export function isApplianceRoute(route: Route): route is Route & { nextHopIp: Prefix } {
  return route.nextHopType.toLowerCase() === 'virtualappliance' && route.nextHopIp !== undefined;
}

// -- effective routes --

/** One entry of a subnet's effective route table: a system route or a user-defined one. */
export interface EffectiveRoute {
  prefix: Prefix;
  nextHopType: string;
  nextHopIp: Prefix | undefined;
  /** The user-defined route, absent for system routes. */
  route: Route | undefined;
  /** The number of the usable peer whose space holds the appliance next hop, or -1. */
  hub: number;
  /** System routes of type VNetPeering: the peering whose remote space this is. */
  peering: Peering | undefined;
}


/**
 * The effective routes of the subnets that use `table` in VNet `n`: system routes for the VNet's
 * own space (VnetLocal) and for every Connected peering's remote space (VNetPeering), overridden by
 * the table's routes with the same prefix (a user route wins a tie, virtual-networks-udr-overview).
 * Without a table (subnets with no route table), the system routes alone.
 * Azure's default routes (0.0.0.0/0 to Internet, private ranges to None) never lead to an
 * appliance, so leaving them out decides nothing differently here. Routes to service tags are
 * skipped. Cost: O(prefixes of the VNet and its peers + routes × links).
 */
export function effectiveRoutes(index: TransitIndex, n: number, table: RouteTable | undefined): EffectiveRoute[] {
  const vnet = index.vnets[n] as Vnet;
  const byPrefix = new Map<string, EffectiveRoute>();
  const system = (prefix: Prefix, nextHopType: string, peering?: Peering) => {
    const key = prefix.key;
    if (!byPrefix.has(key)) byPrefix.set(key, { prefix, nextHopType, nextHopIp: undefined, route: undefined, hub: -1, peering });
  };
  for (const prefix of vnet.prefixes) system(prefix, 'VnetLocal');
  for (const peering of vnet.peerings) {
    if (peering.peeringState !== 'Connected') continue;
    for (const prefix of peeredRemotePrefixes(index.topology, peering)) system(prefix, 'VNetPeering', peering);
  }
  for (const route of table?.routes ?? []) {
    if (!route.prefix) continue;
    const hub = isApplianceRoute(route) ? (index.linkHolding(n, route.nextHopIp)?.peer ?? -1) : -1;
    byPrefix.set(route.prefix.key, { prefix: route.prefix, nextHopType: route.nextHopType, nextHopIp: route.nextHopIp, route, hub, peering: undefined });
  }
  return [...byPrefix.values()];
}

/** A stretch of addresses and the route that carries it by longest-prefix match. */
export interface Decision {
  first: bigint;
  last: bigint;
  route: EffectiveRoute;
}

/**
 * Longest-prefix match over one IP version's whole space, as stretches in address order (addresses
 * no route covers are left out). CIDR prefixes are nested or disjoint, so one sweep over the routes
 * sorted by start (outer first), with a stack of the routes that enclose the cursor, splits them:
 * O(k log k) for k routes.
 */
export function decisionsOf(routes: readonly EffectiveRoute[], version: 4 | 6): Decision[] {
  const sorted = routes
    .filter((r) => r.prefix.version === version)
    .sort((a, b) => (a.prefix.first < b.prefix.first ? -1 : a.prefix.first > b.prefix.first ? 1 : a.prefix.length - b.prefix.length));
  const out: Decision[] = [];
  const emit = (first: bigint, last: bigint, route: EffectiveRoute) => {
    if (first <= last) out.push({ first, last, route });
  };
  const stack: EffectiveRoute[] = [];
  let cursor = 0n;
  const closeUntil = (limit: bigint | undefined) => {
    // Pops the enclosing routes that end before `limit` (all of them without one), emitting their tails.
    for (let top = stack[stack.length - 1]; top && (limit === undefined || top.prefix.last < limit); top = stack[stack.length - 1]) {
      emit(cursor, top.prefix.last, top);
      cursor = top.prefix.last + 1n;
      stack.pop();
    }
  };
  for (const route of sorted) {
    closeUntil(route.prefix.first);
    const enclosing = stack[stack.length - 1];
    if (enclosing) emit(cursor, route.prefix.first - 1n, enclosing);
    cursor = route.prefix.first;
    stack.push(route);
  }
  closeUntil(undefined);
  return out;
}

/** What the longest-prefix match decides for every address of a prefix. */
export interface PrefixRouting {
  /** The routes that carry some part of the prefix. */
  deciding: EffectiveRoute[];
  /** Some part of the prefix matches no route at all (Azure's defaults: Internet or None). */
  gap: boolean;
}

/** The decisions of `routes`, worked out once per route list and IP version. */
const decisionCache = new WeakMap<readonly EffectiveRoute[], { 4?: Decision[]; 6?: Decision[] }>();

function cachedDecisions(routes: readonly EffectiveRoute[], version: 4 | 6): Decision[] {
  let entry = decisionCache.get(routes);
  if (!entry) {
    entry = {};
    decisionCache.set(routes, entry);
  }
  return (entry[version] ??= decisionsOf(routes, version));
}

/** Routing of a whole destination prefix: the routes that carry some of its addresses, and whether some carry none. */
export function routingOf(routes: readonly EffectiveRoute[], target: Prefix): PrefixRouting {
  const deciding: EffectiveRoute[] = [];
  let cursor = target.first;
  let gap = false;
  for (const d of cachedDecisions(routes, target.version)) {
    if (d.last < target.first) continue;
    if (d.first > target.last) break;
    if (d.first > cursor) gap = true; // a stretch of the target no route covers
    if (!deciding.includes(d.route)) deciding.push(d.route);
    cursor = d.last + 1n;
  }
  return { deciding, gap: gap || cursor <= target.last };
}

/** The first route that sends some address of `target` to an appliance in VNet `hub`. */
export function routeSendingSomeTo(routes: readonly EffectiveRoute[], target: Prefix, hub: number): EffectiveRoute | undefined {
  return routingOf(routes, target).deciding.find((r) => r.hub === hub);
}

/** Whether every address of `target` lies in one of the sorted, disjoint, merged `stretches`. */
export function holdsAll(stretches: readonly Decision[], target: Prefix): boolean {
  // The last stretch that starts at or before the target's first address must hold it all.
  let low = 0;
  let high = stretches.length - 1;
  let candidate: Decision | undefined;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const s = stretches[mid] as Decision;
    if (s.first <= target.first) {
      candidate = s;
      low = mid + 1;
    } else high = mid - 1;
  }
  return candidate !== undefined && target.last <= candidate.last;
}

/** The stretches of one IP version whose decision goes to an appliance in VNet `hub`, adjacent ones merged. */
export function applianceStretches(routes: readonly EffectiveRoute[], version: 4 | 6, hub: number): Decision[] {
  const merged: Decision[] = [];
  for (const d of cachedDecisions(routes, version)) {
    if (d.route.hub !== hub) continue;
    const last = merged[merged.length - 1];
    if (last && last.last + 1n === d.first) merged[merged.length - 1] = { ...last, last: d.last };
    else merged.push(d);
  }
  return merged;
}

// -- route tables with appliance next hops in peers --

/** A route table of a VNet whose appliance routes lead into usable peers ("hubs"). */
export interface RoutedTable {
  table: RouteTable;
  /** Distinct usable links whose peer holds one of the table's appliance next hops. */
  hubs: Link[];
  /** The table's effective routes (worked out on first use). */
  readonly routes: EffectiveRoute[];
  /** The merged stretches of one IP version that go to an appliance in VNet `hub` (worked out once per hub and version). */
  stretchesTo(hub: number, version: 4 | 6): readonly Decision[];
  /** Whether every address of `target` goes to an appliance in VNet `hub`. */
  sendsAllTo(target: Prefix, hub: number): boolean;
}

/**
 * The route tables of VNet `n` (those associated with its subnets) that have at least one appliance
 * route whose next hop lies in a usable peer. Cost: O(tables × routes × links of the VNet); the
 * effective routes of a table are worked out only when asked for.
 */
function routedTables(index: TransitIndex, n: number): RoutedTable[] {
  const result: RoutedTable[] = [];
  for (const table of (index.vnets[n] as Vnet).routeTables) {
    const hubs: Link[] = [];
    for (const route of table.routes) {
      if (!isApplianceRoute(route)) continue;
      const link = index.linkHolding(n, route.nextHopIp);
      if (link && !hubs.includes(link)) hubs.push(link);
    }
    if (hubs.length === 0) continue;
    let routes: EffectiveRoute[] | undefined;
    const toHub = new Map<number, Decision[]>();
    result.push({
      table,
      hubs,
      get routes() {
        return (routes ??= effectiveRoutes(index, n, table));
      },
      stretchesTo(hub, version) {
        const key = hub * 2 + (version === 4 ? 0 : 1);
        let stretches = toHub.get(key);
        if (!stretches) {
          stretches = applianceStretches(this.routes, version, hub);
          toHub.set(key, stretches);
        }
        return stretches;
      },
      sendsAllTo(target, hub) {
        return holdsAll(this.stretchesTo(hub, target.version), target);
      },
    });
  }
  return result;
}

/**
 * Whether some subnet of one VNet (its routed tables `from`) sends all of VNet `to`'s space to an
 * appliance in a VNet `h` that has usable links with both: for a table and one of its hubs `h`,
 * every prefix of `to` that `h` reaches over the link h–to is routed to an appliance in `h`.
 * Cost: O(tables × hubs × prefixes of `to` × effective routes).
 */
export function reachesThroughAppliance(
  index: TransitIndex,
  from: readonly RoutedTable[],
  to: number,
  known?: { hub: number; link: Link },
): boolean {
  for (const table of from) {
    for (const hub of table.hubs) {
      if (hub.peer === to) continue;
      // `known`: the caller's link from a hub to `to`, saving a look-up when it is this hub.
      const onward = known?.hub === hub.peer ? known.link : index.link(hub.peer, to);
      if (!onward || onward.remotePrefixes.length === 0) continue;
      let all = true;
      for (const prefix of onward.remotePrefixes) {
        if (!table.sendsAllTo(prefix, hub.peer)) {
          all = false;
          break;
        }
      }
      if (all) return true;
    }
  }
  return false;
}
