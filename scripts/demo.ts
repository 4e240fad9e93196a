// `npm run demo`: the Functions app locally, with neither Azure nor the Functions Core Tools, on the
// real SDK path. Starts Azurite (alert state, reports) and the local Azure stand-in (ARM, Resource
// Graph and Communication Services email over HTTPS, seeded with examples/estate), then replays
// Azure Resource Manager events for a spoke whose peering to the hub is deleted, delivered twice,
// and re-created, and prints the alert and the resolution mail that the stand-in received. The alert
// is held for the settle period (a peering is deleted one link at a time: the other link's delete
// may follow), then mailed by the every-minute flush, as the deleted peering is still gone.
import path from 'node:path';
import type { Timer } from '@azure/functions';
import { buildAdapters, useAdapters } from '../src/functions/composition';
import { alertFlush } from '../src/functions/alertFlush';
import { eventGridTrigger } from '../src/functions/eventGridTrigger';
import { scheduledAudit } from '../src/functions/scheduledAudit';
import { readSnapshot } from '../src/io/snapshot-files';
import { startStandIn, type StandIn } from '../test/azure-stand-in';
import { startAzurite, type AzuriteInstance } from '../test/support/azurite';
import { context, SPOKE1, SUB } from '../test/functions/harness';

const HUB = `/subscriptions/${SUB}/resourceGroups/rg-hub-weu/providers/Microsoft.Network/virtualNetworks/vnet-hub-weu`;
const PEERING = `${SPOKE1}/virtualNetworkPeerings/spoke1-to-hub`;
/** The estate's own subscriptions; the partner's (ffffffff-...) is outside the audit's scope. */
const ESTATE_SUBSCRIPTIONS = [SUB, 'bbbbbbbb-0000-0000-0000-000000000002', 'cccccccc-0000-0000-0000-000000000003'].join(',');
const HUB_PEERING = `${HUB}/virtualNetworkPeerings/hub-to-spoke1`;

