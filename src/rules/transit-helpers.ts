import { contains, overlaps, rangeKey, type Address, type Prefix } from '../model/cidr';
import type { ResourceKey } from '../model/ids';
import type { Gateway, Peering, Route, RouteTable, Subnet, Topology, Vnet } from '../model/types';
import { isBasicSkuGateway, peeredFamilies, peeredRemotePrefixes, remoteCurrentSpace } from './describe';

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
  /** The peer's prefixes this VNet routes over the link (`routedRemotePrefixes`: as peered; subnet peering: the named subnets only). */
  remotePrefixes: readonly Prefix[];
}

/**
 * The remote prefixes a peering routes to something: for whole VNets the space as peered
 * (`remoteAddressSpace`) that the remote still holds. A range added to the remote reaches the peer's
 * routes only once the peering is synced (update-virtual-network-peering-address-space), so until
 * then it is not routed over the link; a range the remote gave up may still be routed, but no VNet
 * is there. Without `remoteAddressSpace`, the current space. Subnet peering: as
 * `peeredRemotePrefixes` (the named subnets). `peeredRemotePrefixes` stays the current space: the
 * overlap rule needs what the remote holds, not what was synced. An IPv6-only peering
 * (`enableOnlyIPv6Peering`, a subnet peering's setting) routes the IPv6 prefixes only (`peeredFamilies`).
 */
export function routedRemotePrefixes(peering: Peering): Prefix[] {
  if (!peering.peerCompleteVnets) return peeredRemotePrefixes(peering);
  const routed = wholeVnetRoutedPrefixes(peering);
  // The flag is a bit of the peering: nearly every peering (not IPv6-only) returns `routed` as is.
  return peering.enableOnlyIPv6Peering ? peeredFamilies(peering, routed) : routed;
}

/** `routedRemotePrefixes` of a peering of whole VNets, every IP version. */
function wholeVnetRoutedPrefixes(peering: Peering): Prefix[] {
  const peered = peering.remoteAddressSpace;
  if (!peered || peered.length === 0) return remoteCurrentSpace(peering) ?? [];
  // In sync (nearly every peering): the two are the same space, and neither the remote VNet's
  // prefixes (a cache miss on this hot path) nor a comparison is needed.
  if (peering.peeringSyncLevel === 'FullyInSync') return peered;
  const current = remoteCurrentSpace(peering);
  if (!current || current === peered) return peered;
  // CIDR ranges nest or are disjoint: what is both peered and held is the narrower of each overlapping pair.
  const both: Prefix[] = [];
  for (const p of peered) for (const c of current) if (overlaps(p, c)) both.push(p.length >= c.length ? p : c);
  return both;
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
  /** Every VNet, in input order; a VNet's number is its position. */
  vnets: readonly Vnet[];
  numberOf(key: ResourceKey): number | undefined;
  /** Usable links of VNet `n`, in the order of its peerings (built on first use). */
  links(n: number): readonly Link[];
  /** The usable link from VNet `from` to VNet `to`. */
  link(from: number, to: number): Link | undefined;
  /** The link of VNet `n` whose peer holds `ip` (as reachable over the link), if any. */
  linkHolding(n: number, ip: Prefix): Link | undefined;
  /** Who has a peering with whom, in either direction and any state (built on first use, O(P)). */
  neighbours(): Neighbours;
  /** `routedTables` of VNet `n`, worked out once. */
  routedTables(n: number): readonly RoutedTable[];
  /** The hub VPN gateway that VNet `n`'s routes to VirtualNetworkGateway reach (`gatewayTransitOf`), worked out once. */
  gatewayHub(n: number): GatewayHub;
  /** The VNet whose Route Server may program BGP routes into VNet `n` (`routeServerSourceOf`), or -1; worked out once. */
  routeServerSource(n: number): number;
  /** Whether an appliance sits in VNet `n` or in a VNet it has a usable link with (`applianceNear`), worked out once. */
  applianceNear(n: number): boolean;
  /** Whether a source subnet of VNet `n` is associated with a route table that was not read (`routeTableUnreadOf`), worked out once. */
  routeTableUnread(n: number): boolean;
  /** The IP versions VNet `n` sends from (`sourceVersionsOf`: 1 IPv4, 2 IPv6, 3 both), worked out once. */
  sourceVersions(n: number): number;
}

/**
 * The VNets that have a peering with each VNet, in either direction and any state, as one flat
 * list: VNet `n`'s are `list[start[n]]` up to (not including) `list[start[n + 1]]`.
 */
