import { expect } from 'vitest';
import { NETWORK_API_VERSION } from '../../src/rules/describe';
import { peeringAddressSpaceOutOfSync } from '../../src/rules/peering-address-space-out-of-sync';
import { SUB_A, SUB_B, SUB_C, peeredPair, vnet, vnetId } from '../support/estate';
import { ruleTester } from '../support/rule-tester';

const hub = vnetId('vnet-hub', SUB_A);
const spoke = vnetId('vnet-spoke1', SUB_B);
const outside = vnetId('vnet-partner', SUB_C);
const hubToSpoke = `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-spoke1`;
const spokeToHub = `${spoke}/virtualNetworkPeerings/vnet-spoke1-to-vnet-hub`;
const api = NETWORK_API_VERSION;
const sync = { syncRemoteAddressSpace: 'true' };
const props = (remote: string, extra: Record<string, unknown> = {}) => ({
  allowVirtualNetworkAccess: true,
  allowForwardedTraffic: false,
  allowGatewayTransit: false,
  useRemoteGateways: false,
  remoteVirtualNetwork: { id: remote },
  ...extra,
});

ruleTester(peeringAddressSpaceOutOfSync, {
  valid: [
    {
      name: 'in sync; recorded space equals the remote space in another order and IPv6 spelling',
      resources: peeredPair(
        { id: hub, prefixes: ['10.0.0.0/16'] },
        { id: spoke, prefixes: ['10.1.0.0/16', '10.2.0.0/16', 'fd00:1::/48'] },
        { remoteAddressSpace: ['fd00:1:0::/48', '10.2.0.0/16', '10.1.0.0/16'], remoteVirtualNetworkAddressSpace: ['10.1.0.0/16', '10.2.0.0/16', 'fd00:1::/48'] },
      ),
    },
    {
      name: 'subnet peering records only the peered subnets: no comparison with the VNet space',
      resources: peeredPair(
        { id: hub, prefixes: ['10.0.0.0/16'], subnets: [{ name: 'app', prefix: '10.0.1.0/24' }] },
        { id: spoke, prefixes: ['10.1.0.0/16', 'fd00:1::/48'], subnets: [{ name: 'db', prefix: ['10.1.2.0/24', 'fd00:1:0:2::/64'] }] },
        { peerCompleteVnets: false, localSubnetNames: ['app'], remoteSubnetNames: ['db'], remoteAddressSpace: ['10.1.2.0/24', 'fd00:1:0:2::/64'] },
        { peerCompleteVnets: false, localSubnetNames: ['db'], remoteSubnetNames: ['app'], remoteAddressSpace: ['10.0.1.0/24'] },
      ),
    },
    {
      name: 'Disconnected is peering-disconnected (a sync cannot help)',
      resources: peeredPair({ id: hub, prefixes: ['10.0.0.0/16'] }, { id: spoke, prefixes: ['10.1.0.0/16'] }, { state: 'Disconnected', syncLevel: 'RemoteNotInSync' }),
    },
    {
      name: 'remote VNet missing is peering-remote-vnet-missing',
      resources: [
        vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: vnetId('gone', SUB_A), syncLevel: 'LocalNotInSync', remoteAddressSpace: ['10.9.0.0/16'] }] }),
      ],
    },
    {
      name: 'remote not read: recorded spaces agree',
      resources: [
        vnet({
          id: hub,
          prefixes: ['10.0.0.0/16'],
          peerings: [{ remote: outside, remoteAddressSpace: ['10.9.0.0/16', '2001:db8::/64'], remoteVirtualNetworkAddressSpace: ['2001:db8::/64', '10.9.0.0/16'] }],
        }),
      ],
    },
    {
      name: 'remote not read and only the peered space recorded: nothing to compare',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: outside, remoteAddressSpace: ['10.9.0.0/16'] }] })],
    },
  ],
  invalid: [
    {
      name: 'sync level LocalNotInSync: sync both links',
      resources: peeredPair(
        { id: hub, prefixes: ['10.0.0.0/16'] },
        { id: spoke, prefixes: ['10.1.0.0/16'] },
        { syncLevel: 'LocalNotInSync', allowForwardedTraffic: true },
        { useRemoteGateways: true },
      ),
      findings: [
        {
          resourceId: hubToSpoke,
          relatedResourceIds: [hub, spoke, spokeToHub],
          messageIncludes: ['"vnet-hub"', '"vnet-spoke1"', 'LocalNotInSync'],
          fix: (fix) => {
            expect(fix.destructive).toBe(false);
            expect(fix.operations).toEqual([
              { method: 'PUT', resourceId: hubToSpoke, apiVersion: api, query: sync, body: { properties: props(spoke, { allowForwardedTraffic: true }) } },
              { method: 'PUT', resourceId: spokeToHub, apiVersion: api, query: sync, body: { properties: props(hub, { useRemoteGateways: true }) } },
            ]);
          },
        },
      ],
    },
    {
      name: 'a range was added to the remote VNet but the peering still says FullyInSync',
      resources: peeredPair(
        { id: hub, prefixes: ['10.0.0.0/16'] },
        { id: spoke, prefixes: ['10.1.0.0/16', '10.2.0.0/16'] },
        { remoteAddressSpace: ['10.1.0.0/16'] },
      ),
      findings: [
        {
          resourceId: hubToSpoke,
          messageIncludes: ['"vnet-hub"', '"vnet-spoke1"', 'not yet peered: 10.2.0.0/16', 'now holds 10.1.0.0/16, 10.2.0.0/16'],
          fix: (fix) => expect(fix.operations.map((o) => [o.method, o.resourceId, o.query])).toEqual([
            ['PUT', hubToSpoke, sync],
            ['PUT', spokeToHub, sync],
          ]),
        },
      ],
    },
    {
      name: 'an IPv6 range was removed, and the sync level says so too',
      resources: peeredPair(
        { id: hub, prefixes: ['10.0.0.0/16'] },
        { id: spoke, prefixes: ['10.1.0.0/16'] },
        { remoteAddressSpace: ['10.1.0.0/16', 'fd00:1::/48'], syncLevel: 'RemoteNotInSync' },
      ),
      findings: [{ resourceId: hubToSpoke, messageIncludes: ['RemoteNotInSync', 'no longer in "vnet-spoke1": fd00:1::/48'] }],
    },
    {
      name: 'a range was resized (same start, other length)',
      resources: peeredPair({ id: hub, prefixes: ['10.0.0.0/16'] }, { id: spoke, prefixes: ['10.1.0.0/18'] }, { remoteAddressSpace: ['10.1.0.0/16'] }),
      findings: [{ resourceId: hubToSpoke, messageIncludes: ['not yet peered: 10.1.0.0/18', 'no longer in "vnet-spoke1": 10.1.0.0/16'] }],
    },
    {
      name: 'remote not read: the recorded current space differs from the peered one; no reverse to sync',
      resources: [
        vnet({
          id: hub,
          prefixes: ['10.0.0.0/16'],
          peerings: [{ remote: outside, remoteAddressSpace: ['10.9.0.0/16'], remoteVirtualNetworkAddressSpace: ['10.9.0.0/16', '2001:db8::/64'] }],
        }),
      ],
      findings: [
        {
          resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-partner`,
          messageIncludes: ['not yet peered: 2001:db8::/64'],
          fix: (fix) =>
            expect(fix.operations).toEqual([
              {
                method: 'PUT',
                resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-partner`,
                apiVersion: api,
                query: sync,
                body: { properties: props(outside) },
              },
            ]),
        },
      ],
    },
    {
      name: 'ids differ only in case: the reverse is synced under its own id',
      resources: [
        vnet({
          id: hub,
          prefixes: ['10.0.0.0/16'],
          peerings: [{ remote: spoke.replace(/vnet-spoke1$/, 'VNET-SPOKE1'), syncLevel: 'LocalAndRemoteNotInSync' }],
        }),
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/'), name: 'to-hub' }] }),
      ],
      findings: [
        {
          resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-VNET-SPOKE1`,
          fix: (fix) => expect(fix.operations.map((o) => o.resourceId)).toEqual([`${hub}/virtualNetworkPeerings/vnet-hub-to-VNET-SPOKE1`, `${spoke}/virtualNetworkPeerings/to-hub`]),
        },
      ],
    },
  ],
});
