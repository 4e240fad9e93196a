import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleArmEvent, RetryableEventError } from '../../src/alerts/event-path';
import type { MailMessage, SendOptions } from '../../src/alerts/mailer';
import { alertFlush } from '../../src/functions/alertFlush';
import { eventPathDeps } from '../../src/functions/composition';
import { context } from '../functions/harness';
import { deleteEvent, startApp, timer, useEventPath, writeEvent, type App } from './harness';

// Event Grid waits 30 s for the answer to a delivery, then queues the event again while the first
// invocation may still be working on it. An event whose reads are slow (throttled, an outage) is
// given up at the invocation's deadline, its read aborted, and answered for Event Grid to redeliver.

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('the event path gives an event up at its deadline', () => {
  let app: App;
  beforeAll(async () => {
    // Requests may take 10 s: only the deadline can stop the read sooner.
    app = await startApp({ requestTimeoutMs: 10_000 });
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
  });

  it('aborts a read still running at the deadline and starts no attempt past it', async () => {
    app.standIn.faults.slow(['armGet', 'resourceGraph'], 3_000, 100);
    const started = Date.now();
    const failure = await handleArmEvent({ ...eventPathDeps(app.adapters, quiet), deadlineMs: 1_000, retryDelayMs: 5 }, writeEvent('deadline-1')).then(
      () => undefined,
      (error: unknown) => error,
    );
    const elapsed = Date.now() - started;
    app.standIn.faults.clear();
    expect(failure).toBeInstanceOf(RetryableEventError);
    expect((failure as Error).message).toMatch(/failed after 1 attempt in 1\.\d s \(the invocation's 1 s for an event\), left to Event Grid to redeliver: .*could not be read/);
    expect(elapsed).toBeLessThan(2_000);
  });
});

// The same 30 s hold for the mails an event sends after its read (Communication Services' send and
// status polls, slowed by 429 Retry-After): they wait no longer than the event's deadline either.
// The deadline is injected (deadlineMs, mailMinMs) rather than waited out.
describe("the event path's mails end by the event's deadline (Azurite)", () => {
  const app = useEventPath();
  const owedRows = async () => (await app.adapters.store.pendingRows()).filter((r) => r.pendingOpen || r.pendingResolved);

  it('a send still running at the deadline is given up and left pending of unknown outcome; alertFlush sends it under the same Operation-Id', async () => {
    const attempts: { message: MailMessage; signal: AbortSignal | undefined }[] = [];
    const send = app.mailer.send.bind(app.mailer);
    // A send that never answers, whatever its signal says: only the event's own wait can end it.
    app.mailer.send = (message: MailMessage, options?: SendOptions) => {
      attempts.push({ message, signal: options?.signal });
      return new Promise<never>(() => undefined);
    };
    app.estate.spokePeeringDeleted();
    const started = Date.now();
    const result = await handleArmEvent({ ...eventPathDeps(app.adapters, quiet), deadlineMs: 1_500, mailMinMs: 100 }, deleteEvent());
    const elapsed = Date.now() - started;

    expect(result.status).toBe('processed');
    expect(elapsed).toBeLessThan(2_500);
    // One send began and was aborted at the deadline; any other was not started.
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.signal?.aborted).toBe(true);
    expect(result.outcome?.sent).toEqual([]);
    expect(result.outcome?.failed.map((f) => f.fingerprint)).toHaveLength(1);
    const owed = await owedRows();
    expect(owed).toHaveLength(1 + (result.outcome?.deferred.length ?? 0));
    // Unclaimed, not put off: the next flush sends them. The aborted one keeps its Operation-Id (no attempt counted).
    for (const row of owed) expect(row).toMatchObject({ claimUntil: undefined, retryAt: undefined, sendAttempts: 0 });
    expect(owed.find((r) => r.fingerprint === result.outcome?.failed[0]?.fingerprint)?.lastSendError).toMatch(/deadline \(outcome unknown\)/);

    app.mailer.send = send;
    await alertFlush(timer, context('alertFlush'));
    expect(app.mailer.sent).toHaveLength(owed.length);
    expect(app.mailer.sent.map((m) => m.operationId)).toContain(attempts[0]!.message.operationId);
    expect(await owedRows()).toEqual([]);
  });

  it('with less than mailMinMs of the deadline left, the event sends nothing and leaves its mails unclaimed for alertFlush', async () => {
    app.estate.spokePeeringDeleted();
    // The default mailMinMs (EVENT_MAIL_MIN_MS, 5 s) is more than a 3 s deadline leaves.
    const result = await handleArmEvent({ ...eventPathDeps(app.adapters, quiet), deadlineMs: 3_000 }, deleteEvent());

    expect(result.status).toBe('processed');
    expect(app.mailer.sent).toEqual([]);
    expect(result.outcome?.deferred.length).toBeGreaterThan(0);
    const owed = await owedRows();
    expect(owed).toHaveLength(result.outcome?.deferred.length ?? -1);
    for (const row of owed) expect(row.claimUntil).toBeUndefined();

    await alertFlush(timer, context('alertFlush'));
    expect(app.mailer.sent).toHaveLength(owed.length);
    expect(await owedRows()).toEqual([]);
  });
});
