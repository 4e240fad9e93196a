import { TableClient } from '@azure/data-tables';
import type { Timer } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import type { MailMessage } from '../../src/alerts/mailer';
import { GRAPH_LAG_MARGIN_MS } from '../../src/alerts/scheduled';
import { loadAppSettings, SettingsError } from '../../src/config/app-settings';
import { alertFlush } from '../../src/functions/alertFlush';
import { ALERT_TABLE, validateAtStartup } from '../../src/functions/composition';
import { eventGridTrigger } from '../../src/functions/eventGridTrigger';
import { scheduledAudit } from '../../src/functions/scheduledAudit';
import { keyOf } from '../../src/model/ids';
import type { RawResource } from '../../src/model/snapshot';
import type { AuditScope, Inventory } from '../../src/ports';
import { vnet, vnetId } from '../support/estate';
import { useAzurite } from '../support/use-azurite';
import { context, eventAbout, HUB, install, LiveEstate, RecordingMailer, SPOKE1, SUB, testEnv, type Logged } from './harness';

// The settle period (PEERGUARD_ALERT_SETTLE_SECONDS): creating a peering writes its two links one
// after the other, and the first link's event opens peering-one-sided, which the second one's
// resolves. A rule that settles (RuleMeta.settles) has its event-opened alert held for the period
// and mailed by alertFlush only if it is still open at its end. Real handlers (eventGridTrigger,
// alertFlush) with InvocationContext, the alert table in Azurite; the clock is the adapters' `now`.

const T0 = Date.parse('2026-03-02T06:00:00.000Z');
const SECOND = 1_000;
const SPOKE_LINK = `${SPOKE1}/virtualNetworkPeerings/spoke1-to-hub`;
const HUB_LINK = `${HUB}/virtualNetworkPeerings/hub-to-spoke1`;
const timer = { isPastDue: false, scheduleStatus: { last: '', next: '', lastUpdated: '' } } as unknown as Timer;

/** The spoke's link written first: Initiated, the hub has none back yet. */
function spokeLinkOnly(estate: LiveEstate): void {
  estate.set(SPOKE1, ['10.1.0.0/16'], [{ remote: HUB, name: 'spoke1-to-hub', state: 'Initiated' }]);
  estate.set(HUB, ['10.0.0.0/16'], []);
}

interface Settled {
  estate: LiveEstate;
  mailer: RecordingMailer;
  clock: { at: number };
  /** Moves the clock to T0 + seconds. */
  at(seconds: number): void;
  event(subject: string, id: string, kind?: 'write' | 'delete'): ReturnType<typeof eventGridTrigger>;
  flush(logs?: Logged[]): ReturnType<typeof alertFlush>;
  adapters: ReturnType<typeof install>;
}

