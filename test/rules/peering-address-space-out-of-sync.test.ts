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
const CLASSIC = `/subscriptions/${SUB_A}/resourceGroups/rg-classic/providers/Microsoft.ClassicNetwork/virtualNetworks/vnet-classic`;
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
      name: 'sync level LocalNotInSync: this link holds the stale view of the remote, so only it is synced',
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
            expect(fix.description).toContain('"vnet-hub-to-vnet-spoke1" of "vnet-hub"');
            expect(fix.operations).toEqual([
              { method: 'PUT', resourceId: hubToSpoke, apiVersion: api, query: sync, body: { properties: props(spoke, { allowForwardedTraffic: true }) } },
            ]);
          },
        },
      ],
    },
    {
      name: 'sync level RemoteNotInSync: the remote\'s link back holds the stale view, so only it is synced',
      resources: peeredPair({ id: hub, prefixes: ['10.0.0.0/16'] }, { id: spoke, prefixes: ['10.1.0.0/16'] }, { syncLevel: 'RemoteNotInSync' }, { useRemoteGateways: true }),
      findings: [
        {
          resourceId: hubToSpoke,
          messageIncludes: ['RemoteNotInSync'],
          fix: (fix) => {
            expect(fix.description).toContain('"vnet-spoke1-to-vnet-hub" of "vnet-spoke1" with the current address space of "vnet-hub"');
            expect(fix.operations).toEqual([
              { method: 'PUT', resourceId: spokeToHub, apiVersion: api, query: sync, body: { properties: props(hub, { useRemoteGateways: true }) } },
            ]);
          },
        },
      ],
    },
    {
      // Azure PowerShell's peering sync scenario (VirtualNetworkTests.ps1): VNet1's space grows, VNet1's link
      // reads RemoteNotInSync, VNet2's LocalNotInSync, and the sync runs on VNet2's link.
      name: 'the hub\'s space grew: both findings sync the spoke\'s link, whose view of the hub is stale, never the hub\'s',
      resources: peeredPair(
        { id: hub, prefixes: ['10.0.0.0/16', '10.99.0.0/16'] },
        { id: spoke, prefixes: ['10.1.0.0/16'] },
        { syncLevel: 'RemoteNotInSync', remoteAddressSpace: ['10.1.0.0/16'] },
        { syncLevel: 'LocalNotInSync', remoteAddressSpace: ['10.0.0.0/16'] },
      ),
      findings: [
        { resourceId: hubToSpoke, fix: (fix) => expect(fix.operations.map((o) => [o.method, o.resourceId, o.query])).toEqual([['PUT', spokeToHub, sync]]) },
        {
          resourceId: spokeToHub,
          messageIncludes: ['LocalNotInSync', 'not yet peered: 10.99.0.0/16'],
          fix: (fix) => expect(fix.operations.map((o) => [o.method, o.resourceId, o.query])).toEqual([['PUT', spokeToHub, sync]]),
        },
      ],
    },
    {
      name: 'RemoteNotInSync towards a subscription that was not read: the link to sync is not in the input, so no fix; the message names it',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: outside, syncLevel: 'RemoteNotInSync' }] })],
      findings: [
        {
          resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-partner`,
          messageIncludes: ['RemoteNotInSync', 'Not "vnet-hub-to-vnet-partner" but the peering back from "vnet-partner" to "vnet-hub" must be synced', 'not in the input', 'no fix is proposed'],
          fix: null,
        },
      ],
    },
    {
      name: 'LocalAndRemoteNotInSync with the peering back not in the input: half a sync is no fix; the message names both links',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: outside, syncLevel: 'LocalAndRemoteNotInSync' }] })],
      findings: [
        {
          resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-partner`,
          messageIncludes: ['Both "vnet-hub-to-vnet-partner" and the peering back from "vnet-partner" to "vnet-hub" must be synced', 'no fix is proposed'],
          fix: null,
        },
      ],
    },
    {
      name: 'a sync level peerguard does not know: no link to choose, so no fix',
      resources: peeredPair({ id: hub, prefixes: ['10.0.0.0/16'] }, { id: spoke, prefixes: ['10.1.0.0/16'] }, { syncLevel: 'SomethingNew' }),
      findings: [{ resourceId: hubToSpoke, messageIncludes: ['SomethingNew', 'does not say which link must be synced'], fix: null }],
    },
    {
      // "Address space sync isn't supported when the virtual network is peered with a classic virtual network."
      name: 'a classic VNet as the remote: sync is not supported, so no fix; the message says to re-create the peering',
      resources: [
        vnet({
          id: hub,
          prefixes: ['10.0.0.0/16'],
          peerings: [{ remote: CLASSIC, syncLevel: 'LocalNotInSync', remoteAddressSpace: ['10.9.0.0/16'], remoteVirtualNetworkAddressSpace: ['10.9.0.0/16', '10.8.0.0/16'] }],
        }),
      ],
      findings: [
        {
          resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-classic`,
          messageIncludes: ['LocalNotInSync', "sync isn't supported with a classic VNet", 'delete peering "vnet-hub-to-vnet-classic" and create it again'],
          fix: null,
        },
      ],
    },
    {
      name: 'a range was added to the remote VNet but the peering still says FullyInSync: its own view is stale, so it alone is synced',
      resources: peeredPair(
        { id: hub, prefixes: ['10.0.0.0/16'] },
        { id: spoke, prefixes: ['10.1.0.0/16', '10.2.0.0/16'] },
        { remoteAddressSpace: ['10.1.0.0/16'] },
      ),
      findings: [
        {
          resourceId: hubToSpoke,
          messageIncludes: ['"vnet-hub"', '"vnet-spoke1"', 'not yet peered: 10.2.0.0/16', 'now holds 10.1.0.0/16, 10.2.0.0/16'],
          fix: (fix) => expect(fix.operations.map((o) => [o.method, o.resourceId, o.query])).toEqual([['PUT', hubToSpoke, sync]]),
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
