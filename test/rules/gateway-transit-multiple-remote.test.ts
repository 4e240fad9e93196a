import { describe, expect, it } from 'vitest';
import { gatewayTransitMultipleRemote } from '../../src/rules/gateway-transit-multiple-remote';
import { SUB_A, SUB_B, SUB_C, vnet, vnetId } from '../support/estate';
import { hubAndSpokes, peeringIdOf } from '../support/gateway-estate';
import { evaluateRule, ruleTester } from '../support/rule-tester';

const hub = vnetId('vnet-hub', SUB_A);
const hub2 = vnetId('vnet-hub2', SUB_A);
const partner = vnetId('vnet-partner', SUB_C);
const spoke = vnetId('vnet-spoke1', SUB_B);

const twoHubs = (extra: { remote: string; useRemoteGateways?: boolean }[] = []) => [
  vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub, useRemoteGateways: true }, { remote: hub2, useRemoteGateways: true }, ...extra] }),
  vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke, allowGatewayTransit: true }] }),
  vnet({ id: hub2, prefixes: ['10.2.0.0/16'], peerings: [{ remote: spoke, allowGatewayTransit: true }] }),
];

ruleTester(gatewayTransitMultipleRemote, {
  valid: [
    { name: 'one peering uses remote gateways', resources: hubAndSpokes({ hub, spokes: [spoke] }).resources },
    { name: 'hub with three hundred spokes, each using the hub once', resources: hubAndSpokes({ hub, spokes: 300, gateway: 'routeserver' }).resources },
    {
      name: 'a second peering that does not use remote gateways',
      resources: [vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub, useRemoteGateways: true }, { remote: hub2 }] })],
    },
  ],
  invalid: [
    {
      name: 'spoke uses remote gateways on two peerings: one finding for the VNet',
      resources: twoHubs(),
      findings: [
        {
          resourceId: spoke,
          messageIncludes: ['"vnet-spoke1"', 'on 2 peerings', '"vnet-hub"', '"vnet-hub2"'],
          relatedResourceIds: [peeringIdOf(spoke, hub), peeringIdOf(spoke, hub2)],
          fix: null,
        },
      ],
    },
    {
      name: 'remote VNets out of scope or differing in case still count: the flags are the spoke\'s own',
      resources: [
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: partner, useRemoteGateways: true }, { remote: hub.toLowerCase(), useRemoteGateways: true }] }),
      ],
      findings: [{ resourceId: spoke, relatedResourceIds: [peeringIdOf(spoke, partner), `${spoke}/virtualNetworkPeerings/vnet-spoke1-to-${'vnet-hub'}`] }],
    },
    {
      name: 'many peerings: the message stays a sentence',
      resources: [
        vnet({
          id: spoke,
          prefixes: ['10.1.0.0/16'],
          peerings: Array.from({ length: 12 }, (_, i) => ({ remote: vnetId(`vnet-hub${i + 10}`, SUB_A), useRemoteGateways: true })),
        }),
      ],
      findings: [{ resourceId: spoke, messageIncludes: ['on 12 peerings', 'and 7 more'] }],
    },
  ],
});

describe('gateway-transit-multiple-remote identity', () => {
  it('is the VNet alone, so that it stays stable when the list of peerings grows', () => {
    const [two] = evaluateRule(gatewayTransitMultipleRemote, { name: '', resources: twoHubs() });
    const [three] = evaluateRule(gatewayTransitMultipleRemote, { name: '', resources: twoHubs([{ remote: vnetId('vnet-hub3'), useRemoteGateways: true }]) });
    expect(two?.identity).toEqual([spoke]);
    expect(three?.identity).toEqual(two?.identity);
    expect(three?.relatedResourceIds).toHaveLength(3);
  });
});
