import { parsePrefix, type Prefix } from './cidr';
import { isClassicVnetId, keyOf, nameOf, parseResourceId, resourceGroupOf, sameKey, subscriptionOf, subscriptionPathOf, type ResourceKey } from './ids';
import { describeValue, InputError, isResourceId, RESOURCE_TYPES, resourceTypeOf, type RawResource, type SourcedResource } from './snapshot';
import type {
  Appliance,
  Gateway,
  GatewayKind,
  Peering,
  PeeringWritableProperties,
  Route,
  RouteTable,
  Subnet,
  Topology,
  Vnet,
} from './types';

// Raw Azure JSON -> indexed topology: each resource parsed as it is added, then one pass over the
// indexes to attach children. Every join is a map lookup on lower-cased ids: no quadratic scans.

const T = RESOURCE_TYPES;

export interface BuildOptions {
  /** Subscriptions read in addition to those that appear in the resources (e.g. empty ones). */
  extraSubscriptions?: readonly string[];
}

type Props = Record<string, unknown>;

const props = (r: RawResource): Props => r.properties ?? {};
const obj = (v: unknown): Props | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Props) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const refId = (v: unknown): string | undefined => str(obj(v)?.id);
/** AVNM's flags are the strings "True"/"False" (a converted export may hold booleans). */
const isTrue = (v: unknown): boolean => v === true || str(v)?.toLowerCase() === 'true';
/** A location as one spelling: ARM's `westeurope`, a display name's `West Europe`. */
const regionOf = (location: string): string => location.replace(/\s+/g, '').toLowerCase();

/** Whether a resource is a virtual network (type as Resource Graph or ARM writes it, or from its id). */
export function isVnetResource(resource: RawResource): boolean {
  return resourceTypeOf(resource) === T.vnet;
}

/** Whether a property is absent: missing, or null as Resource Graph writes a missing one. */
const absent = (v: unknown): v is undefined | null => v === undefined || v === null;

/**
 * A list property, empty when absent; anything else (a lone object or string) is an error, not an
 * empty list. `what` names the list in the error (worked out only then).
 */
function list(value: unknown, source: string, what: () => string): unknown[] {
  if (absent(value)) return [];
  if (!Array.isArray(value)) throw new InputError(source, `${what()} is not a list`);
  return value;
}

/**
 * An address space object (`addressSpace`, `remoteAddressSpace`...), undefined when absent;
 * anything else is an error, not an empty space. `what` names it in the error (worked out only then).
 */
function space(value: unknown, source: string, what: () => string): Props | undefined {
  if (absent(value)) return undefined;
  const object = obj(value);
  if (!object) throw new InputError(source, `${what()} is not an object`);
  return object;
}

/**
 * Parsed address prefixes, none when the list is absent (`list`); `what` names their owner in an
 * error (worked out only then), and `listName` the list after it: `.addressPrefixes` of a space,
 * ` addressPrefixes` of a subnet.
 */
function prefixes(values: unknown, source: string, what: () => string, listName = '.addressPrefixes'): Prefix[] {
  const result: Prefix[] = [];
  for (const value of list(values, source, () => `${what()}${listName}`)) {
    if (typeof value !== 'string') throw new InputError(source, `${what()} has a non-string address prefix`);
    const prefix = parsePrefix(value);
    if (!prefix) throw new InputError(source, `${what()} has an invalid address prefix "${value}"`);
    result.push(prefix);
  }
  return result;
}

function parentVnetId(childId: string): string | undefined {
  const parsed = parseResourceId(childId);
  return parsed?.parentId;
}

function stringTags(value: unknown): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(value) ?? {})) if (typeof v === 'string') tags[k] = v;
  return tags;
}

function newVnet(id: string, key: ResourceKey): Vnet {
  return {
    id,
    key,
    name: nameOf(id),
    subscriptionId: subscriptionOf(id) ?? '',
    resourceGroup: resourceGroupOf(id),
    location: undefined,
    tags: {},
    prefixes: [],
    subnets: [],
    peerings: [],
    gateways: [],
    appliances: [],
    routeTables: [],
    meshGroupKeys: [],
    avnmHub: false,
  };
}

/** Shared by the peerings that name no subnets (most): never written to. */
const NO_NAMES: readonly string[] = [];

