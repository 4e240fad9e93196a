import type { Timer } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import type { MailMessage } from '../../src/alerts/mailer';
import { GRAPH_LAG_MARGIN_MS } from '../../src/alerts/scheduled';
import { alertFlush } from '../../src/functions/alertFlush';
import { eventGridTrigger } from '../../src/functions/eventGridTrigger';
import { scheduledAudit } from '../../src/functions/scheduledAudit';
import type { RawResource } from '../../src/model/snapshot';
import type { AuditScope, Inventory } from '../../src/ports';
import { useAzurite } from '../support/use-azurite';
import { context, eventAbout, HUB, install, LiveEstate, RecordingMailer, SPOKE1, SUB, testEnv } from './harness';

// Resource Graph trails ARM: a scheduled audit that begins its read seconds after an event decided
// an alert from a fresh ARM read may still see the state before the change. Its view must not
// overrule that event's, yet a decision made well before its read is still the audit's to correct.
// Real handlers (eventGridTrigger, alertFlush, scheduledAudit), the alert table in Azurite; the
// clock is the adapters' `now`, which also stamps when each read begins.

const T0 = Date.parse('2026-03-02T06:00:00.000Z');
const SPOKE_LINK = `${SPOKE1}/virtualNetworkPeerings/spoke1-to-hub`;
const DISCONNECTED = '[peerguard] ERROR peering-disconnected: vnet-hub <-> vnet-spoke1';
const RESOLVED = '[peerguard] RESOLVED peering-disconnected: vnet-hub <-> vnet-spoke1';
const timer = { isPastDue: false, scheduleStatus: { last: '', next: '', lastUpdated: '' } } as unknown as Timer;

const alertSubjects = (mails: readonly MailMessage[]) => mails.map((m) => m.subject).filter((s) => !s.includes('Compliance report'));