export interface Neighbours {
  start: Int32Array;
  list: Int32Array;
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
  // The VNet each peering leads to, flat (no object per peering): VNet n's k-th peering leads to
  // VNet peerAt[peeringStart[n] + k], -1 when that VNet was not read or is n itself. Filled per VNet
  // on first use (numbered[n] === 1).
  const peeringStart = new Int32Array(vnets.length + 1);
  vnets.forEach((v, i) => (peeringStart[i + 1] = (peeringStart[i] as number) + v.peerings.length));
  const peerAt = new Int32Array(peeringStart[vnets.length] as number);
  const numbered = new Uint8Array(vnets.length);
  const numberPeerings = (n: number): void => {
    if (numbered[n] === 1) return;
    numbered[n] = 1;
    const start = peeringStart[n] as number;
    (vnets[n] as Vnet).peerings.forEach((peering, k) => {
      const to = peering.remoteVnet ? ordinals.get(peering.remoteVnet) : undefined;
      peerAt[start + k] = to === undefined || to === n ? -1 : to;
    });
  };
  let adjacency: Neighbours | undefined;
  const neighbours = (): Neighbours => {
    if (adjacency) return adjacency;
    // Counted, then placed: each peering n -> to makes to a neighbour of n and n one of to.
    const start = new Int32Array(vnets.length + 1);
    const forEachEdge = (visit: (n: number, to: number) => void) => {
      for (let n = 0; n < vnets.length; n += 1) {
        numberPeerings(n);
        for (let e = peeringStart[n] as number; e < (peeringStart[n + 1] as number); e += 1) {
          const to = peerAt[e] as number;
          if (to >= 0) visit(n, to);
        }
      }
    };
    forEachEdge((n, to) => {
      start[n + 1] = (start[n + 1] as number) + 1;
      start[to + 1] = (start[to + 1] as number) + 1;
    });
    for (let n = 0; n < vnets.length; n += 1) start[n + 1] = (start[n + 1] as number) + (start[n] as number);
    const list = new Int32Array(start[vnets.length] as number);
    const free = start.slice(0, vnets.length); // the next free place in each VNet's part of the list
    forEachEdge((n, to) => {
      list[(free[n] as number)++] = to;
      list[(free[to] as number)++] = n;
    });
    adjacency = { start, list };
    return adjacency;
  };

