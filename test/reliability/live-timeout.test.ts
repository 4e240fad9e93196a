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

  it('throws, naming the resource, when it stays slow after every attempt (the event is redelivered, not judged half-read)', async () => {
    standIn().faults.slow('armGet', 1_000, Infinity);
    const read = liveReader(standIn(), { requestTimeoutMs: 200 }).readNeighbourhood([HUB]);
    await expect(read).rejects.toThrow(/could not be read from Resource Manager \(no answer within the request timeout\)/);
    standIn().faults.clear();
  });
});
