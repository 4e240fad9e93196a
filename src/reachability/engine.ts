import { contains, type Address, type Prefix } from '../model/cidr';
import { nameOf, type ResourceKey } from '../model/ids';
import type { Appliance, Gateway, Peering, RouteTable, Subnet, Topology, Vnet } from '../model/types';
import { describeGateway, describeGateways, formatPrefixes, isBasicSkuGateway, listNames } from '../rules/describe';
import {
  effectiveRoutes,
  holdsAll,
  isApplianceRoute,
  isGatewayRoute,
  isInside,
  meshConnects,
  type GatewayHub,
  routingOf,
  tableLearnsBgpRoutes,
  workloadSubnets,
  transitIndex,
  versionBit,
  type EffectiveRoute,
  type Link,
  type Stretches,
  udrGatewayOf,
} from '../rules/transit-helpers';

// Reachability from the configuration alone: for two VNets, reachable or not, and why.
//
// Model (one direction, A → C, from one "route context" of A: a route table of its workload subnets,
// or no table):
// - A and C in a common AVNM mesh group: connected (no peering object; UDRs are not applied to it),
//   unless a subnet peering joins them: it takes precedence, and the rules below decide. A prefix
//   of C that overlaps A's space or another member's of a group they share is not reached
//   (`address-overlap`: "traffic to the specific overlapping subnets is dropped",
//   concept-connectivity-configuration); the rest of C is (`meshLeg`).
// - Otherwise A's effective routes (system routes for its own space and its Connected peerings'
//   remote spaces, overridden by its UDRs; transit-helpers.effectiveRoutes) decide every address of
//   C's space by longest-prefix match (transit-helpers.routingOf), of the IP versions A has space of
//   (transit-helpers.sourceVersions: an IPv4-only A sends no IPv6 packet). Each deciding route must carry:
//   - VNetPeering: the peering must be to C, and the link usable both ways (Connected, access on).
//     A peering routes the remote space as peered (a range added since and not synced is not
//     routed) or, for subnet peering, the named subnets only: a usable link that leaves part of C
//     unrouted names that, not the link's flags. A subnet peering carries packets only from the
//     subnets of A it names: the others get the route, but their packets are dropped
//     (how-to-configure-subnet-peering; `unpeeredSources`, also for the link to a hub below);
//   - VirtualAppliance: the next hop must lie in a usable peer H (or in C itself); H needs a usable
//     link to C that covers the prefix (subnet peering: the named subnets only), and C's peering
//     to H must allow forwarded traffic (the packets the appliance forwards enter C over it);
//   - VirtualNetworkGateway: the hub H's VPN gateway that A uses through gateway transit
//     (transit-helpers.gatewayHub: usable link, useRemoteGateways and allowGatewayTransit, a
//     non-Basic VPN gateway and no ExpressRoute one) forwards to H's peers; H needs a usable link to
//     C that covers the prefix, and no allowForwardedTraffic (virtual-network-manage-peering);
//   - None is a blackhole; VnetLocal means C's prefix overlaps A's own (or a user route keeps it in
//     A); other next hops leave.
//   Parts of C's space that no route covers go to Azure's defaults (Internet or None): no route.
//   A context whose subnet is associated with a route table that was not read is no subnet without
//   a table: its routes are not known, and every direction from it is `unsupported` (`unreadPiece`).
// - Route Server: where A's effective routes leave part of C's IPv4 space uncovered, a route an NVA
//   advertises over BGP may fill it, and such routes are not in the configuration: the direction is
//   `unsupported` (undetermined), not `no-route`, when both A and C may learn them and an appliance
//   may be their next hop, as transit-not-transitive judges it (see "Route Server" there). Each
//   uses a hub with a Route Server through gateway transit and some subnet of it propagates gateway
//   routes (transit-helpers.routeServerSource; for A, the context's own route table:
//   tableLearnsBgpRoutes), and either both use the same Route Server's VNet G with an appliance in
//   G or in a VNet with a usable link to G (transit-helpers.applianceNear), or a VNet with an
//   appliance has usable links to both (`bgpWay`). A Route Server carries no IPv6 (route-server-faq);
//   system routes for peerings are preferred to BGP routes (virtual-networks-udr-overview), so only
//   uncovered space is in doubt. Within a direction a definite missing piece wins over an
//   undetermined one (the whole of C is needed); across A's contexts an undetermined one wins (one
//   context is enough), and so on the way back.
// - A VNet reaches C when some context of A reaches all of C and some context of C reaches all of
//   A back the same way: through the same appliance (the one read, else the same next hop IP in
//   the same VNet; a stateful device that sees one direction only drops the flow,
//   expressroute-asymmetric-routing), or through none both ways; parts of C through different
//   appliances are MIXED. Every pair of contexts is tried, so neither the order of
//   the subnets nor which VNet is asked first changes the answer. Infrastructure subnets
//   (GatewaySubnet, AzureFirewallSubnet, ...) are not sources unless the VNet has nothing else.
// - A and C are connected (what an `isolated` statement denies) when some part of C is reached from
//   some context of A and some part of A from some context of C, the same way: a route that
//   blackholes part of C, a range not synced or a subnet peering leave the rest connected
//   (`Verdict.partly` names the parts).
// - On-premises: A uses a remote gateway over a usable peering to a hub of the named group that
//   allows gateway transit and has a non-Basic VPN or ExpressRoute gateway; or A is a hub of the
//   group with a gateway of its own. A Route Server forwards no traffic: alone, it leaves the path
//   `unsupported` where an NVA near it may advertise on-premises routes (`routeServerOnly`). And
//   some source subnet learns the gateway's routes: its route table does not disable gateway route
//   propagation, or sends a range past the estate's VNets (a default route, an on-premises range) to
//   the gateway itself or to an appliance in the hub, which learns them (see `propagationGap`).
//
// Limits: one appliance hop (the appliance's own subnet UDRs and chains of appliances are not
// followed; an appliance in A itself is reported as unsupported); NSGs, firewall rules and BGP
// routes are not read (where a Route Server may program them, see above; a BGP route more specific
// than a user route that decides part of C is not weighed); an appliance IP is trusted to forward
// whether or not a firewall/NIC with that IP was read; a VNet's subnets are judged "some subnet":
// one good context is enough.
//
// Cost: effective routes once per (VNet, route table); a direction once per (VNet pair, context)
// per engine, the parts of C it reaches only once a whole path fails (and the way back only when
// some part is reached); the onward check (hub H → C: link, forwarded traffic) once per (H, C), its
// coverage of a prefix of C per question (a cheap scan of the link's routed prefixes).
// Route Server, only where a direction leaves part of C uncovered: whether a VNet learns BGP routes
// and whether an appliance is near a VNet once per VNet (memoized in the index), the VNets with an
// appliance it has a usable link with once per VNet (O(its links)), and `bgpWay` once per pair of
// learning VNets (O(the shorter of their two lists)).
// Pairs are answered on demand: nothing is computed for pairs nobody asks about.

export type MissingKind =
  | 'no-peering'
  | 'peering-not-connected'
  | 'access-disabled'
  | 'no-route'
  | 'route-elsewhere'
  | 'address-overlap'
  | 'blackholed'
  | 'route-to-unreachable-next-hop'
  | 'forwarded-traffic-not-allowed'
  | 'not-through-appliance'
  | 'return-path-missing'
  | 'unsupported'
  | 'no-address-space'
  | 'gateway-transit-not-used'
  | 'gateway-transit-not-allowed'
  | 'hub-has-no-gateway'
  | 'basic-gateway'
  | 'own-gateway'
  | 'gateway-routes-not-propagated';

export interface MissingPiece {
  kind: MissingKind;
  /** A sentence naming the resources. */
  message: string;
  /** The resource to change (a peering, a route, a route table, a VNet), in the input's casing. */
  resourceId: string;
}

export type Hop =
  | { kind: 'peering'; from: Vnet; to: Vnet; peering: Peering }
  | { kind: 'mesh'; from: Vnet; to: Vnet }
  | { kind: 'appliance'; from: Vnet; to: Vnet; hub: Vnet; ip: Prefix; appliance: Appliance | undefined; routeName: string | undefined }
  | { kind: 'vpn-gateway'; from: Vnet; to: Vnet; hub: Vnet; gatewayName: string; routeName: string | undefined }
  | { kind: 'gateway'; from: Vnet; hub: Vnet; gatewayName: string };

