import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleArmEvent, RetryableEventError } from '../../src/alerts/event-path';
import { eventPathDeps } from '../../src/functions/composition';
import { startApp, writeEvent, type App } from './harness';

// Event Grid waits 30 s for the answer to a delivery, then queues the event again while the first
// invocation may still be working on it. An event whose reads are slow (throttled, an outage) is
// given up at the invocation's deadline, its read aborted, and answered for Event Grid to redeliver.

describe('the event path gives an event up at its deadline', () => {
  let app: App;
  beforeAll(async () => {
    // Requests may take 10 s: only the deadline can stop the read sooner.
    app = await startApp({ requestTimeoutMs: 10_000 });
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
  });

  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

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
