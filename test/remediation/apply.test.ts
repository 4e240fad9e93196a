import { TableClient } from '@azure/data-tables';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ArmRemediationWriter } from '../../src/azure/arm-writer';
import { ArmLiveReader } from '../../src/azure/live';
import { applyPlan } from '../../src/remediation/apply';
import { RULES } from '../../src/rules';
import { networkClient } from '../../src/azure/connection';
import { parseAuditConfig } from '../../src/engine/config';
import { nameOf } from '../../src/model/ids';
import { NETWORK_API_VERSION } from '../../src/rules/describe';
import { peeringOneSided } from '../../src/rules/peering-one-sided';
import { peeringRule } from '../../src/rules/rule';
import { MemoryJournal } from '../../src/remediation/journal';
import type { RemediationJournal, RemediationWriter } from '../../src/remediation/ports';
import { REMEDIATION_TABLE, TableRemediationJournal } from '../../src/remediation/table-journal';
import { startStandIn, type StandIn } from '../azure-stand-in';
import { connectionTo } from '../azure/harness';
import { startAzurite, type AzuriteInstance } from '../support/azurite';
import { vnet } from '../support/estate';
import { applyLive, configOf, exampleEstate, HUB, planLive, spokePeering, SUB_DEV, SUB_HUB, SUB_PROD, SUBS, writesSeen } from './harness';

// The guards of applyPlan that act between planning and writing, through the real SDK clients
// against the stand-in (the plan is made, then the estate is changed, then the plan is applied).

const SPOKE2 = spokePeering(SUB_PROD, 'prod', 2);
const SPOKE3 = spokePeering(SUB_PROD, 'prod', 3);
const REVERSE3 = `${HUB}/virtualNetworkPeerings/vnet-hub-weu-to-vnet-spoke3-prod`;

/** An operator's write through ARM (the real SDK): get the peering, change it, put it back. */
async function operatorPut(standIn: StandIn, id: string, change: Record<string, unknown> = {}) {
  const [, , sub = '', , rg = '', , , , vnet = '', , name = ''] = id.split('/');
  const client = networkClient(connectionTo(standIn), sub);
  const peering = await client.virtualNetworkPeerings.get(rg, vnet, name);
  await client.virtualNetworkPeerings.beginCreateOrUpdateAndWait(rg, vnet, name, { ...peering, ...change }, { updateIntervalInMs: 5 });
}

