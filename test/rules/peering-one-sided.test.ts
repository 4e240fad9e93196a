import { expect } from 'vitest';
import { peeringOneSided } from '../../src/rules/peering-one-sided';
import { SUB_A, SUB_B, SUB_C, gateway, peeredPair, vnet, vnetId } from '../support/estate';
import { ruleTester } from '../support/rule-tester';

const hub = vnetId('vnet-hub', SUB_A);
const spoke = vnetId('vnet-spoke1', SUB_B);
const outside = vnetId('vnet-partner', SUB_C);

ruleTester(peeringOneSided, {
  valid: [
    {
      name: 'both sides Connected',
      resources: peeredPair({ id: hub, prefixes: ['10.0.0.0/16'] }, { id: spoke, prefixes: ['10.1.0.0/16'] }),
    },
    {
      name: 'ids differ only in case between the two sides',
      resources: [
        vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/') }] }),
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub.toLowerCase() }] }),
      ],
    },
    {
      name: 'remote in a subscription that was not read is not ours to judge',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: outside }] })],
    },
    {
      name: 'remote VNet missing from a read subscription is left to peering-remote-vnet-missing',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: vnetId('gone', SUB_A), state: 'Initiated' }] })],
    },
    {
      name: 'Disconnected is left to peering-disconnected',
      resources: [
        vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke, state: 'Disconnected' }] }),
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'] }),
      ],
    },
  ],
  invalid: [
    {
      name: 'reverse peering missing while the remote VNet was read',
      resources: [
        vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke, state: 'Initiated', allowForwardedTraffic: true, useRemoteGateways: false }] }),
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'] }),
      ],
      findings: [
        {
          resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-spoke1`,
          messageIncludes: ['"vnet-hub"', '"vnet-spoke1"', 'one-sided'],
          fix: (fix) => {
            expect(fix.operations).toHaveLength(1);
            const op = fix.operations[0]!;
            expect(op.method).toBe('PUT');
            expect(op.resourceId).toBe(`${spoke}/virtualNetworkPeerings/vnet-spoke1-to-vnet-hub`);
            expect(op.body).toEqual({
              properties: {
                allowVirtualNetworkAccess: true,
                allowForwardedTraffic: true,
                allowGatewayTransit: false,
                useRemoteGateways: false,
                remoteVirtualNetwork: { id: hub },
              },
            });
          },
        },
      ],
    },
    {
      name: 'spoke uses remote gateways: the reverse, on the hub that has the gateway, offers gateway transit',
      resources: [
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub, state: 'Initiated', useRemoteGateways: true }] }),
        vnet({ id: hub, prefixes: ['10.0.0.0/16'] }),
        gateway('vgw-hub', hub),
      ],
      findings: [
        {
          resourceId: `${spoke}/virtualNetworkPeerings/vnet-spoke1-to-vnet-hub`,
          fix: (fix) => expect(fix.operations[0]?.body).toMatchObject({ properties: { allowGatewayTransit: true, useRemoteGateways: false } }),
        },
      ],
    },
    {
      name: 'spoke uses remote gateways toward a VNet without a gateway: no empty transit offer',
      resources: [
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub, state: 'Initiated', useRemoteGateways: true }] }),
        vnet({ id: hub, prefixes: ['10.0.0.0/16'] }),
      ],
      findings: [
        {
          resourceId: `${spoke}/virtualNetworkPeerings/vnet-spoke1-to-vnet-hub`,
          fix: (fix) => expect(fix.operations[0]?.body).toMatchObject({ properties: { allowGatewayTransit: false } }),
        },
      ],
    },
    {
      name: 'Initiated towards a subscription that was not read (the state itself says one-sided)',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: outside, state: 'Initiated' }] })],
      findings: [{ resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-partner` }],
    },
    {
      name: 'Initiated although a reverse peering exists: no fix to create',
      resources: peeredPair({ id: hub, prefixes: ['10.0.0.0/16'] }, { id: spoke, prefixes: ['10.1.0.0/16'] }, { state: 'Initiated' }),
      findings: [{ resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-spoke1`, messageIncludes: ['Initiated although'], fix: null }],
    },
    {
      name: 'subnet peering: the reverse swaps local and remote subnet names',
      resources: [
        vnet({
          id: hub,
          prefixes: ['10.0.0.0/16'],
          peerings: [{ remote: spoke, state: 'Initiated', peerCompleteVnets: false, localSubnetNames: ['a'], remoteSubnetNames: ['b'] }],
        }),
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'] }),
      ],
      findings: [
        {
          resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-spoke1`,
          fix: (fix) =>
            expect(fix.operations[0]?.body).toMatchObject({
              properties: { peerCompleteVnets: false, localSubnetNames: ['b'], remoteSubnetNames: ['a'] },
            }),
        },
      ],
    },
    {
      name: 'IPv6-only subnet peering: the reverse peers IPv6 only too',
      resources: [
        vnet({
          id: hub,
          prefixes: ['10.0.0.0/16', 'fd00:0:0:1::/64'],
          peerings: [{ remote: spoke, state: 'Initiated', peerCompleteVnets: false, localSubnetNames: ['a'], remoteSubnetNames: ['b'], enableOnlyIPv6Peering: true }],
        }),
        vnet({ id: spoke, prefixes: ['10.1.0.0/16', 'fd00:0:0:2::/64'] }),
      ],
      findings: [
        {
          resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-spoke1`,
          fix: (fix) =>
            expect(fix.operations[0]?.body).toMatchObject({
              properties: { peerCompleteVnets: false, localSubnetNames: ['b'], remoteSubnetNames: ['a'], enableOnlyIPv6Peering: true },
            }),
        },
      ],
    },
  ],
});
