import type { Topology } from '../../src/model/types';

// The topology with its maps counting lookups and iterated elements, and its join functions
// counting calls: the work a rule asks of the topology, for complexity tests (counted, not timed).

class CountingMap<K, V> extends Map<K, V> {
  constructor(
    entries: Iterable<[K, V]>,
    private readonly tally: { ops: number },
  ) {
    super(entries);
  }
  override get(key: K) {
    this.tally.ops += 1;
    return super.get(key);
  }
  override has(key: K) {
    this.tally.ops += 1;
    return super.has(key);
  }
  private counted<T>(items: Iterable<T>): MapIterator<T> {
    const tally = this.tally;
    return (function* () {
      for (const item of items) {
        tally.ops += 1;
        yield item;
      }
    })() as unknown as MapIterator<T>;
  }
  override values() {
    return this.counted(super.values());
  }
  override entries() {
    return this.counted(super.entries());
  }
  override keys() {
    return this.counted(super.keys());
  }
  override [Symbol.iterator]() {
    return this.entries();
  }
  override forEach(fn: (value: V, key: K, map: Map<K, V>) => void) {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }
}

export function countedTopology(topology: Topology, tally: { ops: number }): Topology {
  const count = <A extends unknown[], R>(fn: (...args: A) => R) => (...args: A): R => {
    tally.ops += 1;
    return fn(...args);
  };
  return {
    ...topology,
    vnets: new CountingMap(topology.vnets, tally),
    peerings: new CountingMap(topology.peerings, tally),
    routeTables: new CountingMap(topology.routeTables, tally),
    reverseOf: count(topology.reverseOf),
    peeringBetween: count(topology.peeringBetween),
    isInScope: count(topology.isInScope),
    meshMembers: count(topology.meshMembers),
  };
}

