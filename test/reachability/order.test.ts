import { describe, expect, it } from 'vitest';
import { keyOf } from '../../src/model/ids';
import type { RawResource } from '../../src/model/snapshot';
import { createReachability, describeVerdict } from '../../src/reachability/engine';
import { topologyOf } from '../support/estate';
import { HUB, hubAndSpokes, routeTableId, spokeId, viaFirewall } from '../support/transit';

// The verdict depends neither on the order of a VNet's subnets nor on which VNet is asked first:
// every route context of A is tried with every context of C, and "the same way" is one relation
// (the same appliance VNet, or none) both ways (QA c4, c11).

const s1 = spokeId('spoke1');
const s2 = spokeId('spoke2');

/**
 * QA c4: spokes peered with the hub and with each other. spoke1's snet-app routes spoke2 to the
 * firewall, its snet-direct has no table (the peering); spoke2 routes spoke1 to the firewall.
 */
function twoContexts(order: 'table first' | 'table last'): RawResource[] {
  const subnets = [
    { name: 'snet-app', prefix: '10.1.1.0/24', routeTable: routeTableId('spoke1') },
    { name: 'snet-direct', prefix: '10.1.0.0/24' },
  ];
  return hubAndSpokes([
    { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall('10.2.0.0/16', 'to-spoke2')], subnets: order === 'table first' ? subnets : subnets.reverse(), peerings: [{ remote: s2 }] },
    { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: [viaFirewall('10.1.0.0/16', 'to-spoke1')], peerings: [{ remote: s1 }] },
  ]);
}

/** QA c11: spoke1 routes the hub's space to the hub firewall; the hub's workload subnet answers over the peering. */
const hubSpaceThroughFirewall = hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaFirewall('10.0.0.0/16', 'to-hub')] }], {
  prefixes: ['10.0.0.0/16'],
  subnets: [
    { name: 'AzureFirewallSubnet', prefix: '10.0.1.0/26' },
    { name: 'snet-shared', prefix: '10.0.2.0/24' },
  ],
});

describe('reachability: the same answer whatever the order', () => {
  it.each(['table first', 'table last'] as const)('a subnet of spoke1 goes through the firewall as spoke2 does (%s): reachable both ways', (order) => {
    const engine = createReachability(topologyOf(twoContexts(order)));
    expect(describeVerdict(engine.explain(keyOf(s1), keyOf(s2)))).toBe('reachable: "spoke1" → firewall "afw-vnet-hub" in "vnet-hub" → "spoke2"');
    expect(describeVerdict(engine.explain(keyOf(s2), keyOf(s1)))).toBe('reachable: "spoke2" → firewall "afw-vnet-hub" in "vnet-hub" → "spoke1"');
    expect(engine.explain(keyOf(s1), keyOf(s2), 'firewall').reachable).toBe(true);
  });

  it.each([
    ['spoke1 → hub', s1, HUB],
    ['hub → spoke1', HUB, s1],
  ])('out through the hub firewall, back over the peering: no path, asked %s', (_name, a, c) => {
    const v = createReachability(topologyOf(hubSpaceThroughFirewall)).explain(keyOf(a), keyOf(c));
    expect(v.reachable).toBe(false);
    expect(v.missing?.kind).toBe('return-path-missing');
    expect(v.missing?.message).toContain('the return path differs from the way out');
    expect(v.partly).toBeUndefined();
  });
});
