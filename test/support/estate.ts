import { buildTopology } from '../../src/model/build';
import type { RawResource } from '../../src/model/snapshot';
import type { Topology } from '../../src/model/types';

// Builders of Azure's own JSON (the shapes ARM GET returns) for tests: short to write, real to parse.

export const SUB_A = '11111111-1111-1111-1111-111111111111';
export const SUB_B = '22222222-2222-2222-2222-222222222222';
export const SUB_C = '33333333-3333-3333-3333-333333333333';

export function vnetId(name: string, sub = SUB_A, rg = `rg-${name}`): string {
  return `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworks/${name}`;
}

export interface PeeringSpec {
  /** Remote VNet id (use `vnetId`). */
  remote: string;
  name?: string;
  state?: 'Initiated' | 'Connected' | 'Disconnected';
  syncLevel?: string;
  provisioningState?: string;
  allowVirtualNetworkAccess?: boolean;
  allowForwardedTraffic?: boolean;
  allowGatewayTransit?: boolean;
  useRemoteGateways?: boolean;
  remoteAddressSpace?: string[];
  remoteVirtualNetworkAddressSpace?: string[];
  peerCompleteVnets?: boolean;
  localSubnetNames?: string[];
  remoteSubnetNames?: string[];
  enableOnlyIPv6Peering?: boolean;
}

export interface SubnetSpec {
  name: string;
  prefix: string | string[];
  routeTable?: string;
  ipConfigurations?: string[];
}

export interface VnetSpec {
  id: string;
  prefixes: string[];
  location?: string;
  tags?: Record<string, string>;
  subnets?: SubnetSpec[];
  peerings?: PeeringSpec[];
}

const lastSegment = (id: string) => id.slice(id.lastIndexOf('/') + 1);

export function peeringResource(localVnetId: string, spec: PeeringSpec): RawResource {
  const name = spec.name ?? `${lastSegment(localVnetId)}-to-${lastSegment(spec.remote)}`;
  const properties: Record<string, unknown> = {
    allowVirtualNetworkAccess: spec.allowVirtualNetworkAccess ?? true,
    allowForwardedTraffic: spec.allowForwardedTraffic ?? false,
    allowGatewayTransit: spec.allowGatewayTransit ?? false,
    useRemoteGateways: spec.useRemoteGateways ?? false,
    remoteVirtualNetwork: { id: spec.remote },
    peeringState: spec.state ?? 'Connected',
    peeringSyncLevel: spec.syncLevel ?? 'FullyInSync',
    provisioningState: spec.provisioningState ?? 'Succeeded',
  };
  if (spec.remoteAddressSpace) properties.remoteAddressSpace = { addressPrefixes: spec.remoteAddressSpace };
  if (spec.remoteVirtualNetworkAddressSpace) {
    properties.remoteVirtualNetworkAddressSpace = { addressPrefixes: spec.remoteVirtualNetworkAddressSpace };
  }
  if (spec.peerCompleteVnets !== undefined) properties.peerCompleteVnets = spec.peerCompleteVnets;
  if (spec.localSubnetNames) properties.localSubnetNames = spec.localSubnetNames;
  if (spec.remoteSubnetNames) properties.remoteSubnetNames = spec.remoteSubnetNames;
  if (spec.enableOnlyIPv6Peering !== undefined) properties.enableOnlyIPv6Peering = spec.enableOnlyIPv6Peering;
  return {
    id: `${localVnetId}/virtualNetworkPeerings/${name}`,
    name,
    type: 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings',
    etag: 'W/"00000000-0000-0000-0000-000000000001"',
    properties,
  };
}

export function vnet(spec: VnetSpec): RawResource {
  return {
    id: spec.id,
    name: lastSegment(spec.id),
    type: 'Microsoft.Network/virtualNetworks',
    location: spec.location ?? 'westeurope',
    tags: spec.tags ?? {},
    etag: 'W/"00000000-0000-0000-0000-000000000001"',
    properties: {
      addressSpace: { addressPrefixes: spec.prefixes },
      subnets: (spec.subnets ?? []).map((s) => ({
        id: `${spec.id}/subnets/${s.name}`,
        name: s.name,
        properties: {
          ...(Array.isArray(s.prefix) ? { addressPrefixes: s.prefix } : { addressPrefix: s.prefix }),
          ...(s.routeTable ? { routeTable: { id: s.routeTable } } : {}),
          ...(s.ipConfigurations ? { ipConfigurations: s.ipConfigurations.map((id) => ({ id })) } : {}),
        },
      })),
      virtualNetworkPeerings: (spec.peerings ?? []).map((p) => peeringResource(spec.id, p)),
    },
  };
}

