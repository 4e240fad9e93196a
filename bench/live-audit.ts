// Live figures for one estate, in their own process: the local HTTPS Azure stand-in is started
// here with the estate, and the real SDK clients read it.
//   - live audit: ResourceGraphInventory (tenant scope) + topology + every rule, with the number of
//     Resource Graph calls against the page-count floor ceil(rows / 1,000);
//   - baseline: what most tools do, through @azure/arm-network: list the VNets of each
//     subscription (paged), then list each VNet's peerings (paged);
//   - event path, worst case: a peering between a spoke and the hub with the most peerings. The
//     live read an event about it makes (both VNets from ARM, the rest from Resource Graph: I/O),
//     then the audit of that neighbourhood and the choice of the findings it decides (our own
//     compute, in a process of its own: bench/event-compute.ts), timed apart; `armCalls` counts
//     every call to Resource Manager, Resource Graph's included.
// Usage: live-audit.ts <estate dir> <runs> [--no-baseline] [--no-live]; BENCH_BASELINE_SAMPLE (1,000 VNets) bounds
// the baseline's peering lists. Prints one JSON line; progress on stderr.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NetworkManagementClient } from '@azure/arm-network';
import { generate } from 'selfsigned';
import { ArmLiveReader } from '../src/azure/live';
import { NETWORK_RESOURCES_TYPES, ResourceGraphInventory } from '../src/azure/resource-graph';
import { runAudit } from '../src/engine/audit';
import { DEFAULT_CONFIG } from '../src/engine/config';
import { readSnapshot } from '../src/io/snapshot-files';
import { buildTopology } from '../src/model/build';
import { keyOf, parseResourceId, subscriptionOf } from '../src/model/ids';
import type { RawResource } from '../src/model/snapshot';
import { RULES } from '../src/rules';
import { startStandIn, type StandIn } from '../test/azure-stand-in';

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

function cloudOf(endpoint: string) {
  return { name: 'AzurePublicCloud' as const, armEndpoint: endpoint, authorityHost: 'https://login.microsoftonline.com', armScope: `${endpoint}/.default` };
}

/**
 * ARM's subscription-wide VNet list (`GET /subscriptions/{s}/providers/Microsoft.Network/virtualNetworks`,
 * what `virtualNetworks.listAll()` calls), which the stand-in does not serve (it lists per resource
 * group). Same page size as the stand-in's lists; every other call of the baseline goes to the stand-in.
 */
async function startVnetListServer(vnets: readonly RawResource[], pageSize: number): Promise<{ endpoint: string; ca: string; calls: () => number; stop: () => Promise<void> }> {
  const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 24 * 3600 * 1000),
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
  });
  const bySub = new Map<string, RawResource[]>();
  for (const v of vnets) {
    const sub = subscriptionOf(v.id) ?? '';
    bySub.set(sub, [...(bySub.get(sub) ?? []), v]);
  }
  let calls = 0;
  let endpoint = '';
  const server: Server = createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    calls += 1;
    const url = new URL(req.url ?? '/', endpoint);
    const m = /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.Network\/virtualNetworks$/i.exec(url.pathname);
    if (!m) {
      res.writeHead(400).end();
      return;
    }
    const items = bySub.get((m[1] as string).toLowerCase()) ?? [];
    const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
    const body: Record<string, unknown> = { value: items.slice(skip, skip + pageSize) };
    if (skip + pageSize < items.length) body.nextLink = `${endpoint}${url.pathname}?api-version=${url.searchParams.get('api-version')}&$skiptoken=${skip + pageSize}`;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    ca: pems.cert,
    calls: () => calls,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++] as T);
  }));
}

async function liveAudit(standIn: StandIn) {
  standIn.requests.clear();
  const t0 = performance.now();
  const inventory = new ResourceGraphInventory({ credential: standIn.credential, cloud: cloudOf(standIn.endpoint), ca: standIn.ca });
  const read = await inventory.readInventory({ kind: 'tenant' });
  const t1 = performance.now();
  const topology = buildTopology(read.resources, { extraSubscriptions: read.subscriptions });
  const outcome = runAudit(topology, RULES, DEFAULT_CONFIG, new Date());
  const t2 = performance.now();
  return {
    wallMs: t2 - t0,
    readMs: t1 - t0,
    // The rows the query returns: each resource, and each subscription's own row (its coverage check).
    rows: read.resources.length + read.subscriptions.length,
    resourceGraphCalls: standIn.requests.count('resourceGraph'),
    subscriptionListCalls: standIn.requests.count('subscriptions'),
    subscriptions: read.subscriptions.length,
    findings: outcome.findings.length,
  };
}

const note = (what: string) => process.stderr.write(`[live-audit ${new Date().toISOString().slice(11, 19)}] ${what}\n`);

