import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/engine/config';
import { auditResources } from '../../src/engine/pipeline';
import { buildTopology } from '../../src/model/build';
import type { Prefix } from '../../src/model/cidr';
import type { RawResource } from '../../src/model/snapshot';
import type { Topology } from '../../src/model/types';
import type { AuditScope, Inventory } from '../../src/ports';
import { RULES } from '../../src/rules';
import { SUB_A, SUB_B, SUB_C } from '../support/estate';
import { recordingSleep } from '../support/recording-sleep';
import { inventoryReader, useStandIn } from './harness';
import { bulkVnets, realisticEstate } from './realistic-estate';

// The Resource Graph inventory through the real @azure/arm-resourcegraph client against the stand-in.

const NOW = new Date('2025-06-01T00:00:00Z');
const ALL: AuditScope = { kind: 'subscriptions', subscriptionIds: [SUB_A, SUB_B, SUB_C] };

function audit(resources: Inventory['resources'], subscriptions: string[], unreadable: Inventory['unreadable'] = []) {
  return auditResources({ resources, rules: RULES, config: DEFAULT_CONFIG, now: NOW, version: 'test', extraSubscriptions: subscriptions, unreadable }).report;
}
const fromFile = (raw: RawResource[]) => audit(raw.map((resource, i) => ({ resource, source: `estate.json at [${i}]` })), []);
const shape = (findings: { ruleId: string; resourceId: string; fingerprint: string; message: string }[]) =>
  findings.map((f) => ({ ruleId: f.ruleId, resourceId: f.resourceId.toLowerCase(), fingerprint: f.fingerprint, message: f.message }));

/** Everything the builder makes of an estate, in a form two reads of it can be compared in (ARM lists children in its own order). */
function topologyShape(topology: Topology): unknown[] {
  const keys = (prefixes: readonly Prefix[] | undefined) => prefixes?.map((p) => p.key);
  const byKey = <T extends { key: string }>(list: readonly T[]) => [...list].sort((a, b) => (a.key < b.key ? -1 : 1));
  return [...topology.vnets.values()]
    .sort((a, b) => (a.key < b.key ? -1 : 1))
    .map((v) => ({
      key: v.key,
      name: v.name,
      location: v.location,
      tags: v.tags,
      prefixes: keys(v.prefixes),
      subnets: byKey(v.subnets).map((s) => ({ key: s.key, prefixes: keys(s.prefixes), routeTableKey: s.routeTableKey })),
      peerings: byKey(v.peerings).map((p) => ({
        key: p.key,
        remote: p.remoteVnetKey,
        flags: [p.allowVirtualNetworkAccess, p.allowForwardedTraffic, p.allowGatewayTransit, p.useRemoteGateways, p.peerCompleteVnets, p.enableOnlyIPv6Peering, p.remoteInScope],
        states: [p.peeringState, p.peeringSyncLevel, p.provisioningState],
        spaces: [keys(p.remoteAddressSpace), keys(p.remoteVirtualNetworkAddressSpace)],
        subnetNames: [p.localSubnetNames, p.remoteSubnetNames],
        writable: p.writable,
        reverse: p.reverse?.key,
      })),
      gateways: v.gateways.map((g) => [g.key, g.kind, g.sku]),
      appliances: v.appliances.map((a) => [a.key, a.kind, keys(a.privateIps)]),
      routeTables: byKey(v.routeTables).map((t) => ({
        key: t.key,
        disableBgpRoutePropagation: t.disableBgpRoutePropagation,
        routes: t.routes.map((r) => [r.name, r.addressPrefix, r.nextHopType, r.nextHopIp?.key]),
        subnetKeys: [...t.subnetKeys].sort(),
      })),
      meshGroupKeys: v.meshGroupKeys,
      avnmHub: v.avnmHub,
    }));
}

