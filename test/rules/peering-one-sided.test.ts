import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import type { RawResource } from '../../src/model/snapshot';
import { peeringOneSided } from '../../src/rules/peering-one-sided';
import { SUB_A, SUB_B, SUB_C, gateway, peeredPair, vnet, vnetId } from '../support/estate';
import { ruleTester } from '../support/rule-tester';

const hub = vnetId('vnet-hub', SUB_A);
const spoke = vnetId('vnet-spoke1', SUB_B);
const outside = vnetId('vnet-partner', SUB_C);
// Two VNets named alike in other subscriptions, and names long enough that `{remote}-to-{local}` passes 80 characters.
const prodSpoke = vnetId('spoke', SUB_B, 'rg-app');
const devSpoke = vnetId('spoke', SUB_C, 'rg-app');
const longHub = vnetId('vnet-connectivity-hub-westeurope-001-shared-services-platform', SUB_A);
const longSpoke1 = vnetId('vnet-lz-corp-app1-prod-weu-001', SUB_B);
const longSpoke2 = vnetId('vnet-lz-corp-app2-prod-weu-001', SUB_B);
const hashOf = (id: string) => createHash('sha256').update(id.toLowerCase()).digest('hex').slice(0, 8);
// Azure's peering names: 1-80 of alphanumerics, `_`, `.`, `-`; starting alphanumeric, ending alphanumeric or `_`.
const AZURE_PEERING_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$/;
/** The VNet with its peerings' `peeringState` removed, as an export that omits read-only properties has them. */
const withoutState = (resource: RawResource): RawResource => {
  const copy = structuredClone(resource);
  for (const p of (copy.properties as { virtualNetworkPeerings: Array<{ properties: Record<string, unknown> }> }).virtualNetworkPeerings) delete p.properties.peeringState;
  return copy;
};
const nameOfOp = (fix: { operations: ReadonlyArray<{ resourceId: string }> }) => fix.operations[0]!.resourceId.split('/').pop()!;

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
      // Connected means both links exist, and ARM allows one peering from a VNet to another: a PUT would be refused.
      name: 'Connected, but the read remote VNet shows no peering back: the input lacks the reverse; no fix',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke, state: 'Connected' }] }), vnet({ id: spoke, prefixes: ['10.1.0.0/16'] })],
      findings: [
        {
          resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-spoke1`,
          relatedResourceIds: [hub, spoke],
          messageIncludes: ['"vnet-hub"', '"vnet-spoke1"', 'says Connected', 'missing from the input', 'not from Azure', 'No fix is proposed'],
          fix: null,
        },
      ],
    },
    {
      name: 'no state recorded and no peering back on the read remote: one-sided as far as the input tells, the reverse is proposed',
      resources: [withoutState(vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke }] })), vnet({ id: spoke, prefixes: ['10.1.0.0/16'] })],
      findings: [
        {
          resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-spoke1`,
          messageIncludes: ['one-sided'],
          fix: (fix) => expect(fix.operations.map((o) => `${o.method} ${o.resourceId}`)).toEqual([`PUT ${spoke}/virtualNetworkPeerings/vnet-spoke1-to-vnet-hub`]),
        },
      ],
    },
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
      name: 'the plain reverse name is taken on the hub by its peering to a same-named VNet elsewhere: a hashed name, never a PUT over that peering',
      resources: [
        vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: prodSpoke, name: 'vnet-hub-to-spoke' }] }),
        vnet({ id: prodSpoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub }] }),
        vnet({ id: devSpoke, prefixes: ['10.2.0.0/16'], peerings: [{ remote: hub, state: 'Initiated' }] }),
      ],
      findings: [
        {
          resourceId: `${devSpoke}/virtualNetworkPeerings/spoke-to-vnet-hub`,
          fix: (fix) => {
            expect(fix.operations[0]?.resourceId).toBe(`${hub}/virtualNetworkPeerings/vnet-hub-to-spoke-${hashOf(devSpoke)}`);
            expect(fix.operations[0]?.body).toMatchObject({ properties: { remoteVirtualNetwork: { id: devSpoke } } });
          },
        },
      ],
    },
    {
      name: 'the plain name taken, in another case, by the same-named VNet: still a hashed name (Azure names ignore case)',
      resources: [
        vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: prodSpoke, name: 'VNET-HUB-TO-SPOKE' }] }),
        vnet({ id: prodSpoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub }] }),
        vnet({ id: devSpoke, prefixes: ['10.2.0.0/16'], peerings: [{ remote: hub, state: 'Initiated' }] }),
      ],
      findings: [
        {
          resourceId: `${devSpoke}/virtualNetworkPeerings/spoke-to-vnet-hub`,
          fix: (fix) => expect(nameOfOp(fix)).toBe(`vnet-hub-to-spoke-${hashOf(devSpoke)}`),
        },
      ],
    },
    {
      name: 'two reverse names that would be equal cut to 80 characters: distinct hashed names within Azure naming rules',
      resources: [
        vnet({ id: longHub, prefixes: ['10.0.0.0/16'] }),
        vnet({ id: longSpoke1, prefixes: ['10.1.0.0/16'], peerings: [{ remote: longHub, name: 'to-hub', state: 'Initiated' }] }),
        vnet({ id: longSpoke2, prefixes: ['10.2.0.0/16'], peerings: [{ remote: longHub, name: 'to-hub', state: 'Initiated' }] }),
      ],
      findings: [
        {
          resourceId: `${longSpoke1}/virtualNetworkPeerings/to-hub`,
          fix: (fix) => {
            expect(nameOfOp(fix)).toMatch(AZURE_PEERING_NAME);
            expect(nameOfOp(fix)).toBe(`${'vnet-connectivity-hub-westeurope-001-shared-services-platform-to-vnet-lz-corp-app1-prod-weu-001'.slice(0, 71)}-${hashOf(longSpoke1)}`);
          },
        },
        {
          resourceId: `${longSpoke2}/virtualNetworkPeerings/to-hub`,
          fix: (fix) => {
            expect(nameOfOp(fix)).toMatch(AZURE_PEERING_NAME);
            expect(nameOfOp(fix)).toMatch(new RegExp(`-${hashOf(longSpoke2)}$`));
            expect(hashOf(longSpoke2)).not.toBe(hashOf(longSpoke1));
          },
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
