import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventGridTrigger } from '../../src/functions/eventGridTrigger';
import { scheduledAudit } from '../../src/functions/scheduledAudit';
import { subscriptionOf } from '../../src/model/ids';
import { context, SUB, type Logged } from '../functions/harness';
import { deleteEvent, HUB_WEU, PEERING, startApp, timer, writeEvent, type App } from './harness';

// Fault injection through the local Azure stand-in and Azurite during full audits, event handling
// and email sends (issue 10). Each case ends in the full correct result, or in an explicit partial
// one with alert state intact; never a duplicate mail, never a lost alert.

interface ReportJson {
  findings: { fingerprint: string }[];
  coverage: { subscriptions: string[]; unreadable: { scope: string; reason: string }[] };
}

function reportOf(app: App): ReportJson {
  const mail = [...app.standIn.email.sent].reverse().find((m) => /Compliance report/.test(m.subject));
  const json = mail?.attachments.find((a) => a.name.endsWith('.json'));
  if (!json) throw new Error('no report mail');
  return JSON.parse(Buffer.from(json.contentInBase64, 'base64').toString('utf8')) as ReportJson;
}
const alertMails = (app: App, kind: 'ERROR' | 'RESOLVED') => app.standIn.email.sent.filter((m) => m.subject.startsWith(`[peerguard] ${kind} peering-disconnected`));
/** The subjects mailed, sorted: the same subject twice is a duplicate mail. */
const mailed = (app: App) => app.standIn.email.sent.map((m) => m.subject).sort();
/** The alert mails of findings that opened. */
const opened = (app: App) => mailed(app).filter((s) => s.startsWith('[peerguard] ERROR '));

