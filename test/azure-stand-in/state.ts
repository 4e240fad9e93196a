import { randomUUID } from 'node:crypto';

// The stand-in's Azure: resources keyed by lower-cased id, peerings kept apart from their VNets
// (GET on a VNet assembles them inline, as ARM does), subscriptions, management groups, sent mail.
// Writes follow Azure's peering semantics: the reverse link flips both sides to Connected,
// deleting one side leaves the other Disconnected, a sync copies the remote's current space.

export type Json = Record<string, unknown>;

export interface StoredResource {
  id: string;
  name: string;
  type: string;
  location?: string;
  tags?: Record<string, string>;
  etag: string;
  sku?: unknown;
  properties: Json;
  [key: string]: unknown;
}

export interface SubscriptionInfo {
  subscriptionId: string;
  displayName: string;
  tenantId: string;
  state: 'Enabled' | 'Disabled' | 'Warned';
}

export interface SentEmail {
  /** The operation id (the SDK's `operationId` option, or a generated UUID). */
  id: string;
  senderAddress: string;
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  plainText?: string;
  html?: string;
  attachments: Array<{ name: string; contentType: string; contentInBase64: string }>;
  /** The message body exactly as posted. */
  raw: Json;
  receivedAt: Date;
  /** How the request authenticated: `hmac` (connection string / access key) or `bearer` (identity). */
  auth: 'hmac' | 'bearer';
}

export const TYPES = {
  vnet: 'microsoft.network/virtualnetworks',
  peering: 'microsoft.network/virtualnetworks/virtualnetworkpeerings',
} as const;

const PEERING_TYPE = 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings';
const TENANT = '72f988bf-0000-0000-0000-standintenant';

export const keyOf = (id: string): string => id.trim().replace(/\/+$/, '').toLowerCase();
export const newEtag = (): string => `W/"${randomUUID()}"`;
export const subscriptionOf = (id: string): string | undefined => /^\/subscriptions\/([^/]+)/i.exec(id)?.[1]?.toLowerCase();

/** `/subscriptions/s/resourceGroups/rg/providers/Ns/type/name[/child/name]` → lower-cased type chain. */
export function typeOfId(id: string): string | undefined {
  const parts = id.replace(/\/+$/, '').split('/');
  const p = parts.findIndex((x) => x.toLowerCase() === 'providers');
  if (p < 0) return undefined;
  const rest = parts.slice(p + 1);
  const segments = [rest[0], ...rest.slice(1).filter((_, i) => i % 2 === 0)];
  return segments.join('/').toLowerCase();
}

function resourceGroupOf(id: string): string | undefined {
  return /\/resourceGroups\/([^/]+)/i.exec(id)?.[1];
}

const lastSegment = (id: string): string => id.slice(id.replace(/\/+$/, '').lastIndexOf('/') + 1);
const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const clone = <T>(v: T): T => structuredClone(v);

export class StateError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class StandInState {
  /** Non-peering resources (VNets without their peerings inline), by lower-cased id. */
  readonly resources = new Map<string, StoredResource>();
  /** Peerings by lower-cased id. */
  readonly peerings = new Map<string, StoredResource>();
  /** Lower-cased VNet id → lower-cased ids of its peerings. */
  private readonly peeringIndex = new Map<string, Set<string>>();
  readonly subscriptions = new Map<string, SubscriptionInfo>();
  /** Management group id → lower-cased subscription ids under it (directly or below). */
  readonly managementGroups = new Map<string, Set<string>>();
  /** Lower-cased management group id → the group it sits in (a group absent here sits under no other group of the stand-in). */
  readonly managementGroupParents = new Map<string, string>();
  /** Mail accepted by `POST /emails:send`, in arrival order. */
  readonly emails: SentEmail[] = [];