describe('a scheduled audit reading Resource Graph before it caught up with a change an event decided (Azurite)', () => {
  const azurite = useAzurite();

  /** The app at T0 (`settle`: the default settle period, else none); Resource Graph answers the live estate, or the copy pinned in `graph.stale`. */
  function app(settle = false) {
    const estate = new LiveEstate();
    // testEnv turns the settle period off; `settle` leaves it at its default.
    const { PEERGUARD_ALERT_SETTLE_SECONDS: _off, ...withPeriod } = testEnv(azurite().connectionString);
    const mailer = new RecordingMailer();
    const clock = { at: T0 };
    const graph: { stale?: RawResource[] } = {};
    const inventory = {
      readInventory: async (_scope: AuditScope): Promise<Inventory> => ({
        resources: (graph.stale ?? [...estate.vnets.values()]).map((resource) => ({ resource: structuredClone(resource), source: 'graph' })),
        subscriptions: [SUB],
        unreadable: [],
      }),
    };
    const adapters = install(settle ? withPeriod : testEnv(azurite().connectionString), { live: estate.reader, inventory }, { mailer, now: () => new Date(clock.at) });
    const row = async (ruleId = 'peering-disconnected') => (await adapters.store.rowsFor('all')).find((r) => r.ruleId === ruleId);
    return {
      estate,
      mailer,
      graph,
      row,
      at: (seconds: number) => (clock.at = T0 + seconds * 1000),
      event: (id: string, kind: 'write' | 'delete' = 'write') => eventGridTrigger(eventAbout(SPOKE_LINK, kind, id), context('eventGridTrigger')),
      flush: () => alertFlush(timer, context('alertFlush')),
      audit: () => scheduledAudit(timer, context('scheduledAudit')),
    };
  }

  /** spoke1's link deleted at T0+10 s (ERROR mailed), Resource Graph left showing that, the link re-created at T0+100 s. */
  async function brokenThenRecreated(a: ReturnType<typeof app>, resolvedMailFails: boolean) {
    a.estate.healthy();
    await a.event('learn');
    a.estate.spokePeeringDeleted();
    a.at(10);
    await a.event('deleted', 'delete');
    expect(alertSubjects(a.mailer.sent)).toEqual([DISCONNECTED]);
    a.graph.stale = [...a.estate.vnets.values()].map((v) => structuredClone(v));
    a.estate.healthy();
    a.at(100);
    if (resolvedMailFails) a.mailer.failures = 1;
    const [fixed] = await a.event('recreated');
    expect(fixed?.outcome?.plan.resolved.map((r) => r.ruleId)).toEqual(['peering-disconnected']);
  }

  it('an audit beginning 5 s after the event leaves the resolution standing, and its owed RESOLVED mail goes out', async () => {
    const a = app();
    await brokenThenRecreated(a, true);
    expect((await a.row())?.pendingResolved).toBe(true);

    a.at(105);
    await a.audit();
    expect((await a.row())?.status).toBe('resolved');

    // Resource Graph catches up; alertFlush retries the owed mail when its time comes.
    a.graph.stale = undefined;
    for (let s = 160; s <= 400; s += 60) {
      a.at(s);
      await a.flush();
    }
    expect(alertSubjects(a.mailer.sent)).toEqual([DISCONNECTED, RESOLVED]);
    expect((await a.row())?.status).toBe('resolved');
  });

  it('an audit beginning 5 s after a resolution that was mailed does not open the finding again', async () => {
    const a = app();
    await brokenThenRecreated(a, false);
    expect(alertSubjects(a.mailer.sent)).toEqual([DISCONNECTED, RESOLVED]);
    const resolved = await a.row();

    a.at(105);
    await a.audit();
    const after = await a.row();
    expect(after?.status).toBe('resolved');
    expect(after?.observedAt).toBe(resolved?.observedAt);
  });

  it('a decision made before the margin is still overruled by the audit: a break whose event was missed is opened', async () => {
    const a = app();
    await brokenThenRecreated(a, false);
    // The link breaks again and its event never arrives; Resource Graph has it.
    a.graph.stale = undefined;
    a.estate.spokePeeringDeleted();

    const readAt = a.at(100 + GRAPH_LAG_MARGIN_MS / 1000 + 1);
    await a.audit();
    const row = await a.row();
    expect(row?.status).toBe('open');
    expect(row?.observedAt).toBe(new Date(readAt - GRAPH_LAG_MARGIN_MS).toISOString());
    expect(row?.openedBy?.source).toBe('scheduled-audit');
    // Recorded for the report, not mailed on its own.
    expect(alertSubjects(a.mailer.sent)).toEqual([DISCONNECTED, RESOLVED]);
  });

  it('a held alert an event opened within the margin, fixed without an event: the audit neither decides nor mails it, alertFlush reads it again and resolves it quietly', async () => {
    const a = app(true);
    // spoke1's link written first (Initiated, the hub has none back): held for the settle period.
    a.estate.set(SPOKE1, ['10.1.0.0/16'], [{ remote: HUB, name: 'spoke1-to-hub', state: 'Initiated' }]);
    a.estate.set(HUB, ['10.0.0.0/16'], []);
    const [opened] = await a.event('spoke-link-written');
    expect(opened?.outcome?.held.map((h) => h.ruleId)).toEqual(['peering-one-sided']);
    // The hub's link is written and its event lost; Resource Graph has not caught up.
    a.graph.stale = [...a.estate.vnets.values()].map((v) => structuredClone(v));
    a.estate.healthy();

    // The audit begins after the hold lapsed (300 s), before alertFlush read it again.
    a.at(310);
    await a.audit();
    expect(alertSubjects(a.mailer.sent)).toEqual([]);
    expect((await a.row('peering-one-sided'))?.status).toBe('open');

    a.at(320);
    await a.flush();
    expect(alertSubjects(a.mailer.sent)).toEqual([]);
    expect((await a.row('peering-one-sided'))?.status).toBe('resolved');
  });
});
