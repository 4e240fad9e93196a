import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RawResource } from '../src/model/snapshot';

// A seeded, deterministic synthetic estate in Azure's own JSON: regional hubs with gateways and
// firewalls (some near the 500-peering limit), spokes peered to their hub and to a few siblings,
// route tables through the hub firewall, and a controlled share of every kind of break.

export interface EstateOptions {
  vnets: number;
  seed?: number;
  /** Share of spokes given a break (one of the catalog's kinds), e.g. 0.02. */
  faultShare?: number;
  vnetsPerSubscription?: number;
  /** Direct spoke-to-spoke links per spoke, on average (peerings per VNet ≈ 2 × (1 + this)). */
  siblingLinks?: number;
}

export interface GeneratedSubscription {
  subscriptionId: string;
  resources: RawResource[];
}

const REGIONS = ['westeurope', 'northeurope', 'eastus2', 'southeastasia', 'australiaeast', 'brazilsouth'];
const FAULTS = [
  'one-sided',
  'disconnected',
  'out-of-sync',
  'transit-not-allowed',
  'remote-missing',
  'access-asymmetric',
  'forwarded-blocked',
  'next-hop-unreachable',
  'provisioning-failed',
  'overlap',
] as const;
export type FaultKind = (typeof FAULTS)[number];

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const subId = (i: number) => `${(0x10000000 + i).toString(16)}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
const ipOf = (n: number) => `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

interface VnetDraft {
  resource: RawResource & { properties: { virtualNetworkPeerings: RawResource[]; subnets: RawResource[]; addressSpace: { addressPrefixes: string[] } } };
  subscriptionId: string;
  hubIndex: number;
  isHub: boolean;
  prefix: string;
  firewallIp?: string;
}

function vnetResource(subscriptionId: string, rg: string, name: string, location: string, prefixes: string[]): VnetDraft['resource'] {
  const id = `/subscriptions/${subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworks/${name}`;
  return {
    id,
    name,
    type: 'Microsoft.Network/virtualNetworks',
    location,
    tags: {},
    properties: { addressSpace: { addressPrefixes: prefixes }, subnets: [], virtualNetworkPeerings: [] },
  };
}

function peering(from: VnetDraft, to: VnetDraft, flags: Record<string, unknown> = {}): RawResource {
  const name = `${from.resource.name}-to-${to.resource.name}`;
  return {
    id: `${from.resource.id}/virtualNetworkPeerings/${name}`,
    name,
    type: 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings',
    properties: {
      peeringState: 'Connected',
      peeringSyncLevel: 'FullyInSync',
      provisioningState: 'Succeeded',
      remoteVirtualNetwork: { id: to.resource.id },
      allowVirtualNetworkAccess: true,
      allowForwardedTraffic: true,
      allowGatewayTransit: false,
      useRemoteGateways: false,
      remoteAddressSpace: { addressPrefixes: to.resource.properties.addressSpace.addressPrefixes },
      remoteVirtualNetworkAddressSpace: { addressPrefixes: to.resource.properties.addressSpace.addressPrefixes },
      ...flags,
    },
  };
}

