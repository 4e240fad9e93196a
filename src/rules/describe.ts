import { hash } from 'node:crypto';
import type { Prefix } from '../model/cidr';
import { isClassicVnetId, nameOf, parseResourceId, subscriptionOf } from '../model/ids';
import type { Gateway, GatewayKind, Peering, PeeringWritableProperties, Vnet } from '../model/types';
import type { ArmOperation } from './rule';

// Shared vocabulary for rules: how to name things in messages and how to write a peering.

/**
 * API version of Microsoft.Network used for every planned peering write: the one the
 * @azure/arm-network client sends (it always sends its own), so that the plan and the journal say
 * what goes on the wire. test/remediation/plan.test.ts fails when an SDK upgrade changes it.
 */
export const NETWORK_API_VERSION = '2025-05-01';

/**
 * A template literal built as one flat string. Concatenation (`+`, plain templates) leaves a long
 * text as a tree of its pieces, which held `transit-not-transitive`'s messages in 45% more memory:
 * for messages a rule makes tens of thousands of, kept until the report is written.
 */
export function flat(strings: TemplateStringsArray, ...values: ReadonlyArray<string | number>): string {
  const parts: Array<string | number> = [strings[0] as string];
  values.forEach((value, i) => parts.push(value, strings[i + 1] as string));
  return parts.join('');
}

/** `vnet-hub (subscription 1111…, rg-hub)`: names a VNet (read, or by id) so that a reader can find it. */
export function describeVnet(vnetOrId: Vnet | string): string {
  // A VNet carries its subscription and resource group; an id is parsed. Callers pass an id only
  // for a VNet that is not in the topology (a peering's unresolved remote), so it is not looked up.
  if (typeof vnetOrId !== 'string') return `VNet "${vnetOrId.name}" (${placeOf(vnetOrId.subscriptionId, vnetOrId.resourceGroup)})`;
  return `VNet "${nameOf(vnetOrId)}" (${placeOf(subscriptionOf(vnetOrId), parseResourceId(vnetOrId)?.resourceGroup)})`;
}

function placeOf(subscription: string | undefined, resourceGroup: string | undefined): string {
  return resourceGroup ? `subscription ${subscription || '?'}, ${resourceGroup}` : `subscription ${subscription || '?'}`;
}

/** `peering "a-to-b" from VNet "a" (…) to VNet "b" (…)` */
export function describePeering(peering: Peering): string {
  return `peering "${peering.name}" from ${describeVnet(peering.vnet)} to ${describeVnet(peering.remoteVnet ?? peering.remoteVnetId)}`;
}

