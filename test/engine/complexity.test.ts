import { describe, expect, it } from 'vitest';
import { generateEstate } from '../../bench/generate';
import { buildTopology } from '../../src/model/build';
import type { Topology } from '../../src/model/types';
import { countedTopology } from '../support/counted-topology';
import { RULES } from '../../src/rules';
import { DEFAULT_RULE_OPTIONS } from '../../src/rules/rule';

// Rule evaluation must stay near-linear in peerings. Instead of timing, count the work a rule
// asks of the topology: map lookups, elements iterated, pair lookups. Doubling the estate must
// roughly double the count; a rule that scans every VNet per peering would quadruple it.

function topologyOfSize(vnets: number): Topology {
  const { subscriptions } = generateEstate({ vnets, seed: 11, faultShare: 0.05, vnetsPerSubscription: 20 });
  return buildTopology(subscriptions.flatMap((s) => s.resources.map((resource) => ({ resource, source: s.subscriptionId }))));
}

describe('rule complexity', () => {
  const small = topologyOfSize(1500);
  const large = topologyOfSize(3000);

  for (const rule of RULES) {
    it(`${rule.meta.id} does work proportional to the estate`, () => {
      const work = (t: Topology) => {
        const tally = { ops: 0 };
        rule.evaluate(countedTopology(t, tally), DEFAULT_RULE_OPTIONS);
        return tally.ops;
      };
      const a = work(small);
      const b = work(large);
      const peeringsRatio = large.peerings.size / small.peerings.size;
      // Linear work scales with the estate (about 2x); 3x leaves room for hub-size variation, a
      // quadratic scan would show 4x or more.
      expect(b / Math.max(a, 1)).toBeLessThan(1.5 * peeringsRatio);
      expect(b).toBeLessThan(50 * (large.peerings.size + large.vnets.size));
    });
  }
});