  constructor(
    seed: readonly unknown[] = [],
    options: { subscriptions?: readonly string[]; managementGroups?: Record<string, readonly string[]>; managementGroupParents?: Record<string, string> } = {},
  ) {
    for (const r of seed) this.seed(r);
    for (const s of options.subscriptions ?? []) this.addSubscription(s);
    for (const [mg, subs] of Object.entries(options.managementGroups ?? {})) {
      this.managementGroups.set(mg.toLowerCase(), new Set(subs.map((s) => s.toLowerCase())));
      for (const s of subs) this.addSubscription(s);
    }
    for (const [child, parent] of Object.entries(options.managementGroupParents ?? {})) {
      for (const g of [child, parent]) if (!this.managementGroups.has(g.toLowerCase())) this.managementGroups.set(g.toLowerCase(), new Set());
      this.managementGroupParents.set(child.toLowerCase(), parent.toLowerCase());
    }
    // A group holds its child groups' subscriptions too (Resource Graph's management-group scope reads them all).
    for (const [group, subs] of this.managementGroups) {
      for (let up = this.managementGroupParents.get(group), hops = 0; up && hops < 10; up = this.managementGroupParents.get(up), hops += 1) {
        for (const s of subs) this.managementGroups.get(up)?.add(s);
      }
    }
  }

  /** The management groups below `group` (children, theirs, ...), nearest first. */
  managementGroupsBelow(group: string): string[] {
    const below: string[] = [];
    for (let level = [group.toLowerCase()]; level.length > 0 && below.length < 10_000; ) {
      level = [...this.managementGroupParents].filter(([, parent]) => level.includes(parent)).map(([child]) => child).sort();
      below.push(...level);
    }
    return below;
  }

  /** The group of `group` and those below it that holds `subscriptionId` directly (the deepest one that holds it). */
  managementGroupHolding(group: string, subscriptionId: string): string {
    const depth = (g: string): number => {
      let d = 0;
      for (let up = this.managementGroupParents.get(g); up && d < 10; up = this.managementGroupParents.get(up)) d += 1;
      return d;
    };
    const holders = [group.toLowerCase(), ...this.managementGroupsBelow(group)].filter((g) => this.managementGroups.get(g)?.has(subscriptionId.toLowerCase()));
    return holders.reduce((deepest, g) => (depth(g) > depth(deepest) ? g : deepest), group.toLowerCase());
  }

  addSubscription(subscriptionId: string, displayName?: string): void {
    const key = subscriptionId.toLowerCase();
    if (!this.subscriptions.has(key)) {
      this.subscriptions.set(key, { subscriptionId: key, displayName: displayName ?? `sub-${key.slice(0, 8)}`, tenantId: TENANT, state: 'Enabled' });
    }
  }

  /** Adds one resource as ARM GET returns it (a VNet's inline peerings become peering resources). */
  seed(raw: unknown): void {
    const r = obj(raw);
    if (!r || typeof r.id !== 'string') throw new Error('stand-in seed: every resource needs an "id"');
    const id = r.id;
    const type = (typeof r.type === 'string' ? r.type : typeOfId(id)) ?? 'unknown';
    const sub = subscriptionOf(id);
    if (sub) this.addSubscription(sub);
    const stored: StoredResource = {
      ...clone(r),
      id,
      name: typeof r.name === 'string' ? r.name : lastSegment(id),
      type,
      etag: typeof r.etag === 'string' ? r.etag : newEtag(),
      properties: clone(obj(r.properties) ?? {}),
    };
    if (type.toLowerCase() === TYPES.peering) {
      this.setPeering(stored);
      return;
    }
    if (type.toLowerCase() === TYPES.vnet) {
      const inline = Array.isArray(stored.properties.virtualNetworkPeerings) ? stored.properties.virtualNetworkPeerings : [];
      delete stored.properties.virtualNetworkPeerings;
      for (const p of inline) {
        const po = obj(p);
        if (po && typeof po.id === 'string') this.seed({ type: PEERING_TYPE, ...po });
      }
    }
    this.resources.set(keyOf(id), stored);
  }

  /** Resource Graph's view while it lags (`lagGraph`): the estate as it was then. */
  private graphSnapshot: StoredResource[] | undefined;

  /**
   * How Resource Graph answers a result longer than the page asked for: `none` pages it
   * ($skipToken); `flagged` answers the first page alone, `resultTruncated: "true"` and no
   * $skipToken, as Resource Graph does with a result it cannot page (a query without an `id`
   * column); `silent` the same with `resultTruncated: "false"`, so that only `totalRecords` tells.
   * A fault for tests: set it back to `none` after.
   */
  graphTruncation: 'none' | 'flagged' | 'silent' = 'none';

