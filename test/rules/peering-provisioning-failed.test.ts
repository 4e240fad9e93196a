import { peeringProvisioningFailed } from '../../src/rules/peering-provisioning-failed';
import { SUB_A, SUB_B, SUB_C, peeredPair, vnet, vnetId } from '../support/estate';
import { ruleTester } from '../support/rule-tester';

const hub = vnetId('vnet-hub', SUB_A);
const spoke = vnetId('vnet-spoke1', SUB_B);
const outside = vnetId('vnet-partner', SUB_C);

ruleTester(peeringProvisioningFailed, {
  valid: [
    {
      name: 'Succeeded on both sides',
      resources: peeredPair({ id: hub, prefixes: ['10.0.0.0/16'] }, { id: spoke, prefixes: ['10.1.0.0/16'] }),
    },
    {
      name: 'Updating and Deleting are transient, not failures',
      resources: peeredPair(
        { id: hub, prefixes: ['10.0.0.0/16'] },
        { id: spoke, prefixes: ['10.1.0.0/16'] },
        { provisioningState: 'Updating' },
        { provisioningState: 'Deleting' },
      ),
    },
  ],
  invalid: [
    {
      name: 'Failed on one side',
      resources: peeredPair({ id: hub, prefixes: ['10.0.0.0/16'] }, { id: spoke, prefixes: ['10.1.0.0/16'] }, {}, { provisioningState: 'Failed' }),
      findings: [
        {
          resourceId: `${spoke}/virtualNetworkPeerings/vnet-spoke1-to-vnet-hub`,
          relatedResourceIds: [spoke, hub],
          messageIncludes: ['"vnet-spoke1"', '"vnet-hub"', 'Failed'],
          fix: null,
        },
      ],
    },
    {
      name: 'Failed towards a VNet in a subscription that was not read, and towards a missing one',
      resources: [
        vnet({
          id: hub,
          prefixes: ['10.0.0.0/16'],
          peerings: [
            { remote: outside, provisioningState: 'Failed' },
            { remote: vnetId('gone', SUB_A), provisioningState: 'Failed' },
          ],
        }),
      ],
      findings: [
        { resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-partner`, messageIncludes: ['"vnet-partner"'] },
        { resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-gone` },
      ],
    },
  ],
});
