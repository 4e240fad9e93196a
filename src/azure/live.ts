import type { NetworkManagementClient } from '@azure/arm-network';
import { keyOf, nameOf, parseResourceId, subscriptionOf } from '../model/ids';
import type { RawResource, SourcedResource } from '../model/snapshot';
import type { Inventory, LiveReader, NeighbourhoodOptions } from '../ports';
import type { UnreadableScope } from '../report/report';
import { networkClient, type AzureConnection } from './connection';
import { describeError, isAccessDenied, isInAnotherTenant, isSubscriptionNotFound, isTransient, statusOf } from './errors';
import { ResourceGraphInventory, type ResourceGraphInventoryOptions } from './resource-graph';

// Live reads of one neighbourhood (the event path, remediation). Where the change happened is read
// fresh from ARM: a VNet GET returns its peerings inline, with their etags (the REST spec's
// VirtualNetwork.virtualNetworkPeerings holds whole VirtualNetworkPeering objects), so no peering
// list is needed. Everything around it comes from one Resource Graph query, paged: the peers (with
// their reverse peerings inline) and the gateways, firewalls, NVAs and route tables of all of them.
// So a read costs the fresh GETs plus a page or two, whatever the size of the estate or the degree
// of a hub. Resource Graph lags ARM by seconds: acceptable for the neighbours, whose own changes
// bring their own events, never for where the change happened: a fresh row, or a fresh "not found",
// always wins over Resource Graph's row of the same resource.

export interface ArmLiveReaderOptions extends AzureConnection, Pick<ResourceGraphInventoryOptions, 'pageAttempts' | 'backoffMs' | 'maxQuotaWaitMs'> {
  /** Parallel GETs (default 8). */
  concurrency?: number;
  /** Attempts per read when no HTTP answer came (a timeout the SDK does not retry); default 3. */
  attempts?: number;
}

type Json = Record<string, unknown>;
/** No HTTP answer at all (timeout, reset): the SDK pipeline does not retry an aborted request. */
const noAnswer = (error: unknown): boolean => !statusOf(error);
const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const refId = (v: unknown): string | undefined => {
  const id = obj(v)?.id;
  return typeof id === 'string' && id !== '' ? id : undefined;
};

/** The SDK's flattened model → Azure's wire JSON (`properties` nested), as snapshots hold it. */
function toWire(model: unknown, type: string, keepAtTop: readonly string[] = []): RawResource {
  const m = { ...(obj(model) ?? {}) };
  const top = new Set(['id', 'name', 'type', 'location', 'tags', 'etag', 'sku', 'zones', 'extendedLocation', ...keepAtTop]);
  const properties: Json = {};
  const resource: Json = {};
  for (const [k, v] of Object.entries(m)) (top.has(k) ? resource : properties)[k] = v;
  return { ...resource, type: typeof resource.type === 'string' ? resource.type : type, properties } as RawResource;
}

/** Sub-resources (subnets, inline peerings, ipConfigurations, routes) are flattened by the SDK too. */
function subToWire(model: unknown): Json {
  const m = obj(model) ?? {};
  const { id, name, type, etag, ...rest } = m;
  return { ...(id !== undefined ? { id } : {}), ...(name !== undefined ? { name } : {}), ...(type !== undefined ? { type } : {}), ...(etag !== undefined ? { etag } : {}), properties: rest };
}

function vnetToWire(model: unknown): RawResource {
  const wire = toWire(model, 'Microsoft.Network/virtualNetworks');
  const p = wire.properties ?? {};
  p.subnets = arr(p.subnets).map(subToWire);
  p.virtualNetworkPeerings = arr(p.virtualNetworkPeerings).map(subToWire);
  return wire;
}

function withConfigs(model: unknown, type: string): RawResource {
  const wire = toWire(model, type);
  const p = wire.properties ?? {};
  p.ipConfigurations = arr(p.ipConfigurations).map(subToWire);
  if (Array.isArray(p.routes)) p.routes = p.routes.map(subToWire);
  return wire;
}

function gatewayToWire(model: unknown): RawResource {
  // A gateway's `sku` lives in properties on the wire (build.ts reads properties.sku).
  const wire = withConfigs(model, 'Microsoft.Network/virtualNetworkGateways');
  const { sku, ...rest } = wire;
  return { ...rest, properties: { ...(wire.properties ?? {}), sku } } as RawResource;
}

