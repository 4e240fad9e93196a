import { expect } from 'vitest';
import type { RawResource } from '../../src/model/snapshot';
import { NETWORK_API_VERSION } from '../../src/rules/describe';
import { peeringRemoteVnetMissing } from '../../src/rules/peering-remote-vnet-missing';
import { SUB_A, SUB_B, SUB_C, peeredPair, vnet, vnetId } from '../support/estate';
import { ruleTester } from '../support/rule-tester';

const hub = vnetId('vnet-hub', SUB_A);
const spoke = vnetId('vnet-spoke1', SUB_B);
const gone = vnetId('vnet-gone', SUB_A);
const outside = vnetId('vnet-partner', SUB_C);
// A subscription id with letters, to tell a case-insensitive scope test from a digits-only one.
const SUB_HEX = 'abcdef00-0000-4000-8000-00000000abcd';
/** The VNet with its peerings' `peeringState` removed, as an export that omits read-only properties has them. */
const withoutState = (resource: RawResource): RawResource => {
  const copy = structuredClone(resource);
  for (const p of (copy.properties as { virtualNetworkPeerings: Array<{ properties: Record<string, unknown> }> }).virtualNetworkPeerings) delete p.properties.peeringState;
  return copy;
};

ruleTester(peeringRemoteVnetMissing, {
  valid: [
    {
      name: 'remote VNet present',
      resources: peeredPair({ id: hub, prefixes: ['10.0.0.0/16'] }, { id: spoke, prefixes: ['10.1.0.0/16'] }),
    },
    {
      name: 'remote VNet present under an id that differs only in case',
      resources: [
        vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke.replace('vnet-spoke1', 'VNET-Spoke1').replace('resourceGroups', 'RESOURCEGROUPS') }] }),
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'] }),
      ],
    },
    {
      name: 'a classic VNet as the remote is never missing (not read), whatever the subscription: no delete is proposed',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: `/subscriptions/${SUB_A}/resourceGroups/rg-classic/providers/Microsoft.ClassicNetwork/virtualNetworks/vnet-classic` }] })],
    },
    {
      name: 'remote in a subscription that was not read is unknown, not missing',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: outside, state: 'Disconnected' }] })],
    },
    {
      // Connected means both links exist: the VNet was not read (peering-remote-out-of-scope), never a delete.
      name: 'remote absent from a read subscription while the peering says Connected: not read, not deleted',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: gone, state: 'Connected' }] })],
    },
    {
      name: 'remote absent from a read subscription and the peering records no state: nothing proves an orphan',
      resources: [withoutState(vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: gone }] }))],
    },
  ],
  invalid: [
    {
      name: 'remote deleted from a read subscription: the peering left behind is Disconnected, an orphan to delete',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: gone, state: 'Disconnected' }] })],
      findings: [
        {
          resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-gone`,
          relatedResourceIds: [hub, gone],
          messageIncludes: ['"vnet-hub"', '"vnet-gone"', `subscription ${SUB_A} was read`, 'orphan', 'Disconnected'],
          fix: (fix) => {
            expect(fix.destructive).toBe(true);
            expect(fix.operations).toEqual([
              { method: 'DELETE', resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-gone`, apiVersion: NETWORK_API_VERSION },
            ]);
          },
        },
      ],
    },
    {
      // Microsoft documents what a deletion does to a Connected link (Disconnected), not to an Initiated one.
      name: 'Initiated towards a VNet absent from a read subscription: reported, but no delete of an unproven orphan',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: gone, state: 'Initiated' }] })],
      findings: [
        {
          resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-gone`,
          relatedResourceIds: [hub, gone],
          messageIncludes: ['"vnet-hub"', '"vnet-gone"', 'Initiated', `subscription ${SUB_A} was read`, 'not read', 'no delete is proposed'],
          fix: null,
        },
      ],
    },
    {
      name: 'Disconnected and Initiated side by side: only the Disconnected orphan gets a delete',
      resources: [
        vnet({
          id: hub,
          prefixes: ['10.0.0.0/16'],
          peerings: [
            { remote: gone, state: 'Disconnected' },
            { remote: vnetId('vnet-gone2', SUB_A), state: 'Initiated' },
            { remote: vnetId('vnet-unread', SUB_A), state: 'Connected' },
          ],
        }),
      ],
      findings: [
        { resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-gone`, messageIncludes: ['Disconnected'], fix: (fix) => expect(fix.operations).toHaveLength(1) },
        { resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-gone2`, messageIncludes: ['Initiated'], fix: null },
      ],
    },
    {
      name: 'remote in an empty subscription that was read (named on the command line)',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke, state: 'Disconnected' }] })],
      subscriptions: [SUB_B],
      findings: [{ resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-spoke1`, messageIncludes: [SUB_B] }],
    },
    {
      name: 'subscription id in the remote reference differs only in case from the one read',
      resources: [
        vnet({ id: vnetId('vnet-a', SUB_HEX), prefixes: ['10.0.0.0/16'], peerings: [{ remote: vnetId('vnet-b', SUB_HEX.toUpperCase()), state: 'Disconnected' }] }),
      ],
      findings: [{ resourceId: `${vnetId('vnet-a', SUB_HEX)}/virtualNetworkPeerings/vnet-a-to-vnet-b` }],
    },
  ],
});
