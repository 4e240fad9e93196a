import type { NetworkManagementClient } from '@azure/arm-network';
import { contains, parsePrefix, type Prefix } from '../model/cidr';
import { keyOf, parseResourceId, subscriptionOf } from '../model/ids';
import type { RawResource, SourcedResource } from '../model/snapshot';
import type { Inventory, LiveReader } from '../ports';
import type { UnreadableScope } from '../report/report';
import { networkClient, type AzureConnection } from './connection';
import { describeError, isAccessDenied, isSubscriptionNotFound, statusOf } from './errors';

// Live ARM reads of one neighbourhood (the event path, remediation): the named VNets and their
// peerings (paged list), the VNets they peer with, and by id the gateways, Route Servers,
// firewalls, route tables and forwarding NICs that touch them. A handful of calls, whatever the
// size of the estate. Resource Graph lags ARM after a write; this reads ARM.

export interface ArmLiveReaderOptions extends AzureConnection {
  /** Most NICs read in subnets that hold a route's next hop (default 20); more makes the read partial. */
  maxNicReads?: number;
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
  private readonly maxNicReads: number;
  private readonly concurrency: number;
  private readonly attempts: number;

  constructor(private readonly options: ArmLiveReaderOptions) {
    this.maxNicReads = options.maxNicReads ?? 20;
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

  private get requestOptions() {
    return { requestOptions: { timeout: this.options.requestTimeoutMs ?? 60_000 } };
  }

  async readNeighbourhood(vnetIds: readonly string[]): Promise<Inventory> {
    const resources: SourcedResource[] = [];
    const read = new Set<string>();
    const unreadable = new Map<string, UnreadableScope>();
    const seen = new Set<string>();
    const vnets: RawResource[] = [];

    const blind = (scope: string, reason: string) => {
      if (!unreadable.has(scope.toLowerCase())) unreadable.set(scope.toLowerCase(), { scope, reason });
    };
    const add = (resource: RawResource) => {
      if (seen.has(keyOf(resource.id))) return;
      seen.add(keyOf(resource.id));
      resources.push({ resource, source: `ARM ${resource.id}` });
    };
    /** GET one resource; 404 → undefined (known absent), 403 → subscription unreadable, else → resource unreadable. */
    const get = async <T>(id: string, call: (client: NetworkManagementClient, rg: string, name: string, parent?: string) => Promise<T>): Promise<T | undefined> => {
      const parsed = parseResourceId(id);
      const sub = subscriptionOf(id);
      if (!parsed || !sub || !parsed.resourceGroup) return undefined;
      if (unreadable.has(sub)) return undefined;
      const parentName = parsed.parentId ? parsed.parentId.slice(parsed.parentId.lastIndexOf('/') + 1) : undefined;
      const attempt = async (n: number): Promise<T> => {
        try {
          return await call(this.client(sub), parsed.resourceGroup as string, parentName ?? parsed.name, parentName ? parsed.name : undefined);
        } catch (error) {
          if (n < this.attempts && noAnswer(error)) return attempt(n + 1);
          throw error;
        }
      };
      try {
        const result = await attempt(1);
        read.add(sub);
        return result;
      } catch (error) {
        if (isSubscriptionNotFound(error)) {
          blind(sub, `subscription not found or not in this tenant (${describeError(error)})`);
          return undefined;
        }
        if (statusOf(error) === 404) {
          read.add(sub);
          return undefined;
        }
        if (isAccessDenied(error)) blind(sub, `access denied reading ${id} (${describeError(error)})`);
        else blind(id, `could not be read from Resource Manager (${describeError(error)})`);
        return undefined;
      }
    };

    // 1. The named VNets and their peerings (the paged list is authoritative, with fresh etags).
    const named = [...new Map(vnetIds.map((id) => [keyOf(id), id])).values()];
    await mapLimit(named, this.concurrency, async (id) => {
      const model = await get(id, (c, rg, name) => c.virtualNetworks.get(rg, name, this.requestOptions));
      if (!model) return;
      const wire = vnetToWire(model);
      const listed = await get(id, async (c, rg, name) => {
        const all: unknown[] = [];
        for await (const page of c.virtualNetworkPeerings.list(rg, name, this.requestOptions).byPage()) all.push(...page);
        return all;
      });
      if (listed && wire.properties) wire.properties.virtualNetworkPeerings = listed.map(subToWire);
      vnets.push(wire);
      add(wire);
    });

    // 2. Their peers (with the peers' own peerings inline: the reverse links).
    const peerIds = new Map<string, string>();
    for (const v of vnets) {
      for (const p of arr(v.properties?.virtualNetworkPeerings)) {
        const remote = refId(obj(obj(p)?.properties)?.remoteVirtualNetwork);
        if (remote && !seen.has(keyOf(remote))) peerIds.set(keyOf(remote), remote);
      }
    }
    await mapLimit([...peerIds.values()], this.concurrency, async (id) => {
      const model = await get(id, (c, rg, name) => c.virtualNetworks.get(rg, name, this.requestOptions));
      if (!model) return;
      const wire = vnetToWire(model);
      vnets.push(wire);
      add(wire);
    });

    // 3. What touches them, by id: gateways and Route Servers (subnet ipConfigurations), firewalls, route tables.
    const attached = new Map<string, { id: string; kind: 'gateway' | 'hub' | 'firewall' | 'routeTable' }>();
    const nicsBySubnet = new Map<string, { subnetId: string; prefixes: Prefix[]; nicIds: Set<string> }>();
    for (const v of vnets) {
      for (const s of arr(v.properties?.subnets)) {
        const subnet = obj(s) ?? {};
        const sp = obj(subnet.properties) ?? {};
        const rt = refId(sp.routeTable);
        if (rt) attached.set(keyOf(rt), { id: rt, kind: 'routeTable' });
        const nics = new Set<string>();
        for (const c of arr(sp.ipConfigurations)) {
          const ref = refId(c);
          const owner = ref ? parseResourceId(ref) : undefined;
          const type = owner?.type?.toLowerCase();
          if (!owner?.parentId) continue;
          if (type === 'microsoft.network/virtualnetworkgateways/ipconfigurations') attached.set(keyOf(owner.parentId), { id: owner.parentId, kind: 'gateway' });
          else if (type === 'microsoft.network/virtualhubs/ipconfigurations') attached.set(keyOf(owner.parentId), { id: owner.parentId, kind: 'hub' });
          else if (type === 'microsoft.network/azurefirewalls/azurefirewallipconfigurations') attached.set(keyOf(owner.parentId), { id: owner.parentId, kind: 'firewall' });
          else if (type === 'microsoft.network/networkinterfaces/ipconfigurations') nics.add(owner.parentId);
        }
        const list = Array.isArray(sp.addressPrefixes) ? sp.addressPrefixes : sp.addressPrefix !== undefined ? [sp.addressPrefix] : [];
        const prefixes = list.map((x) => parsePrefix(String(x))).filter((x): x is Prefix => x !== undefined);
        if (typeof subnet.id === 'string' && nics.size > 0) nicsBySubnet.set(keyOf(subnet.id), { subnetId: subnet.id, prefixes, nicIds: nics });
      }
    }
    const opts = this.requestOptions;
    const routeTables: RawResource[] = [];
    await mapLimit([...attached.values()], this.concurrency, async ({ id, kind }) => {
      let wire: RawResource | undefined;
      if (kind === 'gateway') {
        const m = await get(id, (c, rg, name) => c.virtualNetworkGateways.get(rg, name, opts));
        if (m) wire = gatewayToWire(m);
      } else if (kind === 'hub') {
        const m = await get(id, (c, rg, name) => c.virtualHubs.get(rg, name, opts));
        if (m) {
          wire = toWire(m, 'Microsoft.Network/virtualHubs');
          // The hub's ipConfigurations are child resources: the subnet reference found them.
          const subnet = vnets
            .flatMap((v) => arr(v.properties?.subnets).map((s) => obj(s) ?? {}))
            .find((s) => arr(obj(s.properties)?.ipConfigurations).some((c) => (refId(c) ?? '').toLowerCase().startsWith(`${keyOf(id)}/`)));
          if (subnet && wire.properties) wire.properties.ipConfigurations = [{ name: 'ipconfig', properties: { subnet: { id: subnet.id } } }];
        }
      } else if (kind === 'firewall') {
        const m = await get(id, (c, rg, name) => c.azureFirewalls.get(rg, name, opts));
        if (m) wire = withConfigs(m, 'Microsoft.Network/azureFirewalls');
      } else {
        const m = await get(id, (c, rg, name) => c.routeTables.get(rg, name, opts));
        if (m) {
          wire = withConfigs(m, 'Microsoft.Network/routeTables');
          routeTables.push(wire);
        }
      }
      if (wire) add(wire);
    });

    // 4. NVAs: NICs in the subnets that hold a route's virtual-appliance next hop, and only those.
    const nextHops = routeTables
      .flatMap((t) => arr(t.properties?.routes))
      .map((r) => obj(obj(r)?.properties)?.nextHopIpAddress)
      .map((ip) => (typeof ip === 'string' ? parsePrefix(ip) : undefined))
      .filter((x): x is Prefix => x !== undefined);
    const nicIds = new Map<string, string>();
    for (const { subnetId, prefixes, nicIds: ids } of nicsBySubnet.values()) {
      if (!prefixes.some((p) => nextHops.some((hop) => contains(p, hop)))) continue;
      if (ids.size > this.maxNicReads) {
        blind(subnetId, `${ids.size} network interfaces hold a route's next hop here; more than the ${this.maxNicReads} a live read fetches`);
        continue;
      }
      for (const id of ids) nicIds.set(keyOf(id), id);
    }
    await mapLimit([...nicIds.values()], this.concurrency, async (id) => {
      const m = await get(id, (c, rg, name) => c.networkInterfaces.get(rg, name, opts));
      if (m) add(withConfigs(m, 'Microsoft.Network/networkInterfaces'));
    });

    for (const u of unreadable.values()) read.delete(u.scope.toLowerCase());
    return { resources, subscriptions: [...read].sort(), unreadable: [...unreadable.values()] };
  }
}