type Kind = 'vnet' | 'gateway' | 'hub' | 'firewall' | 'routeTable';
interface Target {
  id: string;
  kind: Kind;
}
type GetOptions = { requestOptions: { timeout: number }; abortSignal?: AbortSignal };

const READS: Record<Kind, (c: NetworkManagementClient, rg: string, name: string, o: GetOptions) => Promise<unknown>> = {
  vnet: (c, rg, name, o) => c.virtualNetworks.get(rg, name, o),
  gateway: (c, rg, name, o) => c.virtualNetworkGateways.get(rg, name, o),
  hub: (c, rg, name, o) => c.virtualHubs.get(rg, name, o),
  firewall: (c, rg, name, o) => c.azureFirewalls.get(rg, name, o),
  routeTable: (c, rg, name, o) => c.routeTables.get(rg, name, o),
};
const WIRE: Record<Kind, (model: unknown) => RawResource> = {
  vnet: vnetToWire,
  gateway: gatewayToWire,
  // A Route Server's ipConfigurations are child resources; the subnet that holds them names it.
  hub: (m) => toWire(m, 'Microsoft.Network/virtualHubs'),
  firewall: (m) => withConfigs(m, 'Microsoft.Network/azureFirewalls'),
  routeTable: (m) => withConfigs(m, 'Microsoft.Network/routeTables'),
};
const ATTACHMENTS: Record<string, Kind> = {
  'microsoft.network/virtualnetworkgateways': 'gateway',
  'microsoft.network/virtualhubs': 'hub',
  'microsoft.network/azurefirewalls': 'firewall',
  'microsoft.network/routetables': 'routeTable',
};
/** A Route Server's ipConfiguration: a child of the hub, whose subnet (a RouteServerSubnet) places it. */
const HUB_IP_CONFIGURATION = 'microsoft.network/virtualhubs/ipconfigurations';

/** What a changed resource means for the read: its VNet (read fresh), or the resource itself. */
function changeOf(id: string): { vnet?: string; peering?: string; attachment?: Target } {
  const parsed = parseResourceId(id);
  const type = parsed?.type?.toLowerCase() ?? '';
  if (type === 'microsoft.network/virtualnetworks') return { vnet: id };
  if (type === 'microsoft.network/virtualnetworks/virtualnetworkpeerings') return { vnet: parsed?.parentId, peering: id };
  if (type === 'microsoft.network/virtualnetworks/subnets') return { vnet: parsed?.parentId };
  if (type === 'microsoft.network/routetables/routes' && parsed?.parentId) return { attachment: { id: parsed.parentId, kind: 'routeTable' } };
  if (type === HUB_IP_CONFIGURATION && parsed?.parentId) return { attachment: { id: parsed.parentId, kind: 'hub' } };
  const kind = ATTACHMENTS[type];
  return kind ? { attachment: { id, kind } } : {};
}

/** The remote VNet of one of a VNet's inline peerings. */
function remoteOf(vnet: RawResource | undefined, peeringId: string): string | undefined {
  const peering = arr(vnet?.properties?.virtualNetworkPeerings).find((p) => keyOf(String(obj(p)?.id ?? '')) === keyOf(peeringId));
  return refId(obj(obj(peering)?.properties)?.remoteVirtualNetwork);
}

/** The route table each subnet of these VNets names (undefined: none), by subnet key. */
function routeTablesOfSubnets(vnets: readonly RawResource[]): Map<string, string | undefined> {
  const tables = new Map<string, string | undefined>();
  for (const v of vnets) {
    for (const s of arr(v.properties?.subnets)) {
      const id = refId(s);
      if (id) tables.set(keyOf(id), refId(obj(obj(s)?.properties)?.routeTable));
    }
  }
  return tables;
}

/**
 * A route table row from Resource Graph without its claims on fresh subnets that do not name it:
 * the subnet says which table it uses, and Resource Graph may not have caught up with the change.
 */
function withoutStaleSubnets(row: RawResource, freshSubnets: ReadonlyMap<string, string | undefined>): RawResource {
  if (row.type?.toLowerCase() !== 'microsoft.network/routetables') return row;
  const subnets = arr(row.properties?.subnets).filter((s) => {
    const id = keyOf(refId(s) ?? '');
    return !freshSubnets.has(id) || keyOf(freshSubnets.get(id) ?? '') === keyOf(row.id);
  });
  return { ...row, properties: { ...row.properties, subnets } };
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  });
  await Promise.all(workers);
  return results;
}

export class ArmLiveReader implements LiveReader {
  private readonly clients = new Map<string, NetworkManagementClient>();
  private readonly concurrency: number;
  private readonly attempts: number;
  private graphReader: ResourceGraphInventory | undefined;