  const linksOf: Array<Link[] | undefined> = new Array(vnets.length);
  const linkMaps: Array<Map<number, Link> | undefined> = new Array(vnets.length);
  // linkedFrom[x] === n: links(n) already has a link to VNet x (two peerings to the same remote:
  // the first usable one counts).
  const linkedFrom = new Int32Array(vnets.length).fill(-1);
  const links = (n: number): Link[] => {
    let list = linksOf[n];
    if (list) return list;
    list = [];
    numberPeerings(n);
    const start = peeringStart[n] as number;
    const peerings = (vnets[n] as Vnet).peerings;
    for (let k = 0; k < peerings.length; k += 1) {
      const to = peerAt[start + k] as number;
      if (to < 0 || linkedFrom[to] === n) continue;
      const out = peerings[k] as Peering;
      const back = out.reverse;
      if (!isUsable(out, back)) continue;
      linkedFrom[to] = n;
      list.push({ out, back, peer: to, peerVnet: vnets[to] as Vnet, remotePrefixes: routedRemotePrefixes(out) });
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
  const linkHolding = (n: number, ip: Prefix): Link | undefined => {
    for (const l of links(n)) if (isInside(ip, l.remotePrefixes)) return l;
    return undefined;
  };
  const routed: Array<readonly RoutedTable[] | undefined> = new Array(vnets.length);
  const gatewayHubs: Array<GatewayHub | undefined> = new Array(vnets.length);
  // -2: not worked out yet.
  const routeServerSources = new Int32Array(vnets.length).fill(-2);
  // 0: not worked out yet, 1: yes, 2: no.
  const appliancesNear = new Uint8Array(vnets.length);
  const tablesUnread = new Uint8Array(vnets.length);
  const versions = new Uint8Array(vnets.length);
  const index: TransitIndex = {
    vnets,
    numberOf: (key) => {
      numbers ??= new Map(vnets.map((v, i) => [v.key, i]));
      return numbers.get(key);
    },
    links,
    link,
    linkHolding,
    neighbours,
    routedTables: (n) => (routed[n] ??= routedTables(index, n)),
    gatewayHub: (n) => (gatewayHubs[n] ??= gatewayTransitOf(index, n)),
    routeServerSource: (n) => {
      if (routeServerSources[n] === -2) routeServerSources[n] = routeServerSourceOf(index, n);
      return routeServerSources[n] as number;
    },
    applianceNear: (n) => {
      if (appliancesNear[n] === 0) appliancesNear[n] = applianceNearOf(index, n) ? 1 : 2;
      return appliancesNear[n] === 1;
    },
    routeTableUnread: (n) => {
      if (tablesUnread[n] === 0) tablesUnread[n] = routeTableUnreadOf(topology, vnets[n] as Vnet) ? 1 : 2;
      return tablesUnread[n] === 1;
    },
    sourceVersions: (n) => (versions[n] ||= sourceVersionsOf(vnets[n] as Vnet)),
  };
  return index;
}

// -- routes to VirtualNetworkGateway: a hub's VPN gateway forwards between its peers --

/**
 * Where VNet `n`'s user routes with next hop VirtualNetworkGateway lead: the hub's VPN gateway it
 * uses through gateway transit, else why none (`why`, for messages). virtual-network-manage-peering:
 * "a VPN gateway can forward network traffic between virtual networks that are peered with the
 * virtual network the gateway is in, without the virtual networks needing to be peered with each
 * other", which "requires implementing user-defined routes that specify the virtual network gateway
 * as the next hop type". A VNet with a gateway of its own sends such routes there (out of the estate:
 * its connections are not read).
 */
export type GatewayHub =
  | { link: Link; gateway: Gateway; why?: undefined }
  | {
      link?: undefined;
      why: 'own-gateway' | 'not-used' | 'several' | 'unusable' | 'not-allowed' | 'no-gateway' | 'not-vpn' | 'basic';
      /** The peering that uses remote gateways (absent for own-gateway, not-used). */
      peering?: Peering;
    };

/**
 * The gateway a route with next hop VirtualNetworkGateway can point at in `vnet`: a VPN gateway with
 * no ExpressRoute gateway beside it. virtual-networks-udr-overview: "You can't specify a virtual
 * network gateway created as the type ExpressRoute in a UDR", nor "if you have virtual private
 * network (VPN) and ExpressRoute coexisting connections". A Route Server takes none, and a gateway
 * known only from its subnet (type unknown) may be an ExpressRoute one: no path is claimed through it.
 */
export function udrGatewayOf(vnet: Vnet): Gateway | undefined {
  let vpn: Gateway | undefined;
  for (const g of vnet.gateways) {
    if (g.kind === 'ExpressRoute' || g.kind === 'Unknown') return undefined;
    if (!vpn && g.kind === 'Vpn') vpn = g;
  }
  return vpn;
}

/**
 * The link over which VNet `n` uses its hub's gateway or Route Server through gateway transit: its
 * one peering that uses remote gateways, over a usable link to a hub whose peering back allows
 * gateway transit; else why none. O(peerings of `n`).
 */
function remoteGatewayLink(
  index: TransitIndex,
  n: number,
): { link: Link; why?: undefined } | { link?: undefined; why: 'own-gateway' | 'not-used' | 'several' | 'unusable' | 'not-allowed'; peering?: Peering } {
  const vnet = index.vnets[n] as Vnet;
  if (vnet.gateways.length > 0) return { why: 'own-gateway' };
  let peering: Peering | undefined;
  for (const p of vnet.peerings) {
    if (!p.useRemoteGateways) continue;
    // Azure allows one; several is an input it refuses, and which one would carry is unknown.
    if (peering) return { why: 'several', peering };
    peering = p;
  }
  if (!peering) return { why: 'not-used' };
  const link = index.links(n).find((l) => l.out === peering);
  if (!link) return { why: 'unusable', peering };
  if (!link.back.allowGatewayTransit) return { why: 'not-allowed', peering };
  return { link };
}

/**
 * `gatewayHub` for VNet `n`: the hub it uses through gateway transit (`remoteGatewayLink`), and the
 * hub's non-Basic VPN gateway (`udrGatewayOf`; Basic does not support gateway transit).
 * O(peerings of `n`).
 */
function gatewayTransitOf(index: TransitIndex, n: number): GatewayHub {
  const transit = remoteGatewayLink(index, n);
  if (!transit.link) return transit;
  const { link } = transit;
  const peering = link.out;
  const hub = link.peerVnet;
  if (hub.gateways.length === 0) return { why: 'no-gateway', peering };
  const gateway = udrGatewayOf(hub);
  if (!gateway) return { why: 'not-vpn', peering };
  if (isBasicSkuGateway(gateway)) return { why: 'basic', peering };
  return { link, gateway };
}

/** A user-defined route to the virtual network gateway. */
export function isGatewayRoute(route: { nextHopType: string }): boolean {
  const type = route.nextHopType;
  return type === 'VirtualNetworkGateway' || type.toLowerCase() === 'virtualnetworkgateway';
}

// -- Route Server: BGP routes an appliance may advertise, not read --

/** Subnets that take no workload: a VNet's route contexts leave them out unless it has nothing else. */
const INFRASTRUCTURE_SUBNETS = new Set(['gatewaysubnet', 'azurefirewallsubnet', 'azurefirewallmanagementsubnet', 'routeserversubnet', 'azurebastionsubnet']);

/** The subnets a VNet's traffic is sent from: its workload subnets, or every subnet when it has none. */
export function workloadSubnets(vnet: Vnet): readonly Subnet[] {
  const workload = vnet.subnets.filter((s) => !INFRASTRUCTURE_SUBNETS.has(s.name.toLowerCase()));
  return workload.length > 0 ? workload : vnet.subnets;
}

/** The IP version bit of `sourceVersions` for a prefix. */
export function versionBit(prefix: Prefix): number {
  return prefix.version === 4 ? 1 : 2;
}

/**
 * `sourceVersions` for `vnet`: the IP versions of its address space (1 IPv4, 2 IPv6, 3 both). A VNet
 * sends packets of a version only from addresses of that version, so an IPv4-only VNet needs no
 * path to a dual-stack VNet's IPv6 space. Both when no space was read (nothing is assumed away).
 */
function sourceVersionsOf(vnet: Vnet): number {
  let bits = 0;
  for (const p of vnet.prefixes) bits |= versionBit(p);
  return bits === 0 ? 3 : bits;
}

/**
 * Whether a source subnet of `vnet` (`workloadSubnets`) is associated with a route table that was
 * not read. "When you create a route table and associate it to a subnet, the table's routes are
 * combined with the subnet's default routes" (virtual-networks-udr-overview): where such a subnet
 * sends anything is not known, so the transit rules do not judge its VNet's paths. O(subnets).
 */
function routeTableUnreadOf(topology: Topology, vnet: Vnet): boolean {
  // Nearly every VNet: every table its subnets name was read (no allocation).
  let unread = false;
  for (const subnet of vnet.subnets) {
    if (subnet.routeTableKey !== undefined && !topology.routeTables.has(subnet.routeTableKey)) {
      unread = true;
      break;
    }
  }
  return unread && workloadSubnets(vnet).some((s) => s.routeTableKey !== undefined && !topology.routeTables.has(s.routeTableKey));
}

/**
 * Whether some workload subnet of `vnet` learns gateway and Route Server (BGP) routes: it has no
 * route table, or one that was not read, or one that does not disable BGP route propagation.
 * route-injection-in-spokes: "Disabling 'Propagate gateway routes' in a route table associated to
 * a subnet would prevent both types of routes (routes from the virtual network gateway and routes
 * from the Azure Route Server) to be injected into NICs in that subnet." A VNet whose subnets were
 * not read counts as one subnet without a table. O(subnets × route tables of the VNet).
 */
function learnsBgpRoutes(vnet: Vnet): boolean {
  const sources = workloadSubnets(vnet);
  if (sources.length === 0) return true;
  for (const subnet of sources) {
    const key = subnet.routeTableKey;
    if (tableLearnsBgpRoutes(key === undefined ? undefined : vnet.routeTables.find((t) => t.key === key))) return true;
  }
  return false;
}

/**
 * Whether the subnets of route table `table` (undefined: no table, or one that was not read) learn
 * gateway and Route Server (BGP) routes: the table does not disable BGP route propagation
 * (`learnsBgpRoutes`, per subnet; the reachability engine, per route context).
 */
export function tableLearnsBgpRoutes(table: RouteTable | undefined): boolean {
  return !table || !table.disableBgpRoutePropagation;
}

/**
 * `routeServerSource` for VNet `n`: the hub whose Route Server may program routes into it, or -1.
 * route-injection-in-spokes: the NVA advertises prefixes to the Route Server, "which injects them so
 * they appear in the effective routes of any virtual machine deployed in the hub VNet or spoke VNets
 * that are peered with the hub VNet with the setting 'Use the remote virtual network's gateway or
 * Route Server'", and spokes peered without it and without gateway transit on the hub's side
 * "don't learn these routes"; route-server-faq: with Use Remote Gateway on the peered VNet, Route
 * Server "will also program the routes from the NVAs into the routing table of the VMs in the
 * peered virtual network". So: the hub that `n` uses through gateway transit (`remoteGatewayLink`)
 * has a Route Server, and some workload subnet of `n` learns BGP routes (`learnsBgpRoutes`).
 * O(peerings of `n` + subnets × route tables).
 */
function routeServerSourceOf(index: TransitIndex, n: number): number {
  const vnet = index.vnets[n] as Vnet;
  // Most VNets use no remote gateway: told apart before any link is built.
  if (!vnet.peerings.some((p) => p.useRemoteGateways)) return -1;
  const transit = remoteGatewayLink(index, n);
  if (!transit.link || !transit.link.peerVnet.gateways.some((g) => g.kind === 'RouteServer')) return -1;
  return learnsBgpRoutes(vnet) ? transit.link.peer : -1;
}

/**
 * `applianceNear` for VNet `n`: an appliance (an Azure Firewall, or a NIC that forwards) in `n` or in
 * a VNet `n` has a usable link with. A Route Server "supports BGP peering with NVAs that are deployed
 * in the same virtual network or a directly peered virtual network" (peer-route-server-with-virtual-appliance),
 * and forwards no traffic itself (route-server-faq: "Azure Route Server doesn't route any data
 * traffic"): the routes it programs lead to such an appliance or nowhere peerguard can follow.
 * O(links of `n`).
 */
function applianceNearOf(index: TransitIndex, n: number): boolean {
  if ((index.vnets[n] as Vnet).appliances.length > 0) return true;
  for (const l of index.links(n)) if (l.peerVnet.appliances.length > 0) return true;
  return false;
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
  // A spoke that uses a remote gateway is told apart before its links are built (most spokes).
  if (vnet.peerings.some((p) => p.useRemoteGateways)) return false;
  if (index.links(n).length < 3) return false;
  return index.routedTables(n).length === 0;
}

/** Whether two VNets belong to a common AVNM mesh group (connected without peerings). */
export function shareMeshGroup(a: Vnet | undefined, b: Vnet | undefined): boolean {
  if (!a || !b || a.meshGroupKeys.length === 0 || b.meshGroupKeys.length === 0) return false;
  return a.meshGroupKeys.some((g) => b.meshGroupKeys.includes(g));
}

/**
 * Whether a mesh group connects two VNets: a common mesh group and no subnet peering between them.
 * A subnet peering "takes preference and the connectivity between nonpeered subnets gets dropped"
 * (how-to-configure-subnet-peering), so the peering decides instead.
 */
export function meshConnects(a: Vnet, c: Vnet): boolean {
  if (!shareMeshGroup(a, c)) return false;
  const subnetPeering = (from: Vnet, to: Vnet) => from.peerings.some((p) => p.remoteVnet === to && !p.peerCompleteVnets);
  return !subnetPeering(a, c) && !subnetPeering(c, a);
}

export function isInside(ip: Prefix, prefixes: readonly Prefix[]): boolean {
  // A loop, not `some`: no closure per call (asked for every appliance route's next hop and link).
  for (const p of prefixes) if (contains(p, ip)) return true;
  return false;
}

/** A user-defined route to a virtual appliance IP. */
export function isApplianceRoute(route: Route): route is Route & { nextHopIp: Prefix } {
  const type = route.nextHopType;
  // The usual spelling first: lower-casing makes a new string for every route.
  return (type === 'VirtualAppliance' || type.toLowerCase() === 'virtualappliance') && route.nextHopIp !== undefined;
}

// -- effective routes --

/** One entry of a subnet's effective route table: a system route or a user-defined one. */
export interface EffectiveRoute {
  prefix: Prefix;
  nextHopType: string;
  nextHopIp: Prefix | undefined;
  /** The user-defined route, absent for system routes. */
  route: Route | undefined;
  /**
   * The number of the usable peer whose space holds the appliance next hop, or, for a route to
   * VirtualNetworkGateway, of the hub whose VPN gateway it reaches (`gatewayHub`); else -1.
   */
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
  return effectiveRoutesWith(index, n, table, table ? hubLinksOf(index, n, table) : []);
}

/**
 * For each route of `table` in VNet `n`: the usable link whose peer holds its appliance next hop, or
 * for a route to VirtualNetworkGateway the link to the hub whose VPN gateway it reaches; else none.
 * The hub's VPN gateway forwards to the hub's peers as an appliance there would, so the transit
 * rules treat both alike (it needs no allowForwardedTraffic: transit-forwarded-traffic-blocked
 * looks at appliance routes only).
 */
function hubLinksOf(index: TransitIndex, n: number, table: RouteTable): Array<Link | undefined> {
  return table.routes.map((route) => {
    if (isApplianceRoute(route)) return index.linkHolding(n, route.nextHopIp);
    return isGatewayRoute(route) ? index.gatewayHub(n).link : undefined;
  });
}

/** `effectiveRoutes`, with the hub link of each of the table's routes known (`hubLinks`, as `hubLinksOf`). */
function effectiveRoutesWith(index: TransitIndex, n: number, table: RouteTable | undefined, hubLinks: ReadonlyArray<Link | undefined>): EffectiveRoute[] {
  const byPrefix = new Map<number | string, EffectiveRoute>();
  forEachSystemRoute(index, n, (prefix, nextHopType, peering) => {
    const key = rangeKey(prefix);
    if (!byPrefix.has(key)) byPrefix.set(key, { prefix, nextHopType, nextHopIp: undefined, route: undefined, hub: -1, peering });
  });
  table?.routes.forEach((route, k) => {
    if (!route.prefix) return;
    byPrefix.set(rangeKey(route.prefix), { prefix: route.prefix, nextHopType: route.nextHopType, nextHopIp: route.nextHopIp, route, hub: hubLinks[k]?.peer ?? -1, peering: undefined });
  });
  return [...byPrefix.values()];
}

/** The system routes of VNet `n`: its own space (VnetLocal), then each Connected peering's remote space as peered (VNetPeering). */
function forEachSystemRoute(index: TransitIndex, n: number, visit: (prefix: Prefix, nextHopType: 'VnetLocal' | 'VNetPeering', peering?: Peering) => void): void {
  const vnet = index.vnets[n] as Vnet;
  for (const prefix of vnet.prefixes) visit(prefix, 'VnetLocal');
  for (const peering of vnet.peerings) {
    if (peering.peeringState !== 'Connected') continue;
    for (const prefix of routedRemotePrefixes(peering)) visit(prefix, 'VNetPeering', peering);
  }
}

/** User routes past this many in one table take the general path (Azure allows 400 per table). */
const PACKED_ROUTES_LIMIT = 1023;

/**
 * `applianceStretches(decisionsOf(routes, 4), 4, hub)` for the effective routes of system routes
 * (`system`, none to an appliance) and a table's user routes (`user`, in table order, route k's next
 * hop in VNet `hubOf(k)` or -1: a later one with the same prefix wins, and any wins over a system
 * route), without building the routes. Each IPv4 route is packed into one number, ordered as
 * `decisionsOf` orders routes and then by that precedence (range, rank, whether it goes to `hub`),
 * the numbers sorted natively and swept like `decisionsOf` does: the transit rules ask most of an
 * estate's tens of thousands of routed tables for these stretches only. Undefined past
 * PACKED_ROUTES_LIMIT user routes.
 */
export function packedStretchesTo(
  system: (visit: (prefix: Prefix) => void) => void,
  user: ReadonlyArray<{ prefix: Prefix | undefined }>,
  hubOf: (k: number) => number,
  hub: number,
): number[] | undefined {
  if (user.length > PACKED_ROUTES_LIMIT) return undefined;
  // (first × 64 + length) × 1024 + rank (0 for system routes, k + 1 for user route k), × 2 + (1 when
  // it goes to `hub`): under 2^49, exact in a double.
  const packed: number[] = [];
  system((prefix) => {
    if (prefix.version === 4) packed.push((prefix.first * 64 + prefix.length) * 2048);
  });
  user.forEach(({ prefix }, k) => {
    if (prefix?.version === 4) packed.push(((prefix.first * 64 + prefix.length) * 1024 + k + 1) * 2 + (hubOf(k) === hub ? 1 : 0));
  });
  const sorted = new Float64Array(packed).sort();
  const merged: number[] = [];
  const emit = (first: number, last: number, toHub: boolean) => {
    if (!toHub) return;
    if (merged.length > 0 && (merged[merged.length - 1] as number) + 1 === first) merged[merged.length - 1] = last;
    else merged.push(first, last);
  };
  // The routes that enclose the cursor, innermost last: their last addresses, and whether each goes to `hub`.
  const openLasts: number[] = [];
  const openToHub: boolean[] = [];
  let cursor = 0;
  for (let k = 0; k <= sorted.length; k += 1) {
    const value = sorted[k];
    // Of routes with one prefix, the last in order ends up innermost and decides all its addresses.
    const range = value === undefined ? -1 : Math.floor(value / 2048);
    const length = range % 64;
    const start = (range - length) / 64;
    // The enclosing routes that end before this route starts: their tails are decided.
    while (openLasts.length > 0) {
      const last = openLasts[openLasts.length - 1] as number;
      if (value !== undefined && last >= start) break;
      if (cursor <= last) emit(cursor, last, openToHub[openToHub.length - 1] as boolean);
      cursor = last + 1;
      openLasts.pop();
      openToHub.pop();
    }
    if (value === undefined) break;
    if (openLasts.length > 0 && cursor < start) emit(cursor, start - 1, openToHub[openToHub.length - 1] as boolean);
    cursor = start;
    openLasts.push(start + 2 ** (32 - length) - 1);
    openToHub.push(value % 2 === 1);
  }
  return merged;
}

/**
 * Sorted, disjoint stretches of addresses of one IP version, flat: `[first, last, first, last, …]`.
 * IPv4 ones are numbers: a list of doubles is one object and its arithmetic allocates nothing, where
 * a stretch of bigints is three objects and each `+ 1n` a new one; the transit rules work out a few
 * lists for each of an estate's tens of thousands of route tables.
 */
export type Stretches = readonly number[] | readonly bigint[];

function after(address: Address): Address {
  return typeof address === 'number' ? address + 1 : address + 1n;
}

function before(address: Address): Address {
  return typeof address === 'number' ? address - 1 : address - 1n;
}

/** Longest-prefix decisions of one IP version: stretch k of `stretches` is carried by `routes[k]`. */
export interface Decisions {
  stretches: Stretches;
  routes: EffectiveRoute[];
}

/** Outer prefixes first among those that start at the same address. */
function byStartOuterFirst(a: EffectiveRoute, b: EffectiveRoute): number {
  return a.prefix.first < b.prefix.first ? -1 : a.prefix.first > b.prefix.first ? 1 : a.prefix.length - b.prefix.length;
}

/**
 * Longest-prefix match over one IP version's whole space, as stretches in address order (addresses
 * no route covers are left out). CIDR prefixes are nested or disjoint, so one sweep over the routes
 * sorted by start (outer first), with a stack of the routes that enclose the cursor, splits them:
 * O(k log k) for k routes.
 */
export function decisionsOf(routes: readonly EffectiveRoute[], version: 4 | 6): Decisions {
  const sorted = routes.filter((r) => r.prefix.version === version).sort(byStartOuterFirst);
  const stretches: Address[] = [];
  const carriers: EffectiveRoute[] = [];
  const stack: EffectiveRoute[] = [];
  let cursor: Address = version === 4 ? 0 : 0n;
  // One step past the last route closes every route still open.
  for (let k = 0; k <= sorted.length; k += 1) {
    const route = sorted[k];
    const start = route?.prefix.first;
    // The enclosing routes that end before this route starts: their tails are decided.
    for (let top = stack[stack.length - 1]; top; top = stack[stack.length - 1]) {
      const last = top.prefix.last;
      if (start !== undefined && last >= start) break;
      if (cursor <= last) {
        stretches.push(cursor, last);
        carriers.push(top);
      }
      cursor = after(last);
      stack.pop();
    }
    if (!route || start === undefined) break;
    const enclosing = stack[stack.length - 1];
    if (enclosing && cursor < start) {
      stretches.push(cursor, before(start));
      carriers.push(enclosing);
    }
    cursor = start;
    stack.push(route);
  }
  return { stretches: stretches as Stretches, routes: carriers };
}

/** What the longest-prefix match decides for every address of a prefix. */
export interface PrefixRouting {
  /** The routes that carry some part of the prefix. */
  deciding: EffectiveRoute[];
  /** Some part of the prefix matches no route at all (Azure's defaults: Internet or None). */
  gap: boolean;
}

/** The decisions of `routes`, worked out once per route list and IP version (routed tables keep their own). */
const decisionCache = new WeakMap<readonly EffectiveRoute[], { 4?: Decisions; 6?: Decisions }>();

function cachedDecisions(routes: readonly EffectiveRoute[], version: 4 | 6): Decisions {
  let entry = decisionCache.get(routes);
  if (!entry) {
    entry = {};
    decisionCache.set(routes, entry);
  }
  return (entry[version] ??= decisionsOf(routes, version));
}

/** Routing of a whole destination prefix: the routes that carry some of its addresses, and whether some carry none. */
export function routingOf(routes: readonly EffectiveRoute[], target: Prefix): PrefixRouting {
  return routingIn(cachedDecisions(routes, target.version), target);
}

/** `routingOf`, from the decisions of the target's IP version. */
function routingIn({ stretches, routes }: Decisions, target: Prefix): PrefixRouting {
  const deciding: EffectiveRoute[] = [];
  const { first, last } = target;
  let cursor = first;
  let gap = false;
  for (let k = 0; k < routes.length; k += 1) {
    const stretchFirst = stretches[2 * k] as Address;
    const stretchLast = stretches[2 * k + 1] as Address;
    if (stretchLast < first) continue;
    if (stretchFirst > last) break;
    if (stretchFirst > cursor) gap = true; // a stretch of the target no route covers
    const route = routes[k] as EffectiveRoute;
    if (!deciding.includes(route)) deciding.push(route);
    cursor = after(stretchLast);
  }
  return { deciding, gap: gap || cursor <= last };
}

/** The first route of `table` that sends some address of `target` to an appliance in VNet `hub` (not to its VPN gateway). */
export function routeSendingSomeTo(table: RoutedTable, target: Prefix, hub: number): EffectiveRoute | undefined {
  return routingIn(table.decisions(target.version), target).deciding.find((r) => r.hub === hub && !isGatewayRoute(r));
}

/** The position of the last of `stretches` that starts at or before `address`, or -1. */
function lastStartingBy(stretches: Stretches, address: Address): number {
  let low = 0;
  let high = stretches.length / 2 - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if ((stretches[2 * mid] as Address) <= address) {
      found = mid;
      low = mid + 1;
    } else high = mid - 1;
  }
  return found;
}

/** Whether every address of `target` lies in one of the merged `stretches` (of the target's IP version). */
export function holdsAll(stretches: Stretches, target: Prefix): boolean {
  // The last stretch that starts at or before the target's first address must hold it all.
  const k = lastStartingBy(stretches, target.first);
  return k >= 0 && target.last <= (stretches[2 * k + 1] as Address);
}

/** Whether some address of `target` lies in one of the `stretches` (of the target's IP version). */
export function holdsSome(stretches: Stretches, target: Prefix): boolean {
  // Stretches are disjoint and sorted: the last one that starts by the target's end reaches furthest.
  const k = lastStartingBy(stretches, target.last);
  return k >= 0 && target.first <= (stretches[2 * k + 1] as Address);
}

/** The stretches of `decisions` of IPv`version` that go to an appliance in VNet `hub`, adjacent ones merged. */
export function applianceStretches(decisions: Decisions, version: 4, hub: number): number[];
export function applianceStretches(decisions: Decisions, version: 4 | 6, hub: number): Stretches;
export function applianceStretches({ stretches, routes }: Decisions, version: 4 | 6, hub: number): Stretches {
  const merged: Address[] = [];
  for (let k = 0; k < routes.length; k += 1) {
    if ((routes[k] as EffectiveRoute).hub !== hub) continue;
    const first = stretches[2 * k] as Address;
    const last = stretches[2 * k + 1] as Address;
    if (merged.length > 0 && after(merged[merged.length - 1] as Address) === first) merged[merged.length - 1] = last;
    else merged.push(first, last);
  }
  return merged as Stretches;
}

// -- route tables with appliance next hops in peers --

/**
 * A route table of a VNet whose appliance routes lead into usable peers ("hubs"), or whose routes to
 * VirtualNetworkGateway reach a hub's VPN gateway (`gatewayHub`): both forward to the hub's peers.
 */
export interface RoutedTable {
  table: RouteTable;
  /** Distinct usable links whose peer holds one of the table's appliance next hops or the VPN gateway its gateway routes reach. */
  hubs: Link[];
  /** The table's effective routes (worked out on first use). */
  readonly routes: EffectiveRoute[];
  /** The longest-prefix decisions of the effective routes for one IP version (worked out once). */
  decisions(version: 4 | 6): Decisions;
  /** The merged stretches of one IP version that go to an appliance in VNet `hub` (worked out once per hub and version). */
  stretchesTo(hub: number, version: 4): readonly number[];
  stretchesTo(hub: number, version: 4 | 6): Stretches;
  /** Whether every address of `target` goes to an appliance in VNet `hub`. */
  sendsAllTo(target: Prefix, hub: number): boolean;
  /** Whether some address of `target` goes to an appliance or the VPN gateway in VNet `hub`. */
  sendsSomeTo(target: Prefix, hub: number): boolean;
  /** Whether some address of `target` goes to an appliance in VNet `hub`, not to its VPN gateway. */
  sendsSomeToApplianceIn(target: Prefix, hub: number): boolean;
  /** Whether some route of the table has an appliance in VNet `hub` as its next hop (else nothing can be sent to one there). */
  hasApplianceRouteInto(hub: number): boolean;
}

/**
 * A class, not an object literal with closures: one object per routed table of the estate. It keeps
 * its stretches to hubs; the effective routes and decisions behind them only once asked for
 * (`routes`, `decisions`): most tables are asked for nothing but their stretches to their one hub,
 * and an estate has tens of thousands of them.
 */
class LazyRoutedTable implements RoutedTable {
  private effective: EffectiveRoute[] | undefined;
  private decisions4: Decisions | undefined;
  private decisions6: Decisions | undefined;
  /** Whether some route of the table reaches a hub's VPN gateway (worked out on first use). */
  private gatewayRoutes: boolean | undefined;
  /** Stretches to the table's hubs: [2 × position in `hubs` + (0 for IPv4, 1 for IPv6)]. */
  private readonly stretches: Array<Stretches | undefined> = [];

