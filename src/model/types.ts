import type { Prefix } from './cidr';
import type { ResourceKey } from './ids';

// peerguard's own small domain types. Built once from Azure's JSON by `buildTopology`; rules read
// them and never see SDK types. Every `id` keeps the input's casing; every `key` is lower-cased.

export type PeeringState = 'Initiated' | 'Connected' | 'Disconnected' | string;
export type PeeringSyncLevel = 'FullyInSync' | 'RemoteNotInSync' | 'LocalNotInSync' | 'LocalAndRemoteNotInSync' | string;

export interface Subnet {
  id: string;
  key: ResourceKey;
  name: string;
  vnetKey: ResourceKey;
  prefixes: Prefix[];
  routeTableKey: ResourceKey | undefined;
}

export interface Peering {
  id: string;
  key: ResourceKey;
  name: string;
  /** The VNet that holds this peering (derived from the id). */
  vnetId: string;
  vnetKey: ResourceKey;
  remoteVnetId: string;
  remoteVnetKey: ResourceKey;
  remoteSubscriptionId: string | undefined;
  allowVirtualNetworkAccess: boolean;
  allowForwardedTraffic: boolean;
  allowGatewayTransit: boolean;
  useRemoteGateways: boolean;
  peeringState: PeeringState | undefined;
  peeringSyncLevel: PeeringSyncLevel | undefined;
  provisioningState: string | undefined;
  /** `remoteAddressSpace`: the remote space as it was peered. */
  remoteAddressSpace: Prefix[] | undefined;
  /** `remoteVirtualNetworkAddressSpace`: the remote VNet's current space as the peering last saw it. */
  remoteVirtualNetworkAddressSpace: Prefix[] | undefined;
  /** Subnet peering: false when only the named subnets are peered. Absent means whole VNets. */
  peerCompleteVnets: boolean;
  localSubnetNames: readonly string[];
  remoteSubnetNames: readonly string[];
  enableOnlyIPv6Peering: boolean;
  etag: string | undefined;
  /** The writable properties as read, to rebuild a PUT body for a fix without losing settings. */
  writable: PeeringWritableProperties;
  // Resolved by buildTopology once the estate is complete, so that rules follow references instead
  // of looking ids up: a peering belongs to the topology that built it.
  /** The VNet that holds this peering (always in the topology: a peering's VNet is made from its id if not read). */
  vnet: Vnet;
  /** The remote VNet, when it was read. */
  remoteVnet: Vnet | undefined;
  /** The remote VNet's peering back to this VNet, when it was read (the first, if several). */
  reverse: Peering | undefined;
  /** Whether the remote VNet's subscription was read (and the remote is no classic VNet), so that its absence means it is missing. */
  remoteInScope: boolean;
}

/** The properties a PUT on a peering carries (the REST spec's non-read-only ones peerguard preserves). */
export interface PeeringWritableProperties {
  allowVirtualNetworkAccess: boolean;
  allowForwardedTraffic: boolean;
  allowGatewayTransit: boolean;
  useRemoteGateways: boolean;
  remoteVirtualNetwork: { id: string };
  doNotVerifyRemoteGateways?: boolean;
  peerCompleteVnets?: boolean;
  localSubnetNames?: readonly string[];
  remoteSubnetNames?: readonly string[];
  enableOnlyIPv6Peering?: boolean;
}

export type GatewayKind = 'Vpn' | 'ExpressRoute' | 'RouteServer' | 'Unknown';

export interface Gateway {
  id: string;
  key: ResourceKey;
  name: string;
  kind: GatewayKind;
  /** SKU name as Azure reports it (`Basic`, `VpnGw1`, `ErGw1AZ`, `Standard` for Route Server...). */
  sku: string | undefined;
  vnetKey: ResourceKey;
}

export type ApplianceKind = 'AzureFirewall' | 'NetworkVirtualAppliance';

/** Something that forwards packets: an Azure Firewall, or a NIC with IP forwarding enabled. */
export interface Appliance {
  id: string;
  key: ResourceKey;
  name: string;
  kind: ApplianceKind;
  vnetKey: ResourceKey;
  privateIps: Prefix[];
}

export interface Route {
  id: string;
  name: string;
  /** Undefined when `addressPrefix` is a service tag (`AzureCloud`, `Storage.WestEurope`): an address that does not parse is an input error. */
  prefix: Prefix | undefined;
  /** Raw `addressPrefix`, which may also be a service tag. */
  addressPrefix: string;
  nextHopType: string;
  /** `nextHopIpAddress`, a host address (VirtualAppliance routes); undefined when the route has none. */
  nextHopIp: Prefix | undefined;
}

export interface RouteTable {
  id: string;
  key: ResourceKey;
  name: string;
  routes: Route[];
  /** `disableBgpRoutePropagation`: the subnets it is associated with learn no gateway (on-premises) routes. */
  disableBgpRoutePropagation: boolean;
  subnetKeys: ResourceKey[];
}

export interface Vnet {
  id: string;
  key: ResourceKey;
  name: string;
  subscriptionId: string;
  resourceGroup: string | undefined;
  location: string | undefined;
  tags: Record<string, string>;
  prefixes: Prefix[];
  subnets: Subnet[];
  peerings: Peering[];
  gateways: Gateway[];
  appliances: Appliance[];
  /** Route tables associated with at least one subnet of this VNet. */
  routeTables: RouteTable[];
  /**
   * Azure Virtual Network Manager mesh groups this VNet belongs to (connectivity without peerings):
   * two VNets sharing a key are connected. A group that is global (`isGlobal` "True" on the
   * configuration or the group item) keys as the group's key; a regional one (Azure's default)
   * connects only VNets in one region, so it keys per region as `<group key>@<location>` (location
   * lower-cased, spaces removed), and a member whose location is unknown gets no key from it.
   */
  meshGroupKeys: ResourceKey[];
  /** Named in `hubs[]` of an AVNM hub-and-spoke connectivity configuration, which may peer it with up to 1,000 VNets. */
  avnmHub: boolean;
}

export interface Topology {
  vnets: ReadonlyMap<ResourceKey, Vnet>;
  peerings: ReadonlyMap<ResourceKey, Peering>;
  routeTables: ReadonlyMap<ResourceKey, RouteTable>;
  /** Lower-cased ids of the subscriptions that were read. */
  subscriptions: ReadonlySet<string>;
  /** The peering on `remoteVnetKey` that points back at `vnetKey`, if it was read. */
  reverseOf(peering: Peering): Peering | undefined;
  /** The peering of `fromVnetKey` whose remote is `toVnetKey`. */
  peeringBetween(fromVnetKey: ResourceKey, toVnetKey: ResourceKey): Peering | undefined;
  /** Whether the remote VNet's subscription was read (and the remote is no classic VNet), so that its absence means it is missing. */
  isInScope(vnetKey: ResourceKey): boolean;
  /** Members of an AVNM mesh group, by a key of `Vnet.meshGroupKeys` (for a regional group, those in that region). */
  meshMembers(groupKey: ResourceKey): readonly ResourceKey[];
}