describe('applying a sync after the VNets of a pair changed their address space', () => {
  const hubId = `/subscriptions/${SUB_HUB}/resourceGroups/rg-a/providers/Microsoft.Network/virtualNetworks/vnet-a`;
  const spokeId = `/subscriptions/${SUB_PROD}/resourceGroups/rg-b/providers/Microsoft.Network/virtualNetworks/vnet-b`;
  const wait = { updateIntervalInMs: 5 };
  let standIn: StandIn;
  let a: ReturnType<typeof networkClient>;
  let b: ReturnType<typeof networkClient>;
  beforeEach(async () => {
    standIn = await startStandIn({ resources: [vnet({ id: hubId, prefixes: ['10.0.0.0/16'] }), vnet({ id: spokeId, prefixes: ['10.1.0.0/16'] })] });
    a = networkClient(connectionTo(standIn), SUB_HUB);
    b = networkClient(connectionTo(standIn), SUB_PROD);
    await a.virtualNetworkPeerings.beginCreateOrUpdateAndWait('rg-a', 'vnet-a', 'a-to-b', { remoteVirtualNetwork: { id: spokeId } }, wait);
    await b.virtualNetworkPeerings.beginCreateOrUpdateAndWait('rg-b', 'vnet-b', 'b-to-a', { remoteVirtualNetwork: { id: hubId } }, wait);
  });
  afterEach(async () => {
    await standIn?.stop();
  });

  /** An operator adds a prefix to vnet-a's address space (10.8.0.0/16) or vnet-b's (10.9.0.0/16). */
  async function grow(side: 'a' | 'b') {
    const [client, rg, name, prefixes] = side === 'a' ? [a, 'rg-a', 'vnet-a', ['10.0.0.0/16', '10.8.0.0/16']] : [b, 'rg-b', 'vnet-b', ['10.1.0.0/16', '10.9.0.0/16']];
    const current = await client.virtualNetworks.get(rg, name);
    await client.virtualNetworks.beginCreateOrUpdateAndWait(rg, name, { ...current, addressSpace: { addressPrefixes: prefixes } }, wait);
  }

  const plannedSyncs = (planned: Awaited<ReturnType<typeof planLive>>) => planned.plan.items.filter((i) => i.ruleId === 'peering-address-space-out-of-sync' && i.status === 'planned');

  it('the first link synced reads RemoteNotInSync until the second is: the run syncs both and ends FullyInSync', async () => {
    await grow('a');
    await grow('b');
    expect((await a.virtualNetworkPeerings.get('rg-a', 'vnet-a', 'a-to-b')).peeringSyncLevel).toBe('LocalAndRemoteNotInSync');

    const config = configOf({ apply: true });
    const planned = await planLive(standIn, config);
    const syncs = plannedSyncs(planned);
    expect(syncs.length).toBeGreaterThan(0);
    const result = await applyLive(standIn, { ...planned, plan: { ...planned.plan, items: syncs.slice(0, 1) } }, config);
    expect(result.stoppedBy).toBeUndefined();
    expect(result.outcomes.map((o) => o.result)).toEqual(['applied']);
    expect((await a.virtualNetworkPeerings.get('rg-a', 'vnet-a', 'a-to-b')).peeringSyncLevel).toBe('FullyInSync');
    expect((await b.virtualNetworkPeerings.get('rg-b', 'vnet-b', 'b-to-a')).peeringSyncLevel).toBe('FullyInSync');
  });

  it('skips a sync planned for one link when the fix recomputed live syncs both: never written in part', async () => {
    await grow('a'); // only b-to-a's copy of vnet-a's space is stale: one link to sync
    const config = configOf({ apply: true });
    const planned = await planLive(standIn, config);
    const syncs = plannedSyncs(planned);
    expect(syncs.map((i) => i.operations.map((op) => nameOf(op.resourceId)))).toEqual([['b-to-a']]);
    await grow('b'); // after the audit: a-to-b needs its sync too
    standIn.requests.clear();
    const result = await applyLive(standIn, { ...planned, plan: { ...planned.plan, items: syncs } }, config);
    expect(result.outcomes).toMatchObject([{ result: 'skipped', reason: 'the fix differs on the live state (the resources changed since the audit)' }]);
    expect(writesSeen(standIn)).toEqual([]);
  });
});