  /** Every resource as ARM GET would return it (VNets with peerings inline), in id order. */
  all(): StoredResource[] {
    return [...this.resources.keys()].sort().map((k) => this.get(k) as StoredResource);
  }

  /** What Resource Graph answers from: the estate now, or as it was at `lagGraph()`. */
  graphView(): StoredResource[] {
    return this.graphSnapshot ?? this.all();
  }

  /** Resource Graph stops seeing changes (it lags ARM) until `catchUpGraph()`; ARM keeps answering the present. */
  lagGraph(): void {
    this.graphSnapshot = this.all();
  }

  catchUpGraph(): void {
    this.graphSnapshot = undefined;
  }

  get(id: string): StoredResource | undefined {
    const key = keyOf(id);
    const peering = this.peerings.get(key);
    if (peering) return clone(peering);
    const r = this.resources.get(key);
    if (!r) return undefined;
    const copy = clone(r);
    if (r.type.toLowerCase() === TYPES.vnet) copy.properties.virtualNetworkPeerings = this.peeringsOf(r.id);
    return copy;
  }

  peeringsOf(vnetId: string): StoredResource[] {
    return [...(this.peeringIndex.get(keyOf(vnetId)) ?? [])]
      .sort()
      .map((k) => clone(this.peerings.get(k) as StoredResource));
  }

  private setPeering(peering: StoredResource): void {
    const key = keyOf(peering.id);
    this.peerings.set(key, peering);
    const vnet = key.replace(/\/virtualnetworkpeerings\/[^/]+$/, '');
    if (!this.peeringIndex.has(vnet)) this.peeringIndex.set(vnet, new Set());
    this.peeringIndex.get(vnet)?.add(key);
  }

  private removePeering(id: string): void {
    const key = keyOf(id);
    this.peerings.delete(key);
    this.peeringIndex.get(key.replace(/\/virtualnetworkpeerings\/[^/]+$/, ''))?.delete(key);
  }

  /** Mutate a stored resource in place (tests: e.g. change a VNet's address space "behind ARM's back"). */
  raw(id: string): StoredResource | undefined {
    return this.peerings.get(keyOf(id)) ?? this.resources.get(keyOf(id));
  }

  private spaceOf(vnetId: string): string[] | undefined {
    const v = this.resources.get(keyOf(vnetId));
    const list = obj(v?.properties.addressSpace)?.addressPrefixes;
    return Array.isArray(list) ? list.map(String) : undefined;
  }

  private reverseOf(peering: StoredResource): StoredResource | undefined {
    const remote = obj(peering.properties.remoteVirtualNetwork)?.id;
    if (typeof remote !== 'string') return undefined;
    const localVnet = keyOf(peering.id).replace(/\/virtualnetworkpeerings\/[^/]+$/, '');
    return this.peeringsOf(remote)
      .map((p) => this.peerings.get(keyOf(p.id)) as StoredResource)
      .find((p) => keyOf(String(obj(p.properties.remoteVirtualNetwork)?.id ?? '')) === localVnet);
  }

  /**
   * Azure's labels, from the link's point of view (Azure PowerShell's recorded
   * Test-VirtualNetworkPeeringSync: after VNet1's space changes, VNet1's link says RemoteNotInSync
   * and VNet2's link, whose copy of VNet1's space is stale, says LocalNotInSync; syncing VNet2's
   * link makes both FullyInSync): Local = this link's copy of the remote's space is stale, Remote =
   * the reverse link's copy of this VNet's space is.
   */
  private recomputeSync(peering: StoredResource): void {
    const remote = String(obj(peering.properties.remoteVirtualNetwork)?.id ?? '');
    const localVnet = peering.id.replace(/\/virtualNetworkPeerings\/[^/]+$/i, '');
    const same = (a: unknown, b: string[] | undefined) =>
      b === undefined || JSON.stringify([...(Array.isArray(obj(a)?.addressPrefixes) ? (obj(a)?.addressPrefixes as string[]) : [])].sort()) === JSON.stringify([...b].sort());
    const reverse = this.reverseOf(peering);
    const copyCurrent = same(peering.properties.remoteAddressSpace, this.spaceOf(remote));
    const reverseCopyCurrent = !reverse || same(reverse.properties.remoteAddressSpace, this.spaceOf(localVnet));
    peering.properties.peeringSyncLevel =
      copyCurrent && reverseCopyCurrent ? 'FullyInSync' : copyCurrent ? 'RemoteNotInSync' : reverseCopyCurrent ? 'LocalNotInSync' : 'LocalAndRemoteNotInSync';
  }

