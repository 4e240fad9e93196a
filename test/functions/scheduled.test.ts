import { HttpRequest, type HttpResponseInit, type Timer } from '@azure/functions';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../../src/functions/audit';
import { auditBatch } from '../../src/functions/auditBatch';
import { AUDIT_QUEUE, REPORT_CONTAINER, useAdapters } from '../../src/functions/composition';
import { GRAPH_LAG_MARGIN_MS, mergeInventories } from '../../src/alerts/scheduled';
import { scheduledAudit } from '../../src/functions/scheduledAudit';
import type { AuditScope, Inventory } from '../../src/ports';
import { startAzurite, type AzuriteInstance } from '../support/azurite';
import { context, install, LiveEstate, RecordingMailer, SUB, testEnv, type Logged } from './harness';

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
    // What the run decided about the alert is as old as its oldest batch read (less Resource Graph's lag), not its assembly.
    const rows = await adapters.store.rowsFor('all');
    expect(rows.map((r) => [r.ruleId, r.observedAt])).toEqual([['peering-disconnected', new Date(Date.parse('2026-03-04T06:05:00.000Z') - GRAPH_LAG_MARGIN_MS).toISOString()]]);
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

  describe('HTTP: what the audit could not do is not a 200', () => {
    const get = (query: string, logs: Logged[] = []) => audit(new HttpRequest({ method: 'GET', url: `http://localhost/api/audit${query}` }), context('audit', logs));
    const errorOf = (response: HttpResponseInit) => String((response.jsonBody as { error: string }).error);
    const estateReader = (read: (scope: AuditScope) => Promise<Inventory>) => {
      install(testEnv(azurite.connectionString), { inventory: { readInventory: read } }, { mailer: new RecordingMailer() });
    };
    const disconnected = () => {
      const estate = new LiveEstate();
      estate.spokePeeringDeleted();
      return estate;
    };

    it('an inventory read without a VNet (a wrong scope, no Reader role) is 502 with the reason, like the CLI, not a clean estate', async () => {
      estateReader(async () => ({ resources: [], subscriptions: [SUB], unreadable: [] }));
      const logs: Logged[] = [];
      const response = await get('?format=json', logs);
      expect(response.status).toBe(502);
      expect(errorOf(response)).toBe(
        `no virtual networks in subscription ${SUB} (1 subscription read): nothing to audit (is this the right scope, PEERGUARD_SUBSCRIPTIONS or PEERGUARD_MANAGEMENT_GROUP, and does the function app's identity have Reader on it?)`,
      );
      expect(logs.filter((l) => l.level === 'error').map((l) => l.text)).toEqual([expect.stringContaining('no virtual networks in subscription')]);
    });

    it('Resource Graph answering 403 for every scope is 502 listing the scopes and reasons; a partial read with VNets stays 200, PARTIAL', async () => {
      const denied = { scope: SUB, reason: 'access denied by Resource Graph (403 AuthorizationFailed: no Reader)' };
      estateReader(async () => ({ resources: [], subscriptions: [], unreadable: [denied] }));
      const none = await get('');
      expect(none.status).toBe(502);
      expect(errorOf(none)).toBe(`no virtual networks read from subscription ${SUB} (0 subscriptions read): 1 scope could not be read (listed in unreadable), so nothing was audited`);
      expect((none.jsonBody as { unreadable: unknown }).unreadable).toEqual([denied]);

      // Some scopes unreadable, VNets read in the others: the report, marked PARTIAL by its coverage.
      const estate = disconnected();
      const other = { scope: 'bbbbbbbb-0000-0000-0000-000000000002', reason: 'access denied by Resource Graph (403 AuthorizationFailed: no Reader)' };
      estateReader(async (scope) => ({ ...(await inventoryOf(estate).reader.readInventory(scope)), unreadable: [other] }));
      const partial = await get('?format=json');
      expect(partial.status).toBe(200);
      const report = JSON.parse(String(partial.body)) as { coverage: { unreadable: unknown[] }; findings: { ruleId: string }[] };
      expect(report.coverage.unreadable).toEqual([other]);
      expect(report.findings.map((f) => f.ruleId)).toEqual(['peering-disconnected']);
    });

    it('an inventory read that throws is 502 naming what failed, without the error text; the error is logged', async () => {
      const failure = Object.assign(new Error('The client CANARY-OBJECT-ID has no authorization (Authorization: Bearer <redacted>)'), {
        name: 'RestError',
        statusCode: 403,
        code: 'AuthorizationFailed',
      });
      estateReader(() => Promise.reject(failure));
      const logs: Logged[] = [];
      const ctx = context('audit', logs);
      const response = await audit(new HttpRequest({ method: 'GET', url: 'http://localhost/api/audit?format=csv' }), ctx);
      expect(response.status).toBe(502);
      expect(errorOf(response)).toBe(
        `reading the estate from Azure Resource Graph failed (Azure answered 403 AuthorizationFailed), so nothing was audited; the function's log has the details (invocation ${ctx.invocationId})`,
      );
      expect(JSON.stringify(response.jsonBody)).not.toContain('CANARY');
      expect(logs.filter((l) => l.level === 'error').map((l) => l.text)).toEqual([expect.stringContaining('403 AuthorizationFailed: The client CANARY-OBJECT-ID')]);

      estateReader(() => Promise.reject(new Error('socket hang up')));
      expect(errorOf(await get(''))).toContain('(no answer from Azure)');
    });

    it('a long format value is repeated only in part', async () => {
      estateReader(inventoryOf(disconnected()).reader.readInventory);
      const response = await get(`?format=${'x'.repeat(5_000)}`);
      expect(response.status).toBe(400);
      expect(errorOf(response)).toBe(`format "${'x'.repeat(40)}…" is not supported; use one of: json, sarif, markdown, csv, html`);
    });

    it('unknown query parameters are refused naming them and the accepted ones; the function key (code) is accepted', async () => {
      estateReader(inventoryOf(disconnected()).reader.readInventory);
      const typo = await get('?fmt=csv');
      expect(typo.status).toBe(400);
      expect(errorOf(typo)).toBe('unknown query parameter "fmt"; accepted: format (json, sarif, markdown, csv, html; default json) and code (the function key)');
      const many = await get(`?a=1&b=2&c=3&d=4&${'e'.repeat(100)}=5&f=6&g=7&format=csv`);
      expect(errorOf(many)).toMatch(new RegExp(`^unknown query parameters "a", "b", "c", "d", "${'e'.repeat(40)}…" and 2 more; accepted: format`));
      for (const query of ['?format=csv&code=function-key', '?CODE=function-key', '?code=function-key']) {
        const ok = await get(query);
        expect(ok.status, query).toBe(200);
        expect(String(ok.body), query).not.toContain('function-key');
      }
    });
  });
});
