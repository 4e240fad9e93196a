import { RestError } from '@azure/core-rest-pipeline';
import { BlobServiceClient } from '@azure/storage-blob';
import { BlobDeadLetterStore } from '../../src/alerts/archive';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { eventGridTrigger } from '../../src/functions/eventGridTrigger';
import { DEAD_LETTER_CONTAINER } from '../../src/functions/composition';
import { useEventPath } from '../reliability/harness';
import { context, fixture, HUB, install, SPOKE1, SUB, type Logged } from './harness';

const deleted = () => fixture('peering-delete-success.eventgrid.json');
const written = () => fixture('peering-write-success.eventgrid.json');

describe('eventGridTrigger: the event path end to end (Azurite, Microsoft sample events)', () => {
  const app = useEventPath();
  beforeEach(() => {
    // The write event that taught the neighbourhood mailed nothing.
    expect(app.mailer.sent).toHaveLength(0);
  });

  it('peering deleted -> one alert mail naming both VNets, who and when; recreated -> one resolution mail', async () => {
    app.estate.spokePeeringDeleted();
    const [result] = await eventGridTrigger(deleted(), context('eventGridTrigger'));
    expect(result?.status).toBe('processed');
    expect(result?.vnetIds?.map((v) => v.toLowerCase()).sort()).toEqual([HUB, SPOKE1].map((v) => v.toLowerCase()).sort());
    expect(app.mailer.sent).toHaveLength(1);
    const alert = app.mailer.sent[0]!;
    expect(alert.to).toEqual(['netops@contoso.example']);
    expect(alert.subject).toContain('peering-disconnected');
    expect(alert.subject).toContain('vnet-hub');
    expect(alert.text).toContain('vnet-spoke1');
    expect(alert.text).toContain(`subscription ${SUB}`);
    expect(alert.text).toContain('Microsoft.Network/virtualNetworks/virtualNetworkPeerings/delete');
    expect(alert.text).toContain('{full-name} <{user-name}>');
    expect(alert.text).toContain('2018-07-19T18:38:04.6117357Z');
    expect(alert.text).toContain(`https://portal.azure.com/#@/resource${HUB}`);
    expect(alert.html).toContain('{full-name} &lt;{user-name}&gt;');
    expect(alert.html).not.toMatch(/<script/i);

    app.estate.healthy();
    await eventGridTrigger(written(), context('eventGridTrigger'));
    expect(app.mailer.sent).toHaveLength(2);
    expect(app.mailer.sent[1]!.subject).toMatch(/^\[peerguard\] RESOLVED peering-disconnected/);
    expect(app.mailer.sent[1]!.text).toContain('Microsoft.Network/virtualNetworks/virtualNetworkPeerings/write');
  });

  it('the same event delivered twice sends one mail', async () => {
    app.estate.spokePeeringDeleted();
    await eventGridTrigger(deleted(), context('eventGridTrigger'));
    await eventGridTrigger(deleted(), context('eventGridTrigger'));
    expect(app.mailer.sent).toHaveLength(1);
  });

  it('two concurrent invocations for the same change send one mail', async () => {
    app.estate.spokePeeringDeleted();
    const results = await Promise.all([eventGridTrigger(deleted(), context('eventGridTrigger')), eventGridTrigger(deleted(), context('eventGridTrigger'))]);
    expect(results.flat().every((r) => r.status === 'processed')).toBe(true);
    expect(app.mailer.sent).toHaveLength(1);
  });

  it('alert writes lost to a concurrent invocation are counted in the event\'s log line', async () => {
    app.estate.spokePeeringDeleted();
    await eventGridTrigger(deleted(), context('eventGridTrigger'));
    expect(app.mailer.sent).toHaveLength(1);
    // A second delivery that read the rows before the first one wrote them: it plans the same new
    // alerts, and every insert finds the row there (the first invocation owns the mail).
    vi.spyOn(app.adapters.store, 'rowsFor').mockResolvedValueOnce([]);
    const logs: Logged[] = [];
    const [second] = await eventGridTrigger(deleted(), context('eventGridTrigger', logs));
    const opened = second?.outcome?.plan.opened.length ?? 0;
    expect(opened).toBeGreaterThan(0);
    expect(second?.outcome?.lostRaces).toBe(opened);
    expect(app.mailer.sent).toHaveLength(1);
    expect(logs.some((l) => l.text.includes(`${opened} new, 0 resolved, 0 still open, 0 mails sent, ${opened} alert writes lost to a concurrent invocation`))).toBe(true);
    // Without a lost race the line does not mention it.
    const quiet: Logged[] = [];
    await eventGridTrigger(deleted(), context('eventGridTrigger', quiet));
    expect(quiet.some((l) => / mails sent$/.test(l.text))).toBe(true);
  });

  it('out of order: the delete event arriving after the re-creation reads live state and resurrects nothing', async () => {
    app.estate.spokePeeringDeleted();
    await eventGridTrigger(deleted(), context('eventGridTrigger'));
    app.estate.healthy();
    await eventGridTrigger(written(), context('eventGridTrigger'));
    expect(app.mailer.sent).toHaveLength(2);
    await eventGridTrigger(deleted(), context('eventGridTrigger')); // late duplicate of the delete
    await eventGridTrigger(written(), context('eventGridTrigger'));
    expect(app.mailer.sent).toHaveLength(2);
  });

  it('a failed send stays pending and goes out with the first run after its retry time, once', async () => {
    app.estate.spokePeeringDeleted();
    app.mailer.failures = 1;
    const logs: Logged[] = [];
    const [first] = await eventGridTrigger(deleted(), context('eventGridTrigger', logs));
    expect(first?.outcome?.failed).toHaveLength(1);
    expect(app.mailer.sent).toHaveLength(0);
    expect(logs.some((l) => l.level === 'error' && /stays pending and is retried from /.test(l.text))).toBe(true);
    const pending = await app.adapters.store.pendingRows();
    expect(pending).toHaveLength(1);
    expect(pending[0]!.lastSendError).toContain('503');
    expect(pending[0]!.sendFailures).toBe(1);

    // A run within the minute leaves it: each try counts against the sender's quota.
    await eventGridTrigger(deleted(), context('eventGridTrigger'));
    expect(app.mailer.sent).toHaveLength(0);
    vi.useFakeTimers({ toFake: ['Date'], now: Date.parse(pending[0]!.retryAt!) + 1 });
    try {
      await eventGridTrigger(deleted(), context('eventGridTrigger')); // any later run flushes
      expect(app.mailer.sent).toHaveLength(1);
      await eventGridTrigger(deleted(), context('eventGridTrigger'));
      expect(app.mailer.sent).toHaveLength(1);
      expect(await app.adapters.store.pendingRows()).toHaveLength(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('alert state survives an Azurite restart: the resolution mail still goes out', async () => {
    app.estate.spokePeeringDeleted();
    await eventGridTrigger(deleted(), context('eventGridTrigger'));
    await app.azurite.restart();
    app.estate.healthy();
    await eventGridTrigger(written(), context('eventGridTrigger'));
    expect(app.mailer.sent.map((m) => m.subject.split(':')[0])).toEqual(['[peerguard] ERROR peering-disconnected', '[peerguard] RESOLVED peering-disconnected']);
  });

  it('acknowledges unrelated resource types, malformed events and foreign tenants without throwing', async () => {
    const logs: Logged[] = [];
    const storage = fixture('resource-write-success.eventgrid.json');
    const cloud = fixture('resource-write-success.cloudevents.json');
    const results = await eventGridTrigger([storage, cloud, { id: 'x-1', eventType: 'Microsoft.Resources.ResourceWriteSuccess', data: {} }, 42], context('eventGridTrigger', logs));
    expect(results.map((r) => r.status)).toEqual(['ignored', 'ignored', 'malformed', 'malformed']);
    expect(logs.some((l) => l.level === 'warning' && l.text.includes('x-1'))).toBe(true);
    // Malformed events are kept as they came, with the reason, in the dead-letter container.
    const container = BlobServiceClient.fromConnectionString(app.azurite.connectionString).getContainerClient(DEAD_LETTER_CONTAINER);
    const letters = await Promise.all(
      results.slice(2).map(async (r) => JSON.parse((await container.getBlockBlobClient(r.deadLetter as string).downloadToBuffer()).toString('utf8')) as { reason: string; eventId?: string; event: unknown }),
    );
    expect(letters.map((l) => [l.eventId, l.event])).toEqual([
      ['x-1', { id: 'x-1', eventType: 'Microsoft.Resources.ResourceWriteSuccess', data: {} }],
      [undefined, 42],
    ]);
    expect(letters.every((l) => l.reason.startsWith('malformed: '))).toBe(true);
    expect(results.slice(0, 2).every((r) => r.deadLetter === undefined)).toBe(true);

    install(app.env({ PEERGUARD_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47' }), { live: app.estate.reader }, { mailer: app.mailer });
    const [foreign] = await eventGridTrigger(deleted(), context('eventGridTrigger'));
    expect(foreign?.status).toBe('ignored');
    expect(foreign?.reason).toContain('PEERGUARD_TENANT_ID');

    install(app.env({ PEERGUARD_SUBSCRIPTIONS: '11111111-1111-1111-1111-111111111111' }), { live: app.estate.reader }, { mailer: app.mailer });
    const [outside] = await eventGridTrigger(deleted(), context('eventGridTrigger'));
    expect(outside?.status).toBe('ignored');
    expect(app.mailer.sent).toHaveLength(0);
  });

  it('accepts the CloudEvents 1.0 schema for a peering', async () => {
    const eg = deleted();
    const cloud = { ...eg, specversion: '1.0', type: eg.eventType, time: eg.eventTime, source: eg.topic } as Record<string, unknown>;
    delete cloud.eventType;
    delete cloud.eventTime;
    app.estate.spokePeeringDeleted();
    const [result] = await eventGridTrigger(cloud, context('eventGridTrigger'));
    expect(result?.status).toBe('processed');
    expect(app.mailer.sent).toHaveLength(1);
  });

  it("dead letters never overwrite each other, and their names stay within Azure's 1,024 characters", async () => {
    const store = new BlobDeadLetterStore(BlobServiceClient.fromConnectionString(app.azurite.connectionString).getContainerClient(DEAD_LETTER_CONTAINER));
    const letter = { reason: 'malformed: no id', attempts: 0, failedAt: '2026-11-26T01:00:00.000Z', eventId: undefined, event: 1 };
    const first = await store.put(letter);
    const second = await store.put({ ...letter, event: 2 });
    expect(first).not.toBe(second);
    const long = await store.put({ ...letter, eventId: 'x'.repeat(5000) });
    expect(long.length).toBeLessThan(1024);
    expect(long).toContain(`-${'x'.repeat(100)}-`);
  });

  it('an event that keeps failing transiently is thrown after its attempts, so that Event Grid redelivers; no dead letter of ours acknowledges it', async () => {
    const container = BlobServiceClient.fromConnectionString(app.azurite.connectionString).getContainerClient(DEAD_LETTER_CONTAINER);
    const letters = async () => {
      const names: string[] = [];
      if (await container.exists()) for await (const b of container.listBlobsFlat()) names.push(b.name);
      return names;
    };
    const before = await letters();
    app.estate.spokePeeringDeleted();
    app.estate.failNext = 3;
    await expect(eventGridTrigger(deleted(), context('eventGridTrigger'))).rejects.toThrow(/failed after 3 attempts, left to Event Grid to redeliver: ARM answered 503/);
    expect(app.estate.reads).toBeGreaterThanOrEqual(3);
    expect(await letters()).toEqual(before);
    expect(app.mailer.sent).toHaveLength(0);
    // Event Grid's redelivery, once Azure answers again, mails the alert.
    const [redelivered] = await eventGridTrigger(deleted(), context('eventGridTrigger'));
    expect(redelivered?.status).toBe('processed');
    expect(app.mailer.sent.map((m) => m.subject)).toEqual([expect.stringContaining('ERROR peering-disconnected')]);
  });

  it('a batch with a failing event: the others are handled, then the invocation fails so that Event Grid redelivers the batch', async () => {
    app.estate.spokePeeringDeleted();
    app.estate.failNext = 3;
    const batch = [deleted(), { ...deleted(), id: 'second' }];
    await expect(eventGridTrigger(batch, context('eventGridTrigger'))).rejects.toThrow(/left to Event Grid to redeliver/);
    expect(app.mailer.sent).toHaveLength(1);
    const results = await eventGridTrigger(batch, context('eventGridTrigger'));
    expect(results.map((r) => r.status)).toEqual(['processed', 'processed']);
    expect(app.mailer.sent).toHaveLength(1);
  });

  it('a failure no redelivery can change (Azure refusing the request as malformed) goes to the dead-letter container with its reason, at once', async () => {
    const refused = new RestError('Resource Graph answered 400 BadRequest: the query is invalid', { statusCode: 400 });
    let reads = 0;
    install(app.env(), { live: { readNeighbourhood: () => ((reads += 1), Promise.reject(new Error('the neighbourhood could not be read', { cause: refused }))) } }, { mailer: app.mailer });
    const [result] = await eventGridTrigger(deleted(), context('eventGridTrigger'));
    expect(result?.status).toBe('dead-lettered');
    expect(reads).toBe(1);
    const container = BlobServiceClient.fromConnectionString(app.azurite.connectionString).getContainerClient(DEAD_LETTER_CONTAINER);
    const text = (await container.getBlockBlobClient(result!.deadLetter!).downloadToBuffer()).toString('utf8');
    const letter = JSON.parse(text) as { reason: string; eventId: string; attempts: number; event: { subject: string } };
    expect(letter.reason).toBe('failed permanently after 1 attempt: the neighbourhood could not be read');
    expect(letter.attempts).toBe(1);
    expect(letter.eventId).toBe('4db48cba-50a2-455a-93b4-de41a3b5b7f6');
    expect(letter.event.subject).toContain('spoke1-to-hub');
  });

  it("a 400 from a token endpoint (a managed identity's blip) is no service's refusal: the event is left to Event Grid to redeliver", async () => {
    const blip = Object.assign(new Error('ManagedIdentityCredential: 400 from the token endpoint'), { name: 'AuthenticationError', statusCode: 400 });
    install(app.env(), { live: { readNeighbourhood: () => Promise.reject(new Error('the neighbourhood could not be read', { cause: blip })) } }, { mailer: app.mailer });
    await expect(eventGridTrigger(deleted(), context('eventGridTrigger'))).rejects.toThrow(/left to Event Grid to redeliver/);
  });
});
