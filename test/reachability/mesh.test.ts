import { describe, expect, it } from 'vitest';
import { keyOf } from '../../src/model/ids';
import { createReachability, describeVerdict } from '../../src/reachability/engine';
import { vnet, vnetId, topologyOf } from '../support/estate';
import { meshGroup } from '../support/transit';

// An AVNM mesh connects its members without peerings, but "traffic to the specific overlapping
// subnets is dropped, since routing is non-deterministic" (concept-connectivity-configuration).

const a = vnetId('vnet-a');
const b = vnetId('vnet-b');
const c = vnetId('vnet-c');
const member = (id: string, prefixes: string[]) => vnet({ id, prefixes, subnets: [{ name: 'app', prefix: prefixes[0] as string }] });
const engineOf = (...resources: Parameters<typeof topologyOf>[0]) => createReachability(topologyOf(resources));

describe('reachability: AVNM mesh with overlapping address spaces', () => {
  it('members with the same space do not reach each other (address-overlap), either way', () => {
    const engine = engineOf(member(a, ['10.1.0.0/16']), member(c, ['10.1.0.0/16']), ...meshGroup('m', [a, c]));
    for (const [x, y] of [[a, c], [c, a]] as const) {
      const v = engine.explain(keyOf(x), keyOf(y));
      expect(v.reachable).toBe(false);
      expect(v.missing?.kind).toBe('address-overlap');
      expect(engine.isolation(keyOf(x), keyOf(y)).partly).toBeUndefined();
    }
    expect(describeVerdict(engine.explain(keyOf(a), keyOf(c)))).toBe(
      'not reachable (address-overlap): 10.1.0.0/16 of "vnet-c" overlaps the space of "vnet-a" (10.1.0.0/16): routing to overlapping space in a mesh is non-deterministic, so traffic from "vnet-a" to it is dropped.',
    );
  });

  it('a partial overlap leaves the rest connected: partly reachable', () => {
    const engine = engineOf(member(a, ['10.1.0.0/16']), member(c, ['10.9.0.0/16', '10.1.0.0/24']), ...meshGroup('m', [a, c]));
    const v = engine.explain(keyOf(a), keyOf(c));
    expect(v.reachable).toBe(false);
    expect(v.missing?.kind).toBe('address-overlap');
    expect(v.partly?.there).toBe('10.9.0.0/16 of "vnet-c"');
    expect(v.partly?.back).toBe('10.1.0.0/16 of "vnet-a" except 10.1.0.0/24');
  });

  it('a third member overlapping the destination takes that space out too', () => {
    const engine = engineOf(member(a, ['10.1.0.0/16']), member(b, ['10.2.0.0/16']), member(c, ['10.2.0.0/16']), ...meshGroup('m', [a, b, c]));
    const v = engine.explain(keyOf(a), keyOf(c));
    expect(v.missing?.kind).toBe('address-overlap');
    expect(v.missing?.message).toContain('overlaps the space of "vnet-b" (10.2.0.0/16), also in an AVNM mesh group with "vnet-a"');
  });

  it('without overlaps the mesh still connects', () => {
    const engine = engineOf(member(a, ['10.1.0.0/16']), member(b, ['10.2.0.0/16']), member(c, ['10.3.0.0/16']), ...meshGroup('m', [a, b, c]));
    expect(describeVerdict(engine.explain(keyOf(a), keyOf(c)))).toBe('reachable: "vnet-a" → "vnet-c" (AVNM mesh group)');
  });
});