  constructor(
    private readonly index: TransitIndex,
    private readonly n: number,
    readonly table: RouteTable,
    readonly hubs: Link[],
    /** As `hubLinksOf`: worked out once, for `hubs` and for the effective routes. */
    private readonly hubLinks: ReadonlyArray<Link | undefined>,
  ) {}

  get routes(): EffectiveRoute[] {
    return (this.effective ??= this.effectiveRoutes());
  }

  decisions(version: 4 | 6): Decisions {
    if (version === 4) return (this.decisions4 ??= decisionsOf(this.routes, 4));
    return (this.decisions6 ??= decisionsOf(this.routes, 6));
  }

  stretchesTo(hub: number, version: 4): readonly number[];
  stretchesTo(hub: number, version: 4 | 6): Stretches;
  stretchesTo(hub: number, version: 4 | 6): Stretches {
    const position = this.hubs.findIndex((h) => h.peer === hub);
    // A VNet that is none of the table's hubs: no stretch goes there (no route's hub is it).
    if (position < 0) return [];
    const slot = 2 * position + (version === 4 ? 0 : 1);
    let stretches = this.stretches[slot];
    if (!stretches) {
      // Decisions worked out here are not kept (see the class comment).
      const decisions = version === 4 ? this.decisions4 : this.decisions6;
      if (!decisions && version === 4) stretches = this.packedStretchesTo(hub);
      stretches ??= applianceStretches(decisions ?? decisionsOf(this.effective ?? this.effectiveRoutes(), version), version, hub);
      this.stretches[slot] = stretches;
    }
    return stretches;
  }

