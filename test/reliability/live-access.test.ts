import { describe, expect, it } from 'vitest';
import { keyOf, subscriptionOf } from '../../src/model/ids';
import { liveReader, useStandIn } from '../azure/harness';
import { HUB, realisticEstate, SPOKES } from '../azure/realistic-estate';
import { SUB_B } from '../support/estate';

// The live reader when Resource Manager refuses one subscription (403) for a VNet it reads fresh:
// that subscription is named unreadable (the event path then decides nothing there), the rest is read.
// (A peer in such a subscription, which comes from Resource Graph, is test/azure/live.test.ts.)

describe('live reader: a subscription that refuses a fresh read', () => {
  const standIn = useStandIn(() => ({ resources: realisticEstate() }));

  it('a 403 on a VNet read from ARM names its subscription unreadable, and reads the rest', async () => {
    standIn().faults.forbid(SUB_B, { listed: true });
    const spoke = SPOKES[0] as string;
    const inventory = await liveReader(standIn()).readNeighbourhood([HUB, spoke]);
    expect(inventory.unreadable).toEqual([{ scope: SUB_B, reason: expect.stringMatching(/access denied reading .*403/) }]);
    expect(inventory.subscriptions).not.toContain(SUB_B);
    expect(inventory.resources.some((r) => keyOf(r.resource.id) === keyOf(HUB))).toBe(true);
    expect(inventory.resources.filter((r) => subscriptionOf(r.resource.id) === SUB_B)).toEqual([]);
  });
});
