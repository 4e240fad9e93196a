import { TableClient } from '@azure/data-tables';
import type { Timer } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAdapters, useAdapters } from '../../src/functions/composition';
import { eventGridTrigger } from '../../src/functions/eventGridTrigger';
import { scheduledAudit } from '../../src/functions/scheduledAudit';
import { REMEDIATION_TABLE, TableRemediationJournal } from '../../src/remediation/table-journal';
import { startStandIn, type StandIn } from '../azure-stand-in';
import { FAST_RETRY } from '../azure/harness';
import { context, fixture } from '../functions/harness';
import { startAzurite, type AzuriteInstance } from '../support/azurite';
import { exampleEstate, HUB, spokePeering, SUB_PROD, SUBS } from './harness';

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
    useAdapters(adaptersFor({ enabled: true, apply: true, subscriptions: SUBS, onEvent: true, maxWrites: 3 }));
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

    const mailsBefore = standIn.email.sent.length;
    await scheduledAudit(timer, context('scheduledAudit'));
    // The alert the event opened for spoke3 is resolved by the audit; its mail says what repaired it.
    const resolution = standIn.email.sent.slice(mailsBefore).find((m) => m.plainText?.includes('spoke3-to-hub') && m.plainText.includes('Remediation:'));
    expect(resolution?.plainText).toMatch(/Remediation: 1 applied/);
    expect(resolution?.plainText).toContain(`applied: peering-one-sided: PUT ${REVERSE3}`);
    expect(resolution?.plainText).toContain('event evt-spoke3');
    const report = standIn.email.sent.at(-1);
    expect(report?.plainText).toMatch(/Remediation: [1-9]\d* applied/);
    expect(report?.plainText).toContain(`applied: peering-one-sided: PUT ${REVERSE3}`);
    expect(report?.html).toContain('>Remediation</h2>');
  }, 60_000);
});
