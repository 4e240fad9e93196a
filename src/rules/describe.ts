import { keyOf, nameOf, parseResourceId, subscriptionOf } from '../model/ids';
import type { Peering, PeeringWritableProperties, Topology, Vnet } from '../model/types';
import type { ArmOperation } from './rule';

// Shared vocabulary for rules: how to name things in messages and how to write a peering.

/** API version of Microsoft.Network used for every planned peering write. */
export const NETWORK_API_VERSION = '2024-05-01';

/** `vnet-hub (subscription 1111…, rg-hub)`: names a VNet so that a reader can find it. */
export function describeVnet(topology: Topology, vnetIdOrKey: string): string {
  const vnet = topology.vnets.get(keyOf(vnetIdOrKey));
  const id = vnet?.id ?? vnetIdOrKey;
  const parsed = parseResourceId(id);
  const where = [`subscription ${subscriptionOf(id) ?? '?'}`, parsed?.resourceGroup].filter(Boolean).join(', ');
  return `VNet "${vnet?.name ?? nameOf(id)}" (${where})`;
}

/** `peering "a-to-b" from VNet "a" (…) to VNet "b" (…)` */
export function describePeering(topology: Topology, peering: Peering): string {
  return `peering "${peering.name}" from ${describeVnet(topology, peering.vnetId)} to ${describeVnet(topology, peering.remoteVnetId)}`;
}

export function vnetOf(topology: Topology, peering: Peering): Vnet | undefined {
  return topology.vnets.get(peering.vnetKey);
}

export function remoteVnetOf(topology: Topology, peering: Peering): Vnet | undefined {
  return topology.vnets.get(peering.remoteVnetKey);
}

/** Whether a VNet has a VPN/ExpressRoute gateway or Route Server whose transit a peer could use. */
export function hasGateway(vnet: Vnet | undefined): boolean {
  return (vnet?.gateways.length ?? 0) > 0;
}

/** A PUT of a peering with its current writable properties, changed by `changes`. */
export function putPeering(
  peering: Pick<Peering, 'id' | 'writable'>,
  changes: Partial<PeeringWritableProperties> = {},
  query?: Record<string, string>,
): ArmOperation {
  return {
    method: 'PUT',
    resourceId: peering.id,
    apiVersion: NETWORK_API_VERSION,
    ...(query ? { query } : {}),
    body: { properties: { ...peering.writable, ...changes } },
  };
}

export function deletePeering(peeringId: string): ArmOperation {
  return { method: 'DELETE', resourceId: peeringId, apiVersion: NETWORK_API_VERSION };
}

/**
 * The id a reverse peering gets when peerguard creates it: `{remoteVnet}/virtualNetworkPeerings/{name}`
 * where name is `{remote}-to-{local}` (Azure peering names: up to 80 chars).
 */
export function reversePeeringId(peering: Peering, remoteVnetName: string, localVnetName: string): string {
  const name = `${remoteVnetName}-to-${localVnetName}`.slice(0, 80);
  return `${peering.remoteVnetId}/virtualNetworkPeerings/${name}`;
}

/**
 * The reverse of `peering` with complementary flags: access as the existing side, forwarded
 * traffic mirrored, and gateway transit offered when the existing side uses remote gateways.
 */
export function reversePeeringOperation(topology: Topology, peering: Peering): ArmOperation {
  const local = vnetOf(topology, peering);
  const remoteName = remoteVnetOf(topology, peering)?.name ?? nameOf(peering.remoteVnetId);
  const writable: PeeringWritableProperties = {
    allowVirtualNetworkAccess: peering.allowVirtualNetworkAccess,
    allowForwardedTraffic: peering.allowForwardedTraffic,
    allowGatewayTransit: peering.useRemoteGateways,
    useRemoteGateways: false,
    remoteVirtualNetwork: { id: peering.vnetId },
  };
  if (!peering.peerCompleteVnets) {
    writable.peerCompleteVnets = false;
    writable.localSubnetNames = peering.remoteSubnetNames;
    writable.remoteSubnetNames = peering.localSubnetNames;
  }
  return putPeering({ id: reversePeeringId(peering, remoteName, local?.name ?? nameOf(peering.vnetId)), writable });
}