describe('fault injection: full audits, events and mail (stand-in + Azurite)', () => {
  let app: App;
  let baseline: ReportJson;
  let minute = 0;
  const tick = () => (app.clock.now = new Date(Date.UTC(2026, 2, 2, 6, ++minute)));

  beforeAll(async () => {
    app = await startApp({ requestTimeoutMs: 400 });
    await scheduledAudit(timer, context('scheduledAudit'));
    baseline = reportOf(app);
    expect(baseline.findings.length).toBeGreaterThan(0);
    expect(baseline.coverage.unreadable).toEqual([]);
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
  });
  beforeEach(() => {
    tick();
    app.standIn.faults.clear();
    app.standIn.email.reset();
    app.install();
  });

  /** Back to the healthy estate, with no alert open. */
  async function healthy(): Promise<void> {
    if (!app.standIn.state.get(PEERING)) app.recreate();
    await eventGridTrigger(writeEvent(`heal-${minute}`), context('eventGridTrigger'));
    app.standIn.email.reset();
  }

  it('full audit through a throttling storm, a 5xx burst and a dropped connection: the fault-free report, complete', async () => {
    app.standIn.faults.throttle('subscriptions', { times: 2, retryAfterMs: 10 });
    app.standIn.faults.throttle('resourceGraph', { times: 3, retryAfterMs: 10 });
    app.standIn.faults.fail('resourceGraph', 503, 2);
    app.standIn.faults.fail('resourceGraph', 500, 1);
    app.standIn.faults.drop('resourceGraph', 1);
    await scheduledAudit(timer, context('scheduledAudit'));
    expect(app.standIn.faults.pending()).toEqual([]);
    const report = reportOf(app);
    expect(report.coverage.unreadable).toEqual([]);
    expect(report.findings.map((f) => f.fingerprint)).toEqual(baseline.findings.map((f) => f.fingerprint));
  });

  it('full audit while Resource Graph keeps failing: an explicit PARTIAL report, and open alerts are not resolved by the blind read', async () => {
    await healthy();
    app.standIn.state.deletePeering(PEERING);
    await eventGridTrigger(deleteEvent(), context('eventGridTrigger'));
    expect(alertMails(app, 'ERROR')).toHaveLength(1);
    const open = (await app.adapters.store.rowsFor('all')).filter((r) => r.status === 'open').map((r) => r.fingerprint).sort();
    expect(open.length).toBeGreaterThan(0);

    tick();
    app.standIn.faults.fail('resourceGraph', 503, Infinity);
    const logs: Logged[] = [];
    await scheduledAudit(timer, context('scheduledAudit', logs));
    const report = reportOf(app);
    expect(report.coverage.unreadable.length).toBeGreaterThan(0);
    expect(report.coverage.unreadable[0]?.reason).toMatch(/503/);
    expect(app.standIn.email.sent.find((m) => /Compliance report/.test(m.subject))?.subject).toMatch(/PARTIAL/i);
    // Alert state intact: the open rows are still open, no resolution mailed.
    const after = (await app.adapters.store.rowsFor('all')).filter((r) => r.status === 'open').map((r) => r.fingerprint).sort();
    expect(after).toEqual(open);
    expect(alertMails(app, 'RESOLVED')).toHaveLength(0);
  });

  it('full audit that reads a subscription only in part: its open alerts are neither resolved nor re-mailed', async () => {
    await healthy();
    app.standIn.state.deletePeering(PEERING);
    await eventGridTrigger(deleteEvent(), context('eventGridTrigger'));
    expect(alertMails(app, 'ERROR')).toHaveLength(1);
    const openIn = async (sub: string) => (await app.adapters.store.rowsFor('all')).filter((r) => r.status === 'open' && r.subscriptionId === sub).map((r) => r.fingerprint).sort();
    const open = await openIn(SUB);
    expect(open.length).toBeGreaterThan(0);
    // Repaired in Azure; but this audit's Resource Graph read of the subscription breaks off after the
    // rows that sort before the hub (the pages that hold the hub and the spokes are lost), so the
    // subscription is both in the rows and unreadable. (ResourceGraphInventory itself keeps no rows of
    // a subscription it could not read whole: test/azure/inventory.test.ts.)
    app.recreate();
    tick();
    const reader = app.adapters.inventory;
    const lostFrom = HUB_WEU.toLowerCase();
    app.install({}, {
      inventory: {
        readInventory: async (scope) => {
          const whole = await reader.readInventory(scope);
          const inSub = (id: string) => subscriptionOf(id) === SUB;
          return {
            resources: whole.resources.filter((r) => !inSub(r.resource.id) || r.resource.id.toLowerCase() < lostFrom),
            subscriptions: whole.subscriptions.filter((s) => s !== SUB),
            unreadable: [...whole.unreadable, { scope: SUB, reason: 'Resource Graph query failed after 3 attempts (503 ServiceUnavailable) on page 2' }],
          };
        },
      },
    });
    await scheduledAudit(timer, context('scheduledAudit'));
    const report = reportOf(app);
    expect(report.coverage.subscriptions).toContain(SUB);
    expect(report.coverage.unreadable.map((u) => u.scope)).toEqual([SUB]);
    expect(app.standIn.email.sent.find((m) => /Compliance report/.test(m.subject))?.subject).toMatch(/PARTIAL/i);
    // The blind subscription's alert state is intact: its open rows still open, no resolution mailed.
    expect(await openIn(SUB)).toEqual(open);
    expect(alertMails(app, 'RESOLVED')).toHaveLength(0);
  });

  it('event path: ARM 503 burst, a dropped connection and an answer slower than the timeout; processed, one mail', async () => {
    await healthy();
    app.standIn.state.deletePeering(PEERING);
    app.standIn.faults.fail('armGet', 503, 2);
    app.standIn.faults.drop('armGet', 1);
    app.standIn.faults.slow('armGet', 1_500, 1);
    // The neighbours come from Resource Graph: its page is slow once too.
    app.standIn.faults.slow('resourceGraph', 1_500, 1);
    const [result] = await eventGridTrigger(deleteEvent(), context('eventGridTrigger'));
    expect(result?.status).toBe('processed');
    expect(app.standIn.faults.pending()).toEqual([]);
    expect(alertMails(app, 'ERROR')).toHaveLength(1);
  });

  it('event path: a VNet ARM keeps failing to answer fails the delivery for redelivery; its open alert is neither resolved nor re-mailed', async () => {
    await healthy();
    app.standIn.state.deletePeering(PEERING);
    await eventGridTrigger(deleteEvent(), context('eventGridTrigger'));
    expect(alertMails(app, 'ERROR')).toHaveLength(1);
    app.recreate();
    tick();
    // The hub (which owns the Disconnected side) keeps answering 500: it is blind, not healthy.
    app.standIn.faults.add({ kind: 'armGet', when: (r) => r.path.toLowerCase().endsWith('/virtualnetworks/vnet-hub-weu') }, { type: 'status', status: 500 }, Infinity);
    const before = mailed(app);
    // The delivery fails (Event Grid redelivers it later): an ARM outage delays the event, never judges it half-read.
    await expect(eventGridTrigger(writeEvent(`blind-${minute}`), context('eventGridTrigger'))).rejects.toThrow(/vnet-hub-weu could not be read from Resource Manager \(500/);
    // Nothing decided about what hangs on the blind hub: no resolution, and no alert (its VNet is not "missing").
    expect(mailed(app)).toEqual(before);
    expect(alertMails(app, 'RESOLVED')).toHaveLength(0);
    expect(alertMails(app, 'ERROR')).toHaveLength(1);
    const hubRows = (await app.adapters.store.rowsFor('all')).filter((r) => r.resourceId.toLowerCase().startsWith(HUB_WEU.toLowerCase()) && r.ruleId === 'peering-disconnected');
    expect(hubRows.map((r) => r.status)).toEqual(['open']);
    // Readable again: the resolution goes out, once.
    app.standIn.faults.clear();
    tick();
    await eventGridTrigger(writeEvent(`seen-${minute}`), context('eventGridTrigger'));
    await eventGridTrigger(writeEvent(`seen-${minute}`), context('eventGridTrigger'));
    expect(alertMails(app, 'RESOLVED')).toHaveLength(1);
  });

  it('mail: a throttled send (429) is retried by the SDK; one mail', async () => {
    await healthy();
    app.standIn.state.deletePeering(PEERING);
    app.standIn.faults.throttle('emailSend', { times: 2, retryAfterMs: 10 });
    const [result] = await eventGridTrigger(deleteEvent(), context('eventGridTrigger'));
    // Every alert the event opened (the disconnected pair, and the route whose next hop is now out of reach) is mailed, once.
    expect(result?.outcome?.failed).toEqual([]);
    expect(mailed(app)).toEqual(result?.outcome?.sent.map((m) => m.subject).sort());
    expect(alertMails(app, 'ERROR')).toHaveLength(1);
  });

  it('mail: a 5xx burst longer than the SDK retries leaves the alert pending; the next run sends it once', async () => {
    await healthy();
    app.standIn.state.deletePeering(PEERING);
    app.standIn.faults.fail('emailSend', 503, 10);
    const logs: Logged[] = [];
    const [first] = await eventGridTrigger(deleteEvent(), context('eventGridTrigger', logs));
    const failed = (first?.outcome?.failed ?? []).map((f) => f.fingerprint).sort();
    expect(failed.length).toBeGreaterThan(0);
    expect(opened(app)).toEqual([]);
    expect((await app.adapters.store.pendingRows()).map((r) => r.fingerprint).sort()).toEqual(failed);
    app.standIn.faults.clear();
    tick();
    await eventGridTrigger(deleteEvent(), context('eventGridTrigger'));
    await eventGridTrigger(deleteEvent(), context('eventGridTrigger'));
    // Each pending alert went out once.
    expect(alertMails(app, 'ERROR')).toHaveLength(1);
    expect(opened(app)).toHaveLength(failed.length);
    expect(new Set(opened(app)).size).toBe(failed.length);
    expect(await app.adapters.store.pendingRows()).toHaveLength(0);
  });

  it('mail: the status poll fails after Communication Services accepted the send; the retry does not mail twice', async () => {
    await healthy();
    app.standIn.state.deletePeering(PEERING);
    app.standIn.faults.drop('emailOperation', 10);
    const [first] = await eventGridTrigger(deleteEvent(), context('eventGridTrigger'));
    const unknown = first?.outcome?.failed ?? []; // peerguard cannot know the outcome yet
    expect(unknown.length).toBeGreaterThan(0);
    app.standIn.faults.clear();
    tick();
    await eventGridTrigger(deleteEvent(), context('eventGridTrigger'));
    expect(await app.adapters.store.pendingRows()).toHaveLength(0);
    // Each accepted send was delivered once, the retry included.
    expect(alertMails(app, 'ERROR')).toHaveLength(1);
    expect(opened(app)).toHaveLength(unknown.length);
    expect(new Set(opened(app)).size).toBe(unknown.length);
  });

  it('Azurite stopped mid-run and restarted: the event is processed when storage is back, one mail, state kept', async () => {
    await healthy();
    app.standIn.state.deletePeering(PEERING);
    await app.azurite.stop({ keepData: true });
    const delivery = eventGridTrigger(deleteEvent(), context('eventGridTrigger')).then(
      (r) => ({ ok: true as const, r }),
      (e: Error) => ({ ok: false as const, e }),
    );
    await new Promise((r) => setTimeout(r, 1_500));
    await app.azurite.restart();
    const outcome = await delivery;
    if (outcome.ok) {
      expect(['processed', 'dead-lettered']).toContain(outcome.r[0]?.status);
    }
    // Whatever the outage did to this delivery, Event Grid's redelivery ends in exactly one mail.
    tick();
    await eventGridTrigger(deleteEvent(), context('eventGridTrigger'));
    await eventGridTrigger(deleteEvent(), context('eventGridTrigger'));
    expect(alertMails(app, 'ERROR')).toHaveLength(1);
    expect(await app.adapters.store.pendingRows()).toHaveLength(0);
  }, 120_000);
});
