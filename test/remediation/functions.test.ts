import { TableClient } from '@azure/data-tables';
import type { Timer } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { handleArmEvent } from '../../src/alerts/event-path';
import { ArmRemediationWriter } from '../../src/azure/arm-writer';
import { GRAPH_LAG_MARGIN_MS } from '../../src/alerts/scheduled';
import { buildAdapters, eventPathDeps, loggerOf, useAdapters } from '../../src/functions/composition';
import { alertFlush } from '../../src/functions/alertFlush';
import { eventGridTrigger } from '../../src/functions/eventGridTrigger';
import { scheduledAudit } from '../../src/functions/scheduledAudit';
import { RemediationRunner } from '../../src/remediation/runner';
import { REMEDIATION_TABLE, TableRemediationJournal } from '../../src/remediation/table-journal';
import { RULES } from '../../src/rules';
import { startStandIn, type StandIn } from '../azure-stand-in';
import { connectionTo, FAST_RETRY } from '../azure/harness';
import { context, eventAbout, fixture } from '../functions/harness';
import { startAzurite, type AzuriteInstance } from '../support/azurite';
import { exampleEstate, HUB, spokePeering, SUB_DEV, SUB_PROD, SUBS, writesSeen } from './harness';

// Remediation in the Functions app, wired from PEERGUARD_AUDIT_CONFIG alone: an event about a
// one-sided peering is repaired after the event path's evaluation; the journal (Azurite) records
// it with the event; the next report mail carries the Remediation section.

const SPOKE3 = spokePeering(SUB_PROD, 'prod', 3);
const REVERSE3 = `${HUB}/virtualNetworkPeerings/vnet-hub-weu-to-vnet-spoke3-prod`;
const timer = { isPastDue: false, scheduleStatus: { last: '', next: '', lastUpdated: '' } } as unknown as Timer;

