import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { parseArmEvent } from '../../src/alerts/events';
import { ALERT_TABLE, useAdapters } from '../../src/functions/composition';
import { eventGridTrigger } from '../../src/functions/eventGridTrigger';
import { keyOf } from '../../src/model/ids';
import { startAzurite, type AzuriteInstance } from '../support/azurite';
import { context, fixture, HUB, install, LiveEstate, RecordingMailer, SPOKE1, SUB, testEnv, type Logged } from '../functions/harness';
import { anyJson, recase } from './arbitraries';

// Property-based tests of the event path (issue 10): whatever Event Grid delivers — valid, truncated,
// wrongly typed, huge, unicode, odd-cased — the parser never throws, the handler acknowledges it
// with a status (never an exception while storage is up: one would make Event Grid redeliver), an odd-cased id
// is the same resource, and nothing outside the configured tenant and subscriptions is acted on.

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const FOREIGN_SUB = 'bbbbbbbb-0000-0000-0000-000000000002';
const STATUSES = ['processed', 'ignored', 'malformed', 'unmapped', 'dead-lettered'];

type Json = Record<string, unknown>;

const base = (): Json => {
  const e = fixture('peering-write-success.eventgrid.json');
  (e.data as Json).tenantId = TENANT;
  return e;
};

const field = fc.constantFrom('id', 'eventType', 'subject', 'data', 'eventTime', 'specversion', 'type', 'time');
const dataField = fc.constantFrom('resourceUri', 'tenantId', 'subscriptionId', 'operationName', 'claims', 'correlationId', 'authorization');
const odd = fc.oneof(
  anyJson,
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '/', '/subscriptions/', '/subscriptions//resourceGroups/x', 'Microsoft.Resources.ResourceWriteSuccess', '\u0000', '\ud800', '東京/ü'),
  fc.integer({ min: 1_000, max: 200_000 }).map((n) => 'x'.repeat(n)),
);

/** One mutation of a valid event. */
const mutation: fc.Arbitrary<(e: Json) => unknown> = fc.oneof(
  field.map((k) => (e: Json) => {
    delete e[k];
    return e;
  }),
  fc.tuple(field, odd).map(([k, v]) => (e: Json) => ({ ...e, [k]: v })),
  fc.tuple(dataField, odd).map(([k, v]) => (e: Json) => ({ ...e, data: { ...(e.data as Json), [k]: v } })),
  fc.nat().map((seed) => (e: Json) => ({ ...e, subject: recase(String(e.subject), seed), eventType: recase(String(e.eventType), seed + 1) })),
  fc.constant((e: Json) => ({ ...e, specversion: '1.0', type: e.eventType, time: e.eventTime, eventType: undefined })),
  fc.integer({ min: 10, max: 2_000 }).map((n) => (e: Json) => ({ ...e, data: { ...(e.data as Json), claims: Object.fromEntries(Array.from({ length: n }, (_, i) => [`c${i}`, 'ü'.repeat(50)])) } })),
  fc.nat().map((cut) => (e: Json) => {
    // Truncated on the wire: whatever JSON prefix still parses, or the raw text.
    const text = JSON.stringify(e);
    const at = cut % text.length;
    try {
      return JSON.parse(text.slice(0, at));
    } catch {
      return text.slice(0, at);
    }
  }),
  fc.constant((e: Json) => ({ ...e, data: { ...(e.data as Json), tenantId: '00000000-0000-0000-0000-0000000000ff' } })),
  fc.constant((e: Json) => ({ ...e, subject: String(e.subject).replace(SUB, FOREIGN_SUB), data: { ...(e.data as Json), resourceUri: undefined } })),
  anyJson.map((j) => () => j),
);

const event: fc.Arbitrary<unknown> = fc.array(mutation, { minLength: 0, maxLength: 3 }).map((ms) => ms.reduce<unknown>((e, m) => (typeof e === 'object' && e !== null && !Array.isArray(e) ? m(e as Json) : m(base())), base()));

describe('properties: Event Grid events', () => {
  it('the parser never throws and only accepts watched, in-scope events', () => {
    fc.assert(
      fc.property(event, (raw) => {
        const parsed = parseArmEvent(raw, { tenantId: TENANT, subscriptions: [SUB] });
        expect(['accepted', 'ignored', 'malformed']).toContain(parsed.kind);
        if (parsed.kind === 'accepted') {
          expect(parsed.event.subscriptionId).toBe(SUB);
          expect(keyOf(parsed.event.tenantId ?? '')).toBe(TENANT);
          expect(parsed.event.subject.toLowerCase().startsWith(`/subscriptions/${SUB}/`)).toBe(true);
        } else {
          expect(parsed.reason.length).toBeGreaterThan(5);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('events from other tenants or subscriptions are ignored, whatever their casing', () => {
    fc.assert(
      fc.property(fc.oneof(fc.uuid(), fc.constant(TENANT)), fc.oneof(fc.uuid(), fc.constant(SUB)), fc.nat(), (tenant, sub, seed) => {
        const e = base();
        (e.data as Json).tenantId = recase(tenant, seed);
        e.subject = recase(String(e.subject).replace(SUB, sub), seed);
        const parsed = parseArmEvent(e, { tenantId: TENANT, subscriptions: [SUB] });
        const inScope = tenant.toLowerCase() === TENANT && sub.toLowerCase() === SUB;
        expect(parsed.kind).toBe(inScope ? 'accepted' : 'ignored');
      }),
      { numRuns: 300 },
    );
  });

  describe('through the Functions handler (Azurite)', () => {
    let azurite: AzuriteInstance;
    let estate: LiveEstate;
    let mailer: RecordingMailer;
    beforeAll(async () => {
      azurite = await startAzurite();
      await TableClient.fromConnectionString(azurite.connectionString, ALERT_TABLE, { allowInsecureConnection: true }).deleteTable().catch(() => undefined);
      estate = new LiveEstate();
      estate.healthy();
      mailer = new RecordingMailer();
      install(testEnv(azurite.connectionString, { PEERGUARD_TENANT_ID: TENANT }), { live: estate.reader }, { mailer });
      // Learn the neighbourhood first, as the existing handler tests do (the index maps the peering to its remote).
      const [first] = await eventGridTrigger(base(), context('eventGridTrigger'));
      expect(first?.status).toBe('processed');
    });
    afterAll(async () => {
      useAdapters(undefined);
      await azurite?.stop();
    });

    it('every delivery is acknowledged with a status, one per event; odd casing maps to the same VNets; a healthy estate mails nothing', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 4 }), fc.boolean(), async (events, asArray) => {
          const logs: Logged[] = [];
          const delivered = asArray ? events : events[0];
          const results = await eventGridTrigger(delivered, context('eventGridTrigger', logs));
          // An array is a batch (Event Grid's own delivery shape): one result per element.
          expect(results).toHaveLength(Array.isArray(delivered) ? delivered.length : 1);
          for (const r of results) {
            expect(STATUSES).toContain(r.status);
            expect(r.status).not.toBe('dead-lettered');
            if (r.status === 'processed') expect(r.vnetIds?.map(keyOf).sort()).toEqual([HUB, SPOKE1].map(keyOf).sort());
          }
          expect(mailer.sent).toHaveLength(0);
        }),
        { numRuns: 60 },
      );
    });
  });
});
