import { describe, expect, it } from 'vitest';
import type { AuditScope } from '../../src/ports';
import { inventoryReader, useStandIn } from '../azure/harness';
import { realisticEstate } from '../azure/realistic-estate';
import { SUB_A, SUB_B, SUB_C } from '../support/estate';
import { recordingSleep } from '../support/recording-sleep';

// Resource Graph is retried in two layers: the SDK pipeline (429 with Retry-After, 5xx, dropped
// connections; 3 retries in these tests) and, once the pipeline gives up, the adapter's own attempts
// per page (3). A short burst is absorbed by either layer alone (test/azure/inventory.test.ts); the
// faults here outlast the pipeline's retries, so that each layer has to do its part.

const ALL: AuditScope = { kind: 'subscriptions', subscriptionIds: [SUB_A, SUB_B, SUB_C] };

describe('Resource Graph: faults longer than the SDK pipeline retries', () => {
  const standIn = useStandIn(() => ({ resources: realisticEstate() }));

  it('a 429 run longer than the pipeline retries: the adapter waits Retry-After once the pipeline gives up, and the read is whole', async () => {
    standIn().faults.throttle('resourceGraph', { times: 4, retryAfterMs: 250 });
    const adapter = recordingSleep();
    const inventory = await inventoryReader(standIn(), { sleep: adapter.sleep }).readInventory(ALL);
    expect(inventory.unreadable).toEqual([]);
    expect(inventory.subscriptions).toEqual([SUB_A, SUB_B, SUB_C].sort());
    const calls = standIn().requests.of('resourceGraph');
    // Four 429s: three seen by the pipeline's retries, the fourth ends its turn; the adapter's next attempt is answered.
    expect(calls.map((r) => r.status)).toEqual([429, 429, 429, 429, 200]);
    // The adapter's one wait, before its second attempt: the 250 ms of retry-after-ms, not its 10 ms back-off.
    expect(adapter.asked).toEqual([250]);
  });

  it('dropped connections longer than the pipeline retries: the adapter reads the page again', async () => {
    standIn().faults.drop('resourceGraph', 4);
    const inventory = await inventoryReader(standIn()).readInventory(ALL);
    expect(inventory.unreadable).toEqual([]);
    expect(inventory.resources.length).toBeGreaterThan(10);
    expect(standIn().requests.of('resourceGraph').map((r) => r.status)).toEqual([0, 0, 0, 0, 200]);
  });
});