/** The remote VNet's name: as read, else the last segment of the peering's remote id. */
export function remoteNameOf(peering: Peering): string {
  return peering.remoteVnet?.name ?? nameOf(peering.remoteVnetId);
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

/** Azure's limit on a peering's name (Microsoft.Network naming rules: 1-80 characters). */
const PEERING_NAME_MAX = 80;

/**
 * The id a reverse peering gets when peerguard creates it: `{remoteVnet}/virtualNetworkPeerings/{name}`.
 * The name is `{remote}-to-{local}` when that fits in 80 characters and no peering of the remote
 * VNet to another VNet already has it (a PUT there would repoint that peering: VNet names repeat
 * across resource groups and subscriptions, and truncation makes long names equal). Otherwise it is
 * that name cut short plus `-` and a hash of the local VNet's id: distinct per local VNet, and the
 * same on every run (the apply step recomputes the fix and compares it with the plan). Both forms
 * use only the characters of VNet names and end with one Azure allows at the end (alphanumeric or `_`).
 */
export function reversePeeringId(peering: Peering, remoteVnetName: string, localVnetName: string): string {
  const plain = `${remoteVnetName}-to-${localVnetName}`;
  const taken = (peering.remoteVnet?.peerings ?? []).some((p) => p.name.toLowerCase() === plain.toLowerCase() && p.remoteVnetKey !== peering.vnetKey);
  let name = plain;
  if (plain.length > PEERING_NAME_MAX || taken) {
    const suffix = `-${hash('sha256', peering.vnetKey, 'hex').slice(0, 8)}`;
    name = `${plain.slice(0, PEERING_NAME_MAX - suffix.length)}${suffix}`;
  }
  return `${peering.remoteVnetId}/virtualNetworkPeerings/${name}`;
}

/**
 * The reverse of `peering` with complementary flags: access as the existing side, forwarded
 * traffic mirrored, gateway transit offered by the side that has the gateway when the existing
 * side uses remote gateways, subnet names swapped and IPv6-only kept for subnet peering.
 */
export function reversePeeringOperation(peering: Peering): ArmOperation {
  const local = peering.vnet;
  const remote = peering.remoteVnet;
  const remoteName = remote?.name ?? nameOf(peering.remoteVnetId);
  const writable: PeeringWritableProperties = {
    allowVirtualNetworkAccess: peering.allowVirtualNetworkAccess,
    allowForwardedTraffic: peering.allowForwardedTraffic,
    // Offer transit only from a side that has a gateway to offer (an empty offer is itself a
    // finding); when the remote was not read, follow the local side's intent.
    allowGatewayTransit: peering.useRemoteGateways && (remote === undefined || hasGateway(remote)),
    useRemoteGateways: false,
    remoteVirtualNetwork: { id: peering.vnetId },
  };
  if (!peering.peerCompleteVnets) {
    writable.peerCompleteVnets = false;
    writable.localSubnetNames = peering.remoteSubnetNames;
    writable.remoteSubnetNames = peering.localSubnetNames;
  }
  // Both links of a subnet peering say whether it peers IPv6 only; a reverse without it would peer IPv4.
  if (peering.enableOnlyIPv6Peering) writable.enableOnlyIPv6Peering = true;
  return putPeering({ id: reversePeeringId(peering, remoteName, local.name), writable });
}

// -- peering lifecycle helpers --

/**
 * Whether the remote VNet's subscription was read but the VNet is absent from the input. Rules that
 * judge a pair leave such a peering alone: exactly one of peering-remote-vnet-missing and
 * peering-remote-out-of-scope reports it, as `remoteMayBeUnread` decides.
 */
export function isRemoteVnetMissing(peering: Peering): boolean {
  return peering.remoteInScope && peering.remoteVnet === undefined;
}

/**
 * Whether a missing remote VNet (`isRemoteVnetMissing`) may simply not have been read (Reader granted
 * per resource group, Resource Graph lag, a stale export) rather than deleted. Azure reports
 * Connected only while "both peering links exist and traffic can flow", and turns the link left
 * behind by a deletion Disconnected (virtual-network-troubleshoot-peering-issues#the-peering-status-is-disconnected):
 * a Connected peering's remote was not deleted. A peering without a state proves nothing either way.
 * Disconnected and Initiated (no traffic either way) are left to peering-remote-vnet-missing.
 */
export function remoteMayBeUnread(peering: Peering): boolean {
  return isRemoteVnetMissing(peering) && peering.peeringState !== 'Disconnected' && peering.peeringState !== 'Initiated';
}

/** Why a remote VNet was not read (see `unreadRemoteReason`). */
export type UnreadRemoteReason = 'subscription-not-read' | 'classic-vnet' | 'vnet-not-read';

/**
 * Why a peering's remote VNet was not read, or undefined when it was read (or is missing:
 * peering-remote-vnet-missing): absent from a read subscription but not shown deleted
 * (`remoteMayBeUnread`), a classic VNet (never read), or in a subscription that was not read.
 * peering-remote-out-of-scope reports these peerings, and coverage.outOfScope counts them.
 */
export function unreadRemoteReason(peering: Peering): UnreadRemoteReason | undefined {
  if (remoteMayBeUnread(peering)) return 'vnet-not-read';
  if (peering.remoteInScope) return undefined;
  return isClassicVnetId(peering.remoteVnetId) ? 'classic-vnet' : 'subscription-not-read';
}

/** `10.0.0.0/16, 2001:db8::/64`: prefixes as written in the input, for messages. */
export function formatPrefixes(prefixes: readonly Prefix[]): string {
  return prefixes.length === 0 ? '(none)' : prefixes.map((p) => p.text).join(', ');
}

/** The prefixes of `vnet`'s subnets named in `names` (subnet names match case-insensitively). */
export function subnetPrefixes(vnet: Vnet, names: readonly string[]): Prefix[] {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  return vnet.subnets.filter((s) => wanted.has(s.name.toLowerCase())).flatMap((s) => s.prefixes);
}

/**
 * The remote VNet's current address space: its prefixes when it was read (and has any), else the
 * peering's `remoteVirtualNetworkAddressSpace`; undefined when neither is known.
 */
export function remoteCurrentSpace(peering: Peering): Prefix[] | undefined {
  const remote = peering.remoteVnet;
  return remote && remote.prefixes.length > 0 ? remote.prefixes : peering.remoteVirtualNetworkAddressSpace;
}

/**
 * The local prefixes a peering connects: the VNet's address space, or for subnet peering
 * (`peerCompleteVnets: false`) the prefixes of its `localSubnetNames`. Empty when unknown.
 */
export function peeredLocalPrefixes(peering: Peering): Prefix[] {
  const local = peering.vnet;
  return peering.peerCompleteVnets ? local.prefixes : subnetPrefixes(local, peering.localSubnetNames);
}

/**
 * The remote prefixes a peering connects: the remote VNet's space (or its `remoteSubnetNames'`
 * subnets) when it was read, else what the peering recorded; of an IPv6-only peering
 * (`enableOnlyIPv6Peering`), the IPv6 ones. Empty when unknown.
 */
export function peeredRemotePrefixes(peering: Peering): Prefix[] {
  return peeredFamilies(peering, remotePrefixesOf(peering));
}

function remotePrefixesOf(peering: Peering): Prefix[] {
  const remote = peering.remoteVnet;
  if (peering.peerCompleteVnets) return remoteCurrentSpace(peering) ?? peering.remoteAddressSpace ?? [];
  // Subnet peering: `remoteAddressSpace` holds the peered subnets' prefixes only.
  if (remote && remote.subnets.length > 0) return subnetPrefixes(remote, peering.remoteSubnetNames);
  return peering.remoteAddressSpace ?? peering.remoteVirtualNetworkAddressSpace ?? [];
}

/** Of `prefixes`, those of the IP versions `peering` connects: an IPv6-only peering (`enableOnlyIPv6Peering`) connects IPv6 only. */
export function peeredFamilies(peering: Peering, prefixes: Prefix[]): Prefix[] {
  return peering.enableOnlyIPv6Peering ? prefixes.filter((p) => p.version === 6) : prefixes;
}

// -- gateway transit helpers --

/**
 * Whether a VNet's own resource was read, so that its gateways and peerings are known: not only a
 * VNet inferred from a peering's or subnet's id. A read VNet has a location (ARM GET and Resource
 * Graph always return it) or subnets; a gateway attached to it also proves it was seen.
 */
export function isVnetRead(vnet: Vnet | undefined): vnet is Vnet {
  return vnet !== undefined && (vnet.location !== undefined || vnet.subnets.length > 0 || vnet.gateways.length > 0);
}

/** A VNet's peerings that set `useRemoteGateways` (Azure allows one per VNet). */
export function remoteGatewayPeerings(vnet: Vnet): Peering[] {
  return vnet.peerings.filter((p) => p.useRemoteGateways);
}

const GATEWAY_KIND_NAMES: Record<GatewayKind, string> = {
  Vpn: 'VPN gateway',
  ExpressRoute: 'ExpressRoute gateway',
  RouteServer: 'Route Server',
  Unknown: 'gateway',
};

/** `VPN gateway "gw-hub" (SKU VpnGw1)`, `Route Server "rs-hub"`. */
export function describeGateway(gateway: Gateway): string {
  return `${GATEWAY_KIND_NAMES[gateway.kind]} "${gateway.name}"${gateway.sku ? ` (SKU ${gateway.sku})` : ''}`;
}

/** The VNet's gateways, for messages: `VPN gateway "a" (SKU VpnGw1), Route Server "b"`. */
export function describeGateways(vnet: Vnet): string {
  return vnet.gateways.map(describeGateway).join(', ');
}

/**
 * Whether a VPN or ExpressRoute gateway has the Basic SKU (legacy for ExpressRoute; still possible
 * for VPN). Gateway transit "can be used with all VPN Gateway SKUs except the Basic SKU"
 * (articles/vpn-gateway/vpn-gateway-peering-gateway-transit.md). Route Servers have no such SKU.
 */
export function isBasicSkuGateway(gateway: Gateway): boolean {
  return gateway.kind !== 'RouteServer' && gateway.sku?.toLowerCase() === 'basic';
}

/** `"a", "b", "c" and 4 more`: names for a message, bounded so that a message stays a sentence. */
export function listNames(names: readonly string[], max = 5): string {
  const shown = names.slice(0, max).map((n) => `"${n}"`).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}
