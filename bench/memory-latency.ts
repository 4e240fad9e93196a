// The machine's random-read latency at a few working-set sizes, printed beside the bench's figures:
// at 50k VNets the topology is ~300 MB of heap, and the audit's cost is mostly reads that miss the
// caches, so this tells how one machine's figures compare with another's.

/**
 * A permutation of 0..length-1 that is one cycle through every slot (Sattolo's shuffle, seeded): a
 * chase that follows it never settles into a small loop that the caches would hold.
 */
export function singleCycle(length: number, seed = 42): Int32Array {
  const next = new Int32Array(length);
  for (let i = 0; i < length; i += 1) next[i] = i;
  let state = seed >>> 0;
  for (let i = length - 1; i > 0; i -= 1) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    const j = state % i; // j < i, never i itself: what makes it one cycle
    const held = next[i] as number;
    next[i] = next[j] as number;
    next[j] = held;
  }
  return next;
}

/** Nanoseconds per read when each read's address comes from the one before, over `megabytes` of memory. */
export function randomReadNs(megabytes: number, reads = 2_000_000): number {
  const next = singleCycle((megabytes * 2 ** 20) / 4);
  let at = 0;
  const start = performance.now();
  for (let k = 0; k < reads; k += 1) at = next[at] as number;
  const elapsed = performance.now() - start;
  // `at` is used, so the chase cannot be optimized away.
  return at < 0 ? Number.NaN : (elapsed * 1e6) / reads;
}
