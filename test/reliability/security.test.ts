import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { HttpRequest } from '@azure/functions';
import type { TokenCredential } from '@azure/core-auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { audit } from '../../src/functions/audit';
import { DEAD_LETTER_CONTAINER, REPORT_CONTAINER } from '../../src/functions/composition';
import { eventGridTrigger } from '../../src/functions/eventGridTrigger';
import { scheduledAudit } from '../../src/functions/scheduledAudit';
import { FAST_RETRY } from '../azure/harness';
import { context, SUB, type Logged } from '../functions/harness';
import { DEV_KEY } from '../support/azurite';
import { deleteEvent, PEERING, startApp, timer, writeEvent, type App } from './harness';

// Secrets never leak (issue 10): canary values in the credentials and settings — an email access
// key, a bearer token, the storage connection string — must not appear in any log, report, mail,
// blob or CLI output, also when things fail (SDK errors are logged and stored).

const ACCESS_KEY = Buffer.from('CANARY-ACCESS-KEY-7f3a9c').toString('base64');
const TOKEN = 'CANARY-BEARER-TOKEN-eyJhbGciOiJub25lIn0.e30.7f3a9c';
const canaryCredential: TokenCredential = { getToken: async () => ({ token: TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }) };

async function blobsOf(container: ContainerClient): Promise<string[]> {
  const texts: string[] = [];
  if (!(await container.exists())) return texts;
  for await (const b of container.listBlobsFlat()) texts.push((await container.getBlockBlobClient(b.name).downloadToBuffer()).toString('utf8'));
  return texts;
}

describe('security: no secret in logs, reports, mails, blobs or CLI output', () => {
  let app: App;
  let connectionString: string;
  beforeAll(async () => {
    app = await startApp({ credential: canaryCredential, requestTimeoutMs: 400 });
    connectionString = `endpoint=${app.standIn.endpoint}/;accesskey=${ACCESS_KEY}`;
    app.env.PEERGUARD_EMAIL_CONNECTION_STRING = connectionString;
    app.install();
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
  });

  it('canaries stay out of everything the Functions app writes, on success and on failure', async () => {
    const logs: Logged[] = [];
    const outputs: string[] = [];
    const ctx = (name: string) => context(name, logs);
    const { standIn } = app;

    await scheduledAudit(timer, ctx('scheduledAudit'));
    standIn.state.deletePeering(PEERING);
    await eventGridTrigger(deleteEvent(), ctx('eventGridTrigger'));
    // Failures: ARM and Resource Graph refuse or time out, the mail service fails, an event dead-letters.
    standIn.faults.forbid(SUB, { listed: true });
    standIn.faults.fail('emailSend', 500, 10);
    await eventGridTrigger(writeEvent('sec-1'), ctx('eventGridTrigger'));
    await scheduledAudit(timer, ctx('scheduledAudit'));
    standIn.faults.clear();
    standIn.faults.slow('armGet', 1_000, 20);
    // ARM too slow on every attempt: the delivery fails for Event Grid to redeliver; its message is the host's 500 body.
    const slow = await eventGridTrigger(writeEvent('sec-2'), ctx('eventGridTrigger')).then(() => undefined, (e: Error) => e);
    expect(slow?.message).toMatch(/sec-2.*left to Event Grid to redeliver/);
    outputs.push(String(slow?.message));
    standIn.faults.clear();
    // An error whose text quotes the secrets (a proxy's error page, a custom credential's message): redacted wherever it goes.
    app.install({}, { live: { readNeighbourhood: () => Promise.reject(new Error(`ARM answered 503 (request had Authorization: Bearer ${TOKEN}; ${connectionString})`)) } });
    // Thrown for Event Grid to redeliver; the message is the body of the host's 500 answer to Event Grid.
    const thrown = await eventGridTrigger(writeEvent('sec-3'), ctx('eventGridTrigger')).then(() => undefined, (e: Error) => e);
    expect(thrown?.message).toMatch(/sec-3.*left to Event Grid to redeliver/);
    outputs.push(String(thrown?.message));
    app.install();
    for (const format of ['json', 'sarif', 'markdown', 'csv', 'html', '<script>alert(1)</script>']) {
      const response = await audit(new HttpRequest({ method: 'GET', url: `https://peerguard.example/api/audit?format=${encodeURIComponent(format)}` }), ctx('audit'));
      outputs.push(String(response.body ?? JSON.stringify(response.jsonBody)));
    }

    const blobs = BlobServiceClient.fromConnectionString(app.azurite.connectionString);
    outputs.push(...(await blobsOf(blobs.getContainerClient(REPORT_CONTAINER))), ...(await blobsOf(blobs.getContainerClient(DEAD_LETTER_CONTAINER))));
    for (const mail of standIn.email.sent) outputs.push(JSON.stringify(mail.raw ?? mail), ...mail.attachments.map((a) => Buffer.from(a.contentInBase64, 'base64').toString('utf8')));
    outputs.push(...logs.map((l) => l.text));

    expect(logs.length).toBeGreaterThan(10);
    expect(standIn.email.sent.length).toBeGreaterThan(0);
    expect(outputs.some((o) => o.includes('dead-lettered') || o.includes('sec-3'))).toBe(true);
    const everything = outputs.join('\n');
    for (const secret of [ACCESS_KEY, 'CANARY-ACCESS-KEY', TOKEN, 'CANARY-BEARER', DEV_KEY, connectionString, app.azurite.connectionString]) {
      expect(everything.includes(secret), `leaked: ${secret.slice(0, 12)}…`).toBe(false);
    }
    // The canaries were really in use: the mail service saw HMAC auth with the key, ARM saw the token.
    expect(standIn.email.sent.every((m) => m.auth === 'hmac')).toBe(true);
  }, 120_000);

  it('the CLI prints no token, on success and when Azure refuses or fails', async () => {
    let out = '';
    const io = { stdout: (t: string) => (out += t), stderr: (t: string) => (out += t), isTty: false, stderrIsTty: true, now: () => new Date('2026-01-01T00:00:00Z'), azure: { credential: canaryCredential, ca: app.standIn.ca, retry: FAST_RETRY, backoffMs: 5 } };
    const args = ['node', 'peerguard', 'audit', '--live', '--endpoint', app.standIn.endpoint, '--subscription', SUB, '--fail-on', 'none'];
    for (const format of ['json', 'table', 'sarif', 'markdown', 'csv']) expect(await main([...args, '--format', format], io)).toBe(0);
    app.standIn.faults.forbid(SUB, { listed: true });
    await main([...args, '--format', 'json'], io);
    app.standIn.faults.clear();
    app.standIn.faults.fail('resourceGraph', 503, Infinity);
    await main([...args, '--format', 'json'], io);
    await main(['node', 'peerguard', 'export', '--live', '--endpoint', app.standIn.endpoint, '--subscription', SUB], io);
    app.standIn.faults.clear();
    expect(out).toMatch(/not read:/);
    expect(out.includes(TOKEN)).toBe(false);
    expect(out.includes('CANARY-BEARER')).toBe(false);
    // Requests did carry the canary token (the stand-in logs what it received).
    expect(app.standIn.requests.entries.length).toBeGreaterThan(0);
  });
});
