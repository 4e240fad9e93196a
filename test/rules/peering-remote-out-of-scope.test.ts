import type { RawResource } from '../../src/model/snapshot';
import { peeringRemoteOutOfScope } from '../../src/rules/peering-remote-out-of-scope';
import { SUB_A, SUB_B, SUB_C, peeredPair, vnet, vnetId } from '../support/estate';
import { ruleTester } from '../support/rule-tester';

const hub = vnetId('vnet-hub', SUB_A);
const spoke = vnetId('vnet-spoke1', SUB_B);
const outside = vnetId('vnet-partner', SUB_C);
const SUB_HEX = 'abcdef00-0000-4000-8000-00000000abcd';
/** The VNet with its peerings' `peeringState` removed, as an export that omits read-only properties has them. */
const withoutState = (resource: RawResource): RawResource => {
  const copy = structuredClone(resource);
  for (const p of (copy.properties as { virtualNetworkPeerings: Array<{ properties: Record<string, unknown> }> }).virtualNetworkPeerings) delete p.properties.peeringState;
  return copy;
};
const CLASSIC = `/subscriptions/${SUB_A}/resourceGroups/rg-classic/providers/Microsoft.ClassicNetwork/virtualNetworks/vnet-classic`;

ruleTester(peeringRemoteOutOfScope, {
  valid: [
    {
      name: 'both VNets read',
      resources: peeredPair({ id: hub, prefixes: ['10.0.0.0/16'] }, { id: spoke, prefixes: ['10.1.0.0/16'] }),
    },
    {
      name: 'remote missing from a read subscription, the peering Disconnected: missing (peering-remote-vnet-missing), not out of scope',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: vnetId('gone', SUB_A), state: 'Disconnected' }] })],
    },
    {
      name: 'remote missing from a read subscription, the peering Initiated: peering-remote-vnet-missing reports it',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: vnetId('gone', SUB_A), state: 'Initiated' }] })],
    },
    {
      name: 'remote subscription read although empty (named, not in the files), the peering Disconnected: missing, not out of scope',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: outside, state: 'Disconnected' }] })],
      subscriptions: [SUB_C],
    },
    {
      name: 'remote subscription id differs only in case from the one read',
      resources: [
        vnet({ id: vnetId('vnet-a', SUB_HEX), prefixes: ['10.0.0.0/16'], peerings: [{ remote: vnetId('vnet-b', SUB_HEX.toUpperCase()) }] }),
        vnet({ id: vnetId('vnet-b', SUB_HEX), prefixes: ['10.1.0.0/16'] }),
      ],
    },
  ],
  invalid: [
    {
      name: 'remote in a subscription that was not read',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: outside }] })],
      findings: [
        {
          resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-partner`,
          relatedResourceIds: [hub, outside],
          messageIncludes: ['"vnet-hub"', '"vnet-partner"', `subscription ${SUB_C} was not read`, 'cannot be verified'],
          fix: null,
        },
      ],
    },
    {
      name: 'a classic VNet as the remote, in a subscription that was read, is unknown (classic VNets are not read)',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: CLASSIC }] })],
      findings: [{ resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-classic`, messageIncludes: ['classic VNet (Microsoft.ClassicNetwork)', 'cannot be verified'] }],
    },
    {
      name: 'only the peering that leaves the read subscriptions is reported',
      resources: [
        vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke }, { remote: vnetId('Vnet-Partner2', SUB_C) }] }),
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub }] }),
      ],
      findings: [{ resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-Vnet-Partner2`, messageIncludes: ['"Vnet-Partner2"'] }],
    },
    {
      // Connected means both links exist (virtual-network-troubleshoot-peering-issues): the VNet was not read, not deleted.
      name: 'remote absent from a read subscription while the peering says Connected: unverified, not missing',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: vnetId('vnet-unread', SUB_A), state: 'Connected' }] })],
      findings: [
        {
          resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-unread`,
          relatedResourceIds: [hub, vnetId('vnet-unread', SUB_A)],
          messageIncludes: ['"vnet-hub"', '"vnet-unread"', `subscription ${SUB_A} was read`, 'says Connected', 'not read', 'not deleted', 'cannot be verified'],
          fix: null,
        },
      ],
    },
    {
      name: 'remote absent from a read subscription and the peering records no state: unverified',
      resources: [withoutState(vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: vnetId('vnet-unread', SUB_A) }] }))],
      findings: [
        {
          resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-unread`,
          messageIncludes: ['"vnet-unread"', 'none recorded', 'deleted or not read', 'cannot be verified'],
          fix: null,
        },
      ],
    },
  ],
});
