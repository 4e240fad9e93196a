import type { RawResource } from '../../src/model/snapshot';
import { SUB_A, SUB_B, firewall, gateway, nva, routeServer, routeTable, vnet, vnetId, type PeeringSpec, type RouteSpec, type SubnetSpec } from './estate';

// Hub-and-spoke estates for the transit rules: a hub with an Azure Firewall, spokes peered with it
// (both ways, Connected), each spoke optionally with a route table on its application subnet.

export const HUB = vnetId('vnet-hub', SUB_A);
export const HUB_PREFIXES = ['10.0.0.0/16', 'fd00::/48'];
export const FIREWALL_IP = '10.0.1.4';
export const FIREWALL_IP6 = 'fd00:0:0:1::4';

export const spokeId = (name: string) => vnetId(name, SUB_B);
export const peeringId = (from: string, to: string) =>
  `${from}/virtualNetworkPeerings/${from.slice(from.lastIndexOf('/') + 1)}-to-${to.slice(to.lastIndexOf('/') + 1)}`;
export const routeTableId = (spoke: string) =>
  `/subscriptions/${SUB_B}/resourceGroups/rg-${spoke}/providers/Microsoft.Network/routeTables/rt-${spoke}`;

export interface SpokeSpec {
  name: string;
  prefixes: string[];
  /** Routes of the route table on `snet-app` (no table when absent). */
  routes?: RouteSpec[];
  /** Overrides of the spoke's peering to the hub. */
  toHub?: Partial<PeeringSpec>;
  /** Overrides of the hub's peering to the spoke. */
  fromHub?: Partial<PeeringSpec>;
  /** No peering to or from the hub at all. */
  unpeered?: boolean;
  /** Further peerings of the spoke (the caller adds the other side). */
  peerings?: PeeringSpec[];
  subnets?: SubnetSpec[];
}

export interface HubSpec {
  id?: string;
  prefixes?: string[];
  subnets?: SubnetSpec[];
  firewall?: boolean;
  peerings?: PeeringSpec[];
}

/**
 * Spokes 1 and 2 of the hub, and `shared`, a VNet with an NVA (10.9.1.4) that spoke1 routes
 * everything to, with no peering to it: only an AVNM mesh over the three connects them (without it,
 * the spokes cannot reach each other and spoke1's route leads nowhere).
 */
export function spokesRoutingToSharedNva(shared: string): RawResource[] {
  return [
    ...hubAndSpokes([
      { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [{ name: 'default', prefix: '0.0.0.0/0', nextHopType: 'VirtualAppliance', nextHopIp: '10.9.1.4' }] },
      { name: 'spoke2', prefixes: ['10.2.0.0/16'] },
    ]),
    vnet({ id: shared, prefixes: ['10.9.0.0/16'], subnets: [{ name: 'nva', prefix: '10.9.1.0/24' }] }),
    nva('nva-shared', shared, 'nva', '10.9.1.4'),
  ];
}

/** The hub, its firewall, the spokes and their route tables. */
export function hubAndSpokes(spokes: SpokeSpec[], hub: HubSpec = {}): RawResource[] {
  const hubId = hub.id ?? HUB;
  const resources: RawResource[] = [
    vnet({
      id: hubId,
      prefixes: hub.prefixes ?? HUB_PREFIXES,
      subnets: hub.subnets ?? [{ name: 'AzureFirewallSubnet', prefix: ['10.0.1.0/26', 'fd00:0:0:1::/64'] }],
      peerings: [
        ...spokes.filter((s) => !s.unpeered).map((s) => ({ remote: spokeId(s.name), allowForwardedTraffic: true, ...s.fromHub })),
        ...(hub.peerings ?? []),
      ],
    }),
  ];
  if (hub.firewall !== false) resources.push(firewall(`afw-${hubId.slice(hubId.lastIndexOf('/') + 1)}`, hubId, FIREWALL_IP));
  for (const s of spokes) {
    const id = spokeId(s.name);
    const table = s.routes ? routeTableId(s.name) : undefined;
    resources.push(
      vnet({
        id,
        prefixes: s.prefixes,
        subnets: s.subnets ?? [{ name: 'snet-app', prefix: s.prefixes, ...(table ? { routeTable: table } : {}) }],
        peerings: [...(s.unpeered ? [] : [{ remote: hubId, allowForwardedTraffic: true, ...s.toHub }]), ...(s.peerings ?? [])],
      }),
    );
    if (s.routes) resources.push(routeTable(`rt-${s.name}`, SUB_B, `rg-${s.name}`, s.routes, [`${id}/subnets/snet-app`]));
  }
  return resources;
}

