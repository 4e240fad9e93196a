import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NETWORK_API_VERSION } from '../../src/rules/describe';
import { peeringDisconnected } from '../../src/rules/peering-disconnected';
import { SUB_A, SUB_B, SUB_C, gateway, peeredPair, vnet, vnetId } from '../support/estate';
import { evaluateRule, ruleTester } from '../support/rule-tester';

const hub = vnetId('vnet-hub', SUB_A);
const spoke = vnetId('vnet-spoke1', SUB_B);
const outside = vnetId('vnet-partner', SUB_C);
const hubToSpoke = `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-spoke1`;
const spokeToHub = `${spoke}/virtualNetworkPeerings/vnet-spoke1-to-vnet-hub`;
/** A pair's deletes, in the order of their keys whichever side reports (subscription A's before B's). */
const DELETE_ORDER = [hubToSpoke, spokeToHub];
const api = NETWORK_API_VERSION;
const CLASSIC = `/subscriptions/${SUB_A}/resourceGroups/rg-classic/providers/Microsoft.ClassicNetwork/virtualNetworks/vnet-classic`;

const props = (remote: string, extra: Record<string, unknown> = {}) => ({
  allowVirtualNetworkAccess: true,
  allowForwardedTraffic: false,
  allowGatewayTransit: false,
  useRemoteGateways: false,
  remoteVirtualNetwork: { id: remote },
  ...extra,
});

