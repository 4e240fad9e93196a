import { describe, expect, it } from 'vitest';
import { keyOf, nameOf, parseResourceId, sameId, subscriptionOf } from '../../src/model/ids';

const peering =
  '/subscriptions/AAAA/resourceGroups/RG-Hub/providers/Microsoft.Network/virtualNetworks/Vnet-Hub/virtualNetworkPeerings/hub-to-spoke';

describe('resource ids', () => {
  it('keys are lower-cased and ignore a trailing slash', () => {
    expect(keyOf(`${peering}/`)).toBe(peering.toLowerCase());
    expect(sameId(peering, peering.toUpperCase())).toBe(true);
    expect(sameId(peering, undefined)).toBe(false);
  });

  it('parses a child resource and names its parent', () => {
    expect(parseResourceId(peering)).toEqual({
      subscriptionId: 'aaaa',
      resourceGroup: 'RG-Hub',
      type: 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings',
      name: 'hub-to-spoke',
      parentId: '/subscriptions/AAAA/resourceGroups/RG-Hub/providers/Microsoft.Network/virtualNetworks/Vnet-Hub',
    });
  });

  it('parses resource group segment case-insensitively (Event Grid subjects say resourcegroups)', () => {
    const parsed = parseResourceId('/subscriptions/s/resourcegroups/rg/providers/Microsoft.Network/virtualNetworks/v');
    expect(parsed?.resourceGroup).toBe('rg');
    expect(parsed?.parentId).toBeUndefined();
  });

  it('rejects ids that are not provider resources', () => {
    expect(parseResourceId('/subscriptions/s')).toBeUndefined();
    expect(parseResourceId('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks')).toBeUndefined();
    expect(parseResourceId('vnet1')).toBeUndefined();
  });

  it('reads subscription and name', () => {
    expect(subscriptionOf(peering)).toBe('aaaa');
    expect(subscriptionOf('/tenants/x')).toBeUndefined();
    expect(nameOf(peering)).toBe('hub-to-spoke');
  });
});