  /** PUT a peering. Returns whether it was created. Throws StateError for Azure's refusals. */
  putPeering(id: string, body: Json, options: { syncRemoteAddressSpace: boolean }): { created: boolean; resource: StoredResource } {
    const key = keyOf(id);
    const vnetId = id.replace(/\/virtualNetworkPeerings\/[^/]+$/i, '');
    const vnet = this.resources.get(keyOf(vnetId));
    if (!vnet) throw new StateError(404, 'ResourceNotFound', `The Resource 'Microsoft.Network/virtualNetworks/${lastSegment(vnetId)}' was not found.`);
    const props = clone(obj(body.properties) ?? {});
    const remoteId = obj(props.remoteVirtualNetwork)?.id;
    if (typeof remoteId !== 'string') throw new StateError(400, 'InvalidRequestFormat', 'properties.remoteVirtualNetwork.id is required.');
    const remoteSub = subscriptionOf(remoteId);
    const remoteVnet = this.resources.get(keyOf(remoteId));
    if (!remoteVnet && remoteSub && this.subscriptions.has(remoteSub)) {
      throw new StateError(400, 'InvalidResourceReference', `Resource ${remoteId} referenced by resource ${id} was not found.`);
    }
    const existing = this.peerings.get(key);
    const remoteSpace = this.spaceOf(remoteId);
    const localSpace = this.spaceOf(vnetId);
    const next: StoredResource = {
      name: lastSegment(id),
      type: PEERING_TYPE,
      ...(existing ? clone(existing) : {}),
      id: existing?.id ?? id,
      etag: newEtag(),
      properties: {
        ...(existing ? clone(existing.properties) : { resourceGuid: randomUUID() }),
        allowVirtualNetworkAccess: true,
        allowForwardedTraffic: false,
        allowGatewayTransit: false,
        useRemoteGateways: false,
        ...props,
        provisioningState: 'Succeeded',
      },
    };
    delete next.properties.peeringState;
    delete next.properties.peeringSyncLevel;
    if (!existing || options.syncRemoteAddressSpace) {
      if (remoteSpace) {
        next.properties.remoteAddressSpace = { addressPrefixes: [...remoteSpace] };
        next.properties.remoteVirtualNetworkAddressSpace = { addressPrefixes: [...remoteSpace] };
      }
      if (localSpace) {
        next.properties.localAddressSpace = { addressPrefixes: [...localSpace] };
        next.properties.localVirtualNetworkAddressSpace = { addressPrefixes: [...localSpace] };
      }
    }
    const reverse = this.reverseOf(next);
    if (!existing) {
      if (reverse?.properties.peeringState === 'Disconnected') {
        throw new StateError(
          400,
          'RemotePeeringIsDisconnected',
          `Cannot create or update peering ${id} because the remote peering ${reverse.id} is in Disconnected state. Delete and re-create the remote peering.`,
        );
      }
      next.properties.peeringState = reverse ? 'Connected' : 'Initiated';
      if (reverse) {
        reverse.properties.peeringState = 'Connected';
        reverse.etag = newEtag();
      }
    } else {
      next.properties.peeringState = existing.properties.peeringState ?? (reverse ? 'Connected' : 'Initiated');
    }
    this.setPeering(next);
    this.recomputeSync(next);
    if (reverse) this.recomputeSync(reverse);
    return { created: !existing, resource: clone(next) };
  }

  deletePeering(id: string): boolean {
    const key = keyOf(id);
    const existing = this.peerings.get(key);
    if (!existing) return false;
    this.removePeering(key);
    const reverse = this.reverseOf(existing);
    if (reverse && reverse.properties.peeringState === 'Connected') {
      reverse.properties.peeringState = 'Disconnected';
      reverse.etag = newEtag();
    }
    return true;
  }