describe('remediation in the Functions app (stand-in, Azurite)', () => {
  let standIn: StandIn;
  let azurite: AzuriteInstance;
  const env = (remediation: Record<string, unknown>) => ({
    AzureWebJobsStorage: azurite.connectionString,
    PEERGUARD_ARM_ENDPOINT: standIn.endpoint,
    PEERGUARD_EMAIL_CONNECTION_STRING: standIn.email.connectionString,
    PEERGUARD_EMAIL_SENDER: 'peerguard@contoso.example',
    PEERGUARD_REPORT_TO: 'reports@contoso.example',
    PEERGUARD_ALERT_TO_ERROR: 'netops@contoso.example',
    PEERGUARD_SUBSCRIPTIONS: SUBS.join(','),
    PEERGUARD_AUDIT_CONFIG: JSON.stringify({ remediation }),
    // The one-sided alert is mailed at once, so that its resolution by the event's remediation is mailed too.
    PEERGUARD_ALERT_SETTLE_SECONDS: '0',
  });
  const adaptersFor = (remediation: Record<string, unknown>) =>
    buildAdapters(env(remediation), { azure: { credential: standIn.credential, ca: standIn.ca, retry: FAST_RETRY, requestTimeoutMs: 5_000 }, emailPollMs: 5, retryDelayMs: 5 });

  beforeAll(async () => {
    [standIn, azurite] = await Promise.all([startStandIn({ resources: await exampleEstate() }), startAzurite()]);
    standIn.options.lroInProgressPolls = 0;
  }, 60_000);
  afterAll(async () => {
    useAdapters(undefined);
    await standIn?.stop();
    await azurite?.stop();
  });

  it('is not built unless enabled with onEvent or onSchedule', () => {
    expect(adaptersFor({}).remediation).toBeUndefined();
    expect(adaptersFor({ enabled: true, apply: true, subscriptions: SUBS }).remediation).toBeUndefined();
    expect(adaptersFor({ enabled: true, subscriptions: SUBS, onEvent: true }).remediation).toBeDefined();
  });

  it('repairs after the event path, journals it with the event, and the report mail says so', async () => {
    const adapters = adaptersFor({ enabled: true, apply: true, subscriptions: SUBS, onEvent: true, maxWrites: 3 });
    useAdapters(adapters);
    const event = structuredClone(fixture('peering-delete-success.eventgrid.json')) as Record<string, unknown> & { data: Record<string, unknown> };
    Object.assign(event, { id: 'evt-spoke3', subject: SPOKE3, eventType: 'Microsoft.Resources.ResourceWriteSuccess' });
    Object.assign(event.data, { resourceUri: SPOKE3, operationName: 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings/write' });
    const since = new Date().toISOString();
    standIn.requests.clear();
    const [result] = await eventGridTrigger(event, context('eventGridTrigger'));
    expect(result?.status).toBe('processed');
    expect(standIn.state.get(REVERSE3)?.properties.peeringState).toBe('Connected');
    expect(standIn.requests.count('armPut')).toBeLessThanOrEqual(3);

    const journal = new TableRemediationJournal(TableClient.fromConnectionString(azurite.connectionString, REMEDIATION_TABLE, { allowInsecureConnection: true }));
    const records = await journal.listSince(since);
    const created = records.find((r) => r.status === 'applied' && r.operation?.resourceId === REVERSE3);
    expect(created).toMatchObject({ trigger: { kind: 'event', eventId: 'evt-spoke3' }, after: { properties: { peeringState: 'Connected' } } });
    expect(created?.before).toBeUndefined(); // created: absent before

    // The audit reads once Resource Graph has caught up with the event's change: its view is newer
    // than the event's decision (GRAPH_LAG_MARGIN_MS), so it resolves the alert the event opened for
    // spoke3, and the mail says what repaired it.
    const mailsBefore = standIn.email.sent.length;
    useAdapters({ ...adapters, observe: () => new Date(Date.now() + GRAPH_LAG_MARGIN_MS + 60_000) });
    await scheduledAudit(timer, context('scheduledAudit'));
    const resolution = standIn.email.sent.slice(mailsBefore).find((m) => m.plainText?.includes('spoke3-to-hub') && m.plainText.includes('Remediation:'));
    expect(resolution?.subject).toMatch(/RESOLVED/);
    expect(resolution?.plainText).toMatch(/Remediation: 1 applied/);
    expect(resolution?.plainText).toContain(`applied: peering-one-sided: PUT ${REVERSE3}`);
    expect(resolution?.plainText).toContain('event evt-spoke3');
    const report = standIn.email.sent.at(-1);
    expect(report?.plainText).toMatch(/Remediation: [1-9]\d* applied/);
    expect(report?.plainText).toContain(`applied: peering-one-sided: PUT ${REVERSE3}`);
    expect(report?.html).toContain('>Remediation</h2>');
  }, 60_000);

  const journal = () => new TableRemediationJournal(TableClient.fromConnectionString(azurite.connectionString, REMEDIATION_TABLE, { allowInsecureConnection: true }));

  it("an event's remediation ends within the event's own deadline, even when ARM does not finish", async () => {
    const adapters = adaptersFor({ enabled: true, apply: true, subscriptions: SUBS, onEvent: true, maxWrites: 3 });
    const spoke2 = spokePeering(SUB_PROD, 'prod', 2);
    const since = new Date().toISOString();
    standIn.options.lroInProgressPolls = 1e9; // the write's long-running operation never finishes
    try {
      const started = Date.now();
      const deps = { ...eventPathDeps(adapters, loggerOf(context('eventGridTrigger'))), deadlineMs: 4_000 };
      const handled = handleArmEvent(deps, eventAbout(spoke2, 'write', 'evt-slow'));
      const result = await Promise.race([handled, new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), 10_000))]);
      expect(result === 'still waiting' ? result : result.status).toBe('processed');
      expect(Date.now() - started).toBeLessThan(8_000);
    } finally {
      standIn.options.lroInProgressPolls = 0;
    }
    const records = (await journal().listSince(since)).filter((r) => r.trigger.kind === 'event' && r.trigger.eventId === 'evt-slow');
    expect(records.some((r) => /time limit/.test(r.reason))).toBe(true);
  }, 30_000);

  it('the scheduled audit gives remediation a fixed budget: past it, the report still goes out and nothing is written', async () => {
    const adapters = adaptersFor({ enabled: true, apply: true, subscriptions: SUBS, onSchedule: true });
    // The runner's clock is ten minutes ahead: the audit's budget (four minutes from now) has passed for it.
    const late = new RemediationRunner({
      writer: new ArmRemediationWriter({ ...connectionTo(standIn), pollIntervalMs: 5 }),
      reader: adapters.live,
      journal: journal(),
      rules: RULES,
      config: adapters.config,
      now: () => new Date(Date.now() + 10 * 60_000),
    });
    useAdapters({ ...adapters, remediation: late });
    const since = new Date().toISOString();
    const mailsBefore = standIn.email.sent.length;
    standIn.requests.clear();
    await scheduledAudit(timer, context('scheduledAudit'));
    expect(writesSeen(standIn)).toEqual([]);
    const records = (await journal().listSince(since)).filter((r) => r.trigger.kind === 'schedule');
    const notAttempted = records.filter((r) => r.status === 'not-attempted');
    expect(notAttempted.length).toBeGreaterThan(0);
    expect(notAttempted.every((r) => r.reason.startsWith('not attempted: time limit reached'))).toBe(true);
    expect(standIn.email.sent.length).toBeGreaterThan(mailsBefore);
  }, 60_000);

  it('a peering created one link at a time is not "fixed" within the settle period, when the tool is writing the other link; one still one-sided after it is', async () => {
    const devVnet = (n: number) => `/subscriptions/${SUB_DEV}/resourceGroups/rg-spoke${n}-dev/providers/Microsoft.Network/virtualNetworks/vnet-spoke${n}-dev`;
    const link = (from: number, to: number) => `${devVnet(from)}/virtualNetworkPeerings/spoke${from}-to-spoke${to}`;
    const writeLink = (from: number, to: number) =>
      standIn.state.putPeering(link(from, to), { properties: { remoteVirtualNetwork: { id: devVnet(to) }, allowVirtualNetworkAccess: true } }, { syncRemoteAddressSpace: false });
    // The event path's clock (alert rows, the settle period); remediation's deadline keeps the real one.
    let ahead = 0;
    const { PEERGUARD_ALERT_SETTLE_SECONDS: _off, ...settling } = env({ enabled: true, apply: true, subscriptions: SUBS, onEvent: true, maxWrites: 3 });
    const adapters = buildAdapters(settling, { azure: { credential: standIn.credential, ca: standIn.ca, retry: FAST_RETRY, requestTimeoutMs: 5_000 }, emailPollMs: 5, retryDelayMs: 5, now: () => new Date(Date.now() + ahead) });
    useAdapters(adapters);
    const since = new Date().toISOString();
    const recordsOf = async (eventId: string) => (await journal().listSince(since)).filter((r) => r.trigger.kind === 'event' && r.trigger.eventId === eventId && r.ruleId === 'peering-one-sided');
    // Writes to the VNets of the new peerings (an event also fixes what else its neighbourhood holds, such as the hub's own links).
    const writesTo = (n: number) => writesSeen(standIn).filter((w) => w.includes(`/virtualNetworks/vnet-spoke${n}-dev/`));
    standIn.requests.clear();

    // Terraform writes spoke6's link, then spoke7's: the first link's event plans the reverse peering and waits.
    writeLink(6, 7);
    await eventGridTrigger(eventAbout(link(6, 7), 'write', 'evt-first-link'), context('eventGridTrigger'));
    expect(writesTo(7)).toEqual([]);
    expect(await recordsOf('evt-first-link')).toEqual([
      expect.objectContaining({ status: 'deferred', ruleId: 'peering-one-sided', reason: expect.stringMatching(/^its alert is held for the settle period of peering-one-sided \(PEERGUARD_ALERT_SETTLE_SECONDS\), until /) }),
    ]);
    writeLink(7, 6);
    await eventGridTrigger(eventAbout(link(7, 6), 'write', 'evt-second-link'), context('eventGridTrigger'));
    expect([...writesTo(6), ...writesTo(7)]).toEqual([]);
    expect(standIn.state.get(link(6, 7))?.properties.peeringState).toBe('Connected');
    expect(standIn.state.get(`${devVnet(7)}/virtualNetworkPeerings/vnet-spoke7-dev-to-vnet-spoke6-dev`)).toBeUndefined();

    // A link whose other side never comes: deferred at first; at the end of the period alertFlush reads
    // it again (no event comes), mails the alert and repairs the pair.
    writeLink(5, 9);
    await eventGridTrigger(eventAbout(link(5, 9), 'write', 'evt-lone-link'), context('eventGridTrigger'));
    expect(writesTo(9)).toEqual([]);
    await alertFlush(timer, context('alertFlush'));
    expect(writesTo(9)).toEqual([]);
    ahead = 301_000;
    const mails = standIn.email.sent.length;
    await alertFlush(timer, context('alertFlush'));
    expect(writesTo(9)).toEqual([expect.stringMatching(/^PUT .*\/virtualNetworks\/vnet-spoke9-dev\/virtualNetworkPeerings\/vnet-spoke9-dev-to-vnet-spoke5-dev$/)]);
    expect(standIn.state.get(link(5, 9))?.properties.peeringState).toBe('Connected');
    const settled = (await journal().listSince(since)).filter((r) => r.trigger.kind === 'event' && r.trigger.eventId.startsWith('settled-') && r.ruleId === 'peering-one-sided');
    expect(settled.map((r) => r.status)).toContain('applied');
    expect(standIn.email.sent.slice(mails).map((m) => m.subject)).toEqual([expect.stringMatching(/^\[peerguard\] ERROR peering-one-sided: vnet-spoke5-dev <-> vnet-spoke9-dev/)]);

    // The first link's event delivered twice, the second delivery having read the alert rows before
    // the first wrote its hold: its own insert loses, and it still sees the hold (it reads the rows
    // again after its writes) and leaves the fix alone too.
    ahead = 0;
    writeLink(8, 7);
    standIn.requests.clear();
    await eventGridTrigger(eventAbout(link(8, 7), 'write', 'evt-once'), context('eventGridTrigger'));
    vi.spyOn(adapters.store, 'rowsFor').mockResolvedValueOnce([]);
    const [again] = await eventGridTrigger(eventAbout(link(8, 7), 'write', 'evt-again'), context('eventGridTrigger'));
    expect(again?.outcome?.lostRaces).toBeGreaterThan(0);
    expect(writesTo(7)).toEqual([]);
    expect((await recordsOf('evt-once')).concat(await recordsOf('evt-again')).map((r) => r.status)).toEqual(['deferred', 'deferred']);
  }, 60_000);

  it('without recipients for the finding nothing is held, so nothing brings it back at the end of the period: it is fixed at once', async () => {
    const { PEERGUARD_ALERT_SETTLE_SECONDS: _off, PEERGUARD_ALERT_TO_ERROR: _none, ...unmailed } = env({ enabled: true, apply: true, subscriptions: SUBS, onEvent: true, maxWrites: 3 });
    useAdapters(buildAdapters(unmailed, { azure: { credential: standIn.credential, ca: standIn.ca, retry: FAST_RETRY, requestTimeoutMs: 5_000 }, emailPollMs: 5, retryDelayMs: 5 }));
    const v12 = `/subscriptions/${SUB_DEV}/resourceGroups/rg-spoke12-dev/providers/Microsoft.Network/virtualNetworks/vnet-spoke12-dev`;
    const v13 = `/subscriptions/${SUB_DEV}/resourceGroups/rg-spoke13-dev/providers/Microsoft.Network/virtualNetworks/vnet-spoke13-dev`;
    const lone = `${v12}/virtualNetworkPeerings/spoke12-to-spoke13`;
    standIn.state.putPeering(lone, { properties: { remoteVirtualNetwork: { id: v13 }, allowVirtualNetworkAccess: true } }, { syncRemoteAddressSpace: false });
    standIn.requests.clear();
    await eventGridTrigger(eventAbout(lone, 'write', 'evt-unmailed'), context('eventGridTrigger'));
    expect(standIn.state.get(lone)?.properties.peeringState).toBe('Connected');
    expect(writesSeen(standIn)).toContainEqual(expect.stringMatching(/^PUT .*\/vnet-spoke13-dev\/virtualNetworkPeerings\/vnet-spoke13-dev-to-vnet-spoke12-dev$/));
  }, 60_000);
});
