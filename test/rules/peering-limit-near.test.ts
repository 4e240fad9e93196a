import { describe, expect, it } from 'vitest';
import type { RawResource } from '../../src/model/snapshot';
import { peeringAccessAsymmetric } from '../../src/rules/peering-access-asymmetric';
import { peeringAddressOverlap } from '../../src/rules/peering-address-overlap';
import { peeringAddressSpaceOutOfSync } from '../../src/rules/peering-address-space-out-of-sync';
import { peeringDisconnected } from '../../src/rules/peering-disconnected';
import { peeringLimitNear } from '../../src/rules/peering-limit-near';
import { peeringProvisioningFailed } from '../../src/rules/peering-provisioning-failed';
import { peeringRemoteOutOfScope } from '../../src/rules/peering-remote-out-of-scope';
import { peeringRemoteVnetMissing } from '../../src/rules/peering-remote-vnet-missing';
import { DEFAULT_RULE_OPTIONS } from '../../src/rules/rule';
import { SUB_A, SUB_B, SUB_C, topologyOf, vnet, vnetId } from '../support/estate';
import { countedTopology } from '../support/counted-topology';
import { ruleTester } from '../support/rule-tester';

const hub = vnetId('vnet-hub', SUB_A);

/** A hub with `count` peerings to spokes of disjoint /24s; the spokes peer back when `withSpokes`. */
function hubWithPeerings(count: number, opts: { withSpokes?: boolean; sub?: string; hubId?: string } = {}): RawResource[] {
  const hubId = opts.hubId ?? hub;
  const spokes = Array.from({ length: count }, (_, i) => ({
    id: vnetId(`spoke-${i}`, opts.sub ?? SUB_B, 'rg-spokes'),
    prefixes: [`10.${1 + Math.floor(i / 256)}.${i % 256}.0/24`],
  }));
  return [
    vnet({ id: hubId, prefixes: ['10.0.0.0/16'], peerings: spokes.map((s) => ({ remote: s.id })) }),
    ...(opts.withSpokes === false ? [] : spokes.map((s) => vnet({ ...s, peerings: [{ remote: hubId }] }))),
  ];
}

/** An AVNM hub-and-spoke connectivity configuration naming `hubId` in its hubs[]. */
function avnmHubAndSpoke(hubId: string): RawResource {
  const manager = `/subscriptions/${SUB_A}/resourceGroups/rg-avnm/providers/Microsoft.Network/networkManagers/avnm`;
  return {
    id: `${manager}/connectivityConfigurations/cc-hubspoke`,
    type: 'Microsoft.Network/networkManagers/connectivityConfigurations',
    properties: {
      connectivityTopology: 'HubAndSpoke',
      hubs: [{ resourceId: hubId, resourceType: 'Microsoft.Network/virtualNetworks' }],
      isGlobal: 'False',
      appliesToGroups: [{ networkGroupId: `${manager}/networkGroups/ng-spokes`, groupConnectivity: 'None', useHubGateway: 'False', isGlobal: 'False' }],
    },
  };
}