export interface Verdict {
  /** Every address of `to` is reached, and back every address of `from`, the same way. */
  reachable: boolean;
  from: Vnet;
  /** Undefined for on-premises. */
  to: Vnet | undefined;
  /** The forward path (and for transit, the return goes the same way). */
  path: Hop | undefined;
  missing: MissingPiece | undefined;
  /**
   * Not reachable as a whole (asked without `via`), yet some part of `to` is reached and some part
   * of `from` reached back, the same way: the VNets are connected, which an `isolated` statement
   * denies. Undefined when reachable, for on-premises, and when nothing connects them.
   */
  partly?: Connection | undefined;
  /**
   * Only in the verdict of `isolation`: nothing found connecting the VNets, yet a piece the engine
   * cannot judge (`unsupported`: an appliance in the source VNet, or routes a Route Server may
   * program over BGP) leaves a path possible both ways, so isolation is not confirmed. The first
   * such piece.
   */
  undetermined?: MissingPiece | undefined;
}

/** Parts of two VNets that reach each other, both ways the same way. */
export interface Connection {
  /** The forward path. */
  path: Hop;
  /** The part of the destination it reaches: `10.2.0.0/24 of "c"`, `10.2.0.0/16 of "c" except 10.2.99.0/24`. */
  there: string;
  /** The part of the source reached back. */
  back: string;
  /**
   * The way back, when it is not the way out (only in the verdict of `isolation`: packets flow both
   * ways, though a stateful appliance on one of them would drop the flow).
   */
  backPath?: Hop | undefined;
}

/**
 * No appliance on the way (peering, mesh, a hub's VPN gateway); else a number for the appliance
 * (`applianceWay`): the same hub through another appliance is another way, since each stateful
 * device must see both directions (expressroute-asymmetric-routing).
 */
const NO_APPLIANCE = -1;
/** A direction whose parts take different ways. */
const MIXED = -2;

type Step = { ok: true; hop: Hop; way: number } | { ok: false; missing: MissingPiece };

const NONE: readonly Prefix[] = [];

/** A part of C reached from one context of A, and the way. */
interface Reached {
  hop: Hop;
  way: number;
  /** The prefix of C, undefined for all of C. */
  part: Prefix | undefined;
  /** Prefixes inside `part` that other routes decide. */
  except: readonly Prefix[];
}

/**
 * A → C from one context of A: every address of C reached (`way`: the one way all parts take, or
 * MIXED), or the first missing piece; and the parts of C reached, the first per way (worked out
 * when asked for: `reachedOf`).
 */
type Leg = Step & { reached?: readonly Reached[]; unsupported?: MissingPiece };

/** A prefix of a mesh group member (`mine`) that overlaps `other`, a prefix of member `owner`. */
interface MeshOverlap {
  mine: Prefix;
  other: Prefix;
  owner: number;
}

/** The `reached` of a leg that reaches no part (most legs asked about), shared. */
const NOTHING_REACHED: readonly Reached[] = [];

/** Hub → C, whatever the prefix: the usable link (if any), and the first thing that stops delivery. */
interface Onward {
  link: Link | undefined;
  gap: MissingPiece | undefined;
}

interface Context {
  table: RouteTable | undefined;
  /** A source subnet associated with a route table that was not read: the context's routes are not known. */
  unread: Subnet | undefined;
  readonly routes: EffectiveRoute[];
}

const quote = (v: Vnet) => `"${v.name}"`;

/** `firewall "afw-hub" in "vnet-hub"`, `appliance 10.0.1.4 in "vnet-hub"`. */
export function describeHop(hop: Hop): string {
  switch (hop.kind) {
    case 'peering':
      return `${quote(hop.from)} → ${quote(hop.to)} (peering "${hop.peering.name}")`;
    case 'mesh':
      return `${quote(hop.from)} → ${quote(hop.to)} (AVNM mesh group)`;
    case 'appliance': {
      const what = hop.appliance
        ? `${hop.appliance.kind === 'AzureFirewall' ? 'firewall' : 'appliance'} "${hop.appliance.name}"`
        : `appliance ${hop.ip.text}`;
      return `${quote(hop.from)} → ${what} in ${quote(hop.hub)} → ${quote(hop.to)}`;
    }
    case 'vpn-gateway':
      return `${quote(hop.from)} → ${hop.gatewayName} in ${quote(hop.hub)} → ${quote(hop.to)}`;
    case 'gateway':
      return `${quote(hop.from)} → ${hop.gatewayName} in ${quote(hop.hub)} → on-premises`;
  }
}

/**
 * What connects the two VNets of a verdict, for a message: the path when reachable, the path with
 * the parts it joins when only parts are (`partly`); undefined when nothing connects them.
 */
export function describeConnection(v: Verdict): string | undefined {
  if (v.reachable && v.path) return describeHop(v.path);
  if (v.partly) return `${describeHop(v.partly.path)} for ${v.partly.there}, and back ${v.partly.backPath ? `${describeHop(v.partly.backPath)} ` : ''}for ${v.partly.back}`;
  return undefined;
}

/**
 * One line: `reachable: "a" → firewall "afw" in "hub" → "c"`, `not reachable (kind): sentence`, or
 * `partly reachable: path for parts; not all of it (kind): sentence`.
 */
export function describeVerdict(v: Verdict): string {
  if (v.reachable && v.path) return `reachable: ${describeHop(v.path)}`;
  const missing = `(${v.missing?.kind ?? 'unknown'}): ${v.missing?.message ?? ''}`;
  if (v.partly?.backPath) return `connected, not the same way both ways: ${describeConnection(v) as string}; not reachable as a whole ${missing}`;
  if (v.partly) return `partly reachable: ${describeConnection(v) as string}; not all of it ${missing}`;
  const undetermined = v.undetermined && v.undetermined.message !== v.missing?.message ? `; a path cannot be ruled out (${v.undetermined.kind}): ${v.undetermined.message}` : '';
  return `not reachable ${missing}${undetermined}`;
}

/** The part of `target` a route for `prefix` decides at most (CIDR prefixes nest or are disjoint). */
function narrower(prefix: Prefix, target: Prefix): Prefix {
  return prefix.length >= target.length ? prefix : target;
}

export interface Reachability {
  /** Whether VNet `a` reaches VNet `c` (both ways: the return path too). `via` asks for an appliance on the path. */
  explain(a: ResourceKey, c: ResourceKey, via?: 'firewall' | 'appliance'): Verdict;
  /**
   * Whether VNets `a` and `c` are isolated (what an `isolated` statement asks): the verdict of
   * `explain(a, c)`, whose `partly` is any part of each reaching the other by any way out and any
   * way back (a stateful appliance on one way does not stop the packets), and `undetermined` when
   * nothing is found but a piece that cannot be judged leaves a path possible.
   */
  isolation(a: ResourceKey, c: ResourceKey): Verdict;
  /** Whether VNet `a` reaches on-premises through the gateway of one of `hubs`. */
  onPremises(a: ResourceKey, hubs: ReadonlySet<ResourceKey>, hubGroup: string): Verdict;
}

const engines = new WeakMap<Topology, Reachability>();

/** One engine per topology (memoized): its caches are shared by every rule and every question. */
export function reachability(topology: Topology): Reachability {
  let engine = engines.get(topology);
  if (!engine) {
    engine = createReachability(topology);
    engines.set(topology, engine);
  }
  return engine;
}

