import { contains, type Prefix } from '../model/cidr';
import type { ResourceKey } from '../model/ids';
import type { Peering, Route, RouteTable, Topology, Vnet } from '../model/types';
import { peeredRemotePrefixes } from './describe';

// Shared vocabulary of the transit rules: usable links, who holds a next-hop IP, effective routes
// of a VNet's subnets and what a longest-prefix match decides for a whole prefix.
//
// Cost model: `transitIndex` touches the topology once, O(V + P) lookups (P = peerings), and
// answers everything else from its own maps, so that the rules' inner loops (over the peers of a
// hub) do no topology work. Route decisions are linear in the routes of one table.

/** A usable link seen from one VNet: both peerings exist, both Connected, both allow VNet access. */
export interface Link {
  /** This VNet's peering to the peer. */
  out: Peering;
  /** The peer's peering back. */
  back: Peering;
  peerKey: ResourceKey;
  /** The peer, when it was read. */
  peer: Vnet | undefined;
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
  /** Every VNet, in input order (one pass over the topology). */
  vnets: readonly Vnet[];
  /** Usable links of a VNet, in the order of its peerings. */
  links(vnetKey: ResourceKey): readonly Link[];
  /** The usable link from `from` to `to`. */
  link(from: ResourceKey, to: ResourceKey): Link | undefined;
  /** Whether a peering exists between the two VNets in either direction, in any state. */
  isPeered(a: ResourceKey, b: ResourceKey): boolean;
  /** The remote prefixes a peering connects (`peeredRemotePrefixes`), computed once per peering. */
  remotePrefixes(peering: Peering): readonly Prefix[];
}

const pairKey = (a: ResourceKey, b: ResourceKey) => `${a}|${b}`;
const NO_LINKS: readonly Link[] = [];

