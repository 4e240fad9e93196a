import { peeringRemoteOutOfScope } from '../../src/rules/peering-remote-out-of-scope';
import { SUB_A, SUB_B, SUB_C, peeredPair, vnet, vnetId } from '../support/estate';
import { ruleTester } from '../support/rule-tester';

const hub = vnetId('vnet-hub', SUB_A);
const spoke = vnetId('vnet-spoke1', SUB_B);
const outside = vnetId('vnet-partner', SUB_C);
const SUB_HEX = 'abcdef00-0000-4000-8000-00000000abcd';
const CLASSIC = `/subscriptions/${SUB_A}/resourceGroups/rg-classic/providers/Microsoft.ClassicNetwork/virtualNetworks/vnet-classic`;

ruleTester(peeringRemoteOutOfScope, {
  valid: [
    {
      name: 'both VNets read',
      resources: peeredPair({ id: hub, prefixes: ['10.0.0.0/16'] }, { id: spoke, prefixes: ['10.1.0.0/16'] }),
    },
    {
      name: 'remote missing from a read subscription is missing, not out of scope',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: vnetId('gone', SUB_A) }] })],
    },
    {
      name: 'remote subscription read although empty (named, not in the files)',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: outside }] })],
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
  ],
});
