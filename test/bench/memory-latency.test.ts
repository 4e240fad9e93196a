import { describe, expect, it } from 'vitest';
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
  it('times a chase over the given memory', () => {
    const ns = randomReadNs(1, 10_000);
    expect(Number.isFinite(ns)).toBe(true);
    expect(ns).toBeGreaterThan(0);
  });
});