function armEvent(kind: 'Write' | 'Delete', time: string): Record<string, unknown> {
  const verb = kind === 'Write' ? 'write' : 'delete';
  return {
    id: '4db48cba-50a2-455a-93b4-de41a3b5b7f6', // Microsoft's sample reuses one id: never de-duplicate by id alone
    subject: PEERING,
    eventType: `Microsoft.Resources.Resource${kind}Success`,
    eventTime: time,
    topic: `/subscriptions/${SUB}`,
    dataVersion: '2',
    metadataVersion: '1',
    data: {
      claims: { name: 'Dana Network', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': 'dana@contoso.example' },
      correlationId: `demo-${verb}`,
      resourceProvider: 'Microsoft.Network',
      resourceUri: PEERING,
      operationName: `Microsoft.Network/virtualNetworks/virtualNetworkPeerings/${verb}`,
      status: 'Succeeded',
      subscriptionId: SUB,
      tenantId: 'demo-tenant',
    },
  };
}

async function main(): Promise<void> {
  let standIn: StandIn | undefined;
  let azurite: AzuriteInstance | undefined;
  try {
    const resources = (await readSnapshot([path.resolve(__dirname, '../examples/estate')])).map((r) => r.resource);
    [standIn, azurite] = await Promise.all([startStandIn({ resources }), startAzurite()]);
    const azure = standIn;
    const spokeSide = structuredClone(azure.state.get(PEERING));
    const hubSide = structuredClone(azure.state.get(HUB_PEERING));
    if (!spokeSide || !hubSide) throw new Error('examples/estate no longer holds vnet-spoke1 <-> vnet-hub-weu');
    let now = new Date('2026-03-02T06:00:00.000Z');
    // Only the endpoint, the CA and the credential differ from a run in Azure.
    useAdapters(
      buildAdapters(
        {
          AzureWebJobsStorage: azurite.connectionString,
          PEERGUARD_ARM_ENDPOINT: azure.endpoint,
          PEERGUARD_EMAIL_CONNECTION_STRING: azure.email.connectionString,
          PEERGUARD_EMAIL_SENDER: 'peerguard@contoso.example',
          PEERGUARD_ALERT_TO_ERROR: 'netops@contoso.example',
          PEERGUARD_ALERT_TO_WARNING: 'netops@contoso.example',
          PEERGUARD_REPORT_TO: 'reports@contoso.example',
          PEERGUARD_SUBSCRIPTIONS: ESTATE_SUBSCRIPTIONS,
        },
        { azure: { credential: azure.credential, ca: azure.ca, retry: { maxRetries: 2, retryDelayMs: 50, maxRetryDelayMs: 200 } }, emailPollMs: 20, retryDelayMs: 50, now: () => now },
      ),
    );
    const quiet = () => context('demo', []);

    console.log(`peerguard demo: examples/estate in the local Azure stand-in at ${azure.endpoint}, alert state in Azurite at ${azurite.location}`);
    await scheduledAudit({ isPastDue: false } as unknown as Timer, quiet());
    const report = azure.email.sent.at(-1);
    console.log(`\n=== 0. the morning audit (Resource Graph): report mailed to ${report?.to.join(', ')}: "${report?.subject}"`);
    console.log('    existing findings are recorded (the report lists them); alerts go out on changes only');

    const printMails = (before: number, none: string) => {
      for (const mail of azure.email.sent.slice(before)) console.log(`--- mail to ${mail.to.join(', ')}\nSubject: ${mail.subject}\n\n${mail.plainText ?? ''}`);
      if (azure.email.sent.length === before) console.log(none);
    };
    const step = async (title: string, event: Record<string, unknown>, none = '(no mail: nothing changed)') => {
      const before = azure.email.sent.length;
      azure.requests.clear();
      const [result] = await eventGridTrigger(event, quiet());
      const arm = (azure.requests.count('armGet') ?? 0) + (azure.requests.count('armList') ?? 0);
      const graph = azure.requests.count('resourceGraph') ?? 0;
      console.log(`\n=== ${title}: ${result?.status}, ${(result?.vnetIds ?? []).length} VNets re-read live in ${arm} ARM GETs and ${graph} Resource Graph ${graph === 1 ? 'query' : 'queries'}`);
      printMails(before, none);
    };

    now = new Date('2026-03-02T09:14:05.000Z');
    azure.state.deletePeering(PEERING); // what Azure did before publishing the event
    await step('1. spoke1-to-hub deleted', armEvent('Delete', '2026-03-02T09:14:03Z'), '(no mail yet: the alert is held for the settle period, PEERGUARD_ALERT_SETTLE_SECONDS, 300 s by default)');
    await step('2. the same delete event delivered again', armEvent('Delete', '2026-03-02T09:14:03Z'));
    now = new Date('2026-03-02T09:19:06.000Z');
    const beforeFlush = azure.email.sent.length;
    await alertFlush({ isPastDue: false } as unknown as Timer, quiet());
    console.log('\n=== the every-minute flush after the settle period: the peering is still deleted');
    printMails(beforeFlush, '(no mail)');
    now = new Date('2026-03-02T09:31:42.000Z');
    azure.state.deletePeering(HUB_PEERING); // re-peering: the Disconnected side first, then the spoke's
    azure.state.putPeering(HUB_PEERING, hubSide, { syncRemoteAddressSpace: false });
    azure.state.putPeering(PEERING, spokeSide, { syncRemoteAddressSpace: false });
    await step('3. spoke1-to-hub re-created', armEvent('Write', '2026-03-02T09:31:40Z'));
    const alerts = azure.email.sent.filter((m) => !m.subject.includes('Compliance report')).length;
    console.log(`\n${alerts} alert mails in total, sent through @azure/communication-email to the stand-in.`);
  } finally {
    useAdapters(undefined);
    await Promise.all([standIn?.stop(), azurite?.stop()]);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