describe('applying a plan: guards between plan and write', () => {
  let standIn: StandIn;
  beforeEach(async () => {
    standIn = await startStandIn({ resources: await exampleEstate() });
  });
  afterEach(async () => {
    await standIn?.stop();
  });

  it('skips an item whose resource changed since the audit (ETag), and applies the rest', async () => {
    const config = configOf({ apply: true });
    const planned = await planLive(standIn, config);
    await operatorPut(standIn, SPOKE2); // re-saved unchanged: same finding, same fix, new ETag
    standIn.requests.clear();
    const result = await applyLive(standIn, planned, config);
    const spoke2 = result.outcomes.find((o) => o.item.findingResourceId === SPOKE2);
    expect(spoke2).toMatchObject({ result: 'skipped', reason: expect.stringMatching(/changed since the audit \(ETag/) });
    expect(writesSeen(standIn).filter((w) => w.includes('spoke2-to-hub'))).toEqual([]);
    expect(result.outcomes.filter((o) => o.result === 'applied')).toHaveLength(7);
    expect(result.stoppedBy).toBeUndefined();
  });

  it('skips an item whose finding no longer holds, or whose fix changed', async () => {
    const config = configOf({ apply: true });
    const planned = await planLive(standIn, config);
    // spoke3's one-sided peering: an operator fixes it by hand (another name) ...
    const hub = networkClient(connectionTo(standIn), HUB.split('/')[2] ?? '');
    await hub.virtualNetworkPeerings.beginCreateOrUpdateAndWait('rg-hub-weu', 'vnet-hub-weu', 'hub-to-spoke3-by-hand', { remoteVirtualNetwork: { id: SPOKE3.replace(/\/virtualNetworkPeerings\/.*$/, '') }, allowVirtualNetworkAccess: true }, { updateIntervalInMs: 5 });
    // ... and spoke2's peering changes a flag the fix would carry over.
    await operatorPut(standIn, SPOKE2, { doNotVerifyRemoteGateways: true });
    standIn.requests.clear();
    const result = await applyLive(standIn, planned, config);
    expect(result.outcomes.find((o) => o.item.findingResourceId === SPOKE3)).toMatchObject({ result: 'skipped', reason: 'the finding no longer holds on the live state' });
    expect(result.outcomes.find((o) => o.item.findingResourceId === SPOKE2)).toMatchObject({ result: 'skipped', reason: expect.stringMatching(/the fix differs on the live state/) });
    expect(writesSeen(standIn).filter((w) => w.includes('spoke2-to-hub') || w.includes('spoke3'))).toEqual([]);
  });

  it('skips an item whose operation lacks a query entry of the fix recomputed live (a sync without its query)', async () => {
    const config = configOf({ apply: true });
    const planned = await planLive(standIn, config);
    const sync = planned.plan.items.find((i) => i.ruleId === 'peering-address-space-out-of-sync' && i.status === 'planned');
    expect(sync?.operations.every((op) => op.query?.syncRemoteAddressSpace === 'true')).toBe(true);
    if (!sync) throw new Error('the example estate has a sync to plan');
    const unsynced = { ...sync, operations: sync.operations.map((op) => ({ ...op, query: {} })) };
    standIn.requests.clear();
    const result = await applyLive(standIn, { ...planned, plan: { ...planned.plan, items: [unsynced] } }, config);
    expect(result.outcomes).toMatchObject([{ result: 'skipped', reason: expect.stringMatching(/the fix differs on the live state/) }]);
    expect(writesSeen(standIn)).toEqual([]);
  });

  it('skips an item when a resource it would create now exists', async () => {
    const config = configOf({ apply: true });
    const planned = await planLive(standIn, config);
    const real = new ArmRemediationWriter({ ...connectionTo(standIn), pollIntervalMs: 5 });
    // Someone takes the reverse peering's name for a peering elsewhere after the fix was recomputed
    // live (a taken name gives the fix another one), right before the write.
    const racing: RemediationWriter = {
      read(id) {
        if (id === REVERSE3 && !standIn.state.raw(REVERSE3)) {
          standIn.state.seed({ type: 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings', id: REVERSE3, name: 'vnet-hub-weu-to-vnet-spoke3-prod', properties: { remoteVirtualNetwork: { id: '/subscriptions/ffffffff-0000-0000-0000-00000000000f/resourceGroups/rg-x/providers/Microsoft.Network/virtualNetworks/vnet-x' }, peeringState: 'Initiated' } });
        }
        return real.read(id);
      },
      write: (op, condition) => real.write(op, condition),
    };
    standIn.requests.clear();
    const result = await applyPlan(planned.plan, planned.topology, {
      writer: racing, reader: new ArmLiveReader(connectionTo(standIn)), journal: new MemoryJournal(), rules: RULES, config,
      trigger: { kind: 'schedule' }, runId: 'exists', now: () => new Date(),
    });
    expect(result.outcomes.find((o) => o.item.findingResourceId === SPOKE3)).toMatchObject({ result: 'skipped', reason: `${REVERSE3} now exists (the plan expected it absent)` });
    expect(writesSeen(standIn).filter((w) => w.includes('spoke3'))).toEqual([]);
    expect(result.stoppedBy).toBeUndefined();
  });

  it('never writes more than maxWrites, whatever the plan holds', async () => {
    const planned = await planLive(standIn, configOf({ apply: true, maxWrites: 30 }));
    // 8 fixes of one write each: spoke5's space grew, so only the hub's link to it (LocalNotInSync) is synced.
    expect(planned.plan.writes).toBe(8);
    standIn.requests.clear();
    const result = await applyLive(standIn, planned, configOf({ apply: true, maxWrites: 2 }));
    expect(result.writes).toBe(2);
    expect(standIn.requests.count('armPut')).toBe(2);
    expect(result.outcomes.filter((o) => o.result === 'not-attempted').every((o) => o.reason.includes('write limit of 2'))).toBe(true);
    expect(result.outcomes.filter((o) => o.result === 'not-attempted')).toHaveLength(6);
  });

  it('a dry run writes nothing and reads nothing; the journal holds the plan', async () => {
    const config = configOf({});
    const planned = await planLive(standIn, config);
    expect(planned.plan.mode).toBe('dry-run');
    standIn.requests.clear();
    const journal = new MemoryJournal();
    const result = await applyLive(standIn, planned, config, journal);
    expect(standIn.requests.count()).toBe(0);
    expect(result.writes).toBe(0);
    expect(journal.records.filter((r) => r.status === 'planned')).toHaveLength(8);
    expect(journal.records.every((r) => r.mode === 'dry-run' && r.trigger.kind === 'cli')).toBe(true);
  });

  it('verifies by reading back: a write that does not hold stops the run', async () => {
    const config = configOf({ apply: true });
    const planned = await planLive(standIn, config);
    const real = new ArmRemediationWriter({ ...connectionTo(standIn), pollIntervalMs: 5 });
    // Something (a policy, a concurrent writer) reverts the flag as soon as the write lands.
    const reverting: RemediationWriter = {
      read: (id) => real.read(id),
      async write(op, condition) {
        const result = await real.write(op, condition);
        const stored = standIn.state.raw(op.resourceId);
        if (stored && op.resourceId === SPOKE2) stored.properties.allowForwardedTraffic = false;
        return result;
      },
    };
    const journal = new MemoryJournal();
    const result = await applyPlan(planned.plan, planned.topology, {
      writer: reverting, reader: new ArmLiveReader(connectionTo(standIn)), journal, rules: RULES, config,
      trigger: { kind: 'schedule' }, runId: 'verify', now: () => new Date(),
    });
    expect(result.outcomes.find((o) => o.item.findingResourceId === SPOKE2)).toMatchObject({ result: 'failed', reason: expect.stringMatching(/written properties do not hold: allowForwardedTraffic/) });
    expect(result.stoppedBy).toBeDefined();
    const after = result.outcomes.slice(result.outcomes.findIndex((o) => o.item.findingResourceId === SPOKE2) + 1).filter((o) => o.item.status === 'planned');
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((o) => o.result === 'not-attempted')).toBe(true);
    expect(journal.records.find((r) => r.status === 'failed')).toMatchObject({ operation: { resourceId: SPOKE2 }, before: { etag: expect.any(String) }, after: { properties: { allowForwardedTraffic: false } } });
  });

  it('after a fix, its finding must be resolved and a created peering Connected on both sides, else the run stops', async () => {
    const config = configOf({ apply: true });
    const planned = await planLive(standIn, config);
    const real = new ArmRemediationWriter({ ...connectionTo(standIn), pollIntervalMs: 5 });
    // Azure accepts the reverse peering, but the pair does not connect (the spoke's side stays Initiated).
    const unconnected: RemediationWriter = {
      read: (id) => real.read(id),
      async write(op, condition) {
        const result = await real.write(op, condition);
        if (op.resourceId === REVERSE3) {
          for (const id of [REVERSE3, SPOKE3]) {
            const stored = standIn.state.raw(id);
            if (stored) stored.properties.peeringState = 'Initiated';
          }
        }
        return result;
      },
    };
    const result = await applyPlan(planned.plan, planned.topology, {
      writer: unconnected, reader: new ArmLiveReader(connectionTo(standIn)), journal: new MemoryJournal(), rules: RULES, config,
      trigger: { kind: 'schedule' }, runId: 'connected', now: () => new Date(),
    });
    expect(result.outcomes.find((o) => o.item.findingResourceId === SPOKE3)).toMatchObject({ result: 'failed', reason: 'the finding still holds after its fix was written' });
    expect(result.stoppedBy).toBeDefined();
  });

  it('skips a fix whose VNets cannot be re-read live', async () => {
    const config = configOf({ apply: true });
    const planned = await planLive(standIn, config);
    standIn.faults.forbid(SUB_PROD, { listed: true }); // the role was removed after the audit
    standIn.requests.clear();
    const result = await applyLive(standIn, planned, config);
    const prod = result.outcomes.filter((o) => o.item.status === 'planned' && o.item.operations.some((op) => op.resourceId.includes(SUB_PROD)));
    expect(prod.length).toBeGreaterThan(0);
    expect(prod.every((o) => o.result === 'skipped' && o.reason.startsWith('could not re-read the live state'))).toBe(true);
    expect(writesSeen(standIn).filter((w) => w.includes(SUB_PROD))).toEqual([]);
    expect(result.outcomes.filter((o) => o.result === 'applied').length).toBeGreaterThan(0);
  });
});

describe('applying a plan: the live state decides (Resource Graph lags ARM)', () => {
  const vnetIn = (sub: string, rg: string, name: string) => `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworks/${name}`;
  let standIn: StandIn | undefined;
  afterEach(async () => {
    await standIn?.stop();
    standIn = undefined;
  });

  it('never repoints an existing peering: a PUT naming another remote than the live one is skipped', async () => {
    // Two VNets named "spoke": the reverse peering of dev's would take the name of the hub's peering to prod.
    const hub = vnetIn(SUB_HUB, 'rg-hub', 'hub');
    const prod = vnetIn(SUB_PROD, 'rg-app', 'spoke');
    const dev = vnetIn(SUB_DEV, 'rg-app', 'spoke');
    standIn = await startStandIn({
      subscriptions: SUBS,
      resources: [
        vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: prod, name: 'hub-to-spoke' }] }),
        vnet({ id: prod, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub, name: 'spoke-to-hub' }] }),
        vnet({ id: dev, prefixes: ['10.2.0.0/16'], peerings: [{ remote: hub, name: 'spoke-to-hub', state: 'Initiated' }] }),
      ],
    });
    // A rule whose fix names the reverse peering `{remote}-to-{local}` whatever holds that name (as
    // peering-one-sided once did), and a plan that lets it through: the apply step does not trust
    // the plan to have refused it.
    const plainNames = peeringRule({
      meta: peeringOneSided.meta,
      checkPeering(peering, topology, options) {
        const draft = peeringOneSided.checkPeering?.(peering, topology, options);
        const op = draft?.fix?.operations[0];
        if (!draft?.fix || !op) return draft;
        const resourceId = `${peering.remoteVnetId}/virtualNetworkPeerings/${nameOf(peering.remoteVnetId)}-to-${nameOf(peering.vnetId)}`;
        return { ...draft, fix: { ...draft.fix, operations: [{ ...op, resourceId }] } };
      },
    });
    const config = configOf({ apply: true });
    const planned = await planLive(standIn, config, [plainNames]);
    const hubToSpoke = `${hub}/virtualNetworkPeerings/hub-to-spoke`;
    expect(planned.plan.items).toMatchObject([{ operations: [{ method: 'PUT', resourceId: hubToSpoke }] }]);
    const items = planned.plan.items.map((i) => ({ ...i, status: 'planned' as const }));
    standIn.requests.clear();
    const result = await applyLive(standIn, { ...planned, plan: { ...planned.plan, items } }, config, new MemoryJournal(), [plainNames]);
    expect(result.outcomes).toMatchObject([{ result: 'skipped', reason: `${hubToSpoke} peers with ${prod}; the fix would point it at ${dev}: a write never repoints an existing peering` }]);
    expect(writesSeen(standIn)).toEqual([]);
    expect(standIn.state.get(hubToSpoke)?.properties.remoteVirtualNetwork).toEqual({ id: prod });
  });

  it('re-checks the opt-out tag on the VNet as ARM has it: a tag Resource Graph does not show yet still holds', async () => {
    const hub = vnetIn(SUB_HUB, 'rg-hub', 'hub');
    const spoke = vnetIn(SUB_PROD, 'rg-spoke', 'spoke');
    standIn = await startStandIn({
      subscriptions: SUBS,
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'] }), vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub, name: 'spoke-to-hub', state: 'Initiated' }] })],
    });
    standIn.state.lagGraph();
    // The hub's owners opt out through ARM; the audit (Resource Graph) does not see it yet.
    const client = networkClient(connectionTo(standIn), SUB_HUB);
    const current = await client.virtualNetworks.get('rg-hub', 'hub');
    await client.virtualNetworks.beginCreateOrUpdateAndWait('rg-hub', 'hub', { ...current, tags: { 'PeerGuard-Remediation': 'Opt-Out' } }, { updateIntervalInMs: 5 });
    const config = configOf({ apply: true });
    const planned = await planLive(standIn, config);
    expect(planned.plan.items.map((i) => i.status)).toEqual(['planned']);
    standIn.requests.clear();
    const result = await applyLive(standIn, planned, config);
    expect(result.outcomes).toMatchObject([{ result: 'skipped', reason: 'on the live state: VNet "hub" carries the opt-out tag peerguard-remediation=opt-out' }]);
    expect(writesSeen(standIn)).toEqual([]);
  });

  it('deletes an orphan peering only when ARM too has no remote VNet', async () => {
    const a = vnetIn(SUB_HUB, 'rg-a', 'vnet-a');
    const b = vnetIn(SUB_PROD, 'rg-b', 'vnet-b');
    const c = vnetIn(SUB_DEV, 'rg-c', 'vnet-c');
    const aToB = `${a}/virtualNetworkPeerings/a-to-b`;
    const aToC = `${a}/virtualNetworkPeerings/a-to-c`;
    standIn = await startStandIn({
      subscriptions: SUBS,
      resources: [vnet({ id: a, prefixes: ['10.0.0.0/16'], peerings: [{ remote: b, name: 'a-to-b', state: 'Disconnected' }, { remote: c, name: 'a-to-c', state: 'Disconnected' }] })],
    });
    standIn.state.lagGraph();
    // vnet-b is (re)created in ARM; Resource Graph has not indexed it yet. vnet-c is gone in both.
    await networkClient(connectionTo(standIn), SUB_PROD).virtualNetworks.beginCreateOrUpdateAndWait('rg-b', 'vnet-b', { location: 'westeurope', addressSpace: { addressPrefixes: ['10.1.0.0/16'] } }, { updateIntervalInMs: 5 });
    const config = configOf({ apply: true, allowDestructive: true });
    const planned = await planLive(standIn, config);
    const orphans = planned.plan.items.filter((i) => i.ruleId === 'peering-remote-vnet-missing');
    expect(orphans.map((i) => [i.findingResourceId, i.status])).toEqual([[aToB, 'planned'], [aToC, 'planned']]);
    standIn.requests.clear();
    const result = await applyLive(standIn, { ...planned, plan: { ...planned.plan, items: orphans } }, config);
    expect(result.outcomes.map((o) => [o.item.findingResourceId, o.result, o.reason])).toEqual([
      [aToB, 'skipped', 'the finding no longer holds on the live state'],
      [aToC, 'applied', '1 operation(s) written and verified; the finding is resolved'],
    ]);
    expect(standIn.requests.of('armGet').map((r) => r.path)).toEqual(expect.arrayContaining([b, c]));
    expect(writesSeen(standIn)).toEqual([`DELETE ${aToC}`]);
    expect(standIn.state.get(aToB)).toBeDefined();
  });

  it('applies a fix rebased on an earlier planned sync, though it carries the sync query its live recomputation lacks', async () => {
    const hub = vnetIn(SUB_HUB, 'rg-hub', 'hub');
    const spoke = vnetIn(SUB_PROD, 'rg-spoke', 'spoke');
    const hubToSpoke = `${hub}/virtualNetworkPeerings/hub-to-spoke`;
    standIn = await startStandIn({
      subscriptions: SUBS,
      resources: [
        vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke, name: 'hub-to-spoke', allowGatewayTransit: true, syncLevel: 'LocalNotInSync', remoteAddressSpace: ['10.1.0.0/16'] }] }),
        vnet({ id: spoke, prefixes: ['10.1.0.0/16', '10.9.0.0/16'], peerings: [{ remote: hub, name: 'spoke-to-hub', syncLevel: 'RemoteNotInSync', remoteAddressSpace: ['10.0.0.0/16'] }] }),
      ],
    });
    // Rated info, the withdrawal of the empty transit offer comes after the sync of the same peering.
    const config = parseAuditConfig(
      { rules: { 'gateway-transit-allowed-without-gateway': 'info' }, remediation: { enabled: true, apply: true, subscriptions: SUBS, maxWrites: 30 } },
      RULES.map((r) => r.meta.id),
    );
    const planned = await planLive(standIn, config);
    const withdraw = planned.plan.items.find((i) => i.ruleId === 'gateway-transit-allowed-without-gateway');
    expect(withdraw).toMatchObject({ status: 'planned', operations: [{ resourceId: hubToSpoke, query: { syncRemoteAddressSpace: 'true' }, body: { properties: { allowGatewayTransit: false } } }] });
    const result = await applyLive(standIn, planned, config);
    expect(result.outcomes.find((o) => o.item === withdraw)).toMatchObject({ result: 'applied' });
    expect(result.stoppedBy).toBeUndefined();
    expect(standIn.state.get(hubToSpoke)?.properties.allowGatewayTransit).toBe(false);
  });
});

