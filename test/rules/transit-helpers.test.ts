import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePrefix, type Prefix } from '../../src/model/cidr';
import { applianceStretches, decisionsOf, holdsAll, holdsSome, packedStretchesTo, routingOf, type EffectiveRoute } from '../../src/rules/transit-helpers';

// The longest-prefix-match sweep against a brute force over every address of a small space: random
// CIDR routes inside 10.0.0.0/26 (64 addresses), each to one of a few "hubs" (-1: not an appliance).
// Stretches hold IPv4 addresses as numbers and IPv6 ones as bigints: they are also checked in
// 2001:db8::/122 (64 addresses).

const BASE = 10 << 24;
const prefixOf = (offset: number, length: number): Prefix => {
  const size = 2 ** (32 - length);
  const start = BASE + Math.floor(offset / size) * size;
  const text = `${[24, 16, 8, 0].map((s) => (start >>> s) & 255).join('.')}/${length}`;
  return parsePrefix(text) as Prefix;
};
const prefix6Of = (offset: number, length: number): Prefix => {
  const size = 2 ** (128 - length);
  return parsePrefix(`2001:db8::${(Math.floor(offset / size) * size).toString(16)}/${length}`) as Prefix;
};
const routeOf = (prefix: Prefix, hub: number): EffectiveRoute => ({ prefix, nextHopType: hub < 0 ? 'VnetLocal' : 'VirtualAppliance', nextHopIp: undefined, route: undefined, hub, peering: undefined });

/** Prefixes of 64 addresses or fewer at the start of a space, given how they are written. */
const arbitraryPrefixIn = (bits: 32 | 128, of: (offset: number, length: number) => Prefix) =>
  fc.record({ offset: fc.integer({ min: 0, max: 63 }), length: fc.integer({ min: bits - 6, max: bits }) }).map(({ offset, length }) => of(offset, length));
// Distinct prefixes, as effective routes are (one per prefix).
const arbitraryRoutesOf = (prefixes: fc.Arbitrary<Prefix>) =>
  fc
    .uniqueArray(fc.record({ prefix: prefixes, hub: fc.integer({ min: -1, max: 2 }) }), { selector: (r) => r.prefix.key, maxLength: 12 })
    .map((list) => list.map((r) => routeOf(r.prefix, r.hub)));
const arbitraryPrefix = arbitraryPrefixIn(32, prefixOf);
const arbitraryRoutes = arbitraryRoutesOf(arbitraryPrefix);
const arbitraryPrefix6 = arbitraryPrefixIn(128, prefix6Of);

/** The route that carries one address: the longest prefix holding it. */
function bruteForce(routes: readonly EffectiveRoute[], address: bigint): EffectiveRoute | undefined {
  let best: EffectiveRoute | undefined;
  for (const r of routes) if (r.prefix.first <= address && address <= r.prefix.last && (!best || r.prefix.length > best.prefix.length)) best = r;
  return best;
}

function addresses(target: Prefix): bigint[] {
  const out: bigint[] = [];
  for (let a = BigInt(target.first); a <= target.last; a += 1n) out.push(a);
  return out;
}

describe('longest-prefix decisions', () => {
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

  for (const [version, prefixes, space] of [
    [4, arbitraryPrefix, prefixOf(0, 26)],
    [6, arbitraryPrefix6, prefix6Of(0, 122)],
  ] as const) {
    it(`IPv${version}: decisionsOf gives each address the route a brute-force longest match gives it`, () => {
      fc.assert(
        fc.property(arbitraryRoutesOf(prefixes), (routes) => {
          const { stretches, routes: carriers } = decisionsOf(routes, version);
          for (const address of addresses(space)) {
            // Stretches are sorted and disjoint: the one holding the address, if any.
            let k = 0;
            while (k < carriers.length && (stretches[2 * k + 1] as number | bigint) < address) k += 1;
            const holding = k < carriers.length && (stretches[2 * k] as number | bigint) <= address ? carriers[k] : undefined;
            expect(holding).toBe(bruteForce(routes, address));
          }
        }),
      );
    });

    it(`IPv${version}: holdsAll(applianceStretches) holds when every address of the target goes to that hub, holdsSome when some does`, () => {
      fc.assert(
        fc.property(arbitraryRoutesOf(prefixes), prefixes, fc.integer({ min: 0, max: 2 }), (routes, target, hub) => {
          const toHub = addresses(target).map((a) => bruteForce(routes, a)?.hub === hub);
          const stretches = applianceStretches(decisionsOf(routes, version), version, hub);
          expect(holdsAll(stretches, target)).toBe(toHub.every((yes) => yes));
          expect(holdsSome(stretches, target)).toBe(toHub.some((yes) => yes));
        }),
      );
    });
  }

  it('packedStretchesTo gives the stretches of the effective routes: user routes over system ones, the later of two user routes', () => {
    // Prefixes may repeat here, within and across the lists, as a VNet's space, its peers' spaces
    // and its route table may; IPv6 ones are left out of IPv4 stretches.
    const anyPrefix = fc.oneof({ weight: 5, arbitrary: arbitraryPrefix }, { weight: 1, arbitrary: arbitraryPrefix6 });
    fc.assert(
      fc.property(
        fc.array(anyPrefix, { maxLength: 6 }),
        fc.array(fc.record({ prefix: fc.option(anyPrefix, { nil: undefined }), hub: fc.integer({ min: -1, max: 2 }) }), { maxLength: 10 }),
        fc.integer({ min: 0, max: 2 }),
        (system, user, hub) => {
          // The effective routes as effectiveRoutes makes them: one per prefix.
          const byPrefix = new Map<string, EffectiveRoute>();
          for (const prefix of system) if (!byPrefix.has(prefix.key)) byPrefix.set(prefix.key, routeOf(prefix, -1));
          for (const { prefix, hub: to } of user) if (prefix) byPrefix.set(prefix.key, routeOf(prefix, to));
          const expected = applianceStretches(decisionsOf([...byPrefix.values()], 4), 4, hub);
          const packed = packedStretchesTo((visit) => system.forEach((p) => visit(p)), user, (k) => (user[k] as { hub: number }).hub, hub);
          expect(packed).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a default route split by more specific routes to other hubs', () => {
    const routes = [routeOf(prefixOf(0, 26), 0), routeOf(prefixOf(8, 29), 1), routeOf(prefixOf(32, 27), 0), routeOf(prefixOf(40, 29), 2)];
    const stretches = applianceStretches(decisionsOf(routes, 4), 4, 0);
    expect(stretches.map((address) => address - BASE)).toEqual([0, 7, 16, 39, 48, 63]);
    expect(holdsAll(stretches, prefixOf(16, 28))).toBe(true);
    expect(holdsAll(stretches, prefixOf(0, 28))).toBe(false);
    expect(holdsAll(stretches, prefixOf(48, 28))).toBe(true);
  });
});
