import { afterEach, describe, expect, it, vi } from 'vitest';
import { randomReadNs, singleCycle } from '../../bench/memory-latency';

/** Steps from slot 0 back to slot 0. */
function cycleLength(next: Int32Array): number {
  let steps = 0;
  let at = 0;
  do {
    at = next[at] as number;
    steps += 1;
  } while (at !== 0 && steps <= next.length);
  return steps;
}

describe('singleCycle', () => {
  it.each([2, 3, 10, 1000, 65_537])('visits every one of %i slots before it returns', (length) => {
    const next = singleCycle(length);
    expect(cycleLength(next)).toBe(length);
    expect(new Set(next).size).toBe(length);
  });

  it('differs with the seed and repeats with it', () => {
    expect(singleCycle(100, 1)).toEqual(singleCycle(100, 1));
    expect(singleCycle(100, 1)).not.toEqual(singleCycle(100, 2));
  });
});

describe('randomReadNs', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  // The clock is given, not read: the figure is the chase's time over the number of reads, in ns.
  it('reports the time between the clock reads either side of the chase, per read, in nanoseconds', () => {
    const now = vi.spyOn(performance, 'now').mockReturnValueOnce(1_000).mockReturnValueOnce(1_003);
    expect(randomReadNs(1, 10_000)).toBe(300); // 3 ms over 10,000 reads
    expect(now).toHaveBeenCalledTimes(2);
  });
});