  /** PUT of any other resource (a VNet keeps its peerings; an address change marks them out of sync). */
  putResource(id: string, body: Json): { created: boolean; resource: StoredResource } {
    const key = keyOf(id);
    const existing = this.resources.get(key);
    const type = existing?.type ?? (typeof body.type === 'string' ? body.type : undefined) ?? typeOfId(id) ?? 'unknown';
    const props = clone(obj(body.properties) ?? {});
    delete props.virtualNetworkPeerings;
    const next: StoredResource = {
      ...(existing ? clone(existing) : {}),
      ...clone(body),
      id: existing?.id ?? id,
      name: lastSegment(id),
      type: existing?.type ?? canonicalType(type),
      etag: newEtag(),
      properties: { ...props, provisioningState: 'Succeeded' },
    };
    const sub = subscriptionOf(id);
    if (sub) this.addSubscription(sub);
    this.resources.set(key, next);
    if (type.toLowerCase() === TYPES.vnet) {
      this.syncRouteTables(id);
      const space = this.spaceOf(id);
      for (const p of this.peeringsOf(id)) {
        const stored = this.peerings.get(keyOf(p.id)) as StoredResource;
        if (space) stored.properties.localVirtualNetworkAddressSpace = { addressPrefixes: [...space] };
        this.recomputeSync(stored);
        const reverse = this.reverseOf(stored);
        if (reverse) {
          if (space) reverse.properties.remoteVirtualNetworkAddressSpace = { addressPrefixes: [...space] };
          this.recomputeSync(reverse);
        }
      }
    }
    return { created: !existing, resource: this.get(id) as StoredResource };
  }

  /** ARM records a subnet's route table on both sides: the table's `subnets` follow the VNet's subnets. */
  private syncRouteTables(vnetId: string): void {
    const prefix = `${keyOf(vnetId)}/subnets/`;
    const subnets = (this.resources.get(keyOf(vnetId))?.properties.subnets ?? []) as Json[];
    for (const table of this.resources.values()) {
      if (table.type.toLowerCase() !== 'microsoft.network/routetables') continue;
      const others = ((table.properties.subnets ?? []) as Json[]).filter((s) => !keyOf(String(s.id ?? '')).startsWith(prefix));
      const mine = subnets.filter((s) => keyOf(String(obj(obj(s.properties)?.routeTable)?.id ?? '')) === keyOf(table.id)).map((s) => ({ id: s.id }));
      table.properties.subnets = [...others, ...mine];
    }
  }

  deleteResource(id: string): boolean {
    const key = keyOf(id);
    const existing = this.resources.get(key);
    if (!existing) return false;
    if (existing.type.toLowerCase() === TYPES.vnet) for (const p of this.peeringsOf(id)) this.deletePeering(p.id);
    this.resources.delete(key);
    this.releaseSubnets(key);
    return true;
  }

  /** A deleted gateway, firewall, Route Server or NIC leaves the subnets it sat in, as in ARM. */
  private releaseSubnets(resourceKey: string): void {
    for (const vnet of this.resources.values()) {
      if (vnet.type.toLowerCase() !== TYPES.vnet) continue;
      for (const subnet of (vnet.properties.subnets ?? []) as Json[]) {
        const props = obj(subnet.properties);
        if (!props || !Array.isArray(props.ipConfigurations)) continue;
        props.ipConfigurations = props.ipConfigurations.filter((c) => !keyOf(String(obj(c)?.id ?? '')).startsWith(`${resourceKey}/`));
      }
    }
  }
}

function canonicalType(type: string): string {
  const known: Record<string, string> = {
    'microsoft.network/virtualnetworks': 'Microsoft.Network/virtualNetworks',
    'microsoft.network/virtualnetworkgateways': 'Microsoft.Network/virtualNetworkGateways',
    'microsoft.network/routetables': 'Microsoft.Network/routeTables',
    'microsoft.network/azurefirewalls': 'Microsoft.Network/azureFirewalls',
    'microsoft.network/networkinterfaces': 'Microsoft.Network/networkInterfaces',
    'microsoft.network/virtualhubs': 'Microsoft.Network/virtualHubs',
  };
  return known[type.toLowerCase()] ?? type;
}

export { resourceGroupOf };