/** A default route (IPv4) to the hub firewall. */
export const viaFirewall = (prefix = '0.0.0.0/0', name = 'default'): RouteSpec => ({ name, prefix, nextHopType: 'VirtualAppliance', nextHopIp: FIREWALL_IP });

/** An AVNM mesh connectivity configuration over a static network group, as build.ts reads them. */
export function meshGroup(name: string, members: string[]): RawResource[] {
  const manager = `/subscriptions/${SUB_A}/resourceGroups/rg-avnm/providers/Microsoft.Network/networkManagers/avnm`;
  const groupId = `${manager}/networkGroups/${name}`;
  return [
    {
      id: `${manager}/connectivityConfigurations/cc-${name}`,
      name: `cc-${name}`,
      type: 'Microsoft.Network/networkManagers/connectivityConfigurations',
      properties: { connectivityTopology: 'Mesh', appliesToGroups: [{ networkGroupId: groupId }] },
    },
    ...members.map((member, i) => ({
      id: `${groupId}/staticMembers/member-${i}`,
      name: `member-${i}`,
      type: 'Microsoft.Network/networkManagers/networkGroups/staticMembers',
      properties: { resourceId: member },
    })),
  ];
}

/** A user route to VirtualNetworkGateway: the hub's VPN gateway, for a spoke that uses it through gateway transit. */
export const viaGateway = (prefix: string, name = 'to-gateway'): RouteSpec => ({ name, prefix, nextHopType: 'VirtualNetworkGateway' });

/**
 * A hub with a VPN gateway (`gateways`, by default VpnGw1 "vgw-hub") and no firewall, and spokes
 * that use it through gateway transit (useRemoteGateways on their side, allowGatewayTransit on the
 * hub's; `toHub`/`fromHub` of a spoke override them).
 */
export function vpnHubAndSpokes(spokes: SpokeSpec[], gateways: RawResource[] = [gateway('vgw-hub', HUB)]): RawResource[] {
  const transit = spokes.map((s) => ({ ...s, toHub: { useRemoteGateways: true, ...s.toHub }, fromHub: { allowGatewayTransit: true, ...s.fromHub } }));
  const subnets = [{ name: 'GatewaySubnet', prefix: '10.0.0.0/27' }, { name: 'snet-shared', prefix: '10.0.2.0/24' }];
  return [...hubAndSpokes(transit, { firewall: false, subnets }), ...gateways];
}

/** The NVA's address in `routeServerHub`'s hub. */
export const ROUTE_SERVER_NVA_IP = '10.0.2.4';

/**
 * A hub (IPv4 only) with an Azure Route Server and, unless `appliance` is false, an NVA that may
 * advertise routes to it over BGP (route-injection-in-spokes), and spokes that use it through
 * gateway transit (useRemoteGateways on their side, allowGatewayTransit on the hub's; `toHub` and
 * `fromHub` override).
 */
export function routeServerHub(spokes: SpokeSpec[], opts: { appliance?: boolean } = {}): RawResource[] {
  return [
    ...hubAndSpokes(
      spokes.map((s) => ({ ...s, toHub: { useRemoteGateways: true, ...s.toHub }, fromHub: { allowGatewayTransit: true, ...s.fromHub } })),
      { firewall: false, prefixes: ['10.0.0.0/16'], subnets: [{ name: 'RouteServerSubnet', prefix: '10.0.3.0/27' }, { name: 'snet-nva', prefix: '10.0.2.0/24' }] },
    ),
    routeServer('rs-hub', HUB),
    ...(opts.appliance === false ? [] : [nva('nva-hub', HUB, 'snet-nva', ROUTE_SERVER_NVA_IP)]),
  ];
}

/** The estate with the route tables of `spokes` (made by their `routes`) set to disable BGP route propagation ("Propagate gateway routes: No"). */
export function noPropagation(resources: RawResource[], ...spokes: string[]): RawResource[] {
  return resources.map((r) => (spokes.some((name) => r.id === routeTableId(name)) ? { ...r, properties: { ...r.properties, disableBgpRoutePropagation: true } } : r));
}

/** The estate without the route tables of `spokes` (made by their `routes`): their subnets still name them, as an export that missed them (not read). */
export function unreadTables(resources: RawResource[], ...spokes: string[]): RawResource[] {
  return resources.filter((r) => !spokes.some((name) => r.id === routeTableId(name)));
}