/**
 * The usual tool: per subscription, list its VNets (paged); then per VNet, list its peerings
 * (paged). Past `sample` VNets, the peering lists are read for an evenly spread sample and the time
 * is extrapolated; the call count is exact (the pages each list takes are known from the estate).
 */
async function baseline(standIn: StandIn, vnets: readonly RawResource[], sample: number) {
  const lists = await startVnetListServer(vnets, standIn.options.armPageSize);
  try {
    standIn.requests.clear();
    const subscriptions = [...new Set(vnets.map((v) => subscriptionOf(v.id) ?? ''))];
    const t0 = performance.now();
    const found: Array<{ sub: string; rg: string; name: string }> = [];
    let peerings = 0;
    const peeringClients = new Map<string, NetworkManagementClient>();
    await mapLimit(subscriptions, 8, async (sub) => {
      const client = new NetworkManagementClient(standIn.credential, sub, { endpoint: lists.endpoint, tlsOptions: { ca: lists.ca }, credentialScopes: [`${lists.endpoint}/.default`] });
      for await (const vnet of client.virtualNetworks.listAll()) {
        const parsed = parseResourceId(vnet.id ?? '');
        if (parsed?.resourceGroup) found.push({ sub, rg: parsed.resourceGroup, name: parsed.name });
      }
      peeringClients.set(sub, new NetworkManagementClient(standIn.credential, sub, { endpoint: standIn.endpoint, tlsOptions: { ca: standIn.ca }, credentialScopes: [`${standIn.endpoint}/.default`] }));
    });
    const t1 = performance.now();
    const step = Math.max(1, Math.ceil(found.length / sample));
    const sampled = found.filter((_, i) => i % step === 0);
    await mapLimit(sampled, 8, async ({ sub, rg, name }) => {
      for await (const _ of (peeringClients.get(sub) as NetworkManagementClient).virtualNetworkPeerings.list(rg, name)) peerings += 1;
    });
    const t2 = performance.now();
    const pageSize = standIn.options.armPageSize;
    const peeringCalls = vnets.reduce((sum, v) => sum + Math.max(1, Math.ceil(((v.properties?.virtualNetworkPeerings as unknown[] | undefined)?.length ?? 0) / pageSize)), 0);
    return {
      wallMs: t1 - t0 + ((t2 - t1) * found.length) / sampled.length,
      calls: lists.calls() + peeringCalls,
      measuredCalls: lists.calls() + standIn.requests.count('armList'),
      sampledVnets: sampled.length,
      vnets: found.length,
      peerings,
    };
  } finally {
    await lists.stop();
  }
}

/** One peering change between a spoke and its hub: read as the event path reads it (I/O), then evaluated and scoped (compute). */
async function eventPath(standIn: StandIn, spokeId: string, hubId: string, peeringId: string) {
  standIn.requests.clear();
  const reader = new ArmLiveReader({ credential: standIn.credential, cloud: cloudOf(standIn.endpoint), ca: standIn.ca });
  const t0 = performance.now();
  const inventory = await reader.readNeighbourhood([spokeId, hubId], { changed: peeringId });
  const t1 = performance.now();
  const vnetsRead = buildTopology(inventory.resources, { extraSubscriptions: inventory.subscriptions }).vnets.size;
  const file = join(mkdtempSync(join(tmpdir(), 'peerguard-event-')), 'read.json');
  writeFileSync(file, JSON.stringify({ inventory, vnetIds: [spokeId, hubId] }));
  const out = execFileSync(process.execPath, ['--import', 'tsx', resolve(__dirname, 'event-compute.ts'), file], { encoding: 'utf8' });
  rmSync(dirname(file), { recursive: true, force: true });
  const compute = JSON.parse(out.trim().split('\n').pop() as string) as { computeMs: number; coldMs: number; findingsDecided: number };
  const counts = standIn.requests.counts();
  return {
    ioMs: t1 - t0,
    computeMs: compute.computeMs,
    computeColdMs: compute.coldMs,
    armCalls: Object.entries(counts).filter(([k]) => k.startsWith('arm') || k === 'resourceGraph').reduce((sum, [, n]) => sum + (n ?? 0), 0),
    resourceGraphCalls: counts.resourceGraph ?? 0,
    counts,
    vnetsRead,
    findingsDecided: compute.findingsDecided,
  };
}

/**
 * Where the stand-in is too slow to serve the whole estate (it filters and sorts every stored
 * resource for each page: O(rows) per page), the Resource Graph calls the inventory makes, counted
 * the way it pages: subscriptions in sorted batches of 250, ceil(rows / 1,000) pages per batch,
 * where a batch's rows are its resources, network managers and one row per subscription (its
 * coverage check); then, for a batch with network managers, the pages of its `networkresources`
 * query (AVNM configurations and static members).
 */
