import { describe, expect, it } from 'vitest';
import { resolveIntent, statementsWithEmptyGroups, uncheckedStatementMessage } from '../../src/intent/resolve';
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

describe('resolveIntent: tags', () => {
  // tag-resources: "Tag names are case-insensitive for operations [...] Tag values are case-sensitive."
  it('matches tag names whatever their case and tag values exactly', () => {
    const topology = topologyOf([
      vnet({ id: SPOKE1, prefixes: ['10.1.0.0/16'], tags: { Env: 'Prod' } }),
      vnet({ id: SPOKE2, prefixes: ['10.2.0.0/16'], tags: { env: 'prod' } }),
      vnet({ id: SPOKE3, prefixes: ['10.3.0.0/16'], tags: { ENV: 'test' } }),
    ]);
    const intent = parseIntent({
      groups: { upper: { tags: ['env=Prod'] }, lower: { tags: ['ENV=prod'] }, any: { tags: ['eNv=*'] } },
      statements: [{ isolated: { between: ['upper', 'lower'] } }, { 'reach-each-other': 'any' }],
    });
    const { members } = resolveIntent(intent, topology);
    const names = (g: string) => (members.get(g) ?? []).map((v) => v.name);
    expect(names('upper')).toEqual(['spoke1']);
    expect(names('lower')).toEqual(['spoke2']);
    expect(names('any')).toEqual(['spoke1', 'spoke2', 'spoke3']);
  });
});

// A statement whose groups match VNets but no pair of two (a VNet is not paired with itself) checks
// nothing, as one whose group matches no VNet does: the same notice, worded for it.
describe('statementsWithEmptyGroups: statements that form no pair', () => {
  const topology = topologyOf([vnet({ id: SPOKE1, prefixes: ['10.1.0.0/16'] }), vnet({ id: SPOKE2, prefixes: ['10.2.0.0/16'] })]);
  const unchecked = (statements: unknown[]) =>
    statementsWithEmptyGroups(
      resolveIntent(parseIntent({ groups: { one: { names: ['spoke1'] }, also: { names: ['spoke1', 'spoke9*'] }, both: { names: ['spoke*'] }, none: { names: ['nope'] } }, statements }), topology),
    ).map(uncheckedStatementMessage);

  it('reach-each-other over one VNet, and isolated or reach between groups that match only the same VNet', () => {
    expect(unchecked([{ isolated: { between: ['one', 'one'] } }])).toEqual([
      'intent statement "one and one are isolated" (statements[0]) checks nothing: group "one" matches only VNet "spoke1", and a VNet is not paired with itself',
    ]);
    expect(unchecked([{ 'reach-each-other': 'one' }, { isolated: { between: ['one', 'also'] } }, { reach: { from: 'one', to: 'one' } }])).toEqual([
      'intent statement "one reach each other" (statements[0]) checks nothing: group "one" matches only VNet "spoke1", and a VNet is not paired with itself',
      'intent statement "one and also are isolated" (statements[1]) checks nothing: groups "one" and "also" match only VNet "spoke1", and a VNet is not paired with itself',
      'intent statement "one reach one" (statements[2]) checks nothing: group "one" matches only VNet "spoke1", and a VNet is not paired with itself',
    ]);
  });

  it('a pair checked, an on-premises statement over one VNet, and an empty group keep their wording', () => {
    expect(unchecked([{ 'reach-each-other': 'both' }, { isolated: { between: ['one', 'both'] } }, { 'on-premises': { group: 'one', via: 'one' } }, { reach: { from: 'one', to: 'none' } }])).toEqual([
      'intent statement "one reach none" (statements[3]) checks nothing: group "none" matches no VNet in the input',
    ]);
  });
});
