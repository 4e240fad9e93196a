import { describe, expect, it } from 'vitest';
import { resolveIntent } from '../../src/intent/resolve';
import { parseIntent } from '../../src/intent/schema';
import { buildTopology } from '../../src/model/build';
import { keyOf } from '../../src/model/ids';
import type { RawResource } from '../../src/model/snapshot';
import type { Topology } from '../../src/model/types';
import { peeringResource, vnet, vnetId } from '../support/estate';

// Only VNets whose own resource was read are group members (docs/intent.md): a VNet known only from
// a peering (its remote id, or a standalone peering's local address space) is not judged.

const SPOKE1 = vnetId('spoke1');
const SPOKE2 = vnetId('spoke2');
const SPOKE3 = vnetId('spoke3');

const topologyOf = (resources: RawResource[]) => buildTopology(resources.map((resource) => ({ resource, source: 'test' })));

function membersOf(topology: Topology): string[] {
  const intent = parseIntent({ groups: { spokes: { names: ['spoke*'] } }, statements: [{ 'reach-each-other': 'spokes' }] });
  return (resolveIntent(intent, topology).members.get('spokes') ?? []).map((v) => v.name);
}

describe('resolveIntent: members', () => {
  it('a VNet known only from a standalone peering and its local address space is not a member', () => {
    // spoke2's VNet was not read: its peering was, standalone, carrying spoke2's address space.
    const standalone = peeringResource(SPOKE2, { remote: SPOKE1 });
    (standalone.properties as Record<string, unknown>).localVirtualNetworkAddressSpace = { addressPrefixes: ['10.2.0.0/16'] };
    const topology = topologyOf([vnet({ id: SPOKE1, prefixes: ['10.1.0.0/16'] }), standalone]);
    expect(topology.vnets.get(keyOf(SPOKE2))?.prefixes.map((p) => p.text)).toEqual(['10.2.0.0/16']);
    expect(membersOf(topology)).toEqual(['spoke1']);
  });

  it("a VNet known only as a peering's remote is not a member; every read VNet is", () => {
    const topology = topologyOf([vnet({ id: SPOKE1, prefixes: ['10.1.0.0/16'], peerings: [{ remote: SPOKE3 }] }), vnet({ id: SPOKE2, prefixes: ['10.2.0.0/16'] })]);
    expect(membersOf(topology)).toEqual(['spoke1', 'spoke2']);
  });
});

describe('resolveIntent: unmatched ids', () => {
  it('ids whose VNet was not read are unmatched: absent, known only as a remote, or only from a standalone peering', () => {
    const absent = vnetId('spoke9');
    // spoke2's VNet was not read, only its standalone peering with spoke2's address space.
    const standalone = peeringResource(SPOKE2, { remote: SPOKE1 });
    (standalone.properties as Record<string, unknown>).localVirtualNetworkAddressSpace = { addressPrefixes: ['10.2.0.0/16'] };
    const topology = topologyOf([vnet({ id: SPOKE1, prefixes: ['10.1.0.0/16'], peerings: [{ remote: SPOKE3 }] }), standalone]);
    const intent = parseIntent({ groups: { spokes: { ids: [SPOKE1, SPOKE2, SPOKE3.toUpperCase(), absent] } }, statements: [{ 'reach-each-other': 'spokes' }] });
    expect(resolveIntent(intent, topology).unmatchedIds.get('spokes')).toEqual([SPOKE2, SPOKE3.toUpperCase(), absent]);
  });
});
