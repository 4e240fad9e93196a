import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArmRemediationWriter } from '../../src/azure/arm-writer';
import { networkClient } from '../../src/azure/connection';
import { MemoryJournal } from '../../src/remediation/journal';
import type { RemediationWriter } from '../../src/remediation/ports';
import { RULES } from '../../src/rules';
import { NETWORK_API_VERSION } from '../../src/rules/describe';
import { startStandIn, type StandIn } from '../azure-stand-in';
import { connectionTo } from '../azure/harness';
import { vnet } from '../support/estate';
import { applyLive, configOf, exampleEstate, only, planLive, spokePeering, SUB_HUB, SUB_PROD, writesSeen } from './harness';

// applyPlan against what happens while it writes, through the real SDK clients and the stand-in:
// an operator's change between two writes of one fix, an answer lost after ARM applied the write,
// and long-running operations that do not finish (the run's deadline, each write's own limit).

const SPOKE2 = spokePeering(SUB_PROD, 'prod', 2);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** `work`'s outcome, or 'still waiting' after `ms`. */
const within = <T>(work: Promise<T>, ms: number) => Promise.race([work, sleep(ms).then(() => 'still waiting' as const)]);

/** An operator's write through ARM (the real SDK): get the peering, change it, put it back. */
async function operatorPut(standIn: StandIn, id: string, change: Record<string, unknown>) {
  const [, , sub = '', , rg = '', , , , vnetName = '', , name = ''] = id.split('/');
  const client = networkClient(connectionTo(standIn), sub);
  const peering = await client.virtualNetworkPeerings.get(rg, vnetName, name);
  await client.virtualNetworkPeerings.beginCreateOrUpdateAndWait(rg, vnetName, name, { ...peering, ...change }, { updateIntervalInMs: 5 });
}

/** The real writer, with `between` run after its first write returns (an operator acting between two writes of one fix). */
function actingAfterFirstWrite(standIn: StandIn, between: () => Promise<void>): RemediationWriter {
  const real = new ArmRemediationWriter({ ...connectionTo(standIn), retry: { maxRetries: 0 }, pollIntervalMs: 5 });
  let writes = 0;
  return {
    read: (id) => real.read(id),
    async write(op, condition, signal) {
      const result = await real.write(op, condition, signal);
      if (++writes === 1) await between();
      return result;
    },
  };
}