describe('the settle period of alerts that a two-step change passes through (Azurite)', () => {
  const azurite = useAzurite();

  /** The app on this test's Azurite with the clock at T0; `extra` settings on top of the tests' (the default period unless given). */
  function app(extra: Record<string, string> = {}, estate = new LiveEstate()): Settled {
    const mailer = new RecordingMailer();
    const clock = { at: T0 };
    // testEnv turns the period off for the other tests; here the default applies unless `extra` sets it.
    const { PEERGUARD_ALERT_SETTLE_SECONDS: _off, ...env } = testEnv(azurite().connectionString);
    // The scheduled audit reads the same estate through Resource Graph.
    const inventory = { readInventory: async (_scope: AuditScope): Promise<Inventory> => ({ resources: [...estate.vnets.values()].map((resource) => ({ resource: structuredClone(resource), source: 'graph' })), subscriptions: [SUB], unreadable: [] }) };
    const adapters = install({ ...env, ...extra }, { live: estate.reader, inventory }, { mailer, now: () => new Date(clock.at) });
    return {
      estate,
      mailer,
      clock,
      adapters,
      at: (seconds) => (clock.at = T0 + seconds * SECOND),
      event: (subject, id, kind = 'write') => eventGridTrigger(eventAbout(subject, kind, id), context('eventGridTrigger')),
      flush: (logs = []) => alertFlush(timer, context('alertFlush', logs)),
    };
  }

  const subjects = (mails: readonly MailMessage[]) => mails.map((m) => m.subject);
  const alertMails = (mails: readonly MailMessage[]) => subjects(mails).filter((subject) => !subject.includes('Compliance report'));
  /** Flushes at the end of the settle period and an hour on: no alert mail goes out. */
  const expectNeverMailed = async (a: Settled) => {
    for (const seconds of [301, 3_600]) {
      a.at(seconds);
      await a.flush();
    }
    expect(alertMails(a.mailer.sent)).toEqual([]);
  };

  it('uses 300 s unless set', () => {
    const { adapters } = app();
    expect(adapters.settings.PEERGUARD_ALERT_SETTLE_SECONDS).toBe(300);
  });

  it('(1) a one-sided peering opened by an event, its other side written within the period: no mail in either invocation, nor ever after', async () => {
    const a = app();
    spokeLinkOnly(a.estate);
    const [opened] = await a.event(SPOKE_LINK, 'spoke-link-written');
    expect(opened?.status).toBe('processed');
    expect(opened?.outcome?.plan.opened.map((o) => o.finding.ruleId)).toEqual(['peering-one-sided']);
    expect(opened?.outcome?.held).toEqual([expect.objectContaining({ ruleId: 'peering-one-sided', until: new Date(T0 + 300 * SECOND).toISOString() })]);
    expect(a.mailer.sent).toEqual([]);
    // Owed, its claim held to the end of the period.
    const [held] = await a.adapters.store.pendingRows();
    expect(held).toMatchObject({ ruleId: 'peering-one-sided', status: 'open', pendingOpen: true, claimUntil: new Date(T0 + 300 * SECOND).toISOString() });
    expect(held?.mailedOpenAt).toBeUndefined();
    // A flush within the period sends nothing.
    a.at(10);
    await a.flush();
    expect(a.mailer.sent).toEqual([]);

    // The hub's link, 30 s later: the pair is Connected.
    a.at(30);
    a.estate.healthy();
    const logs: Logged[] = [];
    const [resolved] = await eventGridTrigger(eventAbout(HUB_LINK, 'write', 'hub-link-written'), context('eventGridTrigger', logs));
    expect(resolved?.outcome?.plan.resolved.map((r) => r.ruleId)).toEqual(['peering-one-sided']);
    expect(resolved?.outcome?.sent).toEqual([]);
    expect(a.mailer.sent).toEqual([]);
    expect(logs.some((l) => l.text.includes('alert resolved before any mail went out, within its settle period: peering-one-sided'))).toBe(true);
    // Resolved as a finding nobody was told of: nothing owed, the row kept (it remembers the read).
    expect(await a.adapters.store.pendingRows()).toEqual([]);
    const [row] = await a.adapters.store.rowsFor('all');
    expect(row).toMatchObject({ status: 'resolved', pendingOpen: false, pendingResolved: false });
    expect(row?.claimUntil).toBeUndefined();
    expect(row?.mailedOpenAt).toBeUndefined();

    // Past the period, and long after: the flush sends nothing.
    for (const seconds of [301, 600, 3_600]) {
      a.at(seconds);
      const outcome = await a.flush();
      expect(outcome.sent).toEqual([]);
    }
    expect(a.mailer.sent).toEqual([]);
  });

  it('(1) back within the period after that: held anew from when it came back, not from the first opening', async () => {
    const a = app();
    spokeLinkOnly(a.estate);
    await a.event(SPOKE_LINK, 'spoke-link-written');
    a.at(30);
    a.estate.healthy();
    await a.event(HUB_LINK, 'hub-link-written');
    // The pair torn down and the spoke's link written again, at 200 s: one-sided again.
    a.at(200);
    spokeLinkOnly(a.estate);
    const [back] = await a.event(SPOKE_LINK, 'spoke-link-written-again');
    expect(back?.outcome?.held).toEqual([expect.objectContaining({ ruleId: 'peering-one-sided', until: new Date(T0 + 500 * SECOND).toISOString() })]);
    a.at(301);
    await a.flush();
    expect(a.mailer.sent).toEqual([]);
    a.at(501);
    await a.flush();
    expect(subjects(a.mailer.sent)).toEqual(['[peerguard] ERROR peering-one-sided: vnet-spoke1 <-> vnet-hub']);
  });

  it('(2) still open at the end of the period: alertFlush mails exactly one ERROR alert, the one an immediate mail would have been; later flushes send nothing', async () => {
    // What the alert mail is without the period.
    const now = app({ PEERGUARD_ALERT_SETTLE_SECONDS: '0' });
    spokeLinkOnly(now.estate);
    await now.event(SPOKE_LINK, 'spoke-link-written');
    expect(now.mailer.sent).toHaveLength(1);
    const immediate = now.mailer.sent[0] as MailMessage;
    // The same again from an empty alert table, with the default period.
    await TableClient.fromConnectionString(azurite().connectionString, ALERT_TABLE, { allowInsecureConnection: true }).deleteTable();

    const a = app();
    spokeLinkOnly(a.estate);
    await a.event(SPOKE_LINK, 'spoke-link-written');
    expect(a.mailer.sent).toEqual([]);
    a.at(299);
    expect((await a.flush()).sent).toEqual([]);
    expect(a.mailer.sent).toEqual([]);

    a.at(301);
    const logs: Logged[] = [];
    // Two flushes at once (two instances, or a flush and an event): one mail.
    const [first, second] = await Promise.all([a.flush(logs), a.flush()]);
    expect(first.sent.length + second.sent.length).toBe(1);
    expect(subjects(a.mailer.sent)).toEqual(['[peerguard] ERROR peering-one-sided: vnet-spoke1 <-> vnet-hub']);
    expect(a.mailer.sent[0]).toEqual(immediate);
    const [row] = await a.adapters.store.rowsFor('all');
    expect(row).toMatchObject({ status: 'open', pendingOpen: false, mailedOpenAt: new Date(T0 + 301 * SECOND).toISOString() });
    expect(row?.claimUntil).toBeUndefined();

    a.at(400);
    expect((await a.flush()).sent).toEqual([]);
    a.at(7_200);
    expect((await a.flush()).sent).toEqual([]);
    expect(a.mailer.sent).toHaveLength(1);

    // Mailed, so its resolution is mailed as for any alert.
    a.estate.healthy();
    await a.event(HUB_LINK, 'hub-link-written');
    expect(subjects(a.mailer.sent)).toEqual(['[peerguard] ERROR peering-one-sided: vnet-spoke1 <-> vnet-hub', '[peerguard] RESOLVED peering-one-sided: vnet-spoke1 <-> vnet-hub']);
  });

  it('a mail the flush is sending when an event resolves the finding is in flight, not held: its resolution follows it', async () => {
    const a = app();
    spokeLinkOnly(a.estate);
    await a.event(SPOKE_LINK, 'spoke-link-written');
    // The flush's send, past the period, waits until the event has resolved the finding.
    let release!: () => void;
    let reached!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const sending = new Promise<void>((r) => (reached = r));
    const send = a.mailer.send.bind(a.mailer);
    a.mailer.send = async (message) => {
      reached();
      await released;
      return send(message);
    };
    a.at(301);
    const flushing = a.flush();
    await sending;
    a.at(305);
    a.estate.healthy();
    const logs: Logged[] = [];
    await eventGridTrigger(eventAbout(HUB_LINK, 'write', 'hub-link-written'), context('eventGridTrigger', logs));
    expect(logs.some((l) => l.text.includes('resolved before any mail'))).toBe(false);
    release();
    await flushing;
    expect(subjects(a.mailer.sent)).toEqual(['[peerguard] ERROR peering-one-sided: vnet-spoke1 <-> vnet-hub']);
    // Once the flush's claim lapses, the next flush tells the recipients it is resolved.
    a.at(301 + 121);
    await a.flush();
    expect(subjects(a.mailer.sent)).toEqual(['[peerguard] ERROR peering-one-sided: vnet-spoke1 <-> vnet-hub', '[peerguard] RESOLVED peering-one-sided: vnet-spoke1 <-> vnet-hub']);
    a.at(3_600);
    await a.flush();
    expect(a.mailer.sent).toHaveLength(2);
  });

  it('the scheduled audit holds nothing: it records a new one-sided peering without an alert mail (the report lists it), and no flush mails it later', async () => {
    const a = app();
    spokeLinkOnly(a.estate);
    await scheduledAudit(timer, context('scheduledAudit'));
    expect(subjects(a.mailer.sent)).toEqual([expect.stringContaining('Compliance report')]);
    const [row] = await a.adapters.store.rowsFor('all');
    expect(row).toMatchObject({ ruleId: 'peering-one-sided', status: 'open', pendingOpen: false });
    expect(row?.claimUntil).toBeUndefined();
    await expectNeverMailed(a);
  });

  it('the scheduled audit that finds a held alert resolved resolves it as an event would: no mail, ever', async () => {
    const a = app();
    spokeLinkOnly(a.estate);
    await a.event(SPOKE_LINK, 'spoke-link-written');
    // The hub's link is written, and its event lost: the morning audit reads the pair Connected,
    // after Resource Graph's lag (within it the event's read stands: stale-graph.test.ts), with no
    // alertFlush run since.
    a.estate.healthy();
    a.at(GRAPH_LAG_MARGIN_MS / SECOND + 60);
    await scheduledAudit(timer, context('scheduledAudit'));
    const [row] = await a.adapters.store.rowsFor('all');
    expect(row).toMatchObject({ status: 'resolved', pendingOpen: false, pendingResolved: false });
    a.at(3_600);
    await a.flush();
    expect(alertMails(a.mailer.sent)).toEqual([]);
  });

  it('(2) a pair deleted one link at a time: the survivor Disconnected is held too, and mailed only if still there at the end', async () => {
    const a = app();
    a.estate.healthy();
    await a.event(SPOKE_LINK, 'learn');
    a.estate.spokePeeringDeleted();
    const [deleted] = await a.event(SPOKE_LINK, 'spoke-link-deleted', 'delete');
    expect(deleted?.outcome?.held.map((h) => h.ruleId)).toEqual(['peering-disconnected']);
    expect(a.mailer.sent).toEqual([]);
    a.at(301);
    const logs: Logged[] = [];
    await a.flush(logs);
    expect(subjects(a.mailer.sent)).toEqual(['[peerguard] ERROR peering-disconnected: vnet-hub <-> vnet-spoke1']);
    expect(logs.some((l) => l.text.startsWith('alert flush: 1 held alerts read again at the end of their settle period; 1 mails sent (opened [peerguard] ERROR peering-disconnected'))).toBe(true);
  });

  it('a held alert whose other link was written without an event reaching us: read again at the end of the period, resolved, never mailed', async () => {
    const a = app();
    spokeLinkOnly(a.estate);
    const [opened] = await a.event(SPOKE_LINK, 'spoke-link-written');
    expect(opened?.outcome?.held.map((h) => h.ruleId)).toEqual(['peering-one-sided']);
    a.estate.healthy(); // the hub's link written; its event lost (or still on its way)
    a.at(301);
    const logs: Logged[] = [];
    await a.flush(logs);
    expect(a.mailer.sent).toEqual([]);
    expect(logs.map((l) => l.text)).toContain('alert resolved before any mail went out: peering-one-sided ' + SPOKE_LINK);
    expect(await a.adapters.store.pendingRows()).toEqual([]);
    a.at(400);
    await a.flush();
    expect(a.mailer.sent).toEqual([]);
  });

  it("a finding the end-of-period read finds new (no event told of it) is mailed by the flush, saying how it was found, not naming a change", async () => {
    const a = app();
    spokeLinkOnly(a.estate);
    await a.event(SPOKE_LINK, 'spoke-link-written');
    // Unseen: the hub peers with a second spoke and offers it gateway transit, though it has no gateway.
    const spoke2 = vnetId('vnet-spoke2', SUB);
    a.estate.set(spoke2, ['10.2.0.0/16'], [{ remote: HUB, name: 'spoke2-to-hub' }]);
    a.estate.set(HUB, ['10.0.0.0/16'], [{ remote: spoke2, name: 'hub-to-spoke2', allowGatewayTransit: true }]);
    a.at(301);
    const logs: Logged[] = [];
    const flushed = await a.flush(logs);
    const mails = alertMails(a.mailer.sent);
    expect(mails).toContain('[peerguard] ERROR peering-one-sided: vnet-spoke1 <-> vnet-hub');
    const unseen = a.mailer.sent.filter((m) => !m.subject.includes('peering-one-sided'));
    expect(unseen.length).toBeGreaterThan(0);
    for (const m of unseen) {
      expect(m.text).toContain("Detected by: a live read at the end of another alert's settle period");
      expect(m.text).not.toContain('Resource changed');
    }
    // Every mail went out through the flush, and its summary counts them all.
    expect(flushed.sent).toHaveLength(a.mailer.sent.length);
    expect(logs.at(-1)?.text).toMatch(new RegExp(`^alert flush: 1 held alerts read again at the end of their settle period; ${a.mailer.sent.length} mails sent`));
  });

  it('at most 20 held alerts are read again a run: the rest wait, unmailed, for the next run', async () => {
    const a = app();
    const spokes = Array.from({ length: 22 }, (_, i) => vnetId(`vnet-spoke${i + 1}`, SUB));
    spokes.forEach((spoke, i) => a.estate.set(spoke, [`10.${i + 1}.0.0/16`], [{ remote: HUB, name: `spoke${i + 1}-to-hub` }]));
    a.estate.set(HUB, ['10.0.0.0/16'], spokes.map((spoke, i) => ({ remote: spoke, name: `hub-to-spoke${i + 1}` })));
    await a.event(HUB, 'hub-written');
    spokes.forEach((spoke, i) => a.estate.set(spoke, [`10.${i + 1}.0.0/16`], [{ remote: HUB, name: `spoke${i + 1}-to-hub`, state: 'Disconnected' }]));
    a.estate.set(HUB, ['10.0.0.0/16'], []);
    a.at(10);
    await a.event(HUB, 'hub-links-deleted');
    a.at(310);
    const first: Logged[] = [];
    expect((await a.flush(first)).sent).toHaveLength(20);
    expect(first.at(-1)?.text).toBe('alert flush: 20 held alerts read again at the end of their settle period (2 left for the next run); 20 mails sent (opened [peerguard] 20 new findings (20 ERROR): vnet-hub)');
    a.at(370);
    const second: Logged[] = [];
    expect((await a.flush(second)).sent).toHaveLength(2);
    expect(second.at(-1)?.text).toMatch(/^alert flush: 2 held alerts read again at the end of their settle period; 2 mails sent/);
    expect(alertMails(a.mailer.sent)).toHaveLength(3);
  }, 60_000);

  it("an event elsewhere after the period ends does not mail the held alert unread: alertFlush reads it again first", async () => {
    const a = app();
    spokeLinkOnly(a.estate);
    await a.event(SPOKE_LINK, 'spoke-link-written');
    const elsewhere = vnetId('vnet-elsewhere', SUB);
    a.estate.set(elsewhere, ['10.9.0.0/16'], []);
    a.at(301);
    const [other] = await a.event(elsewhere, 'elsewhere-written');
    expect(other?.status).toBe('processed');
    expect(a.mailer.sent).toEqual([]);
    const logs: Logged[] = [];
    await a.flush(logs);
    expect(subjects(a.mailer.sent)).toEqual(['[peerguard] ERROR peering-one-sided: vnet-spoke1 <-> vnet-hub']);
    expect(logs.at(-1)?.text).toMatch(/^alert flush: 1 held alerts read again at the end of their settle period; 1 mails sent/);
  });

  it('(3) a rule that does not settle (gateway-transit-remote-not-allowed) is mailed at once, in the invocation, as before', async () => {
    const A = vnetId('vnet-a', SUB);
    const B = vnetId('vnet-b', SUB);
    let estate: RawResource[] = [vnet({ id: A, prefixes: ['10.1.0.0/16'], peerings: [{ remote: B, name: 'a-to-b' }] }), vnet({ id: B, prefixes: ['10.2.0.0/16'], peerings: [{ remote: A, name: 'b-to-a' }] })];
    const live = {
      readNeighbourhood: async (): Promise<Inventory> => ({ resources: estate.map((resource) => ({ resource: structuredClone(resource), source: 'live' })), subscriptions: [SUB], unreadable: [], sought: [A, B].map(keyOf) }),
    };
    const mailer = new RecordingMailer();
    const { PEERGUARD_ALERT_SETTLE_SECONDS: _off, ...env } = testEnv(azurite().connectionString);
    const adapters = install(env, { live }, { mailer, now: () => new Date(T0) });
    expect(adapters.settings.PEERGUARD_ALERT_SETTLE_SECONDS).toBe(300);
    const event = (id: string) => eventGridTrigger(eventAbout(`${A}/virtualNetworkPeerings/a-to-b`, 'write', id), context('eventGridTrigger'));
    await event('healthy');
    // a-to-b now uses B's gateways, which B neither has nor offers.
    estate = [vnet({ id: A, prefixes: ['10.1.0.0/16'], peerings: [{ remote: B, name: 'a-to-b', useRemoteGateways: true }] }), estate[1] as RawResource];
    const [result] = await event('change');
    expect(result?.outcome?.held).toEqual([]);
    expect(subjects(mailer.sent).map((s) => s.split(':')[0]).sort()).toEqual(['[peerguard] ERROR gateway-transit-remote-has-no-gateway', '[peerguard] ERROR gateway-transit-remote-not-allowed']);
    expect(await adapters.store.pendingRows()).toEqual([]);
  });

  it('a hub that drops its links to 8 spokes: 8 held alerts, then one digest from the flush, not 8 mails', async () => {
    const a = app();
    const spokes = Array.from({ length: 8 }, (_, i) => vnetId(`vnet-spoke${i + 1}`, SUB));
    const link = (i: number) => `spoke${i + 1}-to-hub`;
    spokes.forEach((spoke, i) => a.estate.set(spoke, [`10.${i + 1}.0.0/16`], [{ remote: HUB, name: link(i) }]));
    a.estate.set(HUB, ['10.0.0.0/16'], spokes.map((spoke, i) => ({ remote: spoke, name: `hub-to-spoke${i + 1}` })));
    await a.event(HUB, 'hub-written'); // teaches the index the hub's peers
    spokes.forEach((spoke, i) => a.estate.set(spoke, [`10.${i + 1}.0.0/16`], [{ remote: HUB, name: link(i), state: 'Disconnected' }]));
    a.estate.set(HUB, ['10.0.0.0/16'], []);
    a.at(10);
    const [dropped] = await a.event(HUB, 'hub-links-deleted');
    expect(dropped?.outcome?.held.map((h) => h.ruleId)).toEqual(spokes.map(() => 'peering-disconnected'));
    expect(a.mailer.sent).toEqual([]);

    a.at(10 + 300);
    const logs: Logged[] = [];
    const flushed = await a.flush(logs);
    expect(flushed.sent).toHaveLength(8);
    expect(alertMails(a.mailer.sent)).toEqual(['[peerguard] 8 new findings (8 ERROR): vnet-hub']);
    const digest = a.mailer.sent[0] as MailMessage;
    for (let i = 0; i < 8; i += 1) expect(digest.text).toContain(`/virtualNetworkPeerings/${link(i)}`);
    // Each held alert read again (its neighbourhood is its spoke and the hub), then one digest.
    expect(logs.filter((l) => /^event settled-[0-9a-f]+ .*: 2 VNets evaluated, 0 new, 0 resolved, 1 still open, 0 mails sent$/.test(l.text))).toHaveLength(8);
    expect(logs.at(-1)?.text).toBe('alert flush: 8 held alerts read again at the end of their settle period; 8 mails sent (opened [peerguard] 8 new findings (8 ERROR): vnet-hub)');
    await a.flush();
    expect(a.mailer.sent).toHaveLength(1);
  });

  it('(4) PEERGUARD_ALERT_SETTLE_SECONDS=0: a one-sided peering is mailed at once, in the invocation', async () => {
    const a = app({ PEERGUARD_ALERT_SETTLE_SECONDS: '0' });
    expect(a.adapters.settings.PEERGUARD_ALERT_SETTLE_SECONDS).toBe(0);
    spokeLinkOnly(a.estate);
    const [opened] = await a.event(SPOKE_LINK, 'spoke-link-written');
    expect(opened?.outcome?.held).toEqual([]);
    expect(opened?.outcome?.sent.map((m) => m.subject)).toEqual(['[peerguard] ERROR peering-one-sided: vnet-spoke1 <-> vnet-hub']);
    expect(subjects(a.mailer.sent)).toEqual(['[peerguard] ERROR peering-one-sided: vnet-spoke1 <-> vnet-hub']);
  });
});