describe('the ARM writer (real @azure/arm-network client)', () => {
  let standIn: StandIn;
  beforeAll(async () => {
    standIn = await startStandIn({ resources: await exampleEstate() });
  });
  afterAll(async () => {
    await standIn?.stop();
  });
  const writer = () => new ArmRemediationWriter({ ...connectionTo(standIn), retry: { maxRetries: 0 }, pollIntervalMs: 5 });
  const put = (id: string, properties: Record<string, unknown>, query?: Record<string, string>, apiVersion = NETWORK_API_VERSION) => ({ method: 'PUT' as const, resourceId: id, apiVersion, body: { properties }, ...(query ? { query } : {}) });

  it('writes with If-Match on the ETag, syncRemoteAddressSpace in the query, and keeps the condition off the polls', async () => {
    const w = writer();
    const before = await w.read(SPOKE2);
    standIn.requests.clear();
    const after = await w.write(put(SPOKE2, { ...before?.properties, allowForwardedTraffic: true }, { syncRemoteAddressSpace: 'true' }), { ifMatch: before?.etag ?? '' });
    expect(after?.properties.allowForwardedTraffic).toBe(true);
    expect(after?.etag).not.toBe(before?.etag);
    const [request] = standIn.requests.of('armPut');
    expect(request?.headers['if-match']).toBe(before?.etag);
    expect(request?.query.syncRemoteAddressSpace).toBe('true');
    expect(standIn.requests.count('armOperation')).toBeGreaterThan(0); // waited for the long-running operation
    const gets = [...standIn.requests.of('armOperation'), ...standIn.requests.of('armGet')];
    expect(gets.every((g) => g.headers['if-match'] === undefined)).toBe(true);
  });

  it('a stale ETag, or creating what exists, is refused (412) and changes nothing', async () => {
    const w = writer();
    const current = await w.read(SPOKE2);
    await expect(w.write(put(SPOKE2, { ...current?.properties, allowVirtualNetworkAccess: false }), { ifMatch: 'W/"stale"' })).rejects.toMatchObject({ statusCode: 412 });
    await expect(w.write(put(SPOKE2, { ...current?.properties }), { ifNoneMatch: '*' })).rejects.toMatchObject({ statusCode: 412 });
    await expect(w.write({ method: 'DELETE', resourceId: SPOKE2, apiVersion: NETWORK_API_VERSION }, { ifMatch: 'W/"stale"' })).rejects.toMatchObject({ statusCode: 412 });
    expect((await w.read(SPOKE2))?.etag).toBe(current?.etag);
  });

  it('refuses a write whose api-version is not the one the SDK sends, before sending it', async () => {
    const w = writer();
    const current = await w.read(SPOKE2);
    standIn.requests.clear();
    const refused = new RegExp(`the operation names api-version 2020-01-01, but @azure/arm-network sends api-version ${NETWORK_API_VERSION}`);
    await expect(w.write(put(SPOKE2, { ...current?.properties, allowForwardedTraffic: true }, undefined, '2020-01-01'), { ifMatch: current?.etag ?? '' })).rejects.toThrow(refused);
    await expect(w.write({ method: 'DELETE', resourceId: SPOKE2, apiVersion: '2020-01-01' }, { ifMatch: current?.etag ?? '' })).rejects.toThrow(refused);
    expect(writesSeen(standIn)).toEqual([]);
    expect((await w.read(SPOKE2))?.etag).toBe(current?.etag);
    // The plan's version is the SDK's: what the journal records is what goes on the wire.
    await w.write(put(SPOKE2, { ...current?.properties }), { ifMatch: current?.etag ?? '' });
    expect(standIn.requests.of('armPut').map((r) => r.query['api-version'])).toEqual([NETWORK_API_VERSION]);
  });

  it('refuses anything but a peering', async () => {
    await expect(writer().write(put(HUB, {}), { ifNoneMatch: '*' })).rejects.toThrow(/only virtual network peerings/);
  });
});

