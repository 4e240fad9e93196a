import { describe, expect, it } from 'vitest';
import { liveReader, useStandIn } from '../azure/harness';
import { HUB, realisticEstate } from '../azure/realistic-estate';

// The live ARM reader (event path, remediation) under answers slower than its request timeout: the
// SDK pipeline does not retry an aborted request, so the reader does; the read stays complete.

describe('live ARM reader: answers slower than the timeout', () => {
  const standIn = useStandIn(() => ({ resources: realisticEstate() }));

  it('retries a GET and a Resource Graph page that timed out; the neighbourhood is read whole', async () => {
    standIn().faults.slow('resourceGraph', 1_000, 1);
    standIn().faults.slow('armGet', 1_000, 1);
    const inventory = await liveReader(standIn(), { requestTimeoutMs: 300, backoffMs: 10 }).readNeighbourhood([HUB]);
    expect(standIn().faults.pending()).toEqual([]);
    expect(inventory.unreadable).toEqual([]);
  });

  it('names a resource that stays slow after every attempt as unreadable, without throwing', async () => {
    standIn().faults.slow('armGet', 1_000, Infinity);
    const inventory = await liveReader(standIn(), { requestTimeoutMs: 200 }).readNeighbourhood([HUB]);
    standIn().faults.clear();
    expect(inventory.unreadable.map((u) => u.reason)).toEqual([expect.stringMatching(/no answer within the request timeout/)]);
  });
});
