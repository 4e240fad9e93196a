import { describe, expect, it } from 'vitest';
import type { AuditScope } from '../../src/ports';
import { inventoryReader, useStandIn } from '../azure/harness';
import { realisticEstate } from '../azure/realistic-estate';
import { SUB_A, SUB_B, SUB_C } from '../support/estate';

// Resource Graph is retried in two layers: the SDK pipeline (429 with Retry-After, 5xx, dropped
// connections; 3 retries in these tests) and, once the pipeline gives up, the adapter's own attempts
// per page (3). A short burst is absorbed by either layer alone (test/azure/inventory.test.ts); the
// faults here outlast the pipeline's retries, so that each layer has to do its part.

const ALL: AuditScope = { kind: 'subscriptions', subscriptionIds: [SUB_A, SUB_B, SUB_C] };

describe('Resource Graph: faults longer than the SDK pipeline retries', () => {
  const standIn = useStandIn(() => ({ resources: realisticEstate() }));

  it('a 429 run longer than the pipeline retries: every retry waits Retry-After, the adapter too, and the read is whole', async () => {
    standIn().faults.throttle('resourceGraph', { times: 4, retryAfterMs: 250 });
    const inventory = await inventoryReader(standIn()).readInventory(ALL);
    expect(inventory.unreadable).toEqual([]);
    expect(inventory.subscriptions).toEqual([SUB_A, SUB_B, SUB_C].sort());
    const calls = standIn().requests.of('resourceGraph');
    // Four 429s: three seen by the pipeline's retries, the fourth ends its turn; the adapter's next attempt is answered.
    expect(calls.map((r) => r.status)).toEqual([429, 429, 429, 429, 200]);
    const gaps = calls.slice(1).map((r, i) => r.at.getTime() - (calls[i] as { at: Date }).at.getTime());
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(240);
  });

  it('dropped connections longer than the pipeline retries: the adapter reads the page again', async () => {
    standIn().faults.drop('resourceGraph', 4);
    const inventory = await inventoryReader(standIn()).readInventory(ALL);
    expect(inventory.unreadable).toEqual([]);
    expect(inventory.resources.length).toBeGreaterThan(10);
    expect(standIn().requests.of('resourceGraph').map((r) => r.status)).toEqual([0, 0, 0, 0, 200]);
  });
});