/** Two VNets peered both ways (Connected), with optional per-side overrides. */
export function peeredPair(
  a: Omit<VnetSpec, 'peerings'>,
  b: Omit<VnetSpec, 'peerings'>,
  aToB: Partial<PeeringSpec> = {},
  bToA: Partial<PeeringSpec> = {},
): RawResource[] {
  return [
    vnet({ ...a, peerings: [{ remote: b.id, ...aToB }] }),
    vnet({ ...b, peerings: [{ remote: a.id, ...bToA }] }),
  ];
}

export function gateway(
  name: string,
  vnet: string,
  opts: { type?: 'Vpn' | 'ExpressRoute'; sku?: string } = {},
): RawResource {
  const [, , sub, , rg] = vnet.split('/');
  return {
    id: `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworkGateways/${name}`,
    name,
    type: 'Microsoft.Network/virtualNetworkGateways',
    location: 'westeurope',
    properties: {
      gatewayType: opts.type ?? 'Vpn',
      sku: { name: opts.sku ?? 'VpnGw1', tier: opts.sku ?? 'VpnGw1' },
      ipConfigurations: [{ name: 'default', properties: { subnet: { id: `${vnet}/subnets/GatewaySubnet` } } }],
    },
  };
}

export function routeServer(name: string, vnet: string): RawResource {
  const [, , sub, , rg] = vnet.split('/');
  return {
    id: `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/virtualHubs/${name}`,
    name,
    type: 'Microsoft.Network/virtualHubs',
    location: 'westeurope',
    properties: {
      sku: 'Standard',
      ipConfigurations: [{ name: 'ipconfig1', properties: { subnet: { id: `${vnet}/subnets/RouteServerSubnet` } } }],
    },
  };
}

export function firewall(name: string, vnet: string, privateIp: string): RawResource {
  const [, , sub, , rg] = vnet.split('/');
  return {
    id: `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/azureFirewalls/${name}`,
    name,
    type: 'Microsoft.Network/azureFirewalls',
    location: 'westeurope',
    properties: {
      ipConfigurations: [
        { name: 'ipconfig', properties: { privateIPAddress: privateIp, subnet: { id: `${vnet}/subnets/AzureFirewallSubnet` } } },
      ],
    },
  };
}

export function nva(name: string, vnet: string, subnet: string, privateIp: string, ipForwarding = true): RawResource {
  const [, , sub, , rg] = vnet.split('/');
  return {
    id: `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/networkInterfaces/${name}`,
    name,
    type: 'Microsoft.Network/networkInterfaces',
    location: 'westeurope',
    properties: {
      enableIPForwarding: ipForwarding,
      ipConfigurations: [{ name: 'ipconfig1', properties: { privateIPAddress: privateIp, subnet: { id: `${vnet}/subnets/${subnet}` } } }],
    },
  };
}

export interface RouteSpec {
  name?: string;
  prefix: string;
  nextHopType?: string;
  nextHopIp?: string;
}

export function routeTable(
  name: string,
  sub: string,
  rg: string,
  routes: RouteSpec[],
  subnetIds: string[] = [],
): RawResource {
  const id = `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/routeTables/${name}`;
  return {
    id,
    name,
    type: 'Microsoft.Network/routeTables',
    location: 'westeurope',
    properties: {
      disableBgpRoutePropagation: false,
      routes: routes.map((r, i) => ({
        id: `${id}/routes/${r.name ?? `route-${i}`}`,
        name: r.name ?? `route-${i}`,
        properties: {
          addressPrefix: r.prefix,
          nextHopType: r.nextHopType ?? 'VirtualAppliance',
          ...(r.nextHopIp ? { nextHopIpAddress: r.nextHopIp } : {}),
        },
      })),
      subnets: subnetIds.map((s) => ({ id: s })),
    },
  };
}

/** Builds a topology from raw resources, as the file loader would. */
export function topologyOf(resources: RawResource[], extraSubscriptions: string[] = []): Topology {
  return buildTopology(
    resources.map((resource, i) => ({ resource, source: `test[${i}]` })),
    { extraSubscriptions },
  );
}
