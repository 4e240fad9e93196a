import path from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import type { Timer } from '@azure/functions';
import { buildAdapters, useAdapters, type Adapters } from '../../src/functions/composition';
import { readSnapshot } from '../../src/io/snapshot-files';
import { startStandIn, type StandIn } from '../azure-stand-in';
import { FAST_RETRY } from '../azure/harness';
import { fixture, SPOKE1, SUB } from '../functions/harness';
import { startAzurite, type AzuriteInstance } from '../support/azurite';

// The Functions app with its real adapters (Resource Graph, ARM, Communication Services through the
// real SDKs against the stand-in; Tables, Blobs and Queues in Azurite) for the fault-injection tests.

export const ESTATE = path.resolve(__dirname, '../../examples/estate');
export const PEERING = `${SPOKE1}/virtualNetworkPeerings/spoke1-to-hub`;
export const HUB_WEU = `/subscriptions/${SUB}/resourceGroups/rg-hub-weu/providers/Microsoft.Network/virtualNetworks/vnet-hub-weu`;
export const HUB_PEERING = `${HUB_WEU}/virtualNetworkPeerings/hub-to-spoke1`;
export const timer = { isPastDue: false, scheduleStatus: { last: '', next: '', lastUpdated: '' } } as unknown as Timer;

export interface App {
  standIn: StandIn;
  azurite: AzuriteInstance;
  env: Record<string, string>;
  adapters: Adapters;
  clock: { now: Date };
  /** Rebuilds the adapters (e.g. with other settings). */
  install(extra?: Record<string, string>, overrides?: Partial<Adapters>): Adapters;
  /** Puts the spoke's peering back as an operator would after a one-sided delete. */
  recreate(): void;
  stop(): Promise<void>;
}

export async function startApp(options: { requestTimeoutMs?: number; credential?: TokenCredential; env?: Record<string, string> } = {}): Promise<App> {
  const resources = (await readSnapshot([ESTATE])).map((r) => r.resource);
  const [standIn, azurite] = await Promise.all([startStandIn({ resources }), startAzurite()]);
  const spokeSide = structuredClone(standIn.state.get(PEERING));
  const hubSide = structuredClone(standIn.state.get(HUB_PEERING));
  const clock = { now: new Date('2026-03-02T06:00:00.000Z') };
  const env: Record<string, string> = {
    AzureWebJobsStorage: azurite.connectionString,
    PEERGUARD_ARM_ENDPOINT: standIn.endpoint,
    PEERGUARD_EMAIL_CONNECTION_STRING: standIn.email.connectionString,
    PEERGUARD_EMAIL_SENDER: 'peerguard@contoso.example',
    PEERGUARD_ALERT_TO_ERROR: 'netops@contoso.example',
    PEERGUARD_ALERT_TO_WARNING: 'netops@contoso.example',
    PEERGUARD_REPORT_TO: 'reports@contoso.example',
    ...options.env,
  };
  const app: App = {
    standIn,
    azurite,
    env,
    clock,
    adapters: undefined as unknown as Adapters,
    install(extra = {}, overrides = {}) {
      app.adapters = buildAdapters(
        { ...env, ...extra },
        {
          azure: { credential: options.credential ?? standIn.credential, ca: standIn.ca, retry: FAST_RETRY, requestTimeoutMs: options.requestTimeoutMs ?? 5_000 },
          emailPollMs: 5,
          retryDelayMs: 5,
          now: () => clock.now,
          ...overrides,
        },
      );
      useAdapters(app.adapters);
      return app.adapters;
    },
    recreate() {
      standIn.state.deletePeering(HUB_PEERING);
      standIn.state.putPeering(HUB_PEERING, structuredClone(hubSide) as Record<string, unknown>, { syncRemoteAddressSpace: false });
      standIn.state.putPeering(PEERING, structuredClone(spokeSide) as Record<string, unknown>, { syncRemoteAddressSpace: false });
    },
    async stop() {
      useAdapters(undefined);
      await Promise.all([standIn.stop(), azurite.stop()]);
    },
  };
  app.install();
  return app;
}

export const deleteEvent = (): Record<string, unknown> => fixture('peering-delete-success.eventgrid.json');

export function writeEvent(id = 'recreate-0001'): Record<string, unknown> {
  const e = structuredClone(fixture('peering-delete-success.eventgrid.json')) as Record<string, unknown> & { data: Record<string, unknown> };
  e.id = id;
  e.eventType = 'Microsoft.Resources.ResourceWriteSuccess';
  e.eventTime = '2018-07-19T19:02:11.000Z';
  e.data.operationName = 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings/write';
  return e;
}