function plannedResourceGraphCalls(resources: readonly RawResource[]): { calls: number; rows: number } {
  const avnmTypes = new Set<string>(NETWORK_RESOURCES_TYPES);
  const types = new Set(['microsoft.network/virtualnetworks', 'microsoft.network/virtualnetworkgateways', 'microsoft.network/routetables', 'microsoft.network/azurefirewalls', 'microsoft.network/networkinterfaces', 'microsoft.network/virtualhubs', 'microsoft.network/networkmanagers']);
  const rowsBySub = new Map<string, number>();
  const avnmRowsBySub = new Map<string, number>();
  let rows = 0;
  for (const r of resources) {
    const type = r.type?.toLowerCase() ?? '';
    const sub = subscriptionOf(r.id) ?? '';
    if (avnmTypes.has(type)) {
      avnmRowsBySub.set(sub, (avnmRowsBySub.get(sub) ?? 0) + 1);
      rows += 1;
      continue;
    }
    if (!types.has(type) || (type === 'microsoft.network/networkinterfaces' && r.properties?.enableIPForwarding !== true)) continue;
    rowsBySub.set(sub, (rowsBySub.get(sub) ?? 0) + 1);
    rows += 1;
  }
  const subs = [...rowsBySub.keys()].sort();
  let calls = 0;
  const sum = (batch: readonly string[], bySub: ReadonlyMap<string, number>) => batch.reduce((total, s) => total + (bySub.get(s) ?? 0), 0);
  for (let i = 0; i < subs.length; i += 250) {
    const batch = subs.slice(i, i + 250);
    calls += Math.max(1, Math.ceil((batch.length + sum(batch, rowsBySub)) / 1000));
    const avnmRows = sum(batch, avnmRowsBySub);
    if (avnmRows > 0) calls += Math.ceil(avnmRows / 1000);
  }
  return { calls, rows: rows + subs.length };
}

async function main(dir: string, runs: number, withBaseline: boolean, sample: number, withLive: boolean): Promise<void> {
  const resources = (await readSnapshot([dir])).map((r) => r.resource);
  const vnets = resources.filter((r) => r.type?.toLowerCase() === 'microsoft.network/virtualnetworks');
  // The worst case for an event: a peering between a spoke and the hub with the most peerings.
  const peeringsOf = (v: RawResource) => (v.properties?.virtualNetworkPeerings as RawResource[] | undefined) ?? [];
  const hub = vnets.filter((v) => /vnet-hub-/.test(v.name ?? '')).sort((a, b) => peeringsOf(b).length - peeringsOf(a).length || (keyOf(a.id) < keyOf(b.id) ? -1 : 1))[0] as RawResource;
  const spoke = vnets.find((v) => /vnet-spoke-/.test(v.name ?? '') && peeringsOf(v).some((p) => keyOf(String((p.properties?.remoteVirtualNetwork as { id?: string } | undefined)?.id ?? '')) === keyOf(hub.id))) as RawResource;
  const peering = peeringsOf(spoke).find((p) => keyOf(String((p.properties?.remoteVirtualNetwork as { id?: string } | undefined)?.id ?? '')) === keyOf(hub.id)) as RawResource;
  const startedAt = performance.now();
  const standIn = await startStandIn({ resources, options: { quota: { enforce: false } } });
  const standInStartMs = performance.now() - startedAt;
  note(`stand-in up with ${resources.length} resources in ${standInStartMs.toFixed(0)} ms`);
  try {
    const live = [];
    for (let i = 0; i < (withLive ? runs : 0); i += 1) live.push(await liveAudit(standIn));
    note(`live audit done (${live.map((l) => l.wallMs.toFixed(0)).join(', ')} ms)`);
    const events = [];
    for (let i = 0; i < Math.max(runs, 5); i += 1) events.push(await eventPath(standIn, spoke.id, hub.id, peering.id));
    note('event path done');
    const base = withBaseline ? await baseline(standIn, vnets, sample) : undefined;
    note('baseline done');
    const last = live[live.length - 1];
    const planned = plannedResourceGraphCalls(resources);
    const lastEvent = events[events.length - 1] as Awaited<ReturnType<typeof eventPath>>;
    process.stdout.write(
      `${JSON.stringify({
        standInStartMs,
        live: last ? { ...last, wallMs: median(live.map((l) => l.wallMs)), readMs: median(live.map((l) => l.readMs)) } : undefined,
        planned,
        floor: Math.ceil((last?.rows ?? planned.rows) / 1000),
        baseline: base,
        event: { ...lastEvent, ioMs: median(events.map((e) => e.ioMs)), computeMs: median(events.map((e) => e.computeMs)), computeColdMs: median(events.map((e) => e.computeColdMs)), spokePeerings: peeringsOf(spoke).length, hubPeerings: peeringsOf(hub).length },
      })}\n`,
    );
  } finally {
    await standIn.stop();
  }
}

void main(process.argv[2] as string, Number(process.argv[3] ?? 3), !process.argv.includes('--no-baseline'), Number(process.env.BENCH_BASELINE_SAMPLE ?? 1_000), !process.argv.includes('--no-live')).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