  constructor(private readonly options: ArmLiveReaderOptions) {
    this.concurrency = options.concurrency ?? 8;
    this.attempts = Math.max(1, options.attempts ?? 3);
  }

  private client(subscriptionId: string): NetworkManagementClient {
    let c = this.clients.get(subscriptionId);
    if (!c) {
      c = networkClient(this.options, subscriptionId);
      this.clients.set(subscriptionId, c);
    }
    return c;
  }

  private get requestOptions(): GetOptions {
    return { requestOptions: { timeout: this.options.requestTimeoutMs ?? 60_000 } };
  }

  private get graph(): ResourceGraphInventory {
    this.graphReader ??= new ResourceGraphInventory(this.options);
    return this.graphReader;
  }

  /** Resource Graph's part; its failure names Resource Graph (the event's dead-letter reason). */
  private async readAround(ids: readonly string[], subscriptions: readonly string[], signal?: AbortSignal): Promise<{ resources: RawResource[]; visible: Set<string>; mesh: RawResource[] }> {
    try {
      return await this.graph.readNeighbourhood(ids, subscriptions, signal);
    } catch (error) {
      throw new Error(`the neighbourhood could not be read from Resource Graph (${describeError(error)})`, { cause: error });
    }
  }

  /**
   * A VNet's row read again from ARM (NeighbourhoodOptions.refresh) into `into`: the row, or null when
   * ARM does not find it (deleted since Resource Graph saw it). Any other answer leaves nothing, and
   * the VNet keeps its Resource Graph row, as before the refresh: it is not where the change happened,
   * so a refused or failed read must not make it unknown or fail the event.
   */
  private async refreshRow(id: string, opts: GetOptions, into: Map<string, RawResource | null>): Promise<void> {
    const parsed = parseResourceId(id);
    const sub = subscriptionOf(id);
    if (!parsed?.resourceGroup || !sub || parsed.type?.toLowerCase() !== 'microsoft.network/virtualnetworks') return;
    const rg = parsed.resourceGroup;
    try {
      into.set(keyOf(id), WIRE.vnet(await this.withAttempts(() => READS.vnet(this.client(sub), rg, parsed.name, opts))));
    } catch (error) {
      if (statusOf(error) === 404 && !isSubscriptionNotFound(error)) into.set(keyOf(id), null);
    }
  }