describe('PEERGUARD_ALERT_SETTLE_SECONDS at start-up', () => {
  const base = { AzureWebJobsStorage: 'UseDevelopmentStorage=true', PEERGUARD_REPORT_SCHEDULE: '0 0 6 * * *' };

  it.each(['3601', '-1', '1.5', '5m', 'five minutes', '1e3'])('(5) refuses %j, naming the setting and what it takes', (value) => {
    const start = () => validateAtStartup({ ...base, PEERGUARD_ALERT_SETTLE_SECONDS: value });
    expect(start).toThrow(SettingsError);
    expect(start).toThrow('invalid app settings: PEERGUARD_ALERT_SETTLE_SECONDS: expected a whole number of seconds from 0 to 3600 (0: alerts are mailed at once)');
  });

  it.each([
    ['0', 0],
    ['60', 60],
    ['3600', 3600],
    ['  ', 300],
  ])('accepts %j (%d s)', (value, seconds) => {
    expect(() => validateAtStartup({ ...base, PEERGUARD_ALERT_SETTLE_SECONDS: value })).not.toThrow();
    expect(loadAppSettings({ ...base, PEERGUARD_ALERT_SETTLE_SECONDS: value }).PEERGUARD_ALERT_SETTLE_SECONDS).toBe(seconds);
  });
});