describe('an operator changes a resource between two writes of one fix', () => {
  const A = `/subscriptions/${SUB_HUB}/resourceGroups/rg-a/providers/Microsoft.Network/virtualNetworks/vnet-a`;
  const B = `/subscriptions/${SUB_PROD}/resourceGroups/rg-b/providers/Microsoft.Network/virtualNetworks/vnet-b`;
  const AB = `${A}/virtualNetworkPeerings/a-to-b`;
  const BA = `${B}/virtualNetworkPeerings/b-to-a`;
  let standIn: StandIn;
  afterEach(async () => {
    await standIn?.stop();
  });

  it('a sync of both links: the second link is not written over the change, and the run stops', async () => {
    standIn = await startStandIn({ resources: [vnet({ id: A, prefixes: ['10.0.0.0/16'] }), vnet({ id: B, prefixes: ['10.1.0.0/16'] })] });
    const a = networkClient(connectionTo(standIn), SUB_HUB);
    const b = networkClient(connectionTo(standIn), SUB_PROD);
    const wait = { updateIntervalInMs: 5 };
    await a.virtualNetworkPeerings.beginCreateOrUpdateAndWait('rg-a', 'vnet-a', 'a-to-b', { remoteVirtualNetwork: { id: B } }, wait);
    await b.virtualNetworkPeerings.beginCreateOrUpdateAndWait('rg-b', 'vnet-b', 'b-to-a', { remoteVirtualNetwork: { id: A } }, wait);
    // Both spaces change: each link's view of its remote is stale (LocalAndRemoteNotInSync), so one fix syncs both links.
    const current = await b.virtualNetworks.get('rg-b', 'vnet-b');
    await b.virtualNetworks.beginCreateOrUpdateAndWait('rg-b', 'vnet-b', { ...current, addressSpace: { addressPrefixes: ['10.1.0.0/16', '10.9.0.0/16'] } }, wait);
    const currentA = await a.virtualNetworks.get('rg-a', 'vnet-a');
    await a.virtualNetworks.beginCreateOrUpdateAndWait('rg-a', 'vnet-a', { ...currentA, addressSpace: { addressPrefixes: ['10.0.0.0/16', '10.8.0.0/16'] } }, wait);

    const config = configOf({ apply: true });
    const planned = only(await planLive(standIn, config), 'peering-address-space-out-of-sync', 1);
    expect(planned.plan.items[0]?.operations.map((op) => op.resourceId)).toEqual([AB, BA]);
    // Right after peerguard's first write, an operator turns off access on the second link.
    const writer = actingAfterFirstWrite(standIn, () => operatorPut(standIn, BA, { allowVirtualNetworkAccess: false }));
    standIn.requests.clear();
    const journal = new MemoryJournal();
    const result = await applyLive(standIn, planned, config, journal, RULES, { writer });

    expect(result.outcomes).toMatchObject([
      { result: 'failed', reason: `after a partial write of this fix: ${BA} changed since the audit (allowVirtualNetworkAccess is false, audited true, the fix writes true): the fix would overwrite that change` },
    ]);
    expect(result.stoppedBy).toBeDefined();
    expect((await b.virtualNetworkPeerings.get('rg-b', 'vnet-b', 'b-to-a')).allowVirtualNetworkAccess).toBe(false);
    // peerguard's one write (a-to-b), and the operator's.
    expect(standIn.requests.of('armPut').map((r) => r.path)).toEqual([AB, BA]);
    expect(journal.records.filter((r) => r.status === 'applied').map((r) => r.operation?.resourceId)).toEqual([AB]);
  });

  it('a Disconnected re-create: the second link is not deleted (and re-created with the audited settings) over the change', async () => {
    standIn = await startStandIn({
      resources: [
        vnet({ id: A, prefixes: ['10.0.0.0/16'], peerings: [{ remote: B, name: 'a-to-b', state: 'Disconnected' }] }),
        vnet({ id: B, prefixes: ['10.1.0.0/16'], peerings: [{ remote: A, name: 'b-to-a', state: 'Disconnected' }] }),
      ],
    });
    const config = configOf({ apply: true, allowDestructive: true });
    const planned = only(await planLive(standIn, config), 'peering-disconnected');
    const ops = planned.plan.items.flatMap((i) => i.operations.map((op) => `${op.method} ${op.resourceId}`));
    expect(ops).toEqual([`DELETE ${AB}`, `DELETE ${BA}`, `PUT ${AB}`, `PUT ${BA}`]);
    // After the first delete, an operator allows forwarded traffic on the link that remains.
    const writer = actingAfterFirstWrite(standIn, () => operatorPut(standIn, BA, { allowForwardedTraffic: true }));
    standIn.requests.clear();
    const result = await applyLive(standIn, planned, config, new MemoryJournal(), RULES, { writer });

    expect(result.outcomes).toMatchObject([
      { result: 'failed', reason: `after a partial write of this fix: ${BA} changed since the audit (allowForwardedTraffic is true, audited false, the fix writes false): the fix would overwrite that change` },
    ]);
    expect(standIn.requests.of('armDelete').map((r) => r.path)).toEqual([AB]);
    expect(standIn.state.get(BA)?.properties.allowForwardedTraffic).toBe(true);
  });
});

