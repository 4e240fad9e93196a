import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePrefix, type Prefix } from '../../src/model/cidr';
import { applianceStretches, decisionsOf, holdsAll, routingOf, type EffectiveRoute } from '../../src/rules/transit-helpers';

// The longest-prefix-match sweep against a brute force over every address of a small space: random
// CIDR routes inside 10.0.0.0/26 (64 addresses), each to one of a few "hubs" (-1: not an appliance).

const BASE = 10 << 24;
const prefixOf = (offset: number, length: number): Prefix => {
  const size = 2 ** (32 - length);
  const start = BASE + Math.floor(offset / size) * size;
  const text = `${[24, 16, 8, 0].map((s) => (start >>> s) & 255).join('.')}/${length}`;
  return parsePrefix(text) as Prefix;
};
const routeOf = (prefix: Prefix, hub: number): EffectiveRoute => ({ prefix, nextHopType: hub < 0 ? 'VnetLocal' : 'VirtualAppliance', nextHopIp: undefined, route: undefined, hub, peering: undefined });

const arbitraryPrefix = fc.record({ offset: fc.integer({ min: 0, max: 63 }), length: fc.integer({ min: 26, max: 32 }) }).map(({ offset, length }) => prefixOf(offset, length));
// Distinct prefixes, as effective routes are (one per prefix).
const arbitraryRoutes = fc
  .uniqueArray(fc.record({ prefix: arbitraryPrefix, hub: fc.integer({ min: -1, max: 2 }) }), { selector: (r) => r.prefix.key, maxLength: 12 })
  .map((list) => list.map((r) => routeOf(r.prefix, r.hub)));

/** The route that carries one address: the longest prefix holding it. */
function bruteForce(routes: readonly EffectiveRoute[], address: bigint): EffectiveRoute | undefined {
  let best: EffectiveRoute | undefined;
  for (const r of routes) if (r.prefix.first <= address && address <= r.prefix.last && (!best || r.prefix.length > best.prefix.length)) best = r;
  return best;
}

function addresses(target: Prefix): bigint[] {
  const out: bigint[] = [];
  for (let a = target.first; a <= target.last; a += 1n) out.push(a);
  return out;
}

describe('longest-prefix decisions', () => {
  it('decisionsOf gives each address the route a brute-force longest match gives it', () => {
    fc.assert(
      fc.property(arbitraryRoutes, (routes) => {
        const decisions = decisionsOf(routes, 4);
        for (const address of addresses(prefixOf(0, 26))) {
          const stretch = decisions.find((d) => d.first <= address && address <= d.last);
          expect(stretch?.route).toBe(bruteForce(routes, address));
        }
      }),
    );
  });

  it('routingOf names exactly the routes that carry some address of the target, and the gaps', () => {
    fc.assert(
      fc.property(arbitraryRoutes, arbitraryPrefix, (routes, target) => {
        const carriers = addresses(target).map((a) => bruteForce(routes, a));
        const { deciding, gap } = routingOf(routes, target);
        expect(gap).toBe(carriers.includes(undefined));
        expect(new Set(deciding)).toEqual(new Set(carriers.filter((r) => r !== undefined)));
      }),
    );
  });

  it('holdsAll(applianceStretches) holds when every address of the target goes to that hub', () => {
    fc.assert(
      fc.property(arbitraryRoutes, arbitraryPrefix, fc.integer({ min: 0, max: 2 }), (routes, target, hub) => {
        const expected = addresses(target).every((a) => bruteForce(routes, a)?.hub === hub);
        expect(holdsAll(applianceStretches(decisionsOf(routes, 4), hub), target)).toBe(expected);
      }),
    );
  });

  it('a default route split by more specific routes to other hubs', () => {
    const routes = [routeOf(prefixOf(0, 26), 0), routeOf(prefixOf(8, 29), 1), routeOf(prefixOf(32, 27), 0), routeOf(prefixOf(40, 29), 2)];
    const stretches = applianceStretches(decisionsOf(routes, 4), 0);
    expect(stretches.map((s) => [Number(s.first) - BASE, Number(s.last) - BASE])).toEqual([
      [0, 7],
      [16, 39],
      [48, 63],
    ]);
    expect(holdsAll(stretches, prefixOf(16, 28))).toBe(true);
    expect(holdsAll(stretches, prefixOf(0, 28))).toBe(false);
    expect(holdsAll(stretches, prefixOf(48, 28))).toBe(true);
  });
});
