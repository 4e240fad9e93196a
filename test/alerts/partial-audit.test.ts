import type { Timer } from '@azure/functions';
import { describe, expect, it } from 'vitest';

import { eventGridTrigger } from '../../src/functions/eventGridTrigger';
import { scheduledAudit } from '../../src/functions/scheduledAudit';
import { keyOf, subscriptionOf } from '../../src/model/ids';
import type { RawResource } from '../../src/model/snapshot';
import type { Inventory, NeighbourhoodOptions } from '../../src/ports';
import { vnet } from '../support/estate';
import { context, eventAbout, install, RecordingMailer, testEnv } from '../functions/harness';
import { useAzurite } from '../support/use-azurite';

// The scheduled audit when Resource Graph cannot read one of the subscriptions (a 403, a role
// removed for a while): its view is partial, and a partial view decides nothing it could not see,
// in the alert state (docs/functions.md, "Alerts") nor in the report's list of changes.

const A = 'aaaaaaaa-0000-0000-0000-000000000001';
const B = 'bbbbbbbb-0000-0000-0000-000000000002';
const timer = { isPastDue: false } as unknown as Timer;

/** The estate as Resource Graph answers it: every VNet, less those of B while B is unreadable. */
function graph(vnets: () => RawResource[], bUnreadable: () => boolean) {
  return {
    readInventory: async (): Promise<Inventory> => ({
      resources: vnets()
        .filter((v) => !(bUnreadable() && subscriptionOf(String(v.id)) === B))
        .map((resource) => ({ resource: structuredClone(resource), source: 'graph' })),
      subscriptions: bUnreadable() ? [A] : [A, B],
      unreadable: bUnreadable() ? [{ scope: B, reason: 'access denied by Resource Graph (403 AuthorizationFailed)' }] : [],
    }),
  };
}

describe('a partial scheduled audit (one subscription unreadable)', () => {
  const azurite = useAzurite();

  it('keeps an alert whose finding depends on the unread subscription: no RESOLVED mail, the same alert when it is readable again', async () => {
    const SPOKE = `/subscriptions/${A}/resourceGroups/rg-spoke/providers/Microsoft.Network/virtualNetworks/vnet-spoke`;
    const HUB = `/subscriptions/${B}/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/vnet-hub`;
    // The spoke (A) peers with a hub (B) that was deleted: peering-remote-vnet-missing, an error.
    const spoke = vnet({ id: SPOKE, prefixes: ['10.1.0.0/16'], peerings: [{ remote: HUB, name: 'spoke-to-hub', state: 'Disconnected' }] });
    let bUnreadable = false;
    const live = {
      readNeighbourhood: async (ids: readonly string[], o: NeighbourhoodOptions = {}): Promise<Inventory> => {
        const sought = new Set([...ids, ...(o.alsoRead ?? []), HUB].map(keyOf));
        return { resources: sought.has(keyOf(SPOKE)) ? [{ resource: structuredClone(spoke), source: 'live' }] : [], subscriptions: [A, B], unreadable: [], sought: [...sought] };
      },
    };
    const mailer = new RecordingMailer();
    let now = new Date('2026-03-02T05:00:00.000Z');
    const app = install(testEnv(azurite().connectionString, { PEERGUARD_SUBSCRIPTIONS: `${A},${B}` }), { live, inventory: graph(() => [spoke], () => bUnreadable) }, { mailer, now: () => now });
    const alerts = () => mailer.sent.filter((m) => !m.subject.includes('Compliance report')).map((m) => m.subject);
    const report = (date: string) => mailer.sent.find((m) => m.subject.includes(`Compliance report ${date}`));

    await eventGridTrigger(eventAbout(`${SPOKE}/virtualNetworkPeerings/spoke-to-hub`, 'write', 'ev-1'), context('eventGridTrigger'));
    expect(alerts()).toEqual([expect.stringContaining('ERROR peering-remote-vnet-missing')]);
    const opened = (await app.store.rowsFor('all')).map((r) => [r.ruleId, r.status, r.firstSeen]);

    // The next morning Resource Graph answers 403 for B: the hub is unknown, not out of scope.
    bUnreadable = true;
    now = new Date('2026-03-02T06:00:00.000Z');
    await scheduledAudit(timer, context('scheduledAudit'));
    expect(alerts()).toHaveLength(1); // no RESOLVED
    // Neither resolved nor a second row for what the blind read saw instead (remote out of scope).
    expect((await app.store.rowsFor('all')).map((r) => [r.ruleId, r.status, r.firstSeen])).toEqual(opened);
    expect(report('2026-03-02')?.text).toMatch(/0 new, 0 resolved, 0 still open, 2 not checked/);

    // B readable again: still the alert that was mailed, open since the event; nothing mailed.
    bUnreadable = false;
    now = new Date('2026-03-03T06:00:00.000Z');
    await scheduledAudit(timer, context('scheduledAudit'));
    expect(alerts()).toHaveLength(1);
    expect((await app.store.rowsFor('all')).map((r) => [r.ruleId, r.status, r.firstSeen])).toEqual(opened);
    expect(report('2026-03-03')?.text).toMatch(/OPEN +1d \[error\] peering-remote-vnet-missing/);
    // What only the blind read saw (the hub "out of scope") is gone without a RESOLVED line: it was never an alert.
    expect(report('2026-03-03')?.text).toMatch(/Changes .*: 0 new, 0 resolved, 1 still open\./);
    expect(report('2026-03-03')?.text).not.toMatch(/RESOLVED/);
  });

  it("the report lists the unread subscription's findings as not checked, neither resolved nor, the day after, new: their age is kept", async () => {
    const B1 = `/subscriptions/${B}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-b1`;
    const B2 = `/subscriptions/${B}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-b2`;
    const A1 = `/subscriptions/${A}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-a1`;
    const vnets = [
      vnet({ id: A1, prefixes: ['10.0.0.0/16'] }),
      vnet({ id: B1, prefixes: ['10.1.0.0/16'], peerings: [{ remote: B2, state: 'Disconnected' }] }),
      vnet({ id: B2, prefixes: ['10.2.0.0/16'] }),
    ];
    let bUnreadable = false;
    const mailer = new RecordingMailer();
    let now = new Date('2026-03-02T06:00:00.000Z');
    install(testEnv(azurite().connectionString, { PEERGUARD_SUBSCRIPTIONS: `${A},${B}` }), { inventory: graph(() => vnets, () => bUnreadable) }, { mailer, now: () => now });
    const changes = (i: number) => mailer.sent[i]!.text.split('\n').filter((l) => /^Changes|^ {2}(NEW|RESOLVED|OPEN|UNCHECKED)/.test(l));

    await scheduledAudit(timer, context('scheduledAudit'));
    expect(changes(0)[0]).toContain('1 new, 0 resolved, 0 still open');

    bUnreadable = true;
    now = new Date('2026-03-03T06:00:00.000Z');
    await scheduledAudit(timer, context('scheduledAudit'));
    expect(mailer.sent[1]!.subject).toContain('(PARTIAL)');
    expect(changes(1)[0]).toContain('0 new, 0 resolved, 0 still open, 1 not checked (scopes not read)');
    expect(changes(1)[1]).toMatch(/^ {2}UNCHECKED +\[error\] peering-disconnected/);

    bUnreadable = false;
    now = new Date('2026-03-04T06:00:00.000Z');
    await scheduledAudit(timer, context('scheduledAudit'));
    expect(changes(2)).toEqual([expect.stringContaining('0 new, 0 resolved, 1 still open.'), expect.stringMatching(/^ {2}OPEN +2d \[error\] peering-disconnected/)]);
  });
});