describe('applying against the example estate: lost answers and slow operations', () => {
  let standIn: StandIn;
  beforeEach(async () => {
    standIn = await startStandIn({ resources: await exampleEstate() });
  });
  afterEach(async () => {
    await standIn?.stop();
  });

  // The SDK's retries stay (a 429 or 5xx must be retried); a retried conditional write is the same write.
  const retryingWriter = () =>
    new ArmRemediationWriter({ ...connectionTo(standIn), requestTimeoutMs: 5_000, retry: { maxRetries: 2, retryDelayMs: 5, maxRetryDelayMs: 10 }, pollIntervalMs: 5 });

  it.each([
    ['an update (If-Match)', 'transit-forwarded-traffic-blocked', /^PUT \(If-Match [^)]+\) failed with 412 PreconditionFailed: .*, but verified by reading it back: the written state holds$/],
    ['a create (If-None-Match: *)', 'peering-one-sided', /^PUT \(If-None-Match: \*\) failed with 412 PreconditionFailed: .*, but verified by reading it back: the written state holds$/],
  ])('%s whose answer was lost after ARM applied it (the retry meets 412) is read back and counted applied, once', async (_, ruleId, applied) => {
    const planned = only(await planLive(standIn, configOf({ apply: true })), ruleId, 1);
    expect(planned.plan.items).toHaveLength(1);
    // One write allowed: the retried HTTP attempt is the same write.
    const config = configOf({ apply: true, maxWrites: 1 });
    standIn.faults.loseAnswer('armPut', 1);
    standIn.requests.clear();
    const journal = new MemoryJournal();
    const result = await applyLive(standIn, planned, config, journal, RULES, { writer: retryingWriter() });

    // Two HTTP attempts: the one ARM applied (its answer lost), and the SDK's retry, refused.
    expect(standIn.requests.of('armPut').map((r) => r.status).at(-1)).toBe(412);
    expect(standIn.requests.count('armPut')).toBe(2);
    expect(result.outcomes.map((o) => [o.result, o.reason])).toEqual([['applied', '1 operation(s) written and verified; the finding is resolved']]);
    expect(result.writes).toBe(1);
    expect(result.stoppedBy).toBeUndefined();
    expect(journal.records.filter((r) => r.status === 'applied').map((r) => r.reason)).toEqual([expect.stringMatching(applied)]);
  });

  it('the writer stops waiting when its signal aborts, and the SDK stops polling', async () => {
    standIn.options.lroInProgressPolls = 1e9; // ARM never finishes
    const writer = new ArmRemediationWriter({ ...connectionTo(standIn), retry: { maxRetries: 0 }, pollIntervalMs: 5 });
    const current = await writer.read(SPOKE2);
    const giveUp = new AbortController();
    setTimeout(() => giveUp.abort(), 200);
    const write = writer.write({ method: 'PUT', resourceId: SPOKE2, apiVersion: NETWORK_API_VERSION, body: { properties: { ...current?.properties } } }, { ifMatch: current?.etag ?? '' }, giveUp.signal);
    expect(await within(write.then(() => 'finished', (error: Error) => error.name), 5_000)).toBe('AbortError');
    await sleep(50);
    const polls = standIn.requests.count('armOperation');
    expect(polls).toBeGreaterThan(0);
    await sleep(200);
    expect(standIn.requests.count('armOperation')).toBe(polls);
  });

  it('no item starts at or after the deadline (the injected clock decides): the rest is not attempted, "time limit reached"', async () => {
    const config = configOf({ apply: true });
    const planned = await planLive(standIn, config);
    const start = Date.now();
    let clock = start;
    const real = new ArmRemediationWriter({ ...connectionTo(standIn), retry: { maxRetries: 0 }, pollIntervalMs: 5 });
    // Each write takes two minutes on the run's clock; the deadline is one minute away.
    const slowClock: RemediationWriter = {
      read: (id) => real.read(id),
      async write(op, condition, signal) {
        const result = await real.write(op, condition, signal);
        clock += 120_000;
        return result;
      },
    };
    standIn.requests.clear();
    const journal = new MemoryJournal();
    const deadline = new Date(start + 60_000);
    const result = await applyLive(standIn, planned, config, journal, RULES, { writer: slowClock, now: () => new Date(clock), deadline });

    const attempted = result.outcomes.filter((o) => o.item.status === 'planned');
    expect(attempted.length).toBeGreaterThan(2);
    const [first, ...rest] = attempted;
    expect(first?.result).toBe('applied');
    expect(rest.map((o) => [o.result, o.reason])).toEqual(rest.map(() => ['not-attempted', `not attempted: time limit reached (${deadline.toISOString()})`]));
    expect(writesSeen(standIn)).toHaveLength(first?.item.operations.length ?? 0);
    expect(result.stoppedBy).toBe(`time limit reached (${deadline.toISOString()})`);
    expect(journal.records.filter((r) => r.status === 'not-attempted')).toHaveLength(rest.flatMap((o) => o.item.operations).length);
  });

  it('a deadline already passed: nothing is written', async () => {
    const config = configOf({ apply: true });
    const planned = await planLive(standIn, config);
    standIn.requests.clear();
    const result = await applyLive(standIn, planned, config, new MemoryJournal(), RULES, { deadline: new Date(Date.now() - 1) });
    expect(result.outcomes.filter((o) => o.item.status === 'planned').every((o) => o.result === 'not-attempted' && o.reason.startsWith('not attempted: time limit reached'))).toBe(true);
    expect(writesSeen(standIn)).toEqual([]);
    expect(result.writes).toBe(0);
  });

  it('a write still running at the deadline is given up there, read back (it holds: applied), and the run stops', async () => {
    const config = configOf({ apply: true });
    const planned = await planLive(standIn, config);
    standIn.options.lroInProgressPolls = 1e9; // ARM applied the PUT, its operation never finishes
    standIn.requests.clear();
    const journal = new MemoryJournal();
    const run = applyLive(standIn, planned, config, journal, RULES, { deadline: new Date(Date.now() + 1_500) });
    const result = await within(run, 8_000);
    if (result === 'still waiting') throw new Error('applyPlan still waits for a long-running operation 6.5 s past its deadline');

    expect(writesSeen(standIn)).toHaveLength(1);
    const applied = journal.records.filter((r) => r.status === 'applied');
    expect(applied).toHaveLength(1);
    expect(applied[0]?.reason).toMatch(/^PUT \(If-Match [^)]+\) given up after \d\.\d s at the time limit of the run \(ARM had not finished\), but verified by reading it back: the written state holds$/);
    const attempted = result.outcomes.filter((o) => o.item.status === 'planned');
    expect(attempted[0]).toMatchObject({ result: 'failed', reason: expect.stringMatching(/was given up after \d\.\d s at the time limit of the run: ARM had not finished \(read back, the write holds\); the run stops$/) });
    expect(attempted.slice(1).every((o) => o.result === 'not-attempted')).toBe(true);
    expect(result.writes).toBe(1);
  });

  it('every write has its own limit (no deadline, as on the command line): a never-finishing operation is given up', async () => {
    const config = configOf({ apply: true });
    const planned = only(await planLive(standIn, config), 'transit-forwarded-traffic-blocked');
    standIn.options.lroInProgressPolls = 1e9;
    const journal = new MemoryJournal();
    const result = await within(applyLive(standIn, planned, config, journal, RULES, { writeTimeoutMs: 300 }), 8_000);
    if (result === 'still waiting') throw new Error('applyPlan still waits for a long-running operation that never finishes');
    expect(journal.records.filter((r) => r.status === 'applied').map((r) => r.reason)).toEqual([
      expect.stringMatching(/^PUT \(If-Match [^)]+\) given up after 0\.3 s \(ARM had not finished\), but verified by reading it back: the written state holds$/),
    ]);
    expect(result.stoppedBy).toMatch(/was given up after 0\.3 s: ARM had not finished/);
    expect(result.outcomes.slice(1).every((o) => o.result === 'not-attempted')).toBe(true);
  });

  it('a write given up before ARM applied it is failed, saying it may still complete', async () => {
    const config = configOf({ apply: true });
    const planned = only(await planLive(standIn, config), 'transit-forwarded-traffic-blocked', 1);
    const target = planned.plan.items[0]?.operations[0]?.resourceId ?? '';
    standIn.faults.slow('armPut', 3_000); // ARM answers (and applies) after 3 s
    const journal = new MemoryJournal();
    const result = await applyLive(standIn, planned, config, journal, RULES, { writeTimeoutMs: 300 });
    const failed = `given up after 0.3 s; ARM had not finished, the write may still complete (read back, the written properties do not hold: allowForwardedTraffic)`;
    expect(journal.records.filter((r) => r.status === 'failed').map((r) => r.reason)).toEqual([failed]);
    expect(result.outcomes).toMatchObject([{ result: 'failed', reason: `PUT ${target} failed: ${failed}` }]);
    expect(result.writes).toBe(0);
  });
});
