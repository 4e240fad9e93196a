// `npm run demo`: the event path locally, with neither Azure nor the Functions Core Tools.
// Starts Azurite (alert state), replays Azure Resource Manager events for a spoke whose peering
// to the hub is deleted and then re-created, and prints the alert and the resolution mail that
// peerguard would send. The live ARM reads come from an in-memory estate that changes with the
// events; mails are printed instead of sent.
import { eventGridTrigger } from '../src/functions/eventGridTrigger';
import { useAdapters } from '../src/functions/composition';
import { startAzurite } from '../test/support/azurite';
import { context, HUB, install, LiveEstate, RecordingMailer, SPOKE1, SUB, testEnv } from '../test/functions/harness';

const PEERING = `${SPOKE1}/virtualNetworkPeerings/spoke1-to-hub`;

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
  const azurite = await startAzurite();
  try {
    const estate = new LiveEstate();
    estate.healthy();
    const mailer = new RecordingMailer();
    install(testEnv(azurite.connectionString), { live: estate.reader }, { mailer });
    const quiet = context('eventGridTrigger', []);
    const step = async (title: string, event: Record<string, unknown>) => {
      const before = mailer.sent.length;
      const [result] = await eventGridTrigger(event, quiet);
      console.log(`\n=== ${title}: ${result?.status}, VNets evaluated: ${(result?.vnetIds ?? []).map((v) => v.split('/').pop()).join(', ')}`);
      for (const mail of mailer.sent.slice(before)) {
        console.log(`--- mail to ${mail.to.join(', ')}\nSubject: ${mail.subject}\n\n${mail.text}`);
      }
      if (mailer.sent.length === before) console.log('(no mail: nothing changed)');
    };

    console.log(`peerguard demo: hub ${HUB.split('/').pop()} and spoke ${SPOKE1.split('/').pop()}, alert state in Azurite at ${azurite.location}`);
    await step('1. peering written (healthy)', armEvent('Write', '2026-03-02T09:00:00Z'));
    estate.spokePeeringDeleted();
    await step('2. spoke1-to-hub deleted', armEvent('Delete', '2026-03-02T09:14:03Z'));
    await step('3. the same delete event delivered again', armEvent('Delete', '2026-03-02T09:14:03Z'));
    estate.healthy();
    await step('4. spoke1-to-hub re-created', armEvent('Write', '2026-03-02T09:31:40Z'));
    console.log(`\n${mailer.sent.length} mails in total (one alert, one resolution).`);
  } finally {
    useAdapters(undefined);
    await azurite.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