/** Builds the index in O(V + P) topology lookups. */
export function transitIndex(topology: Topology): TransitIndex {
  const vnets = [...topology.vnets.values()];
  const linksOf = new Map<ResourceKey, Link[]>();
  const linkByPair = new Map<string, Link>();
  const peered = new Set<string>();
  const remote = new Map<ResourceKey, readonly Prefix[]>();
  for (const out of topology.peerings.values()) {
    peered.add(pairKey(out.vnetKey, out.remoteVnetKey));
    peered.add(pairKey(out.remoteVnetKey, out.vnetKey));
    const remotePrefixes = peeredRemotePrefixes(topology, out);
    remote.set(out.key, remotePrefixes);
    if (out.vnetKey === out.remoteVnetKey) continue;
    const back = topology.reverseOf(out);
    if (!isUsable(out, back)) continue;
    const link: Link = { out, back, peerKey: out.remoteVnetKey, peer: topology.vnets.get(out.remoteVnetKey), remotePrefixes };
    const pair = pairKey(out.vnetKey, out.remoteVnetKey);
    if (linkByPair.has(pair)) continue; // two peerings to the same remote: the first one counts
    linkByPair.set(pair, link);
    let list = linksOf.get(out.vnetKey);
    if (!list) linksOf.set(out.vnetKey, (list = []));
    list.push(link);
  }
  return {
    topology,
    vnets,
    links: (vnetKey) => linksOf.get(vnetKey) ?? NO_LINKS,
    link: (from, to) => linkByPair.get(pairKey(from, to)),
    isPeered: (a, b) => peered.has(pairKey(a, b)),
    remotePrefixes: (peering) => remote.get(peering.key) ?? [],
  };
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

/** The usable link of `vnetKey` whose peer holds `ip` (as reachable over the link), if any. */
export function linkHolding(index: TransitIndex, vnetKey: ResourceKey, ip: Prefix): Link | undefined {
  return index.links(vnetKey).find((l) => isInside(ip, l.remotePrefixes));
}

// -- effective routes --

/** One entry of a subnet's effective route table: a system route or a user-defined one. */
export interface EffectiveRoute {
  prefix: Prefix;
  nextHopType: string;
  nextHopIp: Prefix | undefined;
  /** The user-defined route, absent for system routes. */
  route: Route | undefined;
}

const prefixKey = (p: Prefix) => `${p.version}:${p.first.toString(16)}/${p.length}`;

/**
 * The effective routes of the subnets that use `table` in `vnet`: system routes for the VNet's own
 * space (VnetLocal) and for every Connected peering's remote space (VNetPeering), overridden by the
 * table's routes with the same prefix (a user route wins a tie, virtual-networks-udr-overview).
 * Azure's default routes (0.0.0.0/0 to Internet, private ranges to None) never lead to an
 * appliance, so leaving them out decides nothing differently here. Routes to service tags are
 * skipped. Cost: O(prefixes of the VNet and its peers + routes).
 */
export function effectiveRoutes(index: TransitIndex, vnet: Vnet, table: RouteTable): EffectiveRoute[] {
  const byPrefix = new Map<string, EffectiveRoute>();
  for (const prefix of vnet.prefixes) byPrefix.set(prefixKey(prefix), { prefix, nextHopType: 'VnetLocal', nextHopIp: undefined, route: undefined });
  for (const peering of vnet.peerings) {
    if (peering.peeringState !== 'Connected') continue;
    for (const prefix of index.remotePrefixes(peering)) {
      const key = prefixKey(prefix);
      if (!byPrefix.has(key)) byPrefix.set(key, { prefix, nextHopType: 'VNetPeering', nextHopIp: undefined, route: undefined });
    }
  }
  for (const route of table.routes) {
    if (!route.prefix) continue;
    byPrefix.set(prefixKey(route.prefix), { prefix: route.prefix, nextHopType: route.nextHopType, nextHopIp: route.nextHopIp, route });
  }
  return [...byPrefix.values()];
}

/** What the longest-prefix match decides for every address of a prefix. */
export interface PrefixRouting {
  /** The routes that carry some part of the prefix. */
  deciding: EffectiveRoute[];
  /** Some part of the prefix matches no route at all (Azure's defaults: Internet or None). */
  gap: boolean;
}

/**
 * Routing of a whole destination prefix: the longest route that contains it carries it, except
 * the parts that more specific routes inside it carry. (A more specific route that is itself
 * wholly shadowed by still more specific ones is counted as deciding: a rare, conservative case.)
 */
export function routingOf(routes: readonly EffectiveRoute[], target: Prefix): PrefixRouting {
  let containing: EffectiveRoute | undefined;
  const inner: EffectiveRoute[] = [];
  for (const r of routes) {
    if (r.prefix.version !== target.version) continue;
    if (contains(r.prefix, target)) {
      if (!containing || r.prefix.length > containing.prefix.length) containing = r;
    } else if (contains(target, r.prefix)) inner.push(r);
  }
  let covered = false;
  if (inner.length > 0) {
    inner.sort((a, b) => (a.prefix.first < b.prefix.first ? -1 : a.prefix.first > b.prefix.first ? 1 : 0));
    let cursor = target.first;
    for (const r of inner) {
      if (r.prefix.first > cursor) break;
      if (r.prefix.last + 1n > cursor) cursor = r.prefix.last + 1n;
    }
    covered = cursor > target.last;
  }
  if (covered) return { deciding: inner, gap: false };
  return { deciding: containing ? [...inner, containing] : inner, gap: containing === undefined };
}

/** Whether a route hands packets to an appliance whose IP lies in `inside`. */
export function isApplianceIn(route: EffectiveRoute, inside: readonly Prefix[]): boolean {
  return route.nextHopType.toLowerCase() === 'virtualappliance' && route.nextHopIp !== undefined && isInside(route.nextHopIp, inside);
}

/** Every address of `target` goes to an appliance inside `inside`. */
export function sendsAllTo(routes: readonly EffectiveRoute[], target: Prefix, inside: readonly Prefix[]): boolean {
  const { deciding, gap } = routingOf(routes, target);
  return !gap && deciding.length > 0 && deciding.every((r) => isApplianceIn(r, inside));
}

/** The first route that sends some address of `target` to an appliance inside `inside`. */
export function routeSendingSomeTo(routes: readonly EffectiveRoute[], target: Prefix, inside: readonly Prefix[]): EffectiveRoute | undefined {
  return routingOf(routes, target).deciding.find((r) => isApplianceIn(r, inside));
}

// -- route tables with appliance next hops in peers --

/** A route table of a VNet whose appliance routes lead into usable peers ("hubs"). */
export interface RoutedTable {
  table: RouteTable;
  routes: EffectiveRoute[];
  /** Distinct usable links whose peer holds one of the table's appliance next hops. */
  hubs: Link[];
}

/**
 * The route tables of `vnet` (those associated with its subnets) that have at least one appliance
 * route whose next hop lies in a usable peer. Cost: O(tables × routes × links of the VNet), plus
 * the effective routes of those tables only.
 */
export function routedTables(index: TransitIndex, vnet: Vnet): RoutedTable[] {
  const result: RoutedTable[] = [];
  for (const table of vnet.routeTables) {
    const hubs: Link[] = [];
    for (const route of table.routes) {
      if (!isApplianceRoute(route)) continue;
      const link = linkHolding(index, vnet.key, route.nextHopIp);
      if (link && !hubs.includes(link)) hubs.push(link);
    }
    if (hubs.length > 0) result.push({ table, routes: effectiveRoutes(index, vnet, table), hubs });
  }
  return result;
}

/** `routedTables`, computed once per VNet for the duration of one rule evaluation. */
export function routedTablesCache(index: TransitIndex): (vnet: Vnet) => RoutedTable[] {
  const cache = new Map<ResourceKey, RoutedTable[]>();
  return (vnet) => {
    let tables = cache.get(vnet.key);
    if (!tables) cache.set(vnet.key, (tables = routedTables(index, vnet)));
    return tables;
  };
}

/**
 * Whether some subnet of `from` sends all of `to`'s space to an appliance in a VNet `h` that has
 * usable links with both: for a table of `from` and one of its hubs `h`, every prefix of `to` that
 * `h` reaches over the link h–to is routed to an appliance inside `h` (as `from` reaches `h`).
 * Cost: O(tables × hubs × prefixes of `to` × effective routes).
 */
export function reachesThroughAppliance(index: TransitIndex, from: readonly RoutedTable[], toKey: ResourceKey): boolean {
  for (const { routes, hubs } of from) {
    for (const hub of hubs) {
      if (hub.peerKey === toKey) continue;
      const onward = index.link(hub.peerKey, toKey);
      if (!onward || onward.remotePrefixes.length === 0) continue;
      if (onward.remotePrefixes.every((p) => sendsAllTo(routes, p, hub.remotePrefixes))) return true;
    }
  }
  return false;
}