export function createReachability(topology: Topology): Reachability {
  const index = transitIndex(topology);
  const V = index.vnets.length;
  const contextsOf: Array<Context[] | undefined> = new Array(V);
  // A → C per pair: the leg of A's one context (most VNets), else one leg per context.
  const directions = new Map<number, Leg | Leg[]>();
  const onwards = new Map<number, Onward>();

  const vnetAt = (n: number) => index.vnets[n] as Vnet;

  const contexts = (n: number): Context[] => {
    let list = contextsOf[n];
    if (list) return list;
    const vnet = vnetAt(n);
    const sources = workloadSubnets(vnet);
    const tables: Array<RouteTable | undefined> = [];
    // One subnet per associated route table that was not read.
    let unread: Subnet[] | undefined;
    for (const subnet of sources) {
      const key = subnet.routeTableKey;
      const table = key ? topology.routeTables.get(key) : undefined;
      if (key && !table) {
        if (!unread?.some((x) => x.routeTableKey === key)) (unread ??= []).push(subnet);
      } else if (!tables.includes(table)) tables.push(table);
    }
    if (tables.length === 0 && !unread) tables.push(undefined);
    // In one order whatever the order of the subnets: the first missing piece named stays the same.
    if (tables.length > 1) tables.sort((x, y) => (x === undefined ? -1 : y === undefined ? 1 : x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
    list = tables.map((table) => {
      let routes: EffectiveRoute[] | undefined;
      return {
        table,
        unread: undefined,
        get routes() {
          return (routes ??= effectiveRoutes(index, n, table));
        },
      };
    });
    if (unread) {
      unread.sort((x, y) => ((x.routeTableKey as string) < (y.routeTableKey as string) ? -1 : 1));
      for (const subnet of unread) list.push({ table: undefined, unread: subnet, routes: [] });
    }
    contextsOf[n] = list;
    return list;
  };

  /** Why the pair of peerings between `a` and `c` is not a usable link. */
  const peeringGap = (a: Vnet, c: Vnet, context: string): MissingPiece => {
    const out = topology.peeringBetween(a.key, c.key);
    const back = topology.peeringBetween(c.key, a.key);
    if (!out && !back) {
      return { kind: 'no-peering', message: `${quote(a)} and ${quote(c)} are not peered${context}.`, resourceId: a.id };
    }
    const one = out ?? back;
    if (!out || !back) {
      const [has, lacks] = out ? [a, c] : [c, a];
      return {
        kind: 'peering-not-connected',
        message: `peering "${(one as Peering).name}" from ${quote(has)} to ${quote(lacks)} has no reverse peering${context}.`,
        resourceId: (one as Peering).id,
      };
    }
    for (const p of [out, back]) {
      if (p.peeringState !== 'Connected') {
        return { kind: 'peering-not-connected', message: `peering "${p.name}" of ${quote(p === out ? a : c)} is ${p.peeringState ?? 'in no state'}, not Connected${context}.`, resourceId: p.id };
      }
    }
    const off = out.allowVirtualNetworkAccess ? back : out;
    // Access off only narrows the VirtualNetwork service tag (virtual-network-manage-peering):
    // an NSG rule that allows the peer's addresses explicitly still lets traffic through.
    return {
      kind: 'access-disabled',
      message: `peering "${off.name}" of ${quote(off === out ? a : c)} disables virtual network access${context}: traffic is blocked unless an NSG rule allows the peer's addresses explicitly (NSGs are not read).`,
      resourceId: off.id,
    };
  };

  /**
   * Why usable `link` (from its VNet to the peer) does not route all of `target`, a prefix of the
   * peer: a subnet peering peers only the named subnets; a whole-VNet peering routes the space as
   * peered, so the rest was added to the peer and not synced. No final period (callers go on).
   */
  const partialText = (link: Link, target: Prefix): string => {
    const from = link.out.vnet;
    const to = link.peerVnet;
    const routed = formatPrefixes(link.remotePrefixes);
    // A single address (an appliance's IP) is left out whole; a prefix may be in part.
    const what = target.length === (target.version === 4 ? 32 : 128) ? target.text : `all of ${target.text}`;
    // An IPv6-only peering (enableOnlyIPv6Peering) routes none of the IPv4 space.
    const ipv6Only = link.out.enableOnlyIPv6Peering;
    if (!link.out.peerCompleteVnets) {
      const names = link.out.remoteSubnetNames;
      return `${quote(from)} reaches only part of ${quote(to)}: subnet peering "${link.out.name}" peers only ${ipv6Only ? 'the IPv6 prefixes of ' : ''}subnet${names.length === 1 ? '' : 's'} ${listNames(names)} of ${quote(to)} (${routed}), not ${what}`;
    }
    if (ipv6Only && target.version === 4) {
      return `${quote(from)} reaches only part of ${quote(to)}: peering "${link.out.name}" peers IPv6 only (enableOnlyIPv6Peering) (${routed}), not ${what}`;
    }
    return (
      `${quote(from)} reaches only part of ${quote(to)}: peering "${link.out.name}" routes the address space of ${quote(to)} as it was peered (${routed}), ` +
      `not ${what}, which ${quote(to)} has added since; the peering (sync level ${link.out.peeringSyncLevel ?? 'unknown'}) must be synced to route it`
    );
  };
  const partialGap = (link: Link, target: Prefix, context: string): MissingPiece => ({ kind: 'no-route', message: `${partialText(link, target)}${context}.`, resourceId: link.out.id });

  const applianceAt = (hub: Vnet, ip: Prefix): Appliance | undefined => hub.appliances.find((x) => isInside(ip, x.privateIps));

  // The way through an appliance: the appliance read (any of its IPs), else the next hop IP in hub `h`.
  const applianceWays = new Map<string, number>();
  const applianceWay = (h: number, appliance: Appliance | undefined, ip: Prefix): number => {
    const key = appliance ? appliance.key : `${h}/${ip.key}`;
    let way = applianceWays.get(key);
    if (way === undefined) applianceWays.set(key, (way = applianceWays.size));
    return way;
  };

  /**
   * What hub `h` needs to deliver anything to C, once per (h, C): a usable link, and C's peering to
   * h allowing forwarded traffic. `gap` is the first of them that fails.
   */
  const onwardLink = (h: number, c: number): Onward => {
    const hub = vnetAt(h);
    const dest = vnetAt(c);
    const link = index.link(h, c);
    if (!link) return { link, gap: peeringGap(hub, dest, ` (the appliance in ${quote(hub)} cannot forward to ${quote(dest)})`) };
    if (!link.back.allowForwardedTraffic) {
      return {
        link,
        gap: {
          kind: 'forwarded-traffic-not-allowed',
          message: `peering "${link.back.name}" from ${quote(dest)} to ${quote(hub)} does not allow forwarded traffic, so the packets the appliance in ${quote(hub)} forwards are dropped.`,
          resourceId: link.back.id,
        },
      };
    }
    return { link, gap: undefined };
  };
  /**
   * Hub `h` delivers `target` (a prefix of C) to C: usable link, coverage, forwarded traffic. The
   * link and forwarded traffic are memoized per (h, C); coverage is asked per target, since the
   * link may route some of C's prefixes and not others (subnet peering, a range not synced).
   */
  const onward = (h: number, c: number, target: Prefix): Step | undefined => {
    const key = h * V + c;
    let known = onwards.get(key);
    if (!known) {
      known = onwardLink(h, c);
      onwards.set(key, known);
    }
    const { link, gap } = known;
    if (link && !link.remotePrefixes.some((p) => contains(p, target))) {
      return { ok: false, missing: partialGap(link, target, ` (the appliance in ${quote(vnetAt(h))} cannot forward there)`) };
    }
    return gap ? { ok: false, missing: gap } : undefined;
  };

  /**
   * Hub `h`'s VPN gateway delivers `target` (a prefix of C) to C: a usable link that routes it. No
   * allowForwardedTraffic: "You don't need to select this setting if traffic is forwarded between
   * virtual networks through an Azure VPN Gateway" (virtual-network-manage-peering).
   */
  const gatewayOnward = (h: number, c: number, target: Prefix): Step | undefined => {
    const hub = vnetAt(h);
    const link = index.link(h, c);
    if (!link) return { ok: false, missing: peeringGap(hub, vnetAt(c), ` (the VPN gateway in ${quote(hub)} cannot forward to ${quote(vnetAt(c))})`) };
    if (!isInside(target, link.remotePrefixes)) return { ok: false, missing: partialGap(link, target, ` (the VPN gateway in ${quote(hub)} cannot forward there)`) };
    return undefined;
  };

  /** Why the routes of VNet `a` to VirtualNetworkGateway reach no hub VPN gateway (`via.why`), for a message. No final period. */
  const gatewayHubText = (a: Vnet, via: Exclude<GatewayHub, { link: Link }>): string => {
    const p = via.peering;
    const hub = p ? topology.vnets.get(p.remoteVnetKey) : undefined;
    const hubName = hub ? quote(hub) : `"${p?.remoteVnetId ?? '?'}"`;
    switch (via.why) {
      case 'own-gateway':
        return `${quote(a)} has its own ${describeGateway(a.gateways[0] as Gateway)}, which leads out of the estate (its connections are not read)`;
      case 'not-used':
        return `${quote(a)} has no gateway and uses no hub's gateway (no peering of it uses remote gateways)`;
      case 'several':
        return `${quote(a)} sets useRemoteGateways on more than one peering; Azure allows one`;
      case 'unusable':
        if (!hub) return `${quote(a)} uses the gateway of ${hubName}, a VNet that was not read`;
        return `${quote(a)} uses the gateway of ${hubName} over a peering that is not usable (${peeringGap(a, hub, '').message.replace(/\.$/, '')})`;
      case 'not-allowed':
        return `peering "${p?.reverse?.name ?? '?'}" from ${hubName} to ${quote(a)} does not allow gateway transit`;
      case 'no-gateway':
        return `${hubName}, whose gateway ${quote(a)} uses, has no VPN gateway`;
      case 'not-vpn':
        return `a route with next hop VirtualNetworkGateway works only with a VPN gateway that has no ExpressRoute gateway beside it, and ${hubName} has ${hub ? describeGateways(hub) : 'none'}`;
      case 'basic':
        return `${hub ? describeGateway(udrGatewayOf(hub) as Gateway) : 'the VPN gateway'} in ${hubName} is a Basic SKU, which does not support gateway transit`;
    }
  };

  /**
   * When `p`, a peering of VNet `a`, is a subnet peering that peers none of the source subnets of
   * context `ctx`: the piece saying so. Every subnet of A gets the route, but packets from a subnet
   * the peering does not name are dropped (how-to-configure-subnet-peering). Else undefined (a
   * whole-VNet peering, or a context with no subnet read). `why` ends the sentence.
   */
  const unpeeredSources = (a: number, ctx: Context, p: Peering, why: string): MissingPiece | undefined => {
    if (p.peerCompleteVnets) return undefined;
    const peered = new Set(p.localSubnetNames.map((n) => n.toLowerCase()));
    const sources = workloadSubnets(vnetAt(a)).filter((s) => (ctx.table ? s.routeTableKey === ctx.table.key : s.routeTableKey === undefined));
    if (sources.length === 0 || sources.some((s) => peered.has(s.name.toLowerCase()))) return undefined;
    const src = vnetAt(a);
    const remote = topology.vnets.get(p.remoteVnetKey)?.name ?? p.remoteVnetId;
    const names = p.localSubnetNames;
    return {
      kind: 'no-route',
      message:
        `subnet peering "${p.name}" from ${quote(src)} to "${remote}" peers only subnet${names.length === 1 ? '' : 's'} ${listNames(names)} of ${quote(src)}, ` +
        `not ${listNames(sources.map((x) => x.name))}${ctx.table ? ` (route table "${ctx.table.name}")` : ''}: packets from ${sources.length === 1 ? 'it' : 'them'} are dropped${why}.`,
      resourceId: p.id,
    };
  };

  /** What one deciding route does with `target` (a prefix of C) from VNet `a`. */
  const judge = (a: number, c: number, r: EffectiveRoute, target: Prefix, ctx: Context): Step => {
    const table = ctx.table;
    const src = vnetAt(a);
    const dest = vnetAt(c);
    const routeText = r.route ? `route "${r.route.name}" (${r.route.addressPrefix} to ${r.nextHopType}${r.nextHopIp ? ` ${r.nextHopIp.text}` : ''}) in route table "${table?.name ?? '?'}"` : '';
    const routeId = r.route?.id ?? table?.id ?? src.id;
    const type = r.nextHopType.toLowerCase();
    // What of C this route decides: a route narrower than the prefix of C decides that much only.
    const part = narrower(r.prefix, target);
    if (type === 'vnetpeering') {
      const peering = r.peering;
      if (!peering || peering.remoteVnetKey !== dest.key) {
        const other = peering ? (topology.vnets.get(peering.remoteVnetKey)?.name ?? peering.remoteVnetId) : '?';
        return {
          ok: false,
          missing: { kind: 'route-elsewhere', message: `longest-prefix match sends ${part.text} of ${quote(dest)} from ${quote(src)} to peered VNet "${other}" (${r.prefix.text}), not to ${quote(dest)}.`, resourceId: peering?.id ?? src.id },
        };
      }
      const link = index.link(a, c);
      if (!link) return { ok: false, missing: peeringGap(src, dest, '') };
      const unpeered = unpeeredSources(a, ctx, link.out, '');
      if (unpeered) return { ok: false, missing: unpeered };
      return { ok: true, hop: { kind: 'peering', from: src, to: dest, peering: link.out }, way: NO_APPLIANCE };
    }
    if (type === 'vnetlocal') {
      if (r.route) {
        // A user route with next hop VnetLocal: the route keeps the traffic in A, whatever A's space.
        return {
          ok: false,
          missing: { kind: 'route-elsewhere', message: `${routeText} of ${quote(src)} keeps traffic for ${part.text} of ${quote(dest)} inside ${quote(src)} (next hop VnetLocal), not sending it to ${quote(dest)}.`, resourceId: routeId },
        };
      }
      return {
        ok: false,
        missing: { kind: 'address-overlap', message: `${part.text} of ${quote(dest)} overlaps the space of ${quote(src)} (${r.prefix.text}): longest-prefix match keeps it inside ${quote(src)}.`, resourceId: src.id },
      };
    }
    if (type === 'none') {
      return { ok: false, missing: { kind: 'blackholed', message: `${routeText} of ${quote(src)} drops traffic for ${part.text} of ${quote(dest)} (next hop None).`, resourceId: routeId } };
    }
    if (type === 'virtualappliance' && r.nextHopIp) {
      const ip = r.nextHopIp;
      if (isInside(ip, src.prefixes)) {
        return { ok: false, missing: { kind: 'unsupported', message: `${routeText} sends traffic for ${quote(dest)} to an appliance inside ${quote(src)} itself; chains of appliances are not followed.`, resourceId: routeId } };
      }
      let h = r.hub;
      if (h < 0 && isInside(ip, dest.prefixes) && index.link(a, c)) h = c;
      if (h < 0) {
        const holder = src.peerings.find((p) => isInside(ip, topology.vnets.get(p.remoteVnetKey)?.prefixes ?? p.remoteAddressSpace ?? []));
        const holderVnet = holder && topology.vnets.get(holder.remoteVnetKey);
        const holderNumber = holderVnet && index.numberOf(holderVnet.key);
        // A usable link whose routed prefixes leave the IP out: say what is not peered, not the flags.
        const holderLink = holderNumber === undefined ? undefined : index.link(a, holderNumber);
        const where = !holder
          ? `${ip.text} lies in no VNet peered with ${quote(src)}`
          : holderLink
            ? `${ip.text} lies in "${holderLink.peerVnet.name}", but ${partialText(holderLink, ip)}`
            : `${ip.text} lies in "${holderVnet?.name ?? holder.remoteVnetId}", but that peering is not usable (${peeringGap(src, holderVnet ?? dest, '').message.replace(/\.$/, '')})`;
        return { ok: false, missing: { kind: 'route-to-unreachable-next-hop', message: `${routeText} of ${quote(src)} sends traffic for ${quote(dest)} to ${ip.text}, but ${where}.`, resourceId: routeId } };
      }
      const hub = vnetAt(h);
      const toHub = index.link(a, h);
      const unpeered = toHub && unpeeredSources(a, ctx, toHub.out, `, so ${routeText || 'the route'} cannot reach ${ip.text}`);
      if (unpeered) return { ok: false, missing: { ...unpeered, kind: 'route-to-unreachable-next-hop' } };
      if (h !== c) {
        // What this route carries on: its part of the target (more specific routes decide the rest).
        const gap = onward(h, c, narrower(r.prefix, target));
        if (gap) return gap;
      }
      const appliance = applianceAt(hub, ip);
      return { ok: true, hop: { kind: 'appliance', from: src, to: dest, hub, ip, appliance, routeName: r.route?.name }, way: applianceWay(h, appliance, ip) };
    }
    if (type === 'virtualnetworkgateway') {
      // The VPN gateway of the hub that A uses through gateway transit forwards to the hub's peers.
      const via = index.gatewayHub(a);
      if (!via.link) {
        const kind: MissingKind = via.why === 'own-gateway' ? 'no-route' : 'route-to-unreachable-next-hop';
        return { ok: false, missing: { kind, message: `${routeText || 'a route'} of ${quote(src)} sends traffic for ${quote(dest)} to a virtual network gateway, but ${gatewayHubText(src, via)}.`, resourceId: routeId } };
      }
      const h = via.link.peer;
      const unpeered = unpeeredSources(a, ctx, via.link.out, `, so ${routeText || 'the route'} cannot reach the VPN gateway`);
      if (unpeered) return { ok: false, missing: { ...unpeered, kind: 'route-to-unreachable-next-hop' } };
      if (h !== c) {
        const gap = gatewayOnward(h, c, narrower(r.prefix, target));
        if (gap) return gap;
      }
      return { ok: true, hop: { kind: 'vpn-gateway', from: src, to: dest, hub: via.link.peerVnet, gatewayName: describeGateway(via.gateway), routeName: r.route?.name }, way: NO_APPLIANCE };
    }
    return { ok: false, missing: { kind: 'no-route', message: `${routeText || `a route of type ${r.nextHopType}`} sends traffic for ${quote(dest)} out of the estate (${r.nextHopType}).`, resourceId: routeId } };
  };

  /**
   * A source subnet of `a` associated with a route table that was not read. "When you create a route
   * table and associate it to a subnet, the table's routes are combined with the subnet's default
   * routes" (virtual-networks-udr-overview): its routes, and so where the subnet sends anything, are
   * not known. It is not a subnet without a table.
   */
  const unreadPiece = (a: Vnet, subnet: Subnet): MissingPiece => ({
    kind: 'unsupported',
    message: `subnet "${subnet.name}" of ${quote(a)} is associated with route table "${nameOf(subnet.routeTableKey as string)}", which was not read: its routes are not known.`,
    resourceId: subnet.id,
  });

  /** Why no route of context `ctx` of A covers all of `target`, a prefix of C. */
  const gapPiece = (a: number, c: number, ctx: Context, target: Prefix): MissingPiece => {
    const src = vnetAt(a);
    const dest = vnetAt(c);
    // A usable link that leaves part of C unrouted (subnet peering, unsynced space): say so;
    // peeringGap names the broken flag of a link that is not usable.
    const link = index.link(a, c);
    if (link) return partialGap(link, target, '');
    const peered = topology.peeringBetween(src.key, dest.key) ?? topology.peeringBetween(dest.key, src.key);
    if (peered) return peeringGap(src, dest, '');
    const table = ctx.table ? ` and route table "${ctx.table.name}" sends ${target.text} nowhere` : ' and no route table sends its traffic to an appliance';
    return { ...peeringGap(src, dest, table), kind: 'no-peering' };
  };

  // -- Route Server: routes an NVA advertises over BGP, not in the configuration --

  // appliancePeersOf[n]: the VNets with an appliance that VNet n has a usable link with.
  const appliancePeersOf: Array<readonly number[] | undefined> = new Array(V);
  const appliancePeers = (n: number): readonly number[] =>
    (appliancePeersOf[n] ??= index.links(n).flatMap((l) => (l.peerVnet.appliances.length > 0 ? [l.peer] : [])));
  // Per pair of learning VNets (the lower number first): `bgpWay`.
  const bgpWays = new Map<number, number>();

  /**
   * Whether VNets `a` and `c` may both learn routes an NVA advertises over BGP that join them, as
   * transit-not-transitive judges it: each may learn a Route Server's routes
   * (transit-helpers.routeServerSource: it uses the hub G of a Route Server through gateway
   * transit, and some workload subnet propagates gateway routes), and an appliance may be a learned
   * route's next hop. Each Route Server has an NVA to learn from, in its VNet G or in a VNet with a
   * usable link to G (transit-helpers.applianceNear: a Route Server peers with NVAs "in the same
   * virtual network or a directly peered virtual network", peer-route-server-with-virtual-appliance);
   * then both learn from the same G, or a third VNet with an appliance has usable links to both ("the SDWAN NVA can advertise routes with
   * the next-hop pointing to other IP addresses", route-injection-in-spokes). The VNet that holds
   * that appliance, or G (whose appliance may be in a VNet peered with it); else -1. Symmetric.
   */
  const bgpWay = (a: number, c: number): number => {
    const ga = index.routeServerSource(a);
    if (ga < 0) return -1;
    const gc = index.routeServerSource(c);
    if (gc < 0) return -1;
    const key = a < c ? a * V + c : c * V + a;
    let way = bgpWays.get(key);
    if (way === undefined) {
      way = -1;
      // Each Route Server must have an NVA to learn from (one in G or in a VNet peered with G): else it programs nothing.
      const learned = index.applianceNear(ga) && index.applianceNear(gc);
      if (learned && ga === gc) way = ga;
      else if (learned) {
        // The shorter list is walked (the lower-numbered VNet's on a tie): the same VNet whichever is asked first.
        const [lo, hi] = a < c ? [a, c] : [c, a];
        const [x, y] = appliancePeers(lo).length <= appliancePeers(hi).length ? [lo, hi] : [hi, lo];
        for (const b of appliancePeers(x)) {
          if (b !== y && index.link(y, b)) {
            way = b;
            break;
          }
        }
      }
      bgpWays.set(key, way);
    }
    return way;
  };

  /**
   * Context `ctx` of A leaves part of `target` (an IPv4 prefix of C) to no route, and a route an NVA
   * advertises over BGP may carry it (`bgpWay`; the context's route table must propagate gateway
   * routes): the piece that cannot be judged, naming the gap, the Route Server's VNet and where the
   * appliance may be; else undefined. `whole`: no route covers any of `target`.
   */
  const bgpPiece = (a: number, c: number, ctx: Context, target: Prefix, whole: boolean): MissingPiece | undefined => {
    // A Route Server carries no IPv6 (route-server-faq), and a table that disables gateway route
    // propagation keeps its routes out of its subnets (route-injection-in-spokes).
    if (target.version !== 4 || !tableLearnsBgpRoutes(ctx.table)) return undefined;
    const way = bgpWay(a, c);
    if (way < 0) return undefined;
    const src = vnetAt(a);
    const dest = vnetAt(c);
    const ga = vnetAt(index.routeServerSource(a));
    const gc = vnetAt(index.routeServerSource(c));
    const servers = ga === gc ? `both use the Route Server in ${quote(ga)}` : `${quote(src)} uses the Route Server in ${quote(ga)} and ${quote(dest)} the one in ${quote(gc)}`;
    const holder = vnetAt(way);
    const where = holder.appliances.length > 0 ? quote(holder) : `a VNet peered with ${quote(holder)}`;
    const what = whole ? `${target.text} of ${quote(dest)}` : `the part of ${target.text} of ${quote(dest)} that no route covers`;
    const gap = gapPiece(a, c, ctx, target);
    return {
      kind: 'unsupported',
      message:
        `${gap.message.replace(/\.$/, '')}; but ${servers} through gateway transit and subnets of both propagate gateway routes, ` +
        `and the routes an NVA advertises to a Route Server over BGP are not in the configuration: such a route may send ${what} from ${quote(src)} to an appliance in ${where}.`,
      resourceId: ga.gateways.find((g) => g.kind === 'RouteServer')?.id ?? ga.id,
    };
  };

  /**
   * A → C from one context: every prefix of C, every deciding route; the first missing piece. A
   * piece that cannot be judged (`unsupported`) is named only when no other piece is missing: one
   * that is, is missing whatever the unjudged piece does.
   */
  const directionFrom = (a: number, c: number, ctx: Context): Step => {
    const dest = vnetAt(c);
    if (ctx.unread) return { ok: false, missing: unreadPiece(vnetAt(a), ctx.unread) };
    const versions = index.sourceVersions(a);
    let first: Hop | undefined;
    let way = NO_APPLIANCE;
    let undetermined: MissingPiece | undefined;
    for (const target of dest.prefixes) {
      // A sends packets of an IP version only from its space of that version: an IPv4-only A needs no way to C's IPv6 space.
      if ((versions & versionBit(target)) === 0) continue;
      const { deciding, gap } = routingOf(ctx.routes, target);
      if (gap) {
        const bgp = bgpPiece(a, c, ctx, target, deciding.length === 0);
        if (!bgp) return { ok: false, missing: gapPiece(a, c, ctx, target) };
        undetermined ??= bgp;
      }
      for (const r of deciding) {
        const step = judge(a, c, r, target, ctx);
        if (!step.ok) {
          if (step.missing.kind !== 'unsupported') return step;
          undetermined ??= step.missing;
          continue;
        }
        if (!first) {
          first = step.hop;
          way = step.way;
        } else if (step.way !== way) way = MIXED;
      }
    }
    if (undetermined) return { ok: false, missing: undetermined };
    if (!first && dest.prefixes.length > 0) {
      // Every prefix of C was skipped: the two VNets have no IP version in common.
      const src = vnetAt(a);
      const only = (n: number) => (index.sourceVersions(n) === 1 ? 'IPv4' : 'IPv6');
      return {
        ok: false,
        missing: { kind: 'no-address-space', message: `${quote(dest)} has no address space of the IP version of ${quote(src)}: ${quote(src)} has ${only(a)} space only, ${quote(dest)} ${only(c)}.`, resourceId: dest.id },
      };
    }
    if (!first) return { ok: false, missing: { kind: 'no-address-space', message: `${quote(dest)} has no address space in the input.`, resourceId: dest.id } };
    return { ok: true, hop: first, way };
  };

  /**
   * The parts of C that one context of A reaches, the first per way: for each prefix of C, each
   * deciding route that carries its part (the route's prefix, or the prefix of C when the route is
   * wider, less the parts more specific routes decide). Worked out once per leg, when asked for.
   */
  const reachedOf = (a: number, c: number, ctx: Context, leg: Leg): readonly Reached[] => {
    if (leg.reached) return leg.reached;
    let reached: Reached[] | undefined;
    if (leg.ok && leg.way !== MIXED) reached = [{ hop: leg.hop, way: leg.way, part: undefined, except: NONE }];
    else if (ctx.unread) leg.unsupported ??= unreadPiece(vnetAt(a), ctx.unread);
    else {
      const versions = index.sourceVersions(a);
      for (const target of vnetAt(c).prefixes) {
        if ((versions & versionBit(target)) === 0) continue;
        const { deciding, gap } = routingOf(ctx.routes, target);
        // A part no route covers that a route learned over BGP may carry: a path not ruled out.
        if (gap && !leg.unsupported) {
          const bgp = bgpPiece(a, c, ctx, target, deciding.length === 0);
          if (bgp) leg.unsupported = bgp;
        }
        for (const r of deciding) {
          const carried = narrower(r.prefix, target);
          // A hub that forwards only part of what the route carries (its link to C routes some
          // subnets, or a range not synced): the parts that some link into C routes are tried alone.
          for (const part of [carried, ...routedPartsOf(c, carried)]) {
            const step = judge(a, c, r, part, ctx);
            if (!step.ok) {
              if (step.missing.kind === 'unsupported') leg.unsupported ??= step.missing;
              continue;
            }
            if (!reached?.some((x) => x.way === step.way)) {
              const except = deciding.filter((o) => o !== r && o.prefix.length > part.length && contains(part, o.prefix)).map((o) => o.prefix);
              (reached ??= []).push({ hop: step.hop, way: step.way, part, except });
            }
            break;
          }
        }
      }
    }
    leg.reached = reached ?? NOTHING_REACHED;
    return leg.reached;
  };

  /**
   * The prefixes that some usable link into C routes and that are narrower than C's own (a subnet
   * peering's subnets): worked out once per C, none for nearly every VNet.
   */
  const partialLinkPrefixes = new Map<number, readonly Prefix[]>();
  /** Of those, the ones strictly inside `carried`. */
  const routedPartsOf = (c: number, carried: Prefix): readonly Prefix[] => {
    let partial = partialLinkPrefixes.get(c);
    if (!partial) {
      const dest = vnetAt(c);
      const found: Prefix[] = [];
      for (const p of dest.peerings) {
        const x = p.remoteVnet ? index.numberOf(p.remoteVnet.key) : undefined;
        const link = x === undefined ? undefined : index.link(x, c);
        for (const q of link?.remotePrefixes ?? []) {
          if (!dest.prefixes.some((own) => own.key === q.key) && !found.some((k) => k.key === q.key)) found.push(q);
        }
      }
      partial = found.length > 0 ? found : NONE;
      partialLinkPrefixes.set(c, partial);
    }
    return partial.length === 0 ? partial : partial.filter((q) => q.length > carried.length && contains(carried, q));
  };

  // -- AVNM mesh: overlapping address spaces --

  /** Per mesh group key: each member's prefixes that overlap another member's, with that member. */
  const meshOverlapsOf = new Map<ResourceKey, Map<number, MeshOverlap[]>>();
  const meshOverlaps = (group: ResourceKey): Map<number, MeshOverlap[]> => {
    let known = meshOverlapsOf.get(group);
    if (known) return known;
    known = new Map();
    const entries: Array<{ prefix: Prefix; owner: number }> = [];
    for (const key of topology.meshMembers(group)) {
      const n = index.numberOf(key);
      if (n !== undefined) for (const prefix of vnetAt(n).prefixes) entries.push({ prefix, owner: n });
    }
    // CIDR prefixes nest or are disjoint: a sweep in address order keeps a stack of the ones that
    // hold the current one, O(P log P) per group, once.
    entries.sort((x, y) => x.prefix.version - y.prefix.version || (x.prefix.first < y.prefix.first ? -1 : x.prefix.first > y.prefix.first ? 1 : x.prefix.length - y.prefix.length));
    const open: Array<{ prefix: Prefix; owner: number }> = [];
    const add = (n: number, x: MeshOverlap) => {
      const list = (known as Map<number, MeshOverlap[]>).get(n);
      if (list) list.push(x);
      else (known as Map<number, MeshOverlap[]>).set(n, [x]);
    };
    for (const e of entries) {
      while (open.length > 0 && !contains((open[open.length - 1] as { prefix: Prefix }).prefix, e.prefix)) open.pop();
      for (const o of open) {
        if (o.owner === e.owner) continue;
        add(e.owner, { mine: e.prefix, other: o.prefix, owner: o.owner });
        add(o.owner, { mine: o.prefix, other: e.prefix, owner: e.owner });
      }
      open.push(e);
    }
    meshOverlapsOf.set(group, known);
    return known;
  };

  /**
   * A → C over a mesh group they share. "Virtual network address spaces can overlap in a mesh
   * configuration [...] However, traffic to the specific overlapping subnets is dropped, since
   * routing is non-deterministic" (concept-connectivity-configuration): a prefix of C that overlaps
   * A's space or another member's of a group they share is not reached (the rest of it is).
   */
  const meshLeg = (a: number, c: number): Leg => {
    const src = vnetAt(a);
    const dest = vnetAt(c);
    const hop: Hop = { kind: 'mesh', from: src, to: dest };
    let overlaps: MeshOverlap[] | undefined;
    for (const g of src.meshGroupKeys) {
      if (!dest.meshGroupKeys.includes(g)) continue;
      const found = meshOverlaps(g).get(c);
      if (found) (overlaps ??= []).push(...found);
    }
    if (!overlaps) return { ok: true, hop, way: NO_APPLIANCE };
    const versions = index.sourceVersions(a);
    let missing: MissingPiece | undefined;
    let reached: Reached[] | undefined;
    for (const target of dest.prefixes) {
      if ((versions & versionBit(target)) === 0) continue;
      const mine = overlaps.filter((x) => x.mine === target);
      if (mine.length === 0) {
        reached ??= [{ hop, way: NO_APPLIANCE, part: target, except: NONE }];
        continue;
      }
      const first = mine[0] as MeshOverlap;
      const other = vnetAt(first.owner);
      const part = narrower(first.other, target);
      missing ??= {
        kind: 'address-overlap',
        message:
          `${part.text} of ${quote(dest)} overlaps the space of ${quote(other)} (${first.other.text})${first.owner === a ? '' : `, also in an AVNM mesh group with ${quote(src)}`}: ` +
          `routing to overlapping space in a mesh is non-deterministic, so traffic from ${quote(src)} to it is dropped.`,
        resourceId: dest.id,
      };
      // A narrower prefix of another member takes that much of the target out; a wider one all of it.
      if (!reached && !mine.some((x) => contains(x.other, target))) {
        reached = [{ hop, way: NO_APPLIANCE, part: target, except: mine.map((x) => x.other).filter((x, i, all) => all.findIndex((y) => y.key === x.key) === i) }];
      }
    }
    if (!missing) return { ok: true, hop, way: NO_APPLIANCE };
    return { ok: false, missing, reached: reached ?? NOTHING_REACHED };
  };

  /** A → C from each context of A (one leg for a mesh). Memoized per pair. */
  const legs = (a: number, c: number): readonly Leg[] => {
    const key = a * V + c;
    let known = directions.get(key);
    if (!known) {
      const src = vnetAt(a);
      const dest = vnetAt(c);
      if (meshConnects(src, dest)) known = meshLeg(a, c);
      else {
        const list = contexts(a);
        known = list.length === 1 ? directionFrom(a, c, list[0] as Context) : list.map((ctx) => directionFrom(a, c, ctx));
      }
      directions.set(key, known);
    }
    return Array.isArray(known) ? known : [known];
  };

  /** The parts of C that leg `k` of A → C reaches (leg k is from context k of A; a mesh leg reaches all of C). */
  const legReached = (a: number, c: number, list: readonly Leg[], k: number): readonly Reached[] => {
    const leg = list[k] as Leg;
    if (leg.ok && leg.hop.kind === 'mesh') return (leg.reached ??= [{ hop: leg.hop, way: NO_APPLIANCE, part: undefined, except: NONE }]);
    return reachedOf(a, c, contexts(a)[k] as Context, leg);
  };

  const throughAppliance = (hop: Hop, via: 'firewall' | 'appliance') =>
    hop.kind === 'appliance' && hop.hub.key !== hop.to.key && (via === 'appliance' || hop.appliance?.kind === 'AzureFirewall');

  /**
   * The piece to name for a way that no context takes: the first, unless a later one cannot be
   * judged (`unsupported`): one context is enough, so a piece that may hold decides nothing.
   */
  const firstMissing = (known: MissingPiece | undefined, next: MissingPiece): MissingPiece =>
    !known || (known.kind !== 'unsupported' && next.kind === 'unsupported') ? next : known;

  const verdictOf = (from: Vnet, to: Vnet | undefined, step: Step): Verdict =>
    step.ok ? { reachable: true, from, to, path: step.hop, missing: undefined } : { reachable: false, from, to, path: undefined, missing: step.missing };

  const verdicts = new Map<number, Verdict>();
  const explain = (aKey: ResourceKey, cKey: ResourceKey, via?: 'firewall' | 'appliance'): Verdict => {
    const a = index.numberOf(aKey);
    const c = index.numberOf(cKey);
    if (a === undefined || c === undefined) throw new Error(`unknown VNet ${a === undefined ? aKey : cKey}`);
    // Memoized per (pair, via): the intent rules and explain ask the same pairs.
    const key = (a * V + c) * 3 + (via === 'firewall' ? 1 : via === 'appliance' ? 2 : 0);
    let verdict = verdicts.get(key);
    if (!verdict) {
      verdict = explainUncached(a, c, via);
      if (!verdict.reachable && !via) {
        const partly = connection(a, c);
        if (partly) verdict.partly = partly;
      }
      verdicts.set(key, verdict);
    }
    return verdict;
  };

  /**
   * A → C and back as a whole: a context of A that reaches all of C (through an appliance, for
   * `via`) and a context of C that reaches all of A, the same way. Every pair of contexts is tried,
   * so the answer is the same for C → A and whatever the order of the subnets.
   */
  const explainUncached = (a: number, c: number, via?: 'firewall' | 'appliance'): Verdict => {
    const src = vnetAt(a);
    const dest = vnetAt(c);
    // No path describes a VNet to itself: explain refuses the pair and the intent skips it.
    if (a === c) throw new Error(`explain: ${quote(src)} was asked about itself`);
    const out: Array<Step & { ok: true }> = [];
    let outFailure: MissingPiece | undefined;
    let notThrough: (Step & { ok: true }) | undefined;
    for (const leg of legs(a, c)) {
      if (!leg.ok) outFailure = firstMissing(outFailure, leg.missing);
      else if (via && (leg.way === MIXED || !throughAppliance(leg.hop, via))) notThrough ??= leg;
      else out.push(leg);
    }
    if (out.length === 0) {
      if (notThrough && outFailure?.kind !== 'unsupported') {
        const what = via === 'firewall' ? 'an Azure Firewall' : 'an appliance';
        const others = notThrough.way === MIXED ? ` (other parts of ${quote(dest)} go other ways)` : '';
        return verdictOf(src, dest, {
          ok: false,
          missing: { kind: 'not-through-appliance', message: `traffic from ${quote(src)} to ${quote(dest)} does not pass ${what} in a hub: ${describeHop(notThrough.hop)}${others}.`, resourceId: src.id },
        });
      }
      return verdictOf(src, dest, { ok: false, missing: outFailure ?? { kind: 'no-route', message: `${quote(src)} has no subnets to send from.`, resourceId: src.id } });
    }
    const back: Array<Step & { ok: true }> = [];
    let backFailure: MissingPiece | undefined;
    for (const leg of legs(c, a)) {
      if (leg.ok) back.push(leg);
      else backFailure = firstMissing(backFailure, leg.missing);
    }
    if (back.length === 0) {
      const missing = backFailure ?? { kind: 'no-route', message: `${quote(dest)} has no subnets to send from.`, resourceId: dest.id };
      if (missing.kind === 'unsupported') {
        return verdictOf(src, dest, { ok: false, missing: { ...missing, message: `the way back from ${quote(dest)} to ${quote(src)} cannot be judged: ${missing.message}` } });
      }
      return verdictOf(src, dest, { ok: false, missing: { ...missing, kind: 'return-path-missing', message: `no return path from ${quote(dest)} to ${quote(src)}: ${missing.message}` } });
    }
    for (const f of out) {
      if (f.way !== MIXED && back.some((b) => b.way === f.way)) return verdictOf(src, dest, f);
    }
    // A context that cannot be judged, either way, may take the way the other direction takes.
    if (outFailure?.kind === 'unsupported') return verdictOf(src, dest, { ok: false, missing: outFailure });
    if (backFailure?.kind === 'unsupported') {
      return verdictOf(src, dest, { ok: false, missing: { ...backFailure, message: `the way back from ${quote(dest)} to ${quote(src)} cannot be judged: ${backFailure.message}` } });
    }
    const f = out[0] as Step & { ok: true };
    const b = back[0] as Step & { ok: true };
    const mixed = f.way === MIXED ? ` (other parts of ${quote(dest)} go other ways)` : '';
    return verdictOf(src, dest, {
      ok: false,
      missing: {
        kind: 'return-path-missing',
        message: `the return path differs from the way out (out: ${describeHop(f.hop)}${mixed}; back: ${describeHop(b.hop)}): an appliance sees one direction only and drops the flow.`,
        resourceId: dest.id,
      },
    });
  };

  /** Some part of C reached from A and some part of A from C, the same way: the first such pair of parts. */
  const connection = (a: number, c: number): Connection | undefined => {
    const out = legs(a, c);
    let back: readonly Leg[] | undefined; // only once some part of C is reached (most pairs asked about reach none)
    for (let k = 0; k < out.length; k += 1) {
      for (const there of legReached(a, c, out, k)) {
        back ??= legs(c, a);
        for (let j = 0; j < back.length; j += 1) {
          const match = legReached(c, a, back, j).find((r) => r.way === there.way);
          if (match) return { path: there.hop, there: partText(there, vnetAt(c)), back: partText(match, vnetAt(a)) };
        }
      }
    }
    return undefined;
  };

  /**
   * For an `isolated` statement, once no part connects the same way both ways: the first part of C
   * reached from A by any way and the first part of A reached back by any way (packets flow both
   * ways); else, when some part may be reached each way but a piece could not be judged
   * (`unsupported`), that piece: nothing rules the path out.
   */
  const anyWay = (a: number, c: number): { connection?: Connection; undetermined?: MissingPiece } => {
    const scan = (x: number, y: number): { reached: Reached | undefined; unsupported: MissingPiece | undefined } => {
      const list = legs(x, y);
      let unsupported: MissingPiece | undefined;
      for (let k = 0; k < list.length; k += 1) {
        const first = legReached(x, y, list, k)[0];
        if (first) return { reached: first, unsupported: undefined };
        unsupported ??= (list[k] as Leg).unsupported;
      }
      return { reached: undefined, unsupported };
    };
    const out = scan(a, c);
    if (!out.reached && !out.unsupported) return {};
    const back = scan(c, a);
    if (out.reached && back.reached) {
      return { connection: { path: out.reached.hop, there: partText(out.reached, vnetAt(c)), back: partText(back.reached, vnetAt(a)), backPath: back.reached.hop } };
    }
    if (!back.reached && !back.unsupported) return {};
    return { undetermined: out.unsupported ?? back.unsupported };
  };

  const isolations = new Map<number, Verdict>();
  const isolation = (aKey: ResourceKey, cKey: ResourceKey): Verdict => {
    const verdict = explain(aKey, cKey);
    if (verdict.reachable || verdict.partly) return verdict;
    const a = index.numberOf(aKey) as number;
    const c = index.numberOf(cKey) as number;
    const key = a * V + c;
    let known = isolations.get(key);
    if (!known) {
      const { connection: partly, undetermined } = anyWay(a, c);
      known = partly ? { ...verdict, partly } : undetermined ? { ...verdict, undetermined } : verdict;
      isolations.set(key, known);
    }
    return known;
  };

  const partText = (r: Reached, v: Vnet): string => {
    if (!r.part) return `all of ${quote(v)}`;
    return `${r.part.text} of ${quote(v)}${r.except.length > 0 ? ` except ${formatPrefixes(r.except)}` : ''}`;
  };

  /**
   * Whether some source subnet of VNet `a` (a context) reaches on-premises through the gateway `gw`
   * of VNet `h` (`a` itself, or its hub), else what stops it. virtual-networks-udr-overview (BGP):
   * with propagation disabled on a route table, "the system doesn't add routes to the effective
   * route table of all subnets with route table association", and "connectivity with VPN
   * connections is achieved through custom routes with a next hop type of virtual network gateway".
   * So a context gets there with no table, with a table that propagates, or with a user route:
   * - to VirtualNetworkGateway for a prefix that reaches past the estate's VNets (0.0.0.0/0, an
   *   on-premises range: those are not read, so any such prefix counts) when the hub has a VPN
   *   gateway and no ExpressRoute one, nor one of unknown type ("you can't specify a virtual network
   *   gateway created as the type ExpressRoute in a UDR", nor with VPN and ExpressRoute
   *   coexisting); a Route Server takes none;
   * - to an appliance in the hub for a prefix that reaches past the estate's VNets (0.0.0.0/0, an
   *   on-premises range): the usual firewall hub, whose appliance subnet learns the gateway's
   *   routes (the appliance's own subnet is not followed, as for VNet-to-VNet paths).
   */
  const propagationGap = (a: number, h: number, gw: Gateway): MissingPiece | undefined => {
    const src = vnetAt(a);
    const hub = vnetAt(h);
    const blocking: RouteTable[] = [];
    let unread: Subnet | undefined;
    let udrUnusable = false;
    const udrWorks = udrGatewayOf(hub) !== undefined;
    const hubSpace = h === a ? src.prefixes : (index.link(a, h)?.remotePrefixes ?? []);
    const leavesEstate = (prefix: Prefix | undefined) => prefix !== undefined && !holdsAll(estateSpace(prefix.version), prefix);
    for (const ctx of contexts(a)) {
      const { table } = ctx;
      // A table not read may or may not propagate gateway routes: that subnet cannot be judged.
      if (ctx.unread) {
        unread ??= ctx.unread;
        continue;
      }
      if (!table || !table.disableBgpRoutePropagation) return undefined;
      let toGateway = false;
      for (const r of table.routes) {
        // Only a prefix reaching past the estate's VNets takes on-premises traffic: a route to the
        // gateway for another VNet's space (VNet-to-VNet through the hub) carries none.
        if (!leavesEstate(r.prefix)) continue;
        if (isGatewayRoute(r)) toGateway = true;
        else if (isApplianceRoute(r) && isInside(r.nextHopIp, hubSpace)) return undefined;
      }
      if (toGateway && udrWorks) return undefined;
      if (toGateway) udrUnusable = true;
      blocking.push(table);
    }
    if (unread) return unreadPiece(src, unread);
    const first = blocking[0] as RouteTable;
    const one = blocking.length === 1;
    const tables = one ? `route table "${first.name}"` : `route tables ${listNames(blocking.map((t) => t.name))}`;
    const why = udrUnusable
      ? `; a route with next hop VirtualNetworkGateway works only with a VPN gateway that has no ExpressRoute gateway beside it, and ${quote(hub)} has ${describeGateways(hub)}`
      : ` and ${one ? 'has' : 'have'} no route for addresses outside the estate's VNets with next hop VirtualNetworkGateway or an appliance in ${quote(hub)}`;
    return {
      kind: 'gateway-routes-not-propagated',
      message: `${tables} of the subnets of ${quote(src)} disable${one ? 's' : ''} gateway route propagation (disableBgpRoutePropagation)${why}: they learn no on-premises routes from ${describeGateway(gw)} in ${quote(hub)}.`,
      resourceId: first.id,
    };
  };

  /** The address space of every VNet of the estate, merged (worked out on first use, O(P log P)). */
  const estateSpaces: { 4?: Stretches; 6?: Stretches } = {};
  const estateSpace = (version: 4 | 6): Stretches => (estateSpaces[version] ??= mergedSpace(index.vnets, version));

  /**
   * VNet `a` gets to on-premises through hub `h` (`a` itself, or the hub whose gateway it uses),
   * whose only gateway is a Route Server. "Azure Route Server only exchanges BGP routes with your
   * network virtual appliance (NVA)" and "doesn't forward data traffic" (route-server-faq): it is no
   * way on-premises itself. An NVA in `h` or peered with it may be one, advertising on-premises
   * ranges to the Route Server, which programs them into `a` where its subnets propagate gateway
   * routes (or send past the estate to an appliance in `h`, as `propagationGap` judges); those routes
   * are not in the configuration, so the path is `unsupported`, not refuted. With no such NVA, none.
   */
  const routeServerOnly = (a: number, h: number): Verdict => {
    const src = vnetAt(a);
    const hub = vnetAt(h);
    const rs = hub.gateways[0] as Gateway;
    const what = `${quote(hub)} has no VPN or ExpressRoute gateway, only ${describeGateway(rs)}, which exchanges BGP routes with NVAs and forwards no traffic itself`;
    const fail = (kind: MissingKind, message: string, resourceId: string) => verdictOf(src, undefined, { ok: false, missing: { kind, message, resourceId } });
    if (!index.applianceNear(h)) return fail('hub-has-no-gateway', `${what}, and no appliance in or peered with ${quote(hub)} can advertise routes to it.`, rs.id);
    const unlearned = propagationGap(a, h, rs);
    if (unlearned) return fail(unlearned.kind, unlearned.message, unlearned.resourceId);
    return fail(
      'unsupported',
      `${what}; an NVA in or peered with ${quote(hub)} may carry the traffic of ${quote(src)} on-premises and advertise those routes to it over BGP, and such routes are not in the configuration.`,
      rs.id,
    );
  };

  const onPremises = (aKey: ResourceKey, hubs: ReadonlySet<ResourceKey>, hubGroup: string): Verdict => {
    const a = index.numberOf(aKey);
    if (a === undefined) throw new Error(`unknown VNet ${aKey}`);
    const src = vnetAt(a);
    const fail = (kind: MissingKind, message: string, resourceId: string): Verdict => verdictOf(src, undefined, { ok: false, missing: { kind, message, resourceId } });
    const own = src.gateways[0];
    const using = src.peerings.filter((p) => p.useRemoteGateways);
    if (hubs.has(src.key) && own) {
      // Its own gateway serves the hub whatever the SKU: Basic lacks gateway transit only.
      const gw = src.gateways.find((g) => g.kind !== 'RouteServer');
      if (!gw) return routeServerOnly(a, a);
      const unlearned = propagationGap(a, a, gw);
      if (unlearned) return fail(unlearned.kind, unlearned.message, unlearned.resourceId);
      return verdictOf(src, undefined, { ok: true, hop: { kind: 'gateway', from: src, hub: src, gatewayName: describeGateway(gw) }, way: NO_APPLIANCE });
    }
    if (own) return fail('own-gateway', `${quote(src)} has its own ${describeGateway(own)}, so it cannot use a hub's gateway.`, own.id);
    const toHubs = src.peerings.filter((p) => hubs.has(p.remoteVnetKey));
    if (toHubs.length === 0) return fail('no-peering', `${quote(src)} has no peering with a VNet of group "${hubGroup}".`, src.id);
    const p = toHubs.find((x) => x.useRemoteGateways);
    if (!p) {
      const hubName = topology.vnets.get((toHubs[0] as Peering).remoteVnetKey)?.name ?? '?';
      return fail('gateway-transit-not-used', `peering "${(toHubs[0] as Peering).name}" from ${quote(src)} to "${hubName}" does not use the remote gateway (useRemoteGateways is off).`, (toHubs[0] as Peering).id);
    }
    const hub = topology.vnets.get(p.remoteVnetKey) as Vnet;
    const h = index.numberOf(hub.key) as number;
    if (using.length > 1) return fail('gateway-transit-not-used', `${quote(src)} sets useRemoteGateways on ${using.length} peerings; Azure allows one.`, p.id);
    if (!index.link(a, h)) return fail(peeringGap(src, hub, '').kind, peeringGap(src, hub, '').message, peeringGap(src, hub, '').resourceId);
    const back = topology.reverseOf(p) as Peering;
    if (!back.allowGatewayTransit) return fail('gateway-transit-not-allowed', `peering "${back.name}" from ${quote(hub)} to ${quote(src)} does not allow gateway transit.`, back.id);
    if (hub.gateways.length === 0) return fail('hub-has-no-gateway', `${quote(hub)} has no VPN/ExpressRoute gateway or Route Server to share.`, hub.id);
    // Gateway transit "can be used with all VPN Gateway SKUs except the Basic SKU" (vpn-gateway-peering-gateway-transit).
    const gw = hub.gateways.find((g) => g.kind !== 'RouteServer' && !isBasicSkuGateway(g));
    if (!gw) {
      const basic = hub.gateways.find(isBasicSkuGateway);
      if (basic) return fail('basic-gateway', `${describeGateway(basic)} in ${quote(hub)} is a Basic SKU, which does not support gateway transit.`, basic.id);
      return routeServerOnly(a, h);
    }
    const unlearned = propagationGap(a, h, gw);
    if (unlearned) return fail(unlearned.kind, unlearned.message, unlearned.resourceId);
    return verdictOf(src, undefined, { ok: true, hop: { kind: 'gateway', from: src, hub, gatewayName: describeGateway(gw) }, way: NO_APPLIANCE });
  };

  return { explain, isolation, onPremises };
}

/** The prefixes of IP `version` of `vnets`, merged into sorted, disjoint stretches. */
function mergedSpace(vnets: readonly Vnet[], version: 4 | 6): Stretches {
  const prefixes = vnets.flatMap((v) => v.prefixes.filter((p) => p.version === version));
  prefixes.sort((x, y) => (x.first < y.first ? -1 : x.first > y.first ? 1 : 0));
  const merged: Address[] = [];
  for (const p of prefixes) {
    const end = merged[merged.length - 1];
    // Overlapping or adjacent to the last stretch: extend it.
    const next = end === undefined ? undefined : typeof end === 'number' ? end + 1 : end + 1n;
    if (next !== undefined && p.first <= next) {
      if (p.last > (end as Address)) merged[merged.length - 1] = p.last;
    } else merged.push(p.first, p.last);
  }
  return merged as Stretches;
}