  sendsAllTo(target: Prefix, hub: number): boolean {
    return holdsAll(this.stretchesTo(hub, target.version), target);
  }

  sendsSomeTo(target: Prefix, hub: number): boolean {
    return holdsSome(this.stretchesTo(hub, target.version), target);
  }

  sendsSomeToApplianceIn(target: Prefix, hub: number): boolean {
    // A route with a hub that is no appliance route goes to the VPN gateway. Without one (nearly
    // every table) the stretches decide; with one, the deciding routes, looked at one by one.
    this.gatewayRoutes ??= this.table.routes.some((route, k) => this.hubLinks[k] !== undefined && !isApplianceRoute(route));
    if (!this.gatewayRoutes) return this.sendsSomeTo(target, hub);
    return routeSendingSomeTo(this, target, hub) !== undefined;
  }

  hasApplianceRouteInto(hub: number): boolean {
    return this.table.routes.some((route, k) => this.hubLinks[k]?.peer === hub && isApplianceRoute(route));
  }

  private effectiveRoutes(): EffectiveRoute[] {
    return effectiveRoutesWith(this.index, this.n, this.table, this.hubLinks);
  }

  private packedStretchesTo(hub: number): number[] | undefined {
    return packedStretchesTo((visit) => forEachSystemRoute(this.index, this.n, visit), this.table.routes, (k) => this.hubLinks[k]?.peer ?? -1, hub);
  }
}

/** The routed tables of a VNet that has none (most VNets), shared. */
const NO_ROUTED_TABLES: readonly RoutedTable[] = [];

/**
 * The route tables of VNet `n` (those associated with its subnets) that have at least one appliance
 * route whose next hop lies in a usable peer, or a route to VirtualNetworkGateway that reaches a
 * hub's VPN gateway. Cost: O(tables × routes × links of the VNet); the
 * effective routes of a table are worked out only when asked for.
 */
function routedTables(index: TransitIndex, n: number): readonly RoutedTable[] {
  let result: RoutedTable[] | undefined;
  for (const table of (index.vnets[n] as Vnet).routeTables) {
    const hubLinks = hubLinksOf(index, n, table);
    const hubs: Link[] = [];
    for (const link of hubLinks) if (link && !hubs.includes(link)) hubs.push(link);
    if (hubs.length === 0) continue;
    (result ??= []).push(new LazyRoutedTable(index, n, table, hubs, hubLinks));
  }
  return result ?? NO_ROUTED_TABLES;
}

/**
 * Whether some subnet of VNet `source` (its routed tables `from`) sends all of VNet `to`'s space to an
 * appliance or the VPN gateway in a VNet `h` that has usable links with both: for a table and one of
 * its hubs `h`, every prefix of `to` that `h` reaches over the link h–to is routed into `h`, of the IP
 * versions `source` has (`sourceVersions`: an IPv4-only VNet needs no way to `to`'s IPv6 space).
 * Cost: O(tables × hubs × prefixes of `to` × effective routes).
 */
export function reachesThroughAppliance(
  index: TransitIndex,
  source: number,
  from: readonly RoutedTable[],
  to: number,
  known?: { hub: number; link: Link },
): boolean {
  const versions = index.sourceVersions(source);
  for (const table of from) {
    for (const hub of table.hubs) {
      if (hub.peer === to) continue;
      // `known`: the caller's link from a hub to `to`, saving a look-up when it is this hub.
      const onward = known?.hub === hub.peer ? known.link : index.link(hub.peer, to);
      if (!onward || onward.remotePrefixes.length === 0) continue;
      // `judged`: some prefix of a version `source` has (none: nothing to send `to` over this link).
      let all = true;
      let judged = false;
      for (const prefix of onward.remotePrefixes) {
        if ((versions & versionBit(prefix)) === 0) continue;
        judged = true;
        if (!table.sendsAllTo(prefix, hub.peer)) {
          all = false;
          break;
        }
      }
      if (all && judged) return true;
    }
  }
  return false;
}
