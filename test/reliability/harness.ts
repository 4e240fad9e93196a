import path from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import { TableClient } from '@azure/data-tables';
import type { Timer } from '@azure/functions';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { ALERT_TABLE, buildAdapters, useAdapters, type Adapters } from '../../src/functions/composition';
import { eventGridTrigger } from '../../src/functions/eventGridTrigger';
import { readSnapshot } from '../../src/io/snapshot-files';
import { startStandIn, type StandIn } from '../azure-stand-in';
import { FAST_RETRY } from '../azure/harness';
import { context, fixture, install, LiveEstate, RecordingMailer, SPOKE1, SUB, testEnv } from '../functions/harness';
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

/** The Functions app's settings for a stand-in and an Azurite: where it reads, stores state and sends mail. */
export function appSettings(standIn: StandIn, azurite: AzuriteInstance): Record<string, string> {
  return {
    AzureWebJobsStorage: azurite.connectionString,
    PEERGUARD_ARM_ENDPOINT: standIn.endpoint,
    PEERGUARD_EMAIL_CONNECTION_STRING: standIn.email.connectionString,
    PEERGUARD_EMAIL_SENDER: 'peerguard@contoso.example',
    PEERGUARD_ALERT_TO_ERROR: 'netops@contoso.example',
    PEERGUARD_ALERT_TO_WARNING: 'netops@contoso.example',
    PEERGUARD_REPORT_TO: 'reports@contoso.example',
    // Alerts mailed at once: these tests are of the mail mechanics, not of the settle period (test/functions/alert-settle.test.ts).
    PEERGUARD_ALERT_SETTLE_SECONDS: '0',
  };
}

export async function startApp(options: { requestTimeoutMs?: number; credential?: TokenCredential; env?: Record<string, string> } = {}): Promise<App> {
  const resources = (await readSnapshot([ESTATE])).map((r) => r.resource);
  const [standIn, azurite] = await Promise.all([startStandIn({ resources }), startAzurite()]);
  const spokeSide = structuredClone(standIn.state.get(PEERING));
  const hubSide = structuredClone(standIn.state.get(HUB_PEERING));
  const clock = { now: new Date('2026-03-02T06:00:00.000Z') };
  const env: Record<string, string> = { ...appSettings(standIn, azurite), ...options.env };
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

/** The event path over a scripted estate, per test (see `useEventPath`). */
export interface EventPath {
  readonly azurite: AzuriteInstance;
  /** The estate the live reader answers from; healthy at the start of each test. */
  readonly estate: LiveEstate;
  readonly mailer: RecordingMailer;
  /** The adapters installed before the test (a test may install others; these stay as they were). */
  readonly adapters: Adapters;
  /** The settings the adapters were built from (`testEnv` on this Azurite), with `extra` on top. */
  env(extra?: Record<string, string>): Record<string, string>;
}

/**
 * The event path with its real alert store and dead-letter container (Azurite) but a scripted live
 * estate (LiveEstate) and a recording mailer, unlike `startApp`'s real adapters against the stand-in.
 * Call it in a describe block: Azurite is started before its tests and stopped after them (the
 * adapters uninstalled); before each test the alert table is dropped, the estate made healthy, a new
 * mailer and adapters installed, and one write event processed so that the neighbourhood is learnt.
 */
export function useEventPath(): EventPath {
  let azurite: AzuriteInstance | undefined;
  let current: { estate: LiveEstate; mailer: RecordingMailer; adapters: Adapters } | undefined;
  const running = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useEventPath: not set up (read it inside a test or hook of its describe block)');
    return value;
  };
  const eventPath: EventPath = {
    get azurite() {
      return running(azurite);
    },
    get estate() {
      return running(current).estate;
    },
    get mailer() {
      return running(current).mailer;
    },
    get adapters() {
      return running(current).adapters;
    },
    env: (extra = {}) => testEnv(eventPath.azurite.connectionString, extra),
  };
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    useAdapters(undefined);
    await azurite?.stop();
    azurite = undefined;
  });
  beforeEach(async () => {
    // A fresh table per test: same Azurite, table dropped.
    await TableClient.fromConnectionString(eventPath.azurite.connectionString, ALERT_TABLE, { allowInsecureConnection: true }).deleteTable().catch(() => undefined);
    const estate = new LiveEstate();
    estate.healthy();
    const mailer = new RecordingMailer();
    current = { estate, mailer, adapters: install(eventPath.env(), { live: estate.reader }, { mailer }) };
    // Learn the neighbourhood while healthy (the index maps the peering to its remote).
    const [first] = await eventGridTrigger(fixture('peering-write-success.eventgrid.json'), context('eventGridTrigger'));
    expect(first?.status).toBe('processed');
  });
  return eventPath;
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
