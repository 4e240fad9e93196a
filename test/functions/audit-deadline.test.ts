import path from 'node:path';
import { HttpRequest, HttpResponse, type HttpResponseInit } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../../src/functions/audit';
import { buildAdapters, useAdapters, type Adapters } from '../../src/functions/composition';
import { readSnapshot } from '../../src/io/snapshot-files';
import { startStandIn, type StandIn } from '../azure-stand-in';
import { FAST_RETRY } from '../azure/harness';
import { context, testEnv, type Logged } from './harness';

// An HTTP function must answer within 230 s (Azure Load Balancer's idle timeout), so the on-demand
// audit gives its Resource Graph read a deadline: a read still running then is answered 504, nothing
// audited, never a report of what was read by then. The real handler and the real Resource Graph
// SDK against the stand-in, with the deadline shortened.

const ESTATE = path.resolve(__dirname, '../../examples/estate');
/** The HTTP audit touches no storage: the clients are built, never called. */
const STORAGE = 'UseDevelopmentStorage=true';
/** The example estate's subscriptions: one holds a network manager, so a whole read sends two Resource Graph queries. */
const ESTATE_SUBSCRIPTIONS = ['aaaaaaaa-0000-0000-0000-000000000001', 'bbbbbbbb-0000-0000-0000-000000000002', 'cccccccc-0000-0000-0000-000000000003'].join(',');
const DEADLINE_MS = 1_000;
/**
 * How late the slowed Resource Graph answers: past the deadline, and soon enough after it that a
 * read left running would send its next query (the estate's network manager makes it a second one).
 */
const SLOW_MS = 1_500;
/** What the answer may take beyond the deadline: a bound, not a benchmark. */
const SLACK_MS = 1_000;

const get = (query: string, logs: Logged[] = []) => {
  const ctx = context('audit', logs);
  return { ctx, response: audit(new HttpRequest({ method: 'GET', url: `http://localhost/api/audit${query}` }), ctx) };
};

/** The headers as the Functions library sends them (HttpResponse adds application/json for jsonBody). */
const sent = (response: HttpResponseInit) => new HttpResponse(response).headers;

describe('HTTP audit: a Resource Graph read past the deadline is answered 504, nothing audited', () => {
  let standIn: StandIn;
  const now = new Date('2026-03-02T06:00:00.000Z');
  // The real adapters against the stand-in; requests may take 10 s, so only the deadline answers sooner.
  const install = (overrides: Partial<Adapters> = {}): void => {
    const env = { ...testEnv(STORAGE, { PEERGUARD_SUBSCRIPTIONS: ESTATE_SUBSCRIPTIONS }), PEERGUARD_ARM_ENDPOINT: standIn.endpoint };
    useAdapters(buildAdapters(env, { azure: { credential: standIn.credential, ca: standIn.ca, retry: FAST_RETRY, requestTimeoutMs: 10_000 }, now: () => now, ...overrides }));
  };

  beforeAll(async () => {
    standIn = await startStandIn({ resources: (await readSnapshot([ESTATE])).map((r) => r.resource) });
  }, 60_000);
  afterAll(async () => {
    useAdapters(undefined);
    await standIn?.stop();
  });

  it('Resource Graph slower than the deadline: 504 at the deadline, JSON whatever the format, naming the scheduled report and the CLI', async () => {
    install({ auditReadDeadlineMs: DEADLINE_MS });
    standIn.faults.slow('resourceGraph', SLOW_MS, Infinity);
    const logs: Logged[] = [];
    const queriesBefore = standIn.requests.count('resourceGraph');
    const started = Date.now();
    const { ctx, response: pending } = get('?format=csv', logs);
    const response = await pending;
    const elapsed = Date.now() - started;
    // The read was cancelled, not left to run: past the time its first query would have been answered, no second query came.
    await new Promise((resolve) => setTimeout(resolve, 2 * SLOW_MS));
    standIn.faults.clear();
    expect(standIn.requests.count('resourceGraph') - queriesBefore).toBe(1);

    expect(response.status).toBe(504);
    // The read had its whole deadline, and the answer did not wait for the read.
    expect(elapsed).toBeGreaterThanOrEqual(DEADLINE_MS - 10);
    expect(elapsed).toBeLessThan(DEADLINE_MS + SLACK_MS);
    const body = response.jsonBody as { error: string; invocationId: string };
    expect(body.invocationId).toBe(ctx.invocationId);
    expect(body.error).toMatch(/^reading the estate from Azure Resource Graph did not finish within the on-demand audit's 1 s \(an HTTP function must answer within 230 s\), so nothing was audited\./);
    expect(body.error).toContain('the scheduled report');
    expect(body.error).toContain('`peerguard audit --live`');
    const headers = sent(response);
    expect(headers.get('content-type')).toBe('application/json');
    expect(headers.get('cache-control')).toBe('no-store');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(logs.filter((l) => l.level === 'error').map((l) => l.text)).toEqual([expect.stringContaining('had not finished after 1 s; answered 504')]);
  });

  it('a read within the deadline answers the same report as with the default deadline', async () => {
    install({ auditReadDeadlineMs: DEADLINE_MS });
    const response = await get('?format=json').response;
    expect(response.status).toBe(200);
    const report = JSON.parse(String(response.body)) as { findings: unknown[]; coverage: { unreadable: unknown[] } };
    expect(report.findings.length).toBeGreaterThan(0);
    expect(report.coverage.unreadable).toEqual([]);

    install();
    const unbounded = await get('?format=json').response;
    expect(unbounded.status).toBe(200);
    expect(unbounded.body).toBe(response.body);
  });
});