  /** One ARM call, again while no HTTP answer came (the SDK pipeline does not retry an aborted request). */
  private async withAttempts<T>(call: () => Promise<T>, n = 1): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (n < this.attempts && noAnswer(error)) return this.withAttempts(call, n + 1);
      throw error;
    }
  }

  /**
   * The VNets a gateway, firewall, Route Server or route table sits in or serves, read now from ARM:
   * the subnets of its ipConfigurations (a Route Server's are child resources, listed), a route
   * table's subnets. The event path needs it for a resource the neighbourhood index has not seen
   * (a new gateway), whose VNet nothing else names. Not found (404): none (the index still knows
   * where a deleted one was). Anything else, a refusal included (a role may yet be assigned): thrown,
   * so the event is retried. A Route Server's ipConfiguration is read itself (one GET): its subnet
   * names the VNet, where the hub, written before it, named none.
   */
  async locate(resourceId: string): Promise<string[]> {
    const own = parseResourceId(resourceId);
    const hubIpConfig = own?.type?.toLowerCase() === HUB_IP_CONFIGURATION && own.parentId ? { id: resourceId, hub: nameOf(own.parentId) } : undefined;
    const target = hubIpConfig ? { id: resourceId, kind: 'hub' as const } : changeOf(resourceId).attachment;
    const parsed = target ? parseResourceId(target.id) : undefined;
    const sub = target ? subscriptionOf(target.id) : undefined;
    if (!target || !parsed?.resourceGroup || !sub) return [];
    const rg = parsed.resourceGroup;
    const client = this.client(sub);
    const opts = this.requestOptions;
    try {
      let subnets: unknown[];
      if (hubIpConfig) {
        const config = obj(await this.withAttempts(() => client.virtualHubIpConfiguration.get(rg, hubIpConfig.hub, parsed.name, opts)));
        subnets = [refId(config?.subnet)];
      } else {
        const model = obj(await this.withAttempts(() => READS[target.kind](client, rg, parsed.name, opts)));
        if (target.kind === 'routeTable') subnets = arr(model?.subnets).map(refId);
        else if (target.kind === 'hub') {
          subnets = [];
          const configs = await this.withAttempts(async () => {
            const found: unknown[] = [];
            for await (const c of client.virtualHubIpConfiguration.list(rg, parsed.name, opts)) found.push(c);
            return found;
          });
          for (const c of configs) subnets.push(refId(obj(c)?.subnet));
        } else subnets = arr(model?.ipConfigurations).map((c) => refId(obj(c)?.subnet));
      }
      const vnets = new Map<string, string>();
      for (const subnet of subnets) {
        const vnet = typeof subnet === 'string' ? parseResourceId(subnet)?.parentId : undefined;
        if (vnet) vnets.set(keyOf(vnet), vnet);
      }
      return [...vnets.values()];
    } catch (error) {
      // Only an answer that the resource does not exist settles it; anything else (throttling, an
      // outage, a refused token, a role not yet assigned) may mend, so the event is redelivered.
      if (statusOf(error) === 404) return [];
      throw new Error(`${target.id} could not be read from Resource Manager (${describeError(error)})`, { cause: error });
    }
  }

  async readNeighbourhood(vnetIds: readonly string[], options: NeighbourhoodOptions = {}): Promise<Inventory> {
    const read = new Set<string>();
    const unreadable = new Map<string, UnreadableScope>();
    /** Subscriptions the identity cannot see (ARM: not found, or in another tenant; Resource Graph: not listed), unless one refused a read (403). */
    const outOfReach = new Set<string>();
    const refused = new Set<string>();
    /** ARM's answer by key: the resource, or undefined when it is absent or could not be read. */
    const fresh = new Map<string, RawResource | undefined>();
    /** ARM's answer for a VNet in `options.refresh`: its row, or null when ARM does not find it. */
    const refreshed = new Map<string, RawResource | null>();
    const { signal } = options;
    const opts: GetOptions = { ...this.requestOptions, ...(signal ? { abortSignal: signal } : {}) };

    const blind = (scope: string, reason: string) => {
      if (!unreadable.has(scope.toLowerCase())) unreadable.set(scope.toLowerCase(), { scope, reason });
    };
    /**
     * GET one resource; 404 → undefined (known absent); the subscription not found or in another
     * tenant → out of reach; 401/403 → subscription unreadable; else → resource unreadable.
     */
    const get = async <T>(id: string, call: (client: NetworkManagementClient, rg: string, name: string) => Promise<T>): Promise<T | undefined> => {
      const parsed = parseResourceId(id);
      const sub = subscriptionOf(id);
      if (!parsed || !sub || !parsed.resourceGroup) return undefined;
      if (unreadable.has(sub)) return undefined;
      const attempt = async (n: number): Promise<T> => {
        try {
          return await call(this.client(sub), parsed.resourceGroup as string, parsed.name);
        } catch (error) {
          if (n < this.attempts && noAnswer(error) && !signal?.aborted) return attempt(n + 1);
          throw error;
        }
      };
      try {
        const result = await attempt(1);
        read.add(sub);
        return result;
      } catch (error) {
        if (isSubscriptionNotFound(error) || isInAnotherTenant(error)) {
          blind(sub, `subscription not found or not in this tenant (${describeError(error)})`);
          outOfReach.add(sub);
          return undefined;
        }
        if (statusOf(error) === 404) {
          read.add(sub);
          return undefined;
        }
        if (isAccessDenied(error)) {
          blind(sub, `access denied reading ${id} (${describeError(error)})`);
          refused.add(sub);
          return undefined;
        }
        // An outage or throttling past the retries: the whole read fails, so the event is redelivered
        // later rather than judged with a hole (which decides nothing and leaves the alert unsent).
        if (isTransient(error)) throw new Error(`${id} could not be read from Resource Manager (${describeError(error)})`, { cause: error });
        blind(id, `could not be read from Resource Manager (${describeError(error)})`);
        return undefined;
      }
    };
    const readFresh = async ({ id, kind }: Target): Promise<void> => {
      const model = await get(id, (c, rg, name) => READS[kind](c, rg, name, opts));
      fresh.set(keyOf(id), model === undefined ? undefined : WIRE[kind](model));
    };

    // 1. Where the change happened, from ARM: the VNets, then what changed beside them.
    const change = options.changed ? changeOf(options.changed) : undefined;
    const named = new Map<string, string>();
    for (const id of [...vnetIds, ...(change?.vnet ? [change.vnet] : [])]) named.set(keyOf(id), id);
    await mapLimit([...named.values()], this.concurrency, (id) => readFresh({ id, kind: 'vnet' }));
    const afterwards: Target[] = change?.attachment ? [change.attachment] : [];
    // A changed peering's remote VNet: Azure changed its side too (Connected, Disconnected, sync level).
    const remote = change?.peering ? remoteOf(fresh.get(keyOf(change.vnet ?? '')), change.peering) : undefined;
    if (remote && !fresh.has(keyOf(remote))) afterwards.push({ id: remote, kind: 'vnet' });
    const refresh = (options.refresh ?? []).filter((id) => !fresh.has(keyOf(id)) && keyOf(id) !== keyOf(remote ?? ''));
    await Promise.all([mapLimit(afterwards, this.concurrency, readFresh), mapLimit(refresh, this.concurrency, (id) => this.refreshRow(id, opts, refreshed))]);
    const freshVnetKeys = [...named.keys(), ...(remote ? [keyOf(remote)] : [])];

    // 2. Around it, from Resource Graph: the fresh VNets' peers, the VNets asked for, and what sits
    // in any of them; the route tables the fresh subnets name by id too (Resource Graph may not list
    // a fresh association yet).
    const freshVnets = freshVnetKeys.map((k) => fresh.get(k)).filter((r): r is RawResource => r !== undefined);
    const sought = new Map<string, string>([...named, ...(remote ? [[keyOf(remote), remote] as const] : [])]);
    const peers = freshVnets.flatMap((v) => arr(v.properties?.virtualNetworkPeerings).map((p) => refId(obj(obj(p)?.properties)?.remoteVirtualNetwork)));
    for (const id of [...peers, ...(options.alsoRead ?? [])]) if (id && !sought.has(keyOf(id))) sought.set(keyOf(id), id);
    const freshSubnets = routeTablesOfSubnets(freshVnets);
    const namedTables = [...new Set([...freshSubnets.values()].filter((t): t is string => t !== undefined))];
    const subscriptions = [...new Set([...sought.keys()].map((k) => subscriptionOf(k)).filter((s): s is string => s !== undefined))].sort();
    const graph = sought.size === 0 ? { resources: [], visible: new Set<string>(), mesh: [] } : await this.readAround([...sought.values(), ...namedTables], subscriptions, signal);

    // 3. The fresh rows, then Resource Graph's rows of everything else that the scheduled audit sees
    // too (a visible subscription not refused by ARM), without stale claims on fresh subnets.
    const resources: SourcedResource[] = [];
    for (const resource of fresh.values()) if (resource) resources.push({ resource, source: `ARM ${resource.id}` });
    for (const row of graph.resources) {
      const sub = subscriptionOf(row.id) ?? '';
      if (fresh.has(keyOf(row.id)) || unreadable.has(sub) || !graph.visible.has(sub)) continue;
      const again = refreshed.get(keyOf(row.id));
      if (again === null) continue;
      if (again) resources.push({ resource: again, source: `ARM ${again.id}` });
      else resources.push({ resource: withoutStaleSubnets(row, freshSubnets), source: `Resource Graph row ${row.id}` });
    }
    // A network manager's subscription need not be one sought: its rows were read where it lives.
    for (const row of graph.mesh) if (!unreadable.has(subscriptionOf(row.id) ?? '')) resources.push({ resource: row, source: `Resource Graph row ${row.id}` });
    // A subscription counts as read only when Resource Graph lists it, as for the scheduled audit: an
    // ARM answer for one VNet says nothing of the others. Resource Graph returns only what the
    // identity may read, with no sign that the answer is partial (a role on some resource groups
    // only), and may not have indexed a new subscription yet: its VNets would look deleted.
    for (const sub of subscriptions) {
      if (graph.visible.has(sub)) continue;
      blind(
        sub,
        read.has(sub)
          ? 'Resource Manager answered for it, but Resource Graph lists no such subscription (the identity may read only some of its resource groups, or Resource Graph has not indexed it yet): its other VNets cannot be told apart from deleted ones'
          : 'not visible to the identity (Resource Graph lists no such subscription): it needs Reader on the subscription, or it is in another tenant',
      );
      if (!refused.has(sub) && !read.has(sub)) outOfReach.add(sub);
    }
    const subscriptionsRead = [...graph.visible].filter((s) => !unreadable.has(s)).sort();
    return { resources, subscriptions: subscriptionsRead, unreadable: [...unreadable.values()], sought: [...sought.keys()], outOfReach: [...outOfReach] };
  }

}
