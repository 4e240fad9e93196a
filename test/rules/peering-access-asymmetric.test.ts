import { peeringAccessAsymmetric } from '../../src/rules/peering-access-asymmetric';
import { SUB_A, SUB_B, SUB_C, peeredPair, vnet, vnetId } from '../support/estate';
import { ruleTester } from '../support/rule-tester';

const hub = vnetId('vnet-hub', SUB_A);
const spoke = vnetId('vnet-spoke1', SUB_B);
const outside = vnetId('vnet-partner', SUB_C);
const hubToSpoke = `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-spoke1`;
const spokeToHub = `${spoke}/virtualNetworkPeerings/vnet-spoke1-to-vnet-hub`;

ruleTester(peeringAccessAsymmetric, {
  valid: [
    {
      name: 'access allowed on both sides',
      resources: peeredPair({ id: hub, prefixes: ['10.0.0.0/16'] }, { id: spoke, prefixes: ['10.1.0.0/16'] }),
    },
    {
      name: 'access disabled on both sides (deliberate and consistent)',
      resources: peeredPair(
        { id: hub, prefixes: ['10.0.0.0/16'] },
        { id: spoke, prefixes: ['10.1.0.0/16'] },
        { allowVirtualNetworkAccess: false },
        { allowVirtualNetworkAccess: false },
      ),
    },
    {
      name: 'no reverse peering to compare with (one-sided, or remote not read)',
      resources: [
        vnet({
          id: hub,
          prefixes: ['10.0.0.0/16'],
          peerings: [
            { remote: spoke, allowVirtualNetworkAccess: false, state: 'Initiated' },
            { remote: outside, allowVirtualNetworkAccess: false },
          ],
        }),
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'] }),
      ],
    },
  ],
  invalid: [
    {
      name: 'disabled on the hub side only: reported once, on the hub side',
      resources: peeredPair({ id: hub, prefixes: ['10.0.0.0/16'] }, { id: spoke, prefixes: ['10.1.0.0/16'] }, { allowVirtualNetworkAccess: false }),
      findings: [
        {
          resourceId: hubToSpoke,
          relatedResourceIds: [hub, spoke, spokeToHub],
          messageIncludes: ['"vnet-hub"', '"vnet-spoke1"', 'vnet-spoke1-to-vnet-hub', 'one side only'],
          fix: null,
        },
      ],
    },
    {
      name: 'disabled on the spoke side only, ids differing in case between the sides',
      resources: [
        vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/') }] }),
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub.toLowerCase(), allowVirtualNetworkAccess: false }] }),
      ],
      findings: [{ resourceId: spokeToHub, messageIncludes: ['"vnet-spoke1"', '"vnet-hub"'] }],
    },
  ],
});
