import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { InvocationContext, type Timer } from '@azure/functions';
import { QueueServiceClient } from '@azure/storage-queue';
import { BlobServiceClient } from '@azure/storage-blob';
import type { Mailer, MailMessage } from '../../src/alerts/mailer';
import { RESOURCE_GROUP_DELETE } from '../../src/config/event-filter';
import type { AuditBatchMessage } from '../../src/alerts/fanout';
import { auditBatch } from '../../src/functions/auditBatch';
import { ALERT_TABLE, AUDIT_QUEUE, buildAdapters, useAdapters, type Adapters, type Readers } from '../../src/functions/composition';
import { scheduledAudit } from '../../src/functions/scheduledAudit';
import { keyOf, parseResourceId, subscriptionOf } from '../../src/model/ids';
import type { RawResource } from '../../src/model/snapshot';
import type { AuditScope, Inventory, InventoryReader, NeighbourhoodOptions } from '../../src/ports';
import { vnet, type PeeringSpec } from '../support/estate';

// Shared by the Functions tests: Microsoft's sample events, a live estate that tests mutate (the
// LiveReader port over it), a recording mailer, and an InvocationContext that captures logs.

export const FIXTURES = path.resolve(__dirname, '../../../shared/fixtures');

export function fixture(name: string): Record<string, unknown> {
  const parsed = JSON.parse(readFileSync(path.join(FIXTURES, 'eventgrid', name), 'utf8')) as Record<string, unknown>[];
  return parsed[0] as Record<string, unknown>;
}

/** Microsoft's sample event re-addressed: a successful write or delete of `subject`, any watched type. */
export function eventAbout(subject: string, kind: 'write' | 'delete', id: string): Record<string, unknown> {
  const e = structuredClone(fixture('peering-delete-success.eventgrid.json')) as Record<string, unknown> & { data: Record<string, unknown> };
  e.id = id;
  e.subject = subject;
  e.eventType = kind === 'write' ? 'Microsoft.Resources.ResourceWriteSuccess' : 'Microsoft.Resources.ResourceDeleteSuccess';
  e.data.resourceUri = subject;
  e.data.subscriptionId = subscriptionOf(subject);
  e.data.operationName = `${parseResourceId(subject)?.type}/${kind}`;
  return e;
}

/** Microsoft's sample delete event re-addressed to a resource group, as ARM publishes `az group delete`. */
export function resourceGroupDeleted(resourceGroupId: string, id: string): Record<string, unknown> {
  const e = eventAbout(resourceGroupId, 'delete', id) as Record<string, unknown> & { data: Record<string, unknown> };
  e.data.operationName = RESOURCE_GROUP_DELETE.operationName;
  return e;
}

export const SUB = 'aaaaaaaa-0000-0000-0000-000000000001';
export const SPOKE1 = `/subscriptions/${SUB}/resourceGroups/rg-spoke1/providers/Microsoft.Network/virtualNetworks/vnet-spoke1`;
export const HUB = `/subscriptions/${SUB}/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/vnet-hub`;

/** A mutable estate: VNet specs by id; the live reader returns the named VNets and their peers. */
export class LiveEstate {
  readonly vnets = new Map<string, RawResource>();
  reads = 0;
  failNext = 0;

  set(id: string, prefixes: string[], peerings: PeeringSpec[]): void {
    this.vnets.set(keyOf(id), vnet({ id, prefixes, peerings }));
  }

  healthy(): void {
    this.set(SPOKE1, ['10.1.0.0/16'], [{ remote: HUB, name: 'spoke1-to-hub' }]);
    this.set(HUB, ['10.0.0.0/16'], [{ remote: SPOKE1, name: 'hub-to-spoke1' }]);
  }

  /** spoke1's peering deleted: Azure marks the hub's side Disconnected. */
  spokePeeringDeleted(): void {
    this.set(SPOKE1, ['10.1.0.0/16'], []);
    this.set(HUB, ['10.0.0.0/16'], [{ remote: SPOKE1, name: 'hub-to-spoke1', state: 'Disconnected' }]);
  }

  readonly reader = {
    readNeighbourhood: async (vnetIds: readonly string[], options: NeighbourhoodOptions = {}): Promise<Inventory> => {
      this.reads += 1;
      if (this.failNext > 0) {
        this.failNext -= 1;
        throw new Error('ARM answered 503');
      }
      const wanted = new Set([...vnetIds, ...(options.alsoRead ?? [])].map(keyOf));
      for (const id of vnetIds) {
        const v = this.vnets.get(keyOf(id));
        const peerings = ((v?.properties?.virtualNetworkPeerings ?? []) as { properties: { remoteVirtualNetwork: { id: string } } }[]);
        for (const p of peerings) wanted.add(keyOf(p.properties.remoteVirtualNetwork.id));
      }
      const resources = [...wanted].flatMap((k) => {
        const v = this.vnets.get(k);
        return v ? [{ resource: structuredClone(v), source: 'live' }] : [];
      });
      return { resources, subscriptions: [SUB], unreadable: [], sought: [...wanted] };
    },
  };
}

