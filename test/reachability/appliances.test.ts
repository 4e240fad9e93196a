import { describe, expect, it } from 'vitest';
import { keyOf } from '../../src/model/ids';
import type { RawResource } from '../../src/model/snapshot';
import { createReachability, describeVerdict } from '../../src/reachability/engine';
import { nva, topologyOf, type RouteSpec } from '../support/estate';
import { FIREWALL_IP, HUB, hubAndSpokes, spokeId } from '../support/transit';

// "The same way back" is the same appliance, not only the same hub: a stateful device that sees one
// direction of a flow only drops it (expressroute-asymmetric-routing). A hub with an Azure Firewall
// at 10.0.1.4 and an NVA NIC at 10.0.2.4.

const s1 = spokeId('spoke1');
const s2 = spokeId('spoke2');
const NVA_IP = '10.0.2.4';
const to = (prefix: string, ip: string, name = `to-${ip}`): RouteSpec => ({ name, prefix, nextHopType: 'VirtualAppliance', nextHopIp: ip });

function hubWithNva(one: RouteSpec[], two: RouteSpec[]): RawResource[] {
  return [
    ...hubAndSpokes(
      [
        { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: one },
        { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: two },
      ],
      { subnets: [{ name: 'AzureFirewallSubnet', prefix: '10.0.1.0/26' }, { name: 'snet-nva', prefix: '10.0.2.0/24' }] },
    ),
    nva('nic-nva', HUB, 'snet-nva', NVA_IP),
  ];
}

const engineOf = (resources: RawResource[]) => createReachability(topologyOf(resources));

describe('reachability: the same appliance both ways', () => {
  it('out through the firewall, back through another NVA in the same hub: return-path-missing, asked either way', () => {
    const engine = engineOf(hubWithNva([to('10.2.0.0/16', FIREWALL_IP)], [to('10.1.0.0/16', NVA_IP)]));
    for (const [x, y] of [[s1, s2], [s2, s1]] as const) {
      const v = engine.explain(keyOf(x), keyOf(y));
      expect(v.reachable).toBe(false);
      expect(v.missing?.kind).toBe('return-path-missing');
    }
    // Packets still cross both ways: an isolated statement is violated.
    expect(describeVerdict(engine.isolation(keyOf(s1), keyOf(s2)))).toMatch(/^connected, not the same way both ways: "spoke1" → firewall "afw-vnet-hub" in "vnet-hub" → "spoke2" for all of "spoke2", and back "spoke2" → appliance "nic-nva" in "vnet-hub" → "spoke1"/);
  });

  it('the same firewall both ways is still a path', () => {
    const engine = engineOf(hubWithNva([to('10.2.0.0/16', FIREWALL_IP)], [to('10.1.0.0/16', FIREWALL_IP)]));
    expect(describeVerdict(engine.explain(keyOf(s1), keyOf(s2), 'firewall'))).toBe('reachable: "spoke1" → firewall "afw-vnet-hub" in "vnet-hub" → "spoke2"');
  });

  it('part of the destination through the firewall and part through an NVA: not through the firewall', () => {
    const engine = engineOf(hubWithNva([to('10.2.0.0/16', FIREWALL_IP), to('10.2.5.0/24', NVA_IP, 'to-nva')], [to('10.1.0.0/16', FIREWALL_IP)]));
    const v = engine.explain(keyOf(s1), keyOf(s2), 'firewall');
    expect(v.missing?.kind).toBe('not-through-appliance');
    expect(v.missing?.message).toContain('(other parts of "spoke2" go other ways)');
    // Without via, the firewall path back does not serve the part sent through the NVA.
    expect(engine.explain(keyOf(s1), keyOf(s2)).missing?.kind).toBe('return-path-missing');
  });
});