ruleTester(peeringDisconnected, {
  valid: [
    {
      name: 'both sides Connected',
      resources: peeredPair({ id: hub, prefixes: ['10.0.0.0/16'] }, { id: spoke, prefixes: ['10.1.0.0/16'] }),
    },
    {
      name: 'Initiated is peering-one-sided, not Disconnected',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke, state: 'Initiated' }] }), vnet({ id: spoke, prefixes: ['10.1.0.0/16'] })],
    },
    {
      name: 'remote VNet missing from a subscription that was read is left to peering-remote-vnet-missing',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: vnetId('gone', SUB_A), state: 'Disconnected' }] })],
    },
    {
      name: 'remote VNet missing from an empty subscription that was read (named, not in the files)',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke, state: 'Disconnected' }] })],
      subscriptions: [SUB_B],
    },
  ],
  invalid: [
    {
      name: 'the reverse was deleted: delete this link, re-create it and create the reverse',
      resources: [
        vnet({
          id: hub,
          prefixes: ['10.0.0.0/16'],
          peerings: [{ remote: spoke, state: 'Disconnected', allowForwardedTraffic: true, allowGatewayTransit: true }],
        }),
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'] }),
      ],
      findings: [
        {
          resourceId: hubToSpoke,
          relatedResourceIds: [hub, spoke],
          messageIncludes: ['"vnet-hub"', '"vnet-spoke1"', 'Disconnected', 'deleted', 'out of sync', 'both links', 're-created'],
          fix: (fix) => {
            expect(fix.destructive).toBe(true);
            expect(fix.operations).toEqual([
              { method: 'DELETE', resourceId: hubToSpoke, apiVersion: api },
              { method: 'PUT', resourceId: hubToSpoke, apiVersion: api, body: { properties: props(spoke, { allowForwardedTraffic: true, allowGatewayTransit: true }) } },
              { method: 'PUT', resourceId: spokeToHub, apiVersion: api, body: { properties: props(hub, { allowForwardedTraffic: true }) } },
            ]);
          },
        },
      ],
    },
    {
      name: 'the reverse still exists: delete both, then re-create both with their own settings',
      resources: peeredPair(
        { id: hub, prefixes: ['10.0.0.0/16'] },
        { id: spoke, prefixes: ['10.1.0.0/16'] },
        { state: 'Disconnected', allowGatewayTransit: true },
        { state: 'Connected', useRemoteGateways: true, allowForwardedTraffic: true },
      ),
      findings: [
        {
          resourceId: hubToSpoke,
          relatedResourceIds: [hub, spoke, spokeToHub],
          messageIncludes: ['"vnet-hub"', '"vnet-spoke1"', 'vnet-spoke1-to-vnet-hub', 'out of sync'],
          fix: (fix) =>
            expect(fix.operations).toEqual([
              { method: 'DELETE', resourceId: hubToSpoke, apiVersion: api },
              { method: 'DELETE', resourceId: spokeToHub, apiVersion: api },
              { method: 'PUT', resourceId: hubToSpoke, apiVersion: api, body: { properties: props(spoke, { allowGatewayTransit: true }) } },
              {
                method: 'PUT',
                resourceId: spokeToHub,
                apiVersion: api,
                body: { properties: props(hub, { useRemoteGateways: true, allowForwardedTraffic: true }) },
              },
            ]),
        },
      ],
    },
    {
      name: 'the Disconnected link uses remote gateways: the side offering transit is written first, as ARM checks it',
      resources: [
        vnet({ id: hub, prefixes: ['10.0.0.0/16'], subnets: [{ name: 'GatewaySubnet', prefix: '10.0.255.0/27' }] }),
        gateway('vgw-hub', hub),
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub, state: 'Disconnected', useRemoteGateways: true }] }),
      ],
      findings: [
        {
          resourceId: spokeToHub,
          fix: (fix) =>
            expect(fix.operations).toEqual([
              { method: 'DELETE', resourceId: spokeToHub, apiVersion: api },
              { method: 'PUT', resourceId: hubToSpoke, apiVersion: api, body: { properties: props(spoke, { allowGatewayTransit: true }) } },
              { method: 'PUT', resourceId: spokeToHub, apiVersion: api, body: { properties: props(hub, { useRemoteGateways: true }) } },
            ]),
        },
      ],
    },
    {
      name: 'both links exist and the Disconnected one uses remote gateways: both deleted, the transit side re-created first',
      resources: peeredPair(
        { id: hub, prefixes: ['10.0.0.0/16'] },
        { id: spoke, prefixes: ['10.1.0.0/16'] },
        { state: 'Connected', allowGatewayTransit: true },
        { state: 'Disconnected', useRemoteGateways: true },
      ),
      findings: [
        {
          resourceId: spokeToHub,
          fix: (fix) =>
            expect(fix.operations).toEqual([
              ...DELETE_ORDER.map((resourceId) => ({ method: 'DELETE', resourceId, apiVersion: api })),
              { method: 'PUT', resourceId: hubToSpoke, apiVersion: api, body: { properties: props(spoke, { allowGatewayTransit: true }) } },
              { method: 'PUT', resourceId: spokeToHub, apiVersion: api, body: { properties: props(hub, { useRemoteGateways: true }) } },
            ]),
        },
      ],
    },
    {
      name: 'ids differ only in case: the reverse is found and written in its own casing',
      resources: [
        vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/'), state: 'Disconnected' }] }),
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub.toLowerCase(), name: 'Spoke-To-Hub' }] }),
      ],
      findings: [
        {
          resourceId: hubToSpoke.replace('vnet-spoke1', 'VNET-SPOKE1'),
          fix: (fix) => {
            expect(fix.operations.map((o) => `${o.method} ${o.resourceId}`)).toEqual([
              `DELETE ${hubToSpoke.replace('vnet-spoke1', 'VNET-SPOKE1')}`,
              `DELETE ${spoke}/virtualNetworkPeerings/Spoke-To-Hub`,
              `PUT ${hubToSpoke.replace('vnet-spoke1', 'VNET-SPOKE1')}`,
              `PUT ${spoke}/virtualNetworkPeerings/Spoke-To-Hub`,
            ]);
            expect(fix.operations[3]?.body).toEqual({ properties: props(hub.toLowerCase()) });
          },
        },
      ],
    },
    {
      // The partner's own Disconnected link may still exist: Azure would refuse the re-create after our delete.
      name: 'remote in a subscription that was not read: reported as Disconnected, the other side unknown, no plan',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: outside, state: 'Disconnected' }] })],
      findings: [
        {
          resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-partner`,
          relatedResourceIds: [hub, outside],
          messageIncludes: ['"vnet-hub"', '"vnet-partner"', 'Disconnected', 'the other side is unknown', 'was not read', 'no plan is offered'],
          fix: null,
        },
      ],
    },
    {
      name: 'a classic VNet as the remote (never read): the other side unknown, no plan',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: CLASSIC, state: 'Disconnected' }] })],
      findings: [{ resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-classic`, messageIncludes: ['the other side is unknown'], fix: null }],
    },
    {
      name: 'both sides Disconnected: each link is reported',
      resources: peeredPair({ id: hub, prefixes: ['10.0.0.0/16'] }, { id: spoke, prefixes: ['10.1.0.0/16'] }, { state: 'Disconnected' }, { state: 'Disconnected' }),
      findings: [
        // The deletes in the same order from both sides: two invocations fixing the two findings at
        // once cannot each delete one link and leave the pair with neither.
        { resourceId: hubToSpoke, fix: (fix) => expect(fix.operations.map((o) => `${o.method} ${o.resourceId}`)).toEqual([...DELETE_ORDER.map((id) => `DELETE ${id}`), `PUT ${hubToSpoke}`, `PUT ${spokeToHub}`]) },
        { resourceId: spokeToHub, fix: (fix) => expect(fix.operations.map((o) => `${o.method} ${o.resourceId}`)).toEqual([...DELETE_ORDER.map((id) => `DELETE ${id}`), `PUT ${spokeToHub}`, `PUT ${hubToSpoke}`]) },
      ],
    },
    {
      name: 'the reverse name is taken on the spoke by its peering to a same-named hub elsewhere: the reverse is created under a hashed name',
      resources: [
        vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke, state: 'Disconnected' }] }),
        // Another "vnet-hub" (subscription C): the spoke's peering to it has the plain name of the reverse.
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: vnetId('vnet-hub', SUB_C), name: 'vnet-spoke1-to-vnet-hub' }] }),
        vnet({ id: vnetId('vnet-hub', SUB_C), prefixes: ['10.2.0.0/16'], peerings: [{ remote: spoke }] }),
      ],
      findings: [
        {
          resourceId: hubToSpoke,
          fix: (fix) =>
            expect(fix.operations.map((o) => `${o.method} ${o.resourceId}`)).toEqual([
              `DELETE ${hubToSpoke}`,
              `PUT ${hubToSpoke}`,
              `PUT ${spokeToHub}-${createHash('sha256').update(hub.toLowerCase()).digest('hex').slice(0, 8)}`,
            ]),
        },
      ],
    },
    {
      name: 'subnet peering: the re-created links keep the subnets, the new reverse swaps them',
      resources: [
        vnet({
          id: hub,
          prefixes: ['10.0.0.0/16'],
          peerings: [{ remote: spoke, state: 'Disconnected', peerCompleteVnets: false, localSubnetNames: ['app'], remoteSubnetNames: ['db'] }],
        }),
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'] }),
      ],
      findings: [
        {
          resourceId: hubToSpoke,
          fix: (fix) => {
            expect(fix.operations[1]?.body).toEqual({
              properties: props(spoke, { peerCompleteVnets: false, localSubnetNames: ['app'], remoteSubnetNames: ['db'] }),
            });
            expect(fix.operations[2]?.body).toEqual({
              properties: props(hub, { peerCompleteVnets: false, localSubnetNames: ['db'], remoteSubnetNames: ['app'] }),
            });
          },
        },
      ],
    },
  ],
});

describe('peering-disconnected towards a remote that was not read', () => {
  it('claims nothing about the other side: neither that it has no peering back nor that it was deleted', () => {
    const [draft] = evaluateRule(peeringDisconnected, {
      name: 'unread remote',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: outside, state: 'Disconnected' }] })],
    });
    expect(draft?.message).not.toMatch(/has no peering back|was deleted/);
  });
});