export function generateEstate(options: EstateOptions): { subscriptions: GeneratedSubscription[]; faults: Map<FaultKind, number> } {
  const random = mulberry32(options.seed ?? 42);
  const perSubscription = options.vnetsPerSubscription ?? 25;
  const faultShare = options.faultShare ?? 0.02;
  const siblingLinks = options.siblingLinks ?? 1.5;
  const hubCount = Math.max(1, Math.round(options.vnets / 120));
  const spokeCount = options.vnets - hubCount;
  const faults = new Map<FaultKind, number>(FAULTS.map((f) => [f, 0]));
  const extra = new Map<string, RawResource[]>();
  const addExtra = (sub: string, r: RawResource) => extra.set(sub, [...(extra.get(sub) ?? []), r]);

  // Hubs: in the first subscriptions (the connectivity ones), a /22 each in 172.16.0.0/12.
  const hubs: VnetDraft[] = [];
  for (let h = 0; h < hubCount; h += 1) {
    const sub = subId(Math.floor(h / 10));
    const location = REGIONS[h % REGIONS.length] as string;
    const base = (172 << 24) | (16 << 16) | (h << 10);
    const prefix = `${ipOf(base)}/22`;
    const resource = vnetResource(sub, `rg-hub-${h}`, `vnet-hub-${h}`, location, [prefix]);
    resource.properties.subnets.push(
      { id: `${resource.id}/subnets/GatewaySubnet`, name: 'GatewaySubnet', properties: { addressPrefix: `${ipOf(base)}/27` } },
      { id: `${resource.id}/subnets/AzureFirewallSubnet`, name: 'AzureFirewallSubnet', properties: { addressPrefix: `${ipOf(base + 256)}/26` } },
    );
    const firewallIp = ipOf(base + 260);
    hubs.push({ resource, subscriptionId: sub, hubIndex: h, isHub: true, prefix, firewallIp });
    const rg = `/subscriptions/${sub}/resourceGroups/rg-hub-${h}/providers/Microsoft.Network`;
    addExtra(sub, {
      id: `${rg}/virtualNetworkGateways/vgw-hub-${h}`,
      name: `vgw-hub-${h}`,
      type: 'Microsoft.Network/virtualNetworkGateways',
      location,
      properties: {
        gatewayType: h % 3 === 0 ? 'ExpressRoute' : 'Vpn',
        sku: { name: h % 3 === 0 ? 'ErGw1AZ' : 'VpnGw2AZ' },
        ipConfigurations: [{ properties: { subnet: { id: `${resource.id}/subnets/GatewaySubnet` } } }],
      },
    });
    addExtra(sub, {
      id: `${rg}/azureFirewalls/afw-hub-${h}`,
      name: `afw-hub-${h}`,
      type: 'Microsoft.Network/azureFirewalls',
      location,
      properties: { ipConfigurations: [{ properties: { privateIPAddress: firewallIp, subnet: { id: `${resource.id}/subnets/AzureFirewallSubnet` } } }] },
    });
  }

  // Hub sizes: a few hubs near the 500-peering limit, the rest share the remaining spokes.
  const hubOfSpoke: number[] = [];
  const nearLimit = Math.min(hubCount, Math.floor(spokeCount / 480 / 3));
  let next = 0;
  for (let h = 0; h < nearLimit; h += 1) for (let k = 0; k < 460 + Math.floor(random() * 30) && next < spokeCount; k += 1) hubOfSpoke[next++] = h;
  for (; next < spokeCount; next += 1) hubOfSpoke[next] = nearLimit + Math.floor(random() * Math.max(1, hubCount - nearLimit));

  const spokes: VnetDraft[] = [];
  const spokesOfHub = new Map<number, VnetDraft[]>();
  for (let s = 0; s < spokeCount; s += 1) {
    const hubIndex = Math.min(hubOfSpoke[s] as number, hubCount - 1);
    const hub = hubs[hubIndex] as VnetDraft;
    const sub = subId(Math.ceil(hubCount / 10) + Math.floor(s / perSubscription));
    const base = (10 << 24) | (s << 8); // a /24 each in 10.0.0.0/8 (65,536 of them)
    const prefix = `${ipOf(base)}/24`;
    const resource = vnetResource(sub, `rg-spoke-${s}`, `vnet-spoke-${s}`, hub.resource.location as string, [prefix]);
    const draft: VnetDraft = { resource, subscriptionId: sub, hubIndex, isHub: false, prefix };
    resource.properties.subnets.push({ id: `${resource.id}/subnets/snet-app`, name: 'snet-app', properties: { addressPrefix: `${ipOf(base)}/25` } });
    spokes.push(draft);
    spokesOfHub.set(hubIndex, [...(spokesOfHub.get(hubIndex) ?? []), draft]);
  }

  for (const [hubIndex, members] of spokesOfHub) {
    const hub = hubs[hubIndex] as VnetDraft;
    members.forEach((spoke, i) => {
      const fault: FaultKind | undefined = random() < faultShare ? FAULTS[Math.floor(random() * FAULTS.length)] : undefined;
      if (fault) faults.set(fault, (faults.get(fault) ?? 0) + 1);
      const spokeFlags: Record<string, unknown> = { useRemoteGateways: true };
      const hubFlags: Record<string, unknown> = { allowGatewayTransit: true };
      if (fault === 'transit-not-allowed') hubFlags.allowGatewayTransit = false;
      if (fault === 'access-asymmetric') spokeFlags.allowVirtualNetworkAccess = false;
      if (fault === 'forwarded-blocked') spokeFlags.allowForwardedTraffic = false;
      if (fault === 'provisioning-failed') hubFlags.provisioningState = 'Failed';
      if (fault === 'out-of-sync') {
        spoke.resource.properties.addressSpace.addressPrefixes.push(`100.${64 + (i % 64)}.${Math.floor(i / 64) % 256}.0/24`);
        hubFlags.peeringSyncLevel = 'LocalNotInSync';
        spokeFlags.peeringSyncLevel = 'RemoteNotInSync';
      }
      if (fault === 'overlap') spoke.resource.properties.addressSpace.addressPrefixes.push(hub.prefix.replace('/22', '/28'));
      if (fault === 'remote-missing') {
        // The hub keeps a peering to a spoke that was deleted: the spoke is not in the export.
        spoke.resource.properties.virtualNetworkPeerings.length = 0;
        hub.resource.properties.virtualNetworkPeerings.push(peering(hub, spoke, { ...hubFlags, peeringState: 'Disconnected' }));
        spoke.resource.id = `${spoke.resource.id}-deleted`;
        return;
      }
      if (fault !== 'one-sided') hub.resource.properties.virtualNetworkPeerings.push(peering(hub, spoke, hubFlags));
      spoke.resource.properties.virtualNetworkPeerings.push(
        peering(spoke, hub, {
          ...spokeFlags,
          ...(fault === 'one-sided' ? { peeringState: 'Initiated' } : {}),
          ...(fault === 'disconnected' ? { peeringState: 'Disconnected' } : {}),
        }),
      );
      if (fault === 'disconnected') hub.resource.properties.virtualNetworkPeerings.pop();

      // Most spokes route everything through the hub firewall; a few point at an address nobody holds.
      if (random() < 0.6 || fault === 'next-hop-unreachable') {
        const rtId = `/subscriptions/${spoke.subscriptionId}/resourceGroups/${(spoke.resource.id.split('/')[4] as string)}/providers/Microsoft.Network/routeTables/rt-${spoke.resource.name}`;
        const nextHop = fault === 'next-hop-unreachable' ? '192.168.255.4' : hub.firewallIp;
        addExtra(spoke.subscriptionId, {
          id: rtId,
          name: `rt-${spoke.resource.name}`,
          type: 'Microsoft.Network/routeTables',
          location: spoke.resource.location as string,
          properties: {
            routes: [{ id: `${rtId}/routes/default`, name: 'default', properties: { addressPrefix: '0.0.0.0/0', nextHopType: 'VirtualAppliance', nextHopIpAddress: nextHop } }],
            subnets: [{ id: `${spoke.resource.id}/subnets/snet-app` }],
          },
        });
      }

      // A few direct links to siblings of the same hub (both directions, healthy).
      const links = Math.floor(siblingLinks) + (random() < siblingLinks % 1 ? 1 : 0);
      for (let k = 1; k <= links && i + k < members.length; k += 1) {
        const sibling = members[i + k] as VnetDraft;
        spoke.resource.properties.virtualNetworkPeerings.push(peering(spoke, sibling));
        sibling.resource.properties.virtualNetworkPeerings.push(peering(sibling, spoke));
      }
    });
  }

  const bySubscription = new Map<string, RawResource[]>();
  for (const v of [...hubs, ...spokes]) {
    if (v.resource.id.endsWith('-deleted')) continue;
    bySubscription.set(v.subscriptionId, [...(bySubscription.get(v.subscriptionId) ?? []), v.resource]);
  }
  for (const [sub, resources] of extra) bySubscription.set(sub, [...(bySubscription.get(sub) ?? []), ...resources]);
  return {
    subscriptions: [...bySubscription].map(([subscriptionId, resources]) => ({ subscriptionId, resources })),
    faults,
  };
}

/** Writes one Resource Graph-shaped file per subscription; returns the bytes written. */
export function writeEstate(dir: string, subscriptions: readonly GeneratedSubscription[]): number {
  mkdirSync(dir, { recursive: true });
  let bytes = 0;
  for (const { subscriptionId, resources } of subscriptions) {
    const text = JSON.stringify({ count: resources.length, data: resources });
    bytes += Buffer.byteLength(text);
    writeFileSync(join(dir, `${subscriptionId}.json`), text);
  }
  return bytes;
}
