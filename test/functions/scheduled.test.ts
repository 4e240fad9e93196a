import { HttpRequest, type Timer } from '@azure/functions';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../../src/functions/audit';
import { auditBatch } from '../../src/functions/auditBatch';
import { AUDIT_QUEUE, REPORT_CONTAINER, useAdapters } from '../../src/functions/composition';
import { mergeInventories } from '../../src/alerts/scheduled';
import { scheduledAudit } from '../../src/functions/scheduledAudit';
import type { AuditScope, Inventory } from '../../src/ports';
import { startAzurite, type AzuriteInstance } from '../support/azurite';
import { context, install, LiveEstate, RecordingMailer, SUB, testEnv } from './harness';

const timer: Timer = { isPastDue: false, scheduleStatus: { last: '', next: '', lastUpdated: '' } } as unknown as Timer;

function inventoryOf(estate: LiveEstate) {
  const scopes: AuditScope[] = [];
  return {
    scopes,
    reader: {
      readInventory: async (scope: AuditScope): Promise<Inventory> => {
        scopes.push(scope);
        const resources = [...estate.vnets.values()].map((resource) => ({ resource: structuredClone(resource), source: 'graph' }));
        const subscriptions = scope.kind === 'subscriptions' ? scope.subscriptionIds.map((s) => s.toLowerCase()) : [SUB];
        return { resources: scope.kind === 'subscriptions' && !subscriptions.includes(SUB) ? [] : resources, subscriptions, unreadable: [] };
      },
    },
  };
}

describe('scheduledAudit, auditBatch and audit (Azurite)', () => {
  let azurite: AzuriteInstance;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    useAdapters(undefined);
    await azurite?.stop();
  });

  it('timer: full audit, report archived under a dated path and mailed with the JSON attached; the next report lists what changed', async () => {
    const estate = new LiveEstate();
    estate.spokePeeringDeleted();
    const mailer = new RecordingMailer();
    const inventory = inventoryOf(estate);
    let now = new Date('2026-03-02T06:00:00.000Z');
    install(testEnv(azurite.connectionString), { live: estate.reader, inventory: inventory.reader }, { mailer, now: () => now });
    await scheduledAudit(timer, context('scheduledAudit'));

    expect(mailer.sent).toHaveLength(1);
    const first = mailer.sent[0]!;
    expect(first.to).toEqual(['reports@contoso.example']);
    expect(first.subject).toBe('[peerguard] Compliance report 2026-03-02: 1 errors, 0 warnings, 0 info');
    expect(first.text).toContain('1 new, 0 resolved, 0 still open');
    expect(first.attachments?.map((a) => a.name)).toContain('peerguard-report-2026-03-02.json');
    const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(REPORT_CONTAINER);
    const names: string[] = [];
    for await (const b of blobs.listBlobsFlat({ prefix: 'reports/2026/03/02/' })) names.push(b.name);
    expect(names).toContain('reports/2026/03/02/2026-03-02T06-00-00-000Z.json');

    // A day later, fixed: the report says resolved.
    estate.healthy();
    now = new Date('2026-03-03T06:00:00.000Z');
    await scheduledAudit(timer, context('scheduledAudit'));
    expect(mailer.sent[1]!.text).toContain('0 new, 1 resolved, 0 still open');
    expect(mailer.sent[1]!.subject).toContain('0 errors');
  });

  it('fan-out: the timer enqueues one base64 message per batch; workers read; the last one assembles one report', async () => {
    const estate = new LiveEstate();
    estate.spokePeeringDeleted();
    const mailer = new RecordingMailer();
    const inventory = inventoryOf(estate);
    const many = Array.from({ length: 150 }, (_, i) => `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`);
    let clock = new Date('2026-03-04T06:00:00.000Z');
    const adapters = install(testEnv(azurite.connectionString, { PEERGUARD_SUBSCRIPTIONS: [SUB, ...many].join(',') }), { live: estate.reader, inventory: inventory.reader }, {
      mailer,
      now: () => clock,
    });
    await scheduledAudit(timer, context('scheduledAudit'));
    expect(mailer.sent).toHaveLength(0);

    const queue = QueueServiceClient.fromConnectionString(azurite.connectionString).getQueueClient(AUDIT_QUEUE);
    const received = await queue.receiveMessages({ numberOfMessages: 32 });
    expect(received.receivedMessageItems).toHaveLength(2);
    // What the Functions queue trigger hands the worker: base64-decoded, parsed JSON.
    const messages = received.receivedMessageItems.map((m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as unknown);
    const ctx = () => {
      const c = context('auditBatch');
      (c as { triggerMetadata?: Record<string, unknown> }).triggerMetadata = { dequeueCount: 1 };
      return c;
    };
    // The workers read minutes apart; the last one assembles the report.
    clock = new Date('2026-03-04T06:05:00.000Z');
    await auditBatch(messages[0], ctx());
    clock = new Date('2026-03-04T06:07:00.000Z');
    await auditBatch(messages[1], ctx());
    expect(inventory.scopes.filter((s) => s.kind === 'subscriptions')).toHaveLength(2);
    expect(mailer.sent).toHaveLength(1);
    expect(mailer.sent[0]!.subject).toContain('1 errors');
    expect(mailer.sent[0]!.text).toContain('151 subscriptions read');
    // What the run decided about the alert is as old as its oldest batch read, not its assembly.
    const rows = await adapters.store.rowsFor('all');
    expect(rows.map((r) => [r.ruleId, r.observedAt])).toEqual([['peering-disconnected', '2026-03-04T06:05:00.000Z']]);
  });

  it('mergeInventories: as old as the oldest part that was read; a part read nowhere (a failed batch) claims no time', () => {
    const part = (observedAt?: string): Inventory => ({ resources: [], subscriptions: [], unreadable: [], ...(observedAt ? { observedAt } : {}) });
    expect(mergeInventories([part('2026-03-04T06:07:00.000Z'), part(), part('2026-03-04T06:05:00.000Z')]).observedAt).toBe('2026-03-04T06:05:00.000Z');
    expect(mergeInventories([part(), part()]).observedAt).toBeUndefined();
  });

  it('HTTP: validates ?format= and returns the rendered report', async () => {
    const estate = new LiveEstate();
    estate.spokePeeringDeleted();
    const inventory = inventoryOf(estate);
    install(testEnv(azurite.connectionString), { inventory: inventory.reader }, { mailer: new RecordingMailer() });
    const bad = await audit(new HttpRequest({ method: 'GET', url: 'http://localhost/api/audit?format=pdf' }), context('audit'));
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.jsonBody)).toContain('json');
    const ok = await audit(new HttpRequest({ method: 'GET', url: 'http://localhost/api/audit?format=json' }), context('audit'));
    expect(ok.status).toBe(200);
    const report = JSON.parse(String(ok.body)) as { findings: { ruleId: string }[] };
    expect(report.findings.map((f) => f.ruleId)).toEqual(['peering-disconnected']);
  });
});