describe('Resource Graph inventory', () => {
  const standIn = useStandIn(() => ({ resources: realisticEstate(), managementGroups: { 'mg-platform': [SUB_A, SUB_B] } }));

  it('gives the same findings as the same estate read from a file, in one query', async () => {
    const inventory = await inventoryReader(standIn()).readInventory(ALL);
    expect(inventory.unreadable).toEqual([]);
    expect(inventory.subscriptions).toEqual([SUB_A, SUB_B, SUB_C].sort());
    const live = audit(inventory.resources, inventory.subscriptions);
    const file = fromFile(realisticEstate());
    expect(live.findings.length).toBeGreaterThan(3);
    expect(shape(live.findings)).toEqual(shape(file.findings));
    expect(live.summary).toEqual(file.summary);
    expect(standIn().requests.counts()).toEqual({ subscriptions: 1, resourceGraph: 1 });
    // The query names every type the topology reads and keeps NICs to the forwarding ones.
    const query = String((standIn().requests.of('resourceGraph')[0]?.body as { query: string }).query);
    expect(query).toMatch(/enableIPForwarding == true/);
    expect(query).toMatch(/project id,/);
    expect(inventory.resources.some((r) => r.resource.name === 'vm-nic-plain')).toBe(false);
  });

  it('sends no networkresources query for an estate without a network manager', async () => {
    await inventoryReader(standIn()).readInventory(ALL);
    await inventoryReader(standIn()).readInventory({ kind: 'tenant' });
    const tables = standIn()
      .requests.of('resourceGraph')
      .map((r) => String((r.body as { query: string }).query).split('\n')[0]);
    expect(tables).toEqual(['resources', 'resources']);
  });

  it("projects every property the topology reads: the same topology as the file's (the stand-in applies the projection)", async () => {
    const inventory = await inventoryReader(standIn()).readInventory(ALL);
    const live = buildTopology(inventory.resources, { extraSubscriptions: inventory.subscriptions });
    const file = buildTopology(realisticEstate().map((resource, i) => ({ resource, source: `estate.json at [${i}]` })), { extraSubscriptions: inventory.subscriptions });
    expect(topologyShape(live)).toEqual(topologyShape(file));
    expect([...live.routeTables.values()].some((t) => t.disableBgpRoutePropagation)).toBe(true);
  });

  it('reads a management group through its subscriptions, and everything visible for the tenant', async () => {
    const mg = await inventoryReader(standIn()).readInventory({ kind: 'managementGroup', managementGroupId: 'mg-platform' });
    expect(mg.subscriptions).toEqual([SUB_A, SUB_B].sort());
    expect(standIn().requests.count('resourceGraph')).toBe(2);
    expect((standIn().requests.of('resourceGraph')[0]?.body as { managementGroups: string[] }).managementGroups).toEqual(['mg-platform']);
    const unknown = await inventoryReader(standIn()).readInventory({ kind: 'managementGroup', managementGroupId: 'mg-nope' });
    expect(unknown.unreadable).toEqual([{ scope: '/providers/Microsoft.Management/managementGroups/mg-nope', reason: expect.stringMatching(/403 AuthorizationFailed/) }]);
    const tenant = await inventoryReader(standIn()).readInventory({ kind: 'tenant' });
    expect(tenant.subscriptions).toEqual([SUB_A, SUB_B, SUB_C].sort());
  });

  it('recovers from a 429 by retrying it in the SDK pipeline, without a wait of its own on top', async () => {
    standIn().faults.throttle('resourceGraph', { retryAfterSeconds: 1 });
    const adapter = recordingSleep();
    const inventory = await inventoryReader(standIn(), { sleep: adapter.sleep }).readInventory(ALL);
    expect(inventory.unreadable).toEqual([]);
    expect(standIn().requests.of('resourceGraph').map((r) => r.status)).toEqual([429, 200]);
    expect(adapter.asked).toEqual([]);
  });

  it('with the SDK pipeline retries off, the adapter itself waits Retry-After before reading the page again', async () => {
    standIn().faults.throttle('resourceGraph', { retryAfterSeconds: 1 });
    const adapter = recordingSleep();
    const inventory = await inventoryReader(standIn(), { retry: { maxRetries: 0 }, sleep: adapter.sleep }).readInventory(ALL);
    expect(inventory.unreadable).toEqual([]);
    expect(standIn().requests.of('resourceGraph').map((r) => r.status)).toEqual([429, 200]);
    // Retry-After: 1 (seconds), longer than the 10 ms back-off these tests configure.
    expect(adapter.asked).toEqual([1000]);
  });

  it('recovers from a burst of 500/503 answers', async () => {
    standIn().faults.fail('resourceGraph', 503, 2);
    standIn().faults.fail('resourceGraph', 500, 2);
    const inventory = await inventoryReader(standIn()).readInventory(ALL);
    expect(inventory.unreadable).toEqual([]);
    expect(inventory.resources.length).toBeGreaterThan(10);
    expect(standIn().requests.of('resourceGraph').map((r) => r.status)).toEqual([503, 503, 500, 500, 200]);
  });

  describe('a stop (ReadStop): what was read is kept, the rest is unreadable with its reason', () => {
    const REASON = 'not read: stopped for the test';

    it('stopped after the first batch: no further query, the other subscriptions unreadable', async () => {
      const stop = new AbortController();
      const inventory = await inventoryReader(standIn(), { batchSize: 1 }).readInventory(
        ALL,
        (p) => {
          if (p.subscriptionsDone === 1) stop.abort();
        },
        undefined,
        { signal: stop.signal, reason: REASON },
      );
      const [first, ...rest] = [SUB_A, SUB_B, SUB_C];
      expect(inventory.subscriptions).toEqual([first]);
      expect(inventory.unreadable).toEqual(rest.map((scope) => ({ scope, reason: REASON })));
      expect(inventory.resources.length).toBeGreaterThan(0);
      expect(inventory.resources.every((r) => r.resource.id.toLowerCase().startsWith(`/subscriptions/${first}/`))).toBe(true);
      // Every query named the first subscription alone: none was sent for the others.
      const queried = standIn().requests.of('resourceGraph').map((r) => r.subscriptions);
      expect(queried.length).toBeGreaterThan(0);
      expect(queried.every((subs) => subs.length === 1 && subs[0] === first)).toBe(true);
    });

    it('stopped within a batch: the batch is unreadable, nothing of it is kept, and the read does not throw', async () => {
      standIn().faults.slow('resourceGraph', 2_000, Infinity);
      const inventory = await inventoryReader(standIn()).readInventory(ALL, undefined, undefined, { signal: AbortSignal.timeout(200), reason: REASON });
      expect(inventory.resources).toEqual([]);
      expect(inventory.subscriptions).toEqual([]);
      expect(inventory.unreadable).toEqual([SUB_A, SUB_B, SUB_C].sort().map((scope) => ({ scope, reason: REASON })));
      expect(standIn().requests.count('resourceGraph')).toBe(1);
    });

    it('a halt (signal) still throws, and so does a stop before the scope\'s subscriptions are listed', async () => {
      const halted = new AbortController();
      halted.abort(new Error('halted'));
      const stop = { signal: new AbortController().signal, reason: REASON };
      await expect(inventoryReader(standIn()).readInventory(ALL, undefined, halted.signal, stop)).rejects.toThrow('halted');
      const early = new AbortController();
      early.abort(new Error('stopped early'));
      await expect(inventoryReader(standIn()).readInventory({ kind: 'tenant' }, undefined, undefined, { signal: early.signal, reason: REASON })).rejects.toThrow('stopped early');
      expect(standIn().requests.count('resourceGraph')).toBe(0);
    });
  });

  it('ends in explicit partial coverage when Resource Graph keeps failing, without throwing', async () => {
    standIn().faults.fail('resourceGraph', 500, Infinity);
    const inventory = await inventoryReader(standIn(), { pageAttempts: 2 }).readInventory(ALL);
    expect(inventory.resources).toEqual([]);
    expect(inventory.subscriptions).toEqual([]);
    expect(inventory.unreadable.map((u) => u.scope).sort()).toEqual([SUB_A, SUB_B, SUB_C].sort());
    expect(inventory.unreadable[0]?.reason).toMatch(/failed after 2 attempts \(500 InternalServerError/);
    // 2 adapter attempts × (1 + 3 SDK retries)
    expect(standIn().requests.count('resourceGraph')).toBe(8);
    const report = audit(inventory.resources, inventory.subscriptions, inventory.unreadable);
    expect(report.coverage.unreadable).toHaveLength(3);
  });

  it('a query Resource Graph rejects (400) is not retried, and its reason does not claim attempts it did not make', async () => {
    standIn().faults.add({ kind: 'resourceGraph' }, { type: 'status', status: 400, code: 'BadRequest', message: 'Query is invalid.' }, Infinity);
    const inventory = await inventoryReader(standIn(), { pageAttempts: 3 }).readInventory(ALL);
    expect(inventory.unreadable[0]?.reason).toBe('Resource Graph query failed (400 BadRequest: Query is invalid.)');
    expect(standIn().requests.count('resourceGraph')).toBe(1);
  });

  it('recovers from a dropped connection', async () => {
    standIn().faults.drop('resourceGraph', 2);
    const inventory = await inventoryReader(standIn()).readInventory(ALL);
    expect(inventory.unreadable).toEqual([]);
    expect(standIn().requests.of('resourceGraph').map((r) => r.status)).toEqual([0, 0, 200]);
  });

  it('retries an answer slower than the client timeout, and reports it when it stays slow', async () => {
    standIn().faults.slow('resourceGraph', 800);
    const recovered = await inventoryReader(standIn(), { requestTimeoutMs: 300 }).readInventory(ALL);
    expect(recovered.unreadable).toEqual([]);
    expect(standIn().requests.count('resourceGraph')).toBe(2);

    standIn().requests.clear();
    standIn().faults.slow('resourceGraph', 800, Infinity);
    const slow = await inventoryReader(standIn(), { requestTimeoutMs: 200, pageAttempts: 2 }).readInventory(ALL);
    expect(slow.unreadable.map((u) => u.scope).sort()).toEqual([SUB_A, SUB_B, SUB_C].sort());
    expect(slow.unreadable[0]?.reason).toMatch(/no answer within the request timeout/);
  });

  it('isolates a subscription Resource Graph refuses (403) and reads the others', async () => {
    standIn().faults.forbid(SUB_B, { listed: true });
    const inventory = await inventoryReader(standIn()).readInventory(ALL);
    expect(inventory.subscriptions).toEqual([SUB_A, SUB_C].sort());
    expect(inventory.unreadable).toEqual([{ scope: SUB_B, reason: expect.stringMatching(/access denied by Resource Graph \(403 AuthorizationFailed/) }]);
    expect(inventory.resources.every((r) => !r.resource.id.includes(SUB_B))).toBe(true);
    // [A,B,C] → 403; [A,B] → 403; [A] ok; [B] 403; [C] ok
    expect(standIn().requests.of('resourceGraph').map((r) => r.status)).toEqual([403, 403, 200, 403, 200]);
    const report = audit(inventory.resources, inventory.subscriptions, inventory.unreadable);
    expect(report.coverage.unreadable).toHaveLength(1);
    // Peerings towards the unread subscription are out of scope, never "missing".
    expect(report.findings.some((f) => f.ruleId === 'peering-remote-vnet-missing' && f.resourceId.includes('hub-weu'))).toBe(false);
  });

  it('reports a subscription Resource Graph leaves out without an error as unreadable, never as read and empty', async () => {
    standIn().options.resourceGraphForbidden = 'omit';
    standIn().faults.forbid(SUB_B, { listed: true });
    const inventory = await inventoryReader(standIn())
      .readInventory(ALL)
      .finally(() => (standIn().options.resourceGraphForbidden = 'reject'));
    expect(inventory.subscriptions).toEqual([SUB_A, SUB_C].sort());
    expect(inventory.unreadable).toEqual([{ scope: SUB_B, reason: expect.stringMatching(/Resource Graph returned no row for the subscription itself/) }]);
    expect(standIn().requests.count('resourceGraph')).toBe(1);
    const report = audit(inventory.resources, inventory.subscriptions, inventory.unreadable);
    // Its VNets are unknown: the hub's peerings into it are out of scope, not orphans to delete.
    expect(report.findings.filter((f) => f.ruleId === 'peering-remote-vnet-missing' && f.message.includes(SUB_B))).toEqual([]);
  });

  it('reports a subscription the identity cannot see without querying it', async () => {
    standIn().faults.forbid(SUB_C, { listed: false });
    const inventory = await inventoryReader(standIn()).readInventory(ALL);
    expect(inventory.unreadable).toEqual([{ scope: SUB_C, reason: expect.stringMatching(/not visible to the identity/) }]);
    expect(standIn().requests.count('resourceGraph')).toBe(1);
    expect((standIn().requests.of('resourceGraph')[0]?.body as { subscriptions: string[] }).subscriptions).toEqual([SUB_A, SUB_B]);
  });

  it('reports a result Resource Graph truncated (resultTruncated, no $skipToken) as unread, without retrying it', async () => {
    standIn().state.graphTruncation = 'flagged';
    try {
      const inventory = await inventoryReader(standIn(), { pageSize: 5 }).readInventory(ALL);
      expect(inventory.resources).toEqual([]);
      expect(inventory.subscriptions).toEqual([]);
      expect(inventory.unreadable.map((u) => u.scope).sort()).toEqual([SUB_A, SUB_B, SUB_C].sort());
      expect(inventory.unreadable[0]?.reason).toMatch(/^Resource Graph truncated the result \(resultTruncated, no \$skipToken\) after 5 of \d+ rows: the rest is unknown$/);
      expect(standIn().requests.count('resourceGraph')).toBe(1);
      // A management group's subscriptions listed from a truncated result are not all its subscriptions.
      const mg = await inventoryReader(standIn(), { pageSize: 1 }).readInventory({ kind: 'managementGroup', managementGroupId: 'mg-platform' });
      expect(mg.unreadable).toEqual([{ scope: '/providers/Microsoft.Management/managementGroups/mg-platform', reason: expect.stringMatching(/could not be listed: Resource Graph truncated the result .* after 1 of 2 rows/) }]);
    } finally {
      standIn().state.graphTruncation = 'none';
    }
  });

  it('reports a result whose pages end short of its totalRecords as unread', async () => {
    standIn().state.graphTruncation = 'silent';
    try {
      const inventory = await inventoryReader(standIn(), { pageSize: 5 }).readInventory(ALL);
      expect(inventory.subscriptions).toEqual([]);
      expect(inventory.unreadable.map((u) => u.scope).sort()).toEqual([SUB_A, SUB_B, SUB_C].sort());
      expect(inventory.unreadable[0]?.reason).toMatch(/^Resource Graph's pages ended after 5 of the result's \d+ rows: the rest is unknown$/);
    } finally {
      standIn().state.graphTruncation = 'none';
    }
  });

  it('pauses when the user quota is exhausted (x-ms-user-quota-remaining: 0)', async () => {
    standIn().options.quota = { perWindow: 1, windowMs: 400, enforce: true };
    await new Promise((r) => setTimeout(r, 450)); // a fresh quota window
    const waits: number[] = [];
    try {
      const reader = inventoryReader(standIn(), { pageSize: 10, sleep: (ms) => { waits.push(ms); return new Promise((r) => setTimeout(r, ms)); } });
      const inventory = await reader.readInventory(ALL);
      expect(inventory.unreadable).toEqual([]);
      expect(standIn().requests.of('resourceGraph').every((r) => r.status === 200)).toBe(true);
      expect(standIn().requests.count('resourceGraph')).toBe(2);
      expect(waits.length).toBeGreaterThanOrEqual(1);
    } finally {
      standIn().options.quota = { perWindow: 15, windowMs: 5_000, enforce: false };
    }
  });
});

describe('Resource Graph paging', () => {
  const standIn = useStandIn(() => ({ resources: bulkVnets(2_500) }));

  it('reads 2,500 rows in 3 pages of at most 1,000, with progress', async () => {
    const progress: number[] = [];
    const inventory = await inventoryReader(standIn()).readInventory({ kind: 'subscriptions', subscriptionIds: [SUB_C] }, (p) => progress.push(p.rows));
    expect(inventory.resources).toHaveLength(2_500);
    expect(new Set(inventory.resources.map((r) => r.resource.id.toLowerCase())).size).toBe(2_500);
    expect(standIn().requests.count('resourceGraph')).toBe(3);
    expect(standIn().requests.of('resourceGraph').map((r) => (r.body as { options: { $top: number } }).options.$top)).toEqual([1000, 1000, 1000]);
    expect(progress).toContain(2_500);
  });

  it('batches subscriptions under 300 per query', async () => {
    standIn().requests.clear();
    const many = Array.from({ length: 650 }, (_, i) => `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`);
    for (const s of many) standIn().state.addSubscription(s);
    const inventory = await inventoryReader(standIn()).readInventory({ kind: 'tenant' });
    expect(inventory.subscriptions).toHaveLength(651);
    const sizes = standIn().requests.of('resourceGraph').map((r) => r.subscriptions.length);
    expect(Math.max(...sizes)).toBeLessThan(300);
    expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(651);
  });
});
