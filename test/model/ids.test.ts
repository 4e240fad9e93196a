import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyOf, nameOf, parseResourceId, resourceGroupOf, sameId, sameKey, subscriptionOf, subscriptionPathOf } from '../../src/model/ids';

const peering =
  '/subscriptions/AAAA/resourceGroups/RG-Hub/providers/Microsoft.Network/virtualNetworks/Vnet-Hub/virtualNetworkPeerings/hub-to-spoke';

describe('resource ids', () => {
  it('keys are lower-cased and ignore a trailing slash', () => {
    expect(keyOf(`${peering}/`)).toBe(peering.toLowerCase());
    expect(sameId(peering, peering.toUpperCase())).toBe(true);
    expect(sameId(peering, undefined)).toBe(false);
  });

  it('sameKey agrees with comparing keys, for ids that differ in case, slashes, spaces and Unicode', () => {
    // Characters where a character-by-character comparison could go wrong: case, ASCII neighbours
    // of letters ('@', '[', '`', '{'), trailing '/' and spaces, and Unicode with case mappings
    // that change length ('İ' lower-cases to two code units) or are not ASCII ('Ä').
    const char = fc.constantFrom('a', 'A', 'z', 'Z', '@', '[', '`', '{', '/', ' ', '-', 'İ', 'i', '\u0307', 'Ä', 'ä', 'K', '\u212a');
    const id = fc.array(char, { maxLength: 8 }).map((cs) => `/subscriptions/s/${cs.join('')}`);
    const variant = id.chain((a) => fc.tuple(fc.constant(a), fc.constantFrom(a.toUpperCase(), a.toLowerCase(), `${a}/`, ` ${a}`, a.replace(/a/g, 'A')), id));
    fc.assert(
      fc.property(variant, ([a, b, c]) => {
        expect(sameKey(a, b)).toBe(keyOf(a) === keyOf(b));
        expect(sameKey(a, c)).toBe(keyOf(a) === keyOf(c));
      }),
      { numRuns: 2000 },
    );
  });

  it('resourceGroupOf agrees with parsing the whole id, for ids of any shape', () => {
    const segment = fc.constantFrom('subscriptions', 'resourceGroups', 'resourcegroups', 'providers', 'Microsoft.Network', 'virtualNetworks', 'rg-1', 's', '', ' ');
    const id = fc.array(segment, { maxLength: 10 }).chain((parts) => fc.constantFrom(`/${parts.join('/')}`, `/${parts.join('/')}/`, parts.join('/')));
    const shaped = fc.tuple(fc.constantFrom('rg-A', 'RG_b'), fc.array(fc.constantFrom('virtualNetworks', 'vnet-1', 'subnets', 'x'), { maxLength: 5 })).map(
      ([rg, rest]) => `/subscriptions/s/resourceGroups/${rg}/providers/Microsoft.Network/${rest.join('/')}`,
    );
    fc.assert(
      fc.property(fc.oneof(id, shaped), (text) => {
        expect(resourceGroupOf(text)).toBe(parseResourceId(text)?.resourceGroup);
      }),
      { numRuns: 3000 },
    );
  });

  it('resourceGroupOf: an id whose last segment is only white space is no resource id (a counterexample the property found)', () => {
    const id = '/subscriptions/Microsoft.Network/resourcegroups/rg-1/providers/resourcegroups/resourceGroups/ ';
    expect(parseResourceId(id)).toBeUndefined();
    expect(resourceGroupOf(id)).toBeUndefined();
    expect(resourceGroupOf('/subscriptions/s/resourceGroups/rg-1/providers/Microsoft.Network/virtualNetworks/vnet-1 ')).toBe('rg-1');
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

  it('subscriptionPathOf keeps the subscription part as written, slash included', () => {
    expect(subscriptionPathOf(peering)).toBe('/subscriptions/AAAA/');
    expect(subscriptionPathOf('/SUBSCRIPTIONS/BbB/resourceGroups/rg')).toBe('/SUBSCRIPTIONS/BbB/');
    expect(subscriptionPathOf('/subscriptions/AAAA')).toBeUndefined(); // nothing past it to share the path
    expect(subscriptionPathOf('/subscriptions//x')).toBeUndefined();
    expect(subscriptionPathOf('/tenants/x/y')).toBeUndefined();
  });
});
