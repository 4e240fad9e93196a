import { afterEach, describe, expect, it } from 'vitest';
import { ArmRemediationWriter } from '../../src/azure/arm-writer';
import { ArmLiveReader } from '../../src/azure/live';
import type { LiveReader } from '../../src/ports';
import { RECREATE_TIME_PER_WRITE_MS } from '../../src/remediation/apply';
import { MemoryJournal } from '../../src/remediation/journal';
import type { RemediationWriter } from '../../src/remediation/ports';
import { startStandIn, type StandIn } from '../azure-stand-in';
import { connectionTo } from '../azure/harness';
import { vnet, type PeeringSpec } from '../support/estate';
import { applyLive, configOf, only, planLive, SUB_HUB, SUB_PROD, SUBS, writesSeen } from './harness';

// Two remediation runs on one broken pair at once (the event path runs one per event, and a fix's
// own delete raises an event): a run that has deleted one link must not delete the other once a
// second run has re-created the pair, Connected.

const A = `/subscriptions/${SUB_HUB}/resourceGroups/rg-a/providers/Microsoft.Network/virtualNetworks/vnet-a`;
const B = `/subscriptions/${SUB_PROD}/resourceGroups/rg-b/providers/Microsoft.Network/virtualNetworks/vnet-b`;

/** The stand-in with A and B peered both ways, both links Disconnected (`aToB`: more settings of A's link). */
const disconnectedPair = (aToB: Partial<PeeringSpec> = {}) =>
  startStandIn({
    subscriptions: SUBS,
    resources: [
      vnet({ id: A, prefixes: ['10.0.0.0/16'], peerings: [{ remote: B, name: 'a-to-b', state: 'Disconnected', ...aToB }] }),
      vnet({ id: B, prefixes: ['10.1.0.0/16'], peerings: [{ remote: A, name: 'b-to-a', state: 'Disconnected' }] }),
    ],
  });

describe('a destructive re-create while another run re-creates the same pair (stand-in)', () => {
  let standIn: StandIn;
  afterEach(async () => {
    await standIn?.stop();
  });

  it('the first run stops before deleting the link the second run left Connected: the pair stays whole', async () => {
    standIn = await disconnectedPair({ allowForwardedTraffic: true });
    const config = configOf({ apply: true, allowDestructive: true });
    const first = only(await planLive(standIn, config), 'peering-disconnected', 1);
    const inner = new ArmRemediationWriter({ ...connectionTo(standIn), requestTimeoutMs: 5_000, retry: { maxRetries: 0 }, pollIntervalMs: 5 });
    // After the first run's first write (its delete of one link), a second run audits, plans and
    // applies to the end: the event of that delete, handled by another invocation.
    let second: Awaited<ReturnType<typeof applyLive>> | undefined;
    const writer: RemediationWriter = {
      read: (id) => inner.read(id),
      async write(operation, condition, signal) {
        const out = await inner.write(operation, condition, signal);
        second ??= await applyLive(standIn, only(await planLive(standIn, config), 'peering-disconnected', 1), config);
        return out;
      },
    };
    const journal = new MemoryJournal();
    const result = await applyLive(standIn, first, config, journal, undefined, { writer });

    expect(second?.outcomes.map((o) => o.result)).toEqual(['applied']);
    expect(result.outcomes.map((o) => o.result)).toEqual(['failed']);
    expect(result.outcomes[0]?.reason).toMatch(/after a partial write of this fix: .*\/b-to-a is Connected: another writer re-created its pair after this fix began/);
    // One link each way, both Connected: the second run's pair, untouched.
    const links = [...standIn.state.peeringsOf(A), ...standIn.state.peeringsOf(B)].map((p) => `${p.id.split('/').pop()} ${p.properties.peeringState}`);
    expect(links.sort()).toEqual(['b-to-a Connected', 'vnet-a-to-vnet-b Connected']);
    expect(journal.records.filter((r) => r.status === 'applied').map((r) => `${r.operation?.method} ${r.operation?.resourceId.split('/').pop()}`)).toEqual(['DELETE a-to-b']);
  }, 60_000);

  it(`a re-create starts only with ${RECREATE_TIME_PER_WRITE_MS / 1000} s left per write: stopped after its deletes it would leave the pair with neither link`, async () => {
    standIn = await disconnectedPair();
    const config = configOf({ apply: true, allowDestructive: true });
    const planned = only(await planLive(standIn, config), 'peering-disconnected', 1);
    expect(planned.plan.items[0]?.operations).toHaveLength(4);
    // The event path's budget: what is left of 25 s.
    const short = await applyLive(standIn, planned, config, new MemoryJournal(), undefined, { deadline: new Date(Date.now() + 25_000) });
    expect(short.outcomes.map((o) => o.result)).toEqual(['not-attempted']);
    expect(short.outcomes[0]?.reason).toMatch(/^not attempted: it deletes before it re-creates, and the 2\d s left of this run cannot be counted on for its 4 writes \(120 s allowed\): .*left for a run with the time \(a scheduled run with remediation\.onSchedule, or "peerguard fix --live --apply"\)$/);
    expect(standIn.requests.of('armDelete')).toEqual([]);
    // With the scheduled run's four minutes it goes ahead.
    const long = await applyLive(standIn, planned, config, new MemoryJournal(), undefined, { deadline: new Date(Date.now() + 4 * 60_000) });
    expect(long.outcomes.map((o) => o.result)).toEqual(['applied']);
  }, 60_000);

  it('the re-create time is asked again after the live re-reads, which the deadline does not bound: slow ones leave it not attempted, both links kept', async () => {
    standIn = await disconnectedPair();
    const config = configOf({ apply: true, allowDestructive: true });
    const planned = only(await planLive(standIn, config), 'peering-disconnected', 1);
    // The re-reads take 100 s on the run's clock (a Resource Graph query waiting out throttling):
    // 125 s left lets the re-create start, 25 s are left for its 4 writes.
    let clock = Date.now();
    const deadline = new Date(clock + 125_000);
    const live = new ArmLiveReader({ ...connectionTo(standIn), requestTimeoutMs: 5_000 });
    const slow: LiveReader = {
      async readNeighbourhood(ids, options) {
        const inventory = await live.readNeighbourhood(ids, options);
        clock += 100_000;
        return inventory;
      },
    };
    standIn.requests.clear();
    const result = await applyLive(standIn, planned, config, new MemoryJournal(), undefined, { reader: slow, now: () => new Date(clock), deadline });
    expect(result.outcomes.map((o) => o.result)).toEqual(['not-attempted']);
    expect(result.outcomes[0]?.reason).toMatch(/^not attempted: it deletes before it re-creates, and the 25 s left of this run cannot be counted on for its 4 writes \(120 s allowed\)/);
    expect(writesSeen(standIn)).toEqual([]);
    expect([...standIn.state.peeringsOf(A), ...standIn.state.peeringsOf(B)]).toHaveLength(2);
  }, 60_000);
});