describe('the remediation journal on Table Storage (Azurite)', () => {
  let azurite: AzuriteInstance;
  let standIn: StandIn;
  beforeAll(async () => {
    azurite = await startAzurite();
    standIn = await startStandIn({ resources: await exampleEstate() });
  }, 30_000);
  afterAll(async () => {
    await standIn?.stop();
    await azurite?.stop();
  });

  it('holds every planned, applied, skipped and failed record with trigger, before and after', async () => {
    const table = new TableRemediationJournal(TableClient.fromConnectionString(azurite.connectionString, REMEDIATION_TABLE, { allowInsecureConnection: true }));
    const memory = new MemoryJournal();
    const config = configOf({ apply: true, allowDestructive: true });
    const planned = await planLive(standIn, config);
    standIn.faults.add({ kind: 'armDelete', when: (r) => r.path.includes('hub-to-spoke14-retired') }, { type: 'status', status: 409, code: 'Conflict', message: 'busy' }, Infinity);
    // Every record goes to memory and to the table: what the table gives back must equal what was written.
    const both: RemediationJournal = {
      record: async (entry) => {
        await memory.record(entry);
        await table.record(entry);
      },
    };
    const result = await applyLive(standIn, planned, config, both);
    // Read back the way the Functions app's mails do (listSince), this run's records only.
    const stored = (await table.listSince('')).filter((r) => r.runId === result.runId);
    expect(stored).toEqual(memory.records);
    const statuses = new Set(stored.map((r) => r.status));
    for (const s of ['planned', 'skipped', 'applied', 'failed', 'not-attempted']) expect(statuses.has(s as never)).toBe(true);
    const applied = stored.find((r) => r.status === 'applied' && r.operation?.method === 'PUT' && r.before);
    expect(applied).toMatchObject({ trigger: { kind: 'cli', user: 'test' }, before: { etag: expect.any(String) }, after: { etag: expect.any(String) } });
    // The write was conditional on the ETag read right before it.
    expect(applied?.reason).toContain(`If-Match ${applied?.before?.etag}`);
    const put = standIn.requests.of('armPut').find((r) => r.path === applied?.operation?.resourceId);
    expect(put?.headers['if-match']).toBe(applied?.before?.etag);
    expect(stored.find((r) => r.status === 'failed')?.reason).toMatch(/409 Conflict/);
    expect((await table.listSince(stored[0]?.at ?? '')).length).toBe(stored.length);
  });
});