const sameList = <T>(a: readonly T[], b: readonly T[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * A remote VNet id as peerings spell it, with its key and subscription: worked out once per
 * spelling, so that the many peerings to one VNet share one key and one subscription string
 * instead of lower-casing and slicing a copy each (and a later map hit compares by reference).
 */
interface RemoteRef {
  id: string;
  key: ResourceKey;
  subscription: string | undefined;
  /** The remote space the last peering to this VNet recorded, as written and parsed. */
  space?: { texts: readonly unknown[]; prefixes: Prefix[] };
  /** Resolved once the estate is complete, once for all the peerings to this VNet. */
  resolved?: { vnet: Vnet | undefined; inScope: boolean };
}

/**
 * The prefixes of a remote address space: the array of the previous peering to the same VNet when
 * it wrote the same texts (a hub's hundreds of peers record the hub's one space), else parsed.
 * Shared arrays are never written to.
 */
function remoteSpace(remote: RemoteRef, value: unknown, source: string, what: () => string): Prefix[] | undefined {
  const written = space(value, source, what)?.addressPrefixes;
  if (absent(written)) return undefined;
  const texts = list(written, source, () => `${what()}.addressPrefixes`);
  if (remote.space && sameList(remote.space.texts, texts)) return remote.space.prefixes;
  const parsed = prefixes(texts, source, what);
  remote.space = { texts, prefixes: parsed };
  return parsed;
}

/**
 * A peering's or route table's flag: its default when absent (or null, as Resource Graph writes a
 * missing one), and an error when it is anything but a boolean: `"false"` (a string) read as the
 * default, true, would turn access on in a fix that re-creates the peering. One typeof test on the
 * path every peering takes.
 */
function flag(p: Props, key: string, fallback: boolean, source: string, owner: 'peering' | 'route table', name: string): boolean {
  const value = p[key];
  if (typeof value === 'boolean') return value;
  if (absent(value)) return fallback;
  throw new InputError(source, `${owner} "${name}" properties.${key} must be a boolean, found ${describeValue(value)}`);
}

/** Values Azure repeats in every peering: one shared string each instead of one per peering. */
const KNOWN_VALUES = new Map(
  ['Connected', 'Initiated', 'Disconnected', 'FullyInSync', 'RemoteNotInSync', 'LocalNotInSync', 'LocalAndRemoteNotInSync', 'Succeeded', 'Failed', 'Updating', 'Deleting'].map(
    (v) => [v, v],
  ),
);
const KNOWN_BY_LOWER_CASE = new Map([...KNOWN_VALUES.keys()].map((v) => [v.toLowerCase(), v]));

/**
 * A peering's state, sync level or provisioning state: absent (or null) is none recorded; a value
 * the REST spec does not list is kept, as its enums are extensible (`modelAsString`); a known one in
 * another casing (a hand-edited export) is Azure's spelling, which the rules compare with; anything
 * but a string is an input error, as `5` read as "none recorded" would hide a broken peering.
 */
function peeringValue(p: Props, key: 'peeringState' | 'peeringSyncLevel' | 'provisioningState', source: string, name: string): string | undefined {
  const value = p[key];
  if (typeof value === 'string') return value === '' ? undefined : (KNOWN_VALUES.get(value) ?? KNOWN_BY_LOWER_CASE.get(value.toLowerCase()) ?? value);
  if (absent(value)) return undefined;
  throw new InputError(source, `peering "${name}" properties.${key} must be a string, found ${describeValue(value)}`);
}

/** The optional writable properties, kept only when the input set them (most peerings set none). */
type WritableExtras = Pick<PeeringWritableProperties, 'doNotVerifyRemoteGateways' | 'peerCompleteVnets' | 'localSubnetNames' | 'remoteSubnetNames' | 'enableOnlyIPv6Peering'>;

function writableExtras(p: Props): WritableExtras | undefined {
  let extras: WritableExtras | undefined;
  // In the order of the REST spec, which a PUT body rebuilt from them keeps.
  if (typeof p.doNotVerifyRemoteGateways === 'boolean') (extras ??= {}).doNotVerifyRemoteGateways = p.doNotVerifyRemoteGateways;
  if (typeof p.peerCompleteVnets === 'boolean') (extras ??= {}).peerCompleteVnets = p.peerCompleteVnets;
  if (Array.isArray(p.localSubnetNames)) (extras ??= {}).localSubnetNames = p.localSubnetNames.map(String);
  if (Array.isArray(p.remoteSubnetNames)) (extras ??= {}).remoteSubnetNames = p.remoteSubnetNames.map(String);
  if (typeof p.enableOnlyIPv6Peering === 'boolean') (extras ??= {}).enableOnlyIPv6Peering = p.enableOnlyIPv6Peering;
  return extras;
}

// The bits of `ReadPeering.flags`.
const ALLOW_VNET_ACCESS = 1;
const ALLOW_FORWARDED_TRAFFIC = 2;
const ALLOW_GATEWAY_TRANSIT = 4;
const USE_REMOTE_GATEWAYS = 8;
const PEER_COMPLETE_VNETS = 16;
const ONLY_IPV6 = 32;
const REMOTE_IN_SCOPE = 64;

/**
 * A peering as read. Its key and its writable properties are worked out when asked for: an audit
 * of a large estate asks for neither for most peerings, and holding them took a third of each
 * peering's memory (a lower-cased copy of a 180-character id, two objects).
 */
class ReadPeering implements Peering {
  // The booleans share one number, and what the peering would repeat (its VNet's key, the remote's
  // id, key and subscription, the subnet names of its writable properties) is read from the objects
  // that hold it: 96 bytes less per peering, 22 MB of a 50k-VNet estate's 322 MB. The fields the
  // rules read for every peering come first.
  readonly peeringState: string | undefined;
  private flags: number;
  /** Set when the peering is placed in its VNet (`TopologyBuilder.addPeering`), before any rule sees it. */
  vnet!: Vnet;
  remoteVnet: Vnet | undefined = undefined;
  reverse: Peering | undefined = undefined;
  readonly remoteAddressSpace: Prefix[] | undefined;
  readonly remoteVirtualNetworkAddressSpace: Prefix[] | undefined;
  readonly peeringSyncLevel: string | undefined;
  readonly provisioningState: string | undefined;
  /** The remote id as this peering spells it, shared with the other peerings that spell it so. */
  readonly remoteRef: RemoteRef;
  readonly id: string;
  readonly name: string;
  readonly vnetId: string;
  readonly etag: string | undefined;
  private readonly extras: WritableExtras | undefined;
  private cachedKey: ResourceKey | undefined = undefined;

  constructor(raw: RawResource, vnetId: string, source: string, remoteRef: (id: string) => RemoteRef | undefined) {
    const p = props(raw);
    const remoteId = refId(p.remoteVirtualNetwork);
    const name = raw.name ?? nameOf(raw.id);
    if (!remoteId) throw new InputError(source, `peering "${name}" has no properties.remoteVirtualNetwork.id`);
    const remote = remoteRef(remoteId);
    if (!remote) throw new InputError(source, `peering "${name}" properties.remoteVirtualNetwork.id is not an Azure resource id: "${remoteId}"`);
    this.peeringState = peeringValue(p, 'peeringState', source, name);
    this.flags =
      (flag(p, 'allowVirtualNetworkAccess', true, source, 'peering', name) ? ALLOW_VNET_ACCESS : 0) |
      (flag(p, 'allowForwardedTraffic', false, source, 'peering', name) ? ALLOW_FORWARDED_TRAFFIC : 0) |
      (flag(p, 'allowGatewayTransit', false, source, 'peering', name) ? ALLOW_GATEWAY_TRANSIT : 0) |
      (flag(p, 'useRemoteGateways', false, source, 'peering', name) ? USE_REMOTE_GATEWAYS : 0) |
      (flag(p, 'peerCompleteVnets', true, source, 'peering', name) ? PEER_COMPLETE_VNETS : 0) |
      (flag(p, 'enableOnlyIPv6Peering', false, source, 'peering', name) ? ONLY_IPV6 : 0);
    // Usually the same texts as peered, and as the previous peering to the same VNet: one array for all.
    this.remoteAddressSpace = remoteSpace(remote, p.remoteAddressSpace, source, () => `peering "${name}" remoteAddressSpace`);
    this.remoteVirtualNetworkAddressSpace = remoteSpace(remote, p.remoteVirtualNetworkAddressSpace, source, () => `peering "${name}" remoteVirtualNetworkAddressSpace`);
    this.peeringSyncLevel = peeringValue(p, 'peeringSyncLevel', source, name);
    this.provisioningState = peeringValue(p, 'provisioningState', source, name);
    this.remoteRef = remote;
    this.id = raw.id;
    this.name = name;
    this.vnetId = vnetId;
    this.etag = str(raw.etag);
    this.extras = writableExtras(p);
  }

  get allowVirtualNetworkAccess(): boolean {
    return (this.flags & ALLOW_VNET_ACCESS) !== 0;
  }
  get allowForwardedTraffic(): boolean {
    return (this.flags & ALLOW_FORWARDED_TRAFFIC) !== 0;
  }
  get allowGatewayTransit(): boolean {
    return (this.flags & ALLOW_GATEWAY_TRANSIT) !== 0;
  }
  get useRemoteGateways(): boolean {
    return (this.flags & USE_REMOTE_GATEWAYS) !== 0;
  }
  get peerCompleteVnets(): boolean {
    return (this.flags & PEER_COMPLETE_VNETS) !== 0;
  }
  get enableOnlyIPv6Peering(): boolean {
    return (this.flags & ONLY_IPV6) !== 0;
  }
  get remoteInScope(): boolean {
    return (this.flags & REMOTE_IN_SCOPE) !== 0;
  }
  get vnetKey(): ResourceKey {
    return this.vnet.key;
  }
  get remoteVnetId(): string {
    return this.remoteRef.id;
  }
  /** The remote VNet's own key when it was read: one string object per VNet, so that a map hit compares by reference. */
  get remoteVnetKey(): ResourceKey {
    return this.remoteVnet ? this.remoteVnet.key : this.remoteRef.key;
  }
  get remoteSubscriptionId(): string | undefined {
    return this.remoteRef.subscription;
  }
  get localSubnetNames(): readonly string[] {
    return this.extras?.localSubnetNames ?? NO_NAMES;
  }
  get remoteSubnetNames(): readonly string[] {
    return this.extras?.remoteSubnetNames ?? NO_NAMES;
  }

  /** Joins the peering to its remote VNet once the estate is complete (`joinPeerings`, once per peering). */
  resolveRemote(remoteVnet: Vnet | undefined, remoteInScope: boolean): void {
    this.remoteVnet = remoteVnet;
    if (remoteInScope) this.flags |= REMOTE_IN_SCOPE;
  }

  get key(): ResourceKey {
    return (this.cachedKey ??= keyOf(this.id));
  }

  /** A new object on each call: a caller may change it (a fix's PUT body) without changing the peering. */
  get writable(): PeeringWritableProperties {
    return {
      allowVirtualNetworkAccess: this.allowVirtualNetworkAccess,
      allowForwardedTraffic: this.allowForwardedTraffic,
      allowGatewayTransit: this.allowGatewayTransit,
      useRemoteGateways: this.useRemoteGateways,
      remoteVirtualNetwork: { id: this.remoteVnetId },
      ...this.extras,
    };
  }
}

interface ParsedSubnet {
  subnet: Subnet;
  ipConfigIds: string[];
}

function parseSubnet(raw: Props, vnetKey: ResourceKey, source: string): ParsedSubnet {
  const id = str(raw.id);
  if (!id) throw new InputError(source, `a subnet has no "id"`);
  const p = obj(raw.properties) ?? {};
  const name = str(raw.name) ?? nameOf(id);
  // `addressPrefixes` when it is there (several prefixes), else the one `addressPrefix`.
  const written = !absent(p.addressPrefixes) ? p.addressPrefixes : !absent(p.addressPrefix) ? [p.addressPrefix] : undefined;
  const routeTableId = refId(p.routeTable);
  return {
    subnet: {
      id,
      key: keyOf(id),
      name,
      vnetKey,
      prefixes: prefixes(written, source, () => `subnet "${name}"`, ' addressPrefixes'),
      routeTableKey: routeTableId ? keyOf(routeTableId) : undefined,
    },
    ipConfigIds: list(p.ipConfigurations, source, () => `subnet "${name}" ipConfigurations`).map(refId).filter((x): x is string => x !== undefined),
  };
}

/**
 * Whether a route's `addressPrefix` is written as an address (and must parse as one) rather than as
 * a service tag (`AzureCloud`, `Storage.WestEurope`, `VirtualNetwork`), which Azure also accepts
 * there: an address has a `/` or a `:`, or is only digits and dots; a tag has letters.
 */
const looksLikeAddress = (text: string): boolean => text.includes('/') || text.includes(':') || /^[\d.]+$/.test(text.trim());

function parseRouteTable(raw: RawResource, key: ResourceKey, source: string): RouteTable {
  const p = props(raw);
  const tableName = raw.name ?? nameOf(raw.id);
  const routes: Route[] = list(p.routes, source, () => `route table "${tableName}" routes`).map((entry, i) => {
    const r = obj(entry) ?? {};
    const rp = obj(r.properties) ?? {};
    const name = str(r.name);
    const what = () => `route table "${tableName}" ${name !== undefined ? `route "${name}"` : `routes[${i}]`}`;
    const addressPrefix = str(rp.addressPrefix) ?? '';
    const prefix = parsePrefix(addressPrefix);
    if (!prefix && looksLikeAddress(addressPrefix)) throw new InputError(source, `${what()} has an invalid addressPrefix "${addressPrefix}"`);
    const nextHopIpAddress = str(rp.nextHopIpAddress);
    const nextHopIp = nextHopIpAddress !== undefined ? parsePrefix(nextHopIpAddress) : undefined;
    // An address, not a range: `10.0.2.4` or `10.0.2.4/32`, never `10.0.2.0/24`.
    if (nextHopIpAddress !== undefined && (!nextHopIp || nextHopIp.length !== (nextHopIp.version === 4 ? 32 : 128))) {
      throw new InputError(source, `${what()} has an invalid nextHopIpAddress "${nextHopIpAddress}"`);
    }
    return {
      id: str(r.id) ?? `${raw.id}/routes/${name ?? ''}`,
      name: name ?? '',
      addressPrefix,
      prefix,
      nextHopType: str(rp.nextHopType) ?? '',
      nextHopIp,
    };
  });
  return {
    id: raw.id,
    key,
    name: tableName,
    routes,
    disableBgpRoutePropagation: flag(p, 'disableBgpRoutePropagation', false, source, 'route table', tableName),
    subnetKeys: list(p.subnets, source, () => `route table "${tableName}" subnets`).flatMap((s) => {
      const id = refId(s);
      return id ? [keyOf(id)] : [];
    }),
  };
}

/** An Azure Firewall or forwarding NIC, and the subnets that place it in a VNet. */
function parseAppliance(raw: RawResource, kind: Appliance['kind'], source: string): { appliance: Omit<Appliance, 'vnetKey'>; subnetIds: string[] } {
  const name = raw.name ?? nameOf(raw.id);
  const configs = ipConfigs(props(raw), source, name);
  return {
    appliance: {
      id: raw.id,
      key: keyOf(raw.id),
      name,
      kind,
      privateIps: configs.flatMap((c) => {
        if (!c.privateIp) return [];
        const ip = parsePrefix(c.privateIp);
        if (!ip) throw new InputError(source, `"${name}" has an invalid private IP "${c.privateIp}"`);
        return [ip];
      }),
    },
    subnetIds: configs.flatMap((c) => (c.subnetId ? [c.subnetId] : [])),
  };
}

function gatewayKind(gatewayType: string | undefined): GatewayKind {
  switch (gatewayType?.toLowerCase()) {
    case 'vpn':
      return 'Vpn';
    case 'expressroute':
      return 'ExpressRoute';
    default:
      return 'Unknown';
  }
}

/** Subnet ids of `ipConfigurations[].properties.subnet.id`, and private IPs, of gateways/firewalls/NICs. */
function ipConfigs(p: Props, source: string, name: string): Array<{ subnetId: string | undefined; privateIp: string | undefined }> {
  return list(p.ipConfigurations, source, () => `"${name}" ipConfigurations`).map((c) => {
    const cp = obj(obj(c)?.properties) ?? {};
    // The Azure CLI prints ARM's `privateIPAddress` as `privateIpAddress` (its SDK's attribute name).
    return { subnetId: refId(cp.subnet), privateIp: str(cp.privateIPAddress) ?? str(cp.privateIpAddress) };
  });
}

/**
 * Builds the topology resource by resource, so that a caller reading many files can drop each
 * file's JSON once it is added: only the extracted topology stays in memory, not the raw estate.
 * Standalone peerings and subnets are placed in their VNet when added (made from their id if it
 * was not read yet), so that of two reads of one the first wins, as for a VNet read twice.
 * Resources that need others to be placed (gateways, appliances, Route Servers) are parsed when
 * added and attached by `build()`.
 */
export class TopologyBuilder {
  private readonly vnets = new Map<ResourceKey, Vnet>();
  /** Every peering added, in order; duplicates are dropped by `build()`. */
  private readonly peerings: ReadPeering[] = [];
  private readonly subnets = new Map<ResourceKey, Subnet>();
  private readonly routeTables = new Map<ResourceKey, RouteTable>();
  private readonly gateways = new Map<ResourceKey, Gateway>();
  private readonly subscriptions: Set<string>;
  /** The local space standalone peerings tell of their VNet, for a VNet whose own read tells none (`build()`). */
  private readonly standaloneSpaces: Array<{ vnet: Vnet; prefixes: Prefix[] }> = [];
  private readonly pendingGatewaySubnets: Array<{ gateway: Omit<Gateway, 'vnetKey'>; subnetIds: string[] }> = [];
  private readonly pendingAppliances: Array<{ appliance: Omit<Appliance, 'vnetKey'>; subnetIds: string[] }> = [];
  private readonly pendingRouteServerSubnets: Array<{ hubId: string; subnetId: string }> = [];
  private readonly subnetIpConfigRefs: Array<{ vnetKey: ResourceKey; refId: string }> = [];
  /** Groups an AVNM configuration connects directly, and whether across regions (global). */
  private readonly connectivityGroups = new Map<ResourceKey, boolean>();
  private readonly avnmHubs = new Set<ResourceKey>();
  private readonly groupMembers = new Map<ResourceKey, Set<ResourceKey>>();
  private built = false;
  /**
   * `/subscriptions/{id}/` as the last resource added spelt it: an export holds each subscription's
   * resources together, so most resources name a subscription already added without parsing it.
   */
  private subscriptionPath: string | undefined = undefined;
  private readonly remoteRefs = new Map<string, RemoteRef>();
  /** The VNets whose own resource was added (not those known only from a child's id). */
  private readonly readVnets = new Set<Vnet>();
  /** Undefined for an id that is not an Azure resource id (`vnet-b`): checked once per spelling. */
  private readonly remoteRef = (id: string): RemoteRef | undefined => {
    let ref = this.remoteRefs.get(id);
    if (!ref) {
      if (!isResourceId(id)) return undefined;
      ref = { id, key: keyOf(id), subscription: subscriptionOf(id) };
      this.remoteRefs.set(id, ref);
    }
    return ref;
  };

  constructor(options: BuildOptions = {}) {
    this.subscriptions = new Set<string>(options.extraSubscriptions?.map((s) => s.toLowerCase()) ?? []);
  }

  private ensureVnet(id: string): Vnet {
    const key = keyOf(id);
    let vnet = this.vnets.get(key);
    if (!vnet) {
      vnet = newVnet(id, key);
      this.vnets.set(key, vnet);
    }
    return vnet;
  }

  private addSubnet(vnet: Vnet, { subnet, ipConfigIds }: ParsedSubnet): void {
    if (this.subnets.has(subnet.key)) return;
    this.subnets.set(subnet.key, subnet);
    vnet.subnets.push(subnet);
    for (const ref of ipConfigIds) this.subnetIpConfigRefs.push({ vnetKey: vnet.key, refId: ref });
  }

  private addPeering(vnet: Vnet, peering: ReadPeering): void {
    peering.vnet = vnet;
    this.peerings.push(peering);
    vnet.peerings.push(peering);
  }

  add(resource: RawResource, source: string): void {
    if (this.subscriptionPath === undefined || !resource.id.startsWith(this.subscriptionPath)) {
      const sub = subscriptionOf(resource.id);
      if (sub) this.subscriptions.add(sub);
      this.subscriptionPath = subscriptionPathOf(resource.id);
    }
    const type = resourceTypeOf(resource);
    const p = props(resource);
    switch (type) {
      case T.vnet: {
        const vnet = this.ensureVnet(resource.id);
        const what = () => `virtual network "${resource.name ?? vnet.name}" addressSpace`;
        const addressPrefixes = prefixes(space(p.addressSpace, source, what)?.addressPrefixes, source, what);
        if (!this.readVnets.has(vnet)) {
          this.readVnets.add(vnet);
          vnet.id = resource.id;
          vnet.name = resource.name ?? vnet.name;
          vnet.location = str(resource.location);
          vnet.tags = stringTags(resource.tags);
          vnet.prefixes = addressPrefixes;
        } else {
          // A first read that did not know the space or location (a Resource Graph projection of id
          // and name) does not hide a later read's.
          if (vnet.prefixes.length === 0) vnet.prefixes = addressPrefixes;
          vnet.location ??= str(resource.location);
        }
        // A VNet read again (two exports that overlap, a Resource Graph row paged twice) otherwise keeps
        // its first read's properties; subnets and peerings merge, the first of each winning. Snapshot
        // files that disagree about a VNet's space are refused before they get here (io/snapshot-files.ts).
        for (const s of list(p.subnets, source, () => `virtual network "${vnet.name}" subnets`)) this.addSubnet(vnet, parseSubnet(obj(s) ?? {}, vnet.key, source));
        list(p.virtualNetworkPeerings, source, () => `virtual network "${vnet.name}" virtualNetworkPeerings`).forEach((entry, i) => {
          const raw = obj(entry);
          if (!raw || typeof raw.id !== 'string') {
            throw new InputError(source, `virtual network "${vnet.name}" virtualNetworkPeerings[${i}] has no "id"`);
          }
          this.addPeering(vnet, new ReadPeering(raw as RawResource, vnet.id, source, this.remoteRef));
        });
        break;
      }
      case T.peering: {
        const vnetId = parentVnetId(resource.id);
        if (!vnetId) throw new InputError(source, `peering id "${resource.id}" does not name its virtual network`);
        // A peering read without its VNet still tells the VNet's space: its current one, else the one peered.
        const field = absent(p.localVirtualNetworkAddressSpace) ? 'localAddressSpace' : 'localVirtualNetworkAddressSpace';
        const what = () => `peering "${resource.name ?? nameOf(resource.id)}" ${field}`;
        const local = space(p[field], source, what);
        const peering = new ReadPeering(resource, vnetId, source, this.remoteRef);
        // Placed now, in reading order with the VNet's inline peerings, so that the first read of a
        // peering wins whichever form it came in (`dropDuplicatePeerings`).
        const vnet = this.ensureVnet(vnetId);
        this.addPeering(vnet, peering);
        if (local) this.standaloneSpaces.push({ vnet, prefixes: prefixes(local.addressPrefixes, source, what) });
        break;
      }
      case T.subnet: {
        const vnetId = parentVnetId(resource.id);
        // Placed now, like a standalone peering: the first read of a subnet wins (`addSubnet`).
        if (vnetId) this.addSubnet(this.ensureVnet(vnetId), parseSubnet(resource as unknown as Props, keyOf(vnetId), source));
        break;
      }
      case T.gateway: {
        const sku = obj(p.sku);
        this.pendingGatewaySubnets.push({
          gateway: {
            id: resource.id,
            key: keyOf(resource.id),
            name: resource.name ?? nameOf(resource.id),
            kind: gatewayKind(str(p.gatewayType)),
            sku: str(sku?.name) ?? str(sku?.tier),
          },
          subnetIds: ipConfigs(p, source, resource.name ?? nameOf(resource.id)).flatMap((c) => (c.subnetId ? [c.subnetId] : [])),
        });
        break;
      }
      case T.virtualHub:
        // A Route Server is a virtualHub whose ipConfigurations sit in a VNet's RouteServerSubnet.
        for (const c of ipConfigs(p, source, resource.name ?? nameOf(resource.id))) if (c.subnetId) this.pendingRouteServerSubnets.push({ hubId: resource.id, subnetId: c.subnetId });
        break;
      case T.virtualHubIpConfig: {
        const subnetId = refId(p.subnet);
        const hubId = parentVnetId(resource.id);
        if (subnetId && hubId) this.pendingRouteServerSubnets.push({ hubId, subnetId });
        break;
      }
      case T.firewall:
        this.pendingAppliances.push(parseAppliance(resource, 'AzureFirewall', source));
        break;
      case T.nic:
        if (p.enableIPForwarding === true || p.enableIpForwarding === true) this.pendingAppliances.push(parseAppliance(resource, 'NetworkVirtualAppliance', source));
        break;
      case T.routeTable: {
        const key = keyOf(resource.id);
        if (!this.routeTables.has(key)) this.routeTables.set(key, parseRouteTable(resource, key, source));
        break;
      }
      case T.avnmConnectivity: {
        const topology = str(p.connectivityTopology)?.toLowerCase();
        const what = () => `connectivity configuration "${resource.name ?? nameOf(resource.id)}"`;
        if (topology === 'hubandspoke') {
          for (const h of list(p.hubs, source, () => `${what()} hubs`)) {
            const hubId = str(obj(h)?.resourceId);
            if (hubId) this.avnmHubs.add(keyOf(hubId));
          }
        }
        const configGlobal = isTrue(p.isGlobal);
        for (const g of list(p.appliesToGroups, source, () => `${what()} appliesToGroups`)) {
          const group = obj(g) ?? {};
          const groupId = str(group.networkGroupId);
          const direct = str(group.groupConnectivity)?.toLowerCase() === 'directlyconnected';
          if (!groupId || (topology !== 'mesh' && !direct)) continue;
          const key = keyOf(groupId);
          // Two configurations over one group: the global one connects what the regional one does and more.
          this.connectivityGroups.set(key, configGlobal || isTrue(group.isGlobal) || this.connectivityGroups.get(key) === true);
        }
        break;
      }
      case T.avnmStaticMember: {
        const groupId = parentVnetId(resource.id);
        const member = str(p.resourceId);
        if (groupId && member) {
          const key = keyOf(groupId);
          if (!this.groupMembers.has(key)) this.groupMembers.set(key, new Set());
          this.groupMembers.get(key)?.add(keyOf(member));
        }
        break;
      }
      default:
        break; // Unknown types are ignored (design.md): exports often hold whole resource groups.
    }
  }

  /** The topology of everything added. Once: the topology takes over the builder's objects. */
  build(): Topology {
    if (this.built) throw new Error('TopologyBuilder.build() was called twice');
    this.built = true;
    const { vnets, peerings, subnets, routeTables, gateways, subscriptions } = this;
    for (const { vnet, prefixes: local } of this.standaloneSpaces) if (vnet.prefixes.length === 0) vnet.prefixes = local;
    // No VNet read and no peering (a subnet list alone): the VNets known from the subnets' ids are no
    // estate, and an audit of them would call nothing compliant; without them it is refused as empty.
    if (this.readVnets.size === 0 && peerings.length === 0) vnets.clear();

    const vnetOfSubnet = (subnetId: string): Vnet | undefined => {
      const subnet = subnets.get(keyOf(subnetId));
      if (subnet) return vnets.get(subnet.vnetKey);
      const vnetId = parentVnetId(subnetId);
      return vnetId ? vnets.get(keyOf(vnetId)) : undefined;
    };
    const attachGateway = (gateway: Omit<Gateway, 'vnetKey'>, vnet: Vnet) => {
      if (gateways.has(gateway.key)) return;
      const full = { ...gateway, vnetKey: vnet.key };
      gateways.set(gateway.key, full);
      vnet.gateways.push(full);
    };
    for (const { gateway, subnetIds } of this.pendingGatewaySubnets) {
      const vnet = subnetIds.map(vnetOfSubnet).find((v) => v !== undefined);
      if (vnet) attachGateway(gateway, vnet);
    }
    for (const { hubId, subnetId } of this.pendingRouteServerSubnets) {
      const vnet = vnetOfSubnet(subnetId);
      if (vnet) attachGateway({ id: hubId, key: keyOf(hubId), name: nameOf(hubId), kind: 'RouteServer', sku: undefined }, vnet);
    }
    // A subnet's ipConfigurations reveal a gateway or Route Server even when that resource was not exported.
    for (const { vnetKey, refId: ref } of this.subnetIpConfigRefs) {
      const parsed = parseResourceId(ref);
      const ownerId = parsed?.parentId;
      const ownerType = parsed?.type?.toLowerCase();
      const vnet = vnets.get(vnetKey);
      if (!ownerId || !vnet) continue;
      if (ownerType === `${T.gateway}/ipconfigurations`) {
        attachGateway({ id: ownerId, key: keyOf(ownerId), name: nameOf(ownerId), kind: 'Unknown', sku: undefined }, vnet);
      } else if (ownerType === T.virtualHubIpConfig) {
        attachGateway({ id: ownerId, key: keyOf(ownerId), name: nameOf(ownerId), kind: 'RouteServer', sku: undefined }, vnet);
      }
    }

    for (const { appliance, subnetIds } of this.pendingAppliances) {
      const vnet = subnetIds.map(vnetOfSubnet).find((v) => v !== undefined);
      if (vnet) vnet.appliances.push({ ...appliance, vnetKey: vnet.key });
    }

    // Route tables: association is recorded on both the subnet and the table; honour either.
    for (const table of routeTables.values()) {
      for (const subnetKey of table.subnetKeys) {
        const subnet = subnets.get(subnetKey);
        if (subnet && !subnet.routeTableKey) subnet.routeTableKey = table.key;
      }
    }
    for (const subnet of subnets.values()) {
      const table = subnet.routeTableKey ? routeTables.get(subnet.routeTableKey) : undefined;
      if (!table) continue;
      if (!table.subnetKeys.includes(subnet.key)) table.subnetKeys.push(subnet.key);
      const vnet = vnets.get(subnet.vnetKey);
      if (vnet && !vnet.routeTables.includes(table)) vnet.routeTables.push(table);
    }

    // A mesh (or directly connected spokes) is regional unless made global: Azure connects only the
    // members in one region, so a regional group yields one key per region (types.ts, meshGroupKeys).
    const meshMembers = new Map<ResourceKey, ResourceKey[]>();
    for (const [groupKey, global] of this.connectivityGroups) {
      const members = this.groupMembers.get(groupKey) ?? [];
      if (global) {
        meshMembers.set(groupKey, [...members]);
        for (const member of members) vnets.get(member)?.meshGroupKeys.push(groupKey);
        continue;
      }
      for (const member of members) {
        const vnet = vnets.get(member);
        // A member whose region is unknown (not read, or read without a location) is assumed to reach no other.
        if (!vnet?.location) continue;
        const key = `${groupKey}@${regionOf(vnet.location)}` as ResourceKey;
        let regional = meshMembers.get(key);
        if (!regional) meshMembers.set(key, (regional = []));
        regional.push(member);
        vnet.meshGroupKeys.push(key);
      }
    }
    for (const hubKey of this.avnmHubs) {
      const hub = vnets.get(hubKey);
      if (hub) hub.avnmHub = true;
    }

    const duplicates = new Set<Peering>();
    for (const vnet of vnets.values()) dropDuplicatePeerings(vnet, duplicates);
    const unique = duplicates.size === 0 ? peerings : peerings.filter((p) => !duplicates.has(p));
    return joinPeerings({ vnets, peerings: unique, routeTables, subscriptions, meshMembers });
  }
}

export function buildTopology(resources: readonly SourcedResource[], options: BuildOptions = {}): Topology {
  const builder = new TopologyBuilder(options);
  for (const { resource, source } of resources) builder.add(resource, source);
  return builder.build();
}

/** Peerings in a VNet with more than this many are looked up by map, not by scanning. */
const SCAN_LIMIT = 16;

/**
 * Drops a VNet's peerings whose id (as a key) came before, the first one read wins: a peering can
 * be read twice (its VNet in two files, or inline and standalone). A peering belongs to the VNet
 * its id names (standalone) or lists it (inline), so duplicates are looked for per VNet.
 */
function dropDuplicatePeerings(vnet: Vnet, duplicates: Set<Peering>): void {
  const list = vnet.peerings;
  if (list.length < 2) return;
  const isDuplicate: (p: Peering, i: number) => boolean =
    list.length <= SCAN_LIMIT
      ? (p, i) => {
          for (let j = 0; j < i; j += 1) if (sameKey((list[j] as Peering).id, p.id)) return true;
          return false;
        }
      : seenBefore();
  const dropped = list.filter(isDuplicate);
  if (dropped.length === 0) return;
  for (const p of dropped) duplicates.add(p);
  vnet.peerings = list.filter((p) => !duplicates.has(p));
}

/** For a long list: whether each peering's key came earlier in it (asked in order). */
function seenBefore(): (p: Peering) => boolean {
  const seen = new Set<string>();
  return (p) => {
    const key = keyOf(p.id);
    if (seen.has(key)) return true;
    seen.add(key);
    return false;
  };
}

/**
 * The topology's peerings by key. Kept as a list: an audit iterates them; the map from key to
 * peering (a lower-cased copy of every id) is built on the first look-up, which only the event
 * path and remediation make.
 */
class PeeringIndex implements ReadonlyMap<ResourceKey, Peering> {
  private byKey: Map<ResourceKey, Peering> | undefined;

  constructor(private readonly list: readonly Peering[]) {}

  private map(): Map<ResourceKey, Peering> {
    return (this.byKey ??= new Map(this.list.map((p) => [p.key, p])));
  }

  get size(): number {
    return this.list.length;
  }
  get(key: ResourceKey): Peering | undefined {
    return this.map().get(key);
  }
  has(key: ResourceKey): boolean {
    return this.map().has(key);
  }
  forEach(callback: (value: Peering, key: ResourceKey, map: ReadonlyMap<ResourceKey, Peering>) => void): void {
    for (const p of this.list) callback(p, p.key, this);
  }
  *entries(): MapIterator<[ResourceKey, Peering]> {
    for (const p of this.list) yield [p.key, p];
  }
  *keys(): MapIterator<ResourceKey> {
    for (const p of this.list) yield p.key;
  }
  values(): MapIterator<Peering> {
    return this.list.values();
  }
  [Symbol.iterator](): MapIterator<[ResourceKey, Peering]> {
    return this.entries();
  }
}

/** Each peering's remote VNet and reverse, resolved by reference once the estate is complete. */
function joinPeerings(parts: {
  vnets: Map<ResourceKey, Vnet>;
  peerings: readonly ReadPeering[];
  routeTables: Map<ResourceKey, RouteTable>;
  subscriptions: Set<string>;
  meshMembers: Map<ResourceKey, ResourceKey[]>;
}): Topology {
  const { vnets, peerings, routeTables, subscriptions, meshMembers } = parts;
  // A VNet's subscription was read, so its absence means it is missing; a classic VNet is never read.
  const isInScope = (vnetKey: ResourceKey): boolean => {
    const sub = subscriptionOf(vnetKey);
    return sub !== undefined && subscriptions.has(sub) && !isClassicVnetId(vnetKey);
  };
  for (const peering of peerings) {
    const ref = peering.remoteRef;
    const resolved = (ref.resolved ??= { vnet: vnets.get(ref.key), inScope: isInScope(ref.key) });
    peering.resolveRemote(resolved.vnet, resolved.inScope);
  }
  // A hub's peerings by remote VNet, for the reverses of its many peers (a scan for small VNets).
  const byRemote = new Map<Vnet, Map<Vnet, Peering>>();
  const peeringTo = (from: Vnet, to: Vnet): Peering | undefined => {
    if (from.peerings.length <= SCAN_LIMIT) {
      for (const p of from.peerings) if (p.remoteVnet === to) return p;
      return undefined;
    }
    let map = byRemote.get(from);
    if (!map) {
      map = new Map();
      for (const p of from.peerings) if (p.remoteVnet && !map.has(p.remoteVnet)) map.set(p.remoteVnet, p);
      byRemote.set(from, map);
    }
    return map.get(to);
  };
  for (const vnet of vnets.values()) {
    for (const peering of vnet.peerings) peering.reverse = peering.remoteVnet ? peeringTo(peering.remoteVnet, vnet) : undefined;
  }

  return {
    vnets,
    peerings: new PeeringIndex(peerings),
    routeTables,
    subscriptions,
    reverseOf: (peering) => peering.reverse,
    peeringBetween: (from, to) => {
      const a = vnets.get(from);
      const b = vnets.get(to);
      if (a && b) return peeringTo(a, b);
      return a?.peerings.find((p) => p.remoteVnetKey === to);
    },
    isInScope,
    meshMembers: (groupKey) => meshMembers.get(groupKey) ?? [],
  };
}