ruleTester(peeringLimitNear, {
  valid: [
    { name: 'an AVNM hub-and-spoke hub with 480 peerings: its limit is 1,000', resources: [...hubWithPeerings(480), avnmHubAndSpoke(hub)] },
    {
      name: 'an AVNM hub-and-spoke hub with 899 of 1,000 peerings (90% is 900)',
      resources: [...hubWithPeerings(899, { withSpokes: false }), avnmHubAndSpoke(hub)],
    },
    { name: 'a hub with 449 of 500 peerings (90% is 450)', resources: hubWithPeerings(449) },
    { name: 'a configured limit of 10: 8 peerings stay below ceil(9)', resources: hubWithPeerings(8), options: { peeringLimit: 10 } },
    { name: 'a raised limit of 1000 with 899 peerings', resources: hubWithPeerings(899), options: { peeringLimit: 1000 } },
    { name: 'a limit of 15: 13 peerings stay below ceil(13.5) = 14', resources: hubWithPeerings(13), options: { peeringLimit: 15 } },
  ],
  invalid: [
    {
      name: 'a hub with 450 of 500 peerings',
      resources: hubWithPeerings(450),
      findings: [{ resourceId: hub, relatedResourceIds: [], messageIncludes: ['VNet "vnet-hub"', 'holds 450 of 500 peerings', 'soon'], fix: null }],
    },
    {
      name: 'peerings towards subscriptions that were not read count too',
      resources: hubWithPeerings(455, { withSpokes: false, sub: SUB_C }),
      findings: [{ resourceId: hub, messageIncludes: ['holds 455 of 500 peerings'] }],
    },
    {
      name: 'at the limit',
      resources: hubWithPeerings(500),
      findings: [{ resourceId: hub, messageIncludes: ['holds 500 of 500 peerings', 'reached the limit'] }],
    },
    {
      name: 'a configured limit of 10: 9 peerings is 90% (ceil of 9.0), and two hubs are reported apart',
      resources: [...hubWithPeerings(9), ...hubWithPeerings(12, { hubId: vnetId('VNET-HUB2', SUB_A), sub: SUB_C, withSpokes: false })],
      options: { peeringLimit: 10 },
      findings: [
        { resourceId: hub, messageIncludes: ['holds 9 of 10 peerings'] },
        { resourceId: vnetId('VNET-HUB2', SUB_A), messageIncludes: ['"VNET-HUB2"', 'holds 12 of 10 peerings'] },
      ],
    },
    {
      name: 'an AVNM hub-and-spoke hub with 900 peerings is held to 1,000, and the message says why',
      resources: [...hubWithPeerings(900, { withSpokes: false }), avnmHubAndSpoke(hub)],
      findings: [{ resourceId: hub, messageIncludes: ['holds 900 of 1000 peerings (the limit of a hub in an AVNM hub-and-spoke connectivity configuration)', 'soon'] }],
    },
    {
      name: 'a configured limit above 1,000 holds for an AVNM hub too',
      resources: [...hubWithPeerings(1080, { withSpokes: false }), avnmHubAndSpoke(hub)],
      options: { peeringLimit: 1200 },
      findings: [{ resourceId: hub, messageIncludes: ['holds 1080 of 1200 peerings: new'] }],
    },
    {
      name: 'a VNet that is no AVNM hub keeps the configured limit beside one',
      resources: [...hubWithPeerings(450, { withSpokes: false, sub: SUB_C }), avnmHubAndSpoke(vnetId('vnet-avnm-hub', SUB_A))],
      findings: [{ resourceId: hub, messageIncludes: ['holds 450 of 500 peerings: new'] }],
    },
    {
      name: 'a limit of 15: ceil(13.5) = 14 peerings',
      resources: hubWithPeerings(14),
      options: { peeringLimit: 15 },
      findings: [{ resourceId: hub }],
    },
  ],
});

describe('peering-limit-near identity', () => {
  it('is the VNet alone, so the fingerprint does not change as peerings are added', () => {
    const [finding] = peeringLimitNear.evaluate(topologyOf(hubWithPeerings(460)), DEFAULT_RULE_OPTIONS);
    expect(finding?.identity).toEqual([hub]);
  });
});

describe('the lifecycle rules on a hub with hundreds of peerings', () => {
  const topology = topologyOf(hubWithPeerings(480));
  const rules = [
    peeringDisconnected,
    peeringRemoteVnetMissing,
    peeringRemoteOutOfScope,
    peeringAddressSpaceOutOfSync,
    peeringProvisioningFailed,
    peeringAccessAsymmetric,
    peeringAddressOverlap,
  ];

  it('stay silent where the estate is healthy; only the limit rule speaks', () => {
    for (const rule of rules) expect(rule.evaluate(topology, DEFAULT_RULE_OPTIONS), rule.meta.id).toEqual([]);
    expect(peeringLimitNear.evaluate(topology, DEFAULT_RULE_OPTIONS).map((f) => f.resourceId)).toEqual([hub]);
  });

  for (const rule of [...rules, peeringLimitNear]) {
    it(`${rule.meta.id} asks the topology for work proportional to its size, not peerings x VNets`, () => {
      const tally = { ops: 0 };
      rule.evaluate(countedTopology(topology, tally), DEFAULT_RULE_OPTIONS);
      // 960 peerings and 481 VNets: a scan of every VNet per peering would be ~460,000.
      expect(tally.ops).toBeGreaterThan(0);
      expect(tally.ops).toBeLessThan(10 * (topology.peerings.size + topology.vnets.size));
    });
  }
});