export class RecordingMailer implements Mailer {
  readonly sent: MailMessage[] = [];
  failures = 0;

  async send(message: MailMessage): Promise<{ id: string }> {
    await new Promise((r) => setTimeout(r, 5));
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('Communication Services answered 503');
    }
    this.sent.push(message);
    return { id: `mail-${this.sent.length}` };
  }
}

/**
 * The settings of the Functions tests. The settle period (PEERGUARD_ALERT_SETTLE_SECONDS, default
 * 300 s) is off: these tests are about the event path's mails themselves (content, duplicates,
 * races, failures), which a settling rule's alert then sends at once as every other rule's does.
 * test/functions/alert-settle.test.ts runs the default period, and a test may set it in `extra`.
 */
export const SETTLE_OFF = { PEERGUARD_ALERT_SETTLE_SECONDS: '0' } as const;

export function testEnv(connectionString: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...SETTLE_OFF,
    AzureWebJobsStorage: connectionString,
    PEERGUARD_EMAIL_CONNECTION_STRING: 'endpoint=https://127.0.0.1:9/;accesskey=c2VjcmV0',
    PEERGUARD_EMAIL_SENDER: 'peerguard@contoso.example',
    PEERGUARD_ALERT_TO_ERROR: 'netops@contoso.example',
    PEERGUARD_ALERT_TO_WARNING: 'netops@contoso.example',
    PEERGUARD_REPORT_TO: 'reports@contoso.example',
    PEERGUARD_SUBSCRIPTIONS: SUB,
    ...extra,
  };
}

export function install(env: Record<string, string>, readers: Partial<Readers>, overrides: Partial<Adapters> = {}): Adapters {
  const adapters = buildAdapters(env, { readers, retryDelayMs: 5, ...overrides });
  useAdapters(adapters);
  return adapters;
}

export interface Logged {
  level: string;
  text: string;
}

export function context(functionName: string, logs: Logged[] = []): InvocationContext {
  return new InvocationContext({
    invocationId: `test-${Math.random().toString(16).slice(2)}`,
    functionName,
    logHandler: (level, ...args) => logs.push({ level, text: args.map(String).join(' ') }),
  });
}

/**
 * Resource Graph over a LiveEstate for the scheduled audit and its batches: the VNets are in SUB,
 * any other subscription is empty. `onRead` sees the subscriptions of each read (lower-cased).
 */
export function estateGraph(estate: LiveEstate, onRead: (subscriptions: string[]) => void = () => undefined): InventoryReader {
  return {
    readInventory: async (scope: AuditScope): Promise<Inventory> => {
      const subs = scope.kind === 'subscriptions' ? scope.subscriptionIds.map((s) => s.toLowerCase()) : [SUB];
      onRead(subs);
      const resources = subs.includes(SUB) ? [...estate.vnets.values()].map((r) => ({ resource: structuredClone(r), source: 'graph' })) : [];
      return { resources, subscriptions: subs, unreadable: [] };
    },
  };
}

/** A delivery from the batch queue as the Functions host makes it: the how-manieth (its dequeueCount in the trigger metadata). */
export function batchDelivery(dequeueCount = 1): InvocationContext {
  const c = context('auditBatch');
  (c as { triggerMetadata?: Record<string, unknown> }).triggerMetadata = { dequeueCount };
  return c;
}

/** A timer trigger's argument, on time. */
export const TIMER_FIRED = { isPastDue: false, scheduleStatus: { last: '', next: '', lastUpdated: '' } } as unknown as Timer;

/** Runs the timer, which must enqueue 2 batches, and the first batch; returns the last batch's message. */
export async function runFirstOfTwoBatches(connectionString: string): Promise<AuditBatchMessage> {
  await scheduledAudit(TIMER_FIRED, context('scheduledAudit'));
  const queue = QueueServiceClient.fromConnectionString(connectionString).getQueueClient(AUDIT_QUEUE);
  const received = await queue.receiveMessages({ numberOfMessages: 32 });
  const messages = received.receivedMessageItems.map((m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as AuditBatchMessage);
  // Not vitest's expect: the demo (scripts/demo.ts) loads this harness outside a test.
  if (messages.length !== 2) throw new Error(`the timer enqueued ${messages.length} batches, not 2`);
  await auditBatch(messages[0] as AuditBatchMessage, batchDelivery(1));
  return messages[1] as AuditBatchMessage;
}

/** What the fan-out left in storage, read straight from it: a run's row, and blob names under a prefix. */
export function fanoutStorage(connectionString: () => string): {
  runRow(runId: string): Promise<Record<string, unknown>>;
  blobNames(container: string, prefix: string): Promise<string[]>;
} {
  return {
    runRow: (runId) => TableClient.fromConnectionString(connectionString(), ALERT_TABLE, { allowInsecureConnection: true }).getEntity('run', runId),
    async blobNames(container, prefix) {
      const names: string[] = [];
      for await (const b of BlobServiceClient.fromConnectionString(connectionString()).getContainerClient(container).listBlobsFlat({ prefix })) names.push(b.name);
      return names;
    },
  };
}
