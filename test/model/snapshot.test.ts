import { describe, expect, it } from 'vitest';
import { decodeJsonBytes, InputError, parseJsonText, resourcesFromDocument } from '../../src/model/snapshot';

const id = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v';

describe('snapshot documents', () => {
  it.each([
    ['an array of resources', [{ id }]],
    ['a single resource (az network vnet show)', { id, name: 'v' }],
    ['an ARM list response', { value: [{ id }], nextLink: null }],
    ['a Resource Graph / az graph query result', { data: [{ id }], count: 1, skip_token: null, total_records: 1 }],
  ])('accepts %s', (_name, document) => {
    expect(resourcesFromDocument(document, 'f.json').map((r) => r.resource.id)).toEqual([id]);
  });

  it('names the file and the entry of a resource without an id', () => {
    expect(() => resourcesFromDocument({ data: [{ id }, { name: 'broken' }] }, 'estate.json')).toThrow(
      'estate.json at .data[1]: resource (name "broken") has no "id" string',
    );
  });

  it.each([
    [{ foo: 1 }, 'expected a JSON array of ARM resources'],
    [{ value: 'x' }, '"value" must be an array'],
    [[42], 'at [0]: expected an ARM resource object, found a number'],
    [[{ id: 'vnet1' }], 'is not an Azure resource id'],
    [[{ id, properties: [] }], '"properties" must be an object'],
    ['text', 'found a string'],
  ])('rejects %j with a clear message', (document, message) => {
    expect(() => resourcesFromDocument(document, 'x.json')).toThrow(message);
  });

  it('reports invalid JSON with the file name, and strips a byte-order mark', () => {
    expect(() => parseJsonText('{"id": ', 'bad.json')).toThrow(InputError);
    expect(() => parseJsonText('{"id": ', 'bad.json')).toThrow(/^bad\.json: not valid JSON/);
    expect(parseJsonText('\ufeff[]', 'bom.json')).toEqual([]);
  });
});

// A Resource Graph page (`az graph query` returns 100 rows unless given --first) or an ARM list page
// audited as the estate reports every peering to a VNet on a later page as missing, with a DELETE.
describe('a document that is one page of a longer result', () => {
  const rows = [{ id }];
  it.each([
    ['az graph query, first page', { data: rows, count: 1, total_records: 2, skip_token: 'ew0KICAiJGlkIjogIjEi' }, '"skip_token" is set', 'az graph query --first 1000'],
    ['Resource Graph REST', { data: rows, count: 1, totalRecords: 2, $skipToken: 'abc' }, '"$skipToken" is set', 'fetched with --skip-token'],
    ['a total above the rows held, no token', { data: rows, count: 1, total_records: 2 }, '"total_records" is 2, "count" is 1, the document holds 1 row', 'peerguard export --live -o estate.json'],
    ['Resource Graph resultTruncated', { data: rows, count: 1, totalRecords: 1, resultTruncated: 'true' }, '"resultTruncated" is true', 'az graph query --first 1000'],
    ['an ARM list page', { value: rows, nextLink: 'https://management.azure.com/subscriptions/s/providers/Microsoft.Network/virtualNetworks?api-version=2024-05-01&$skiptoken=abc' }, '"nextLink" is set', 'follow "nextLink"'],
  ])('is refused, naming the file, the key and how to export every page: %s', (_name, document, key, how) => {
    expect(() => resourcesFromDocument(document, 'estate.json')).toThrow(InputError);
    expect(() => resourcesFromDocument(document, 'estate.json')).toThrow(/^estate\.json: one page of a longer (Resource Graph result|ARM list), not the whole estate/);
    expect(() => resourcesFromDocument(document, 'estate.json')).toThrow(key);
    expect(() => resourcesFromDocument(document, 'estate.json')).toThrow(how);
  });

  it.each([
    ['the last page of az graph query', { data: rows, count: 1, skip_token: null, total_records: 1 }],
    ['an empty token', { data: rows, $skipToken: '', resultTruncated: 'false' }],
    ['the last ARM page', { value: rows, nextLink: null }],
    ['pages joined under the first page\'s count', { data: [{ id }, { id: `${id}2` }], count: 1, total_records: 2 }],
  ])('is not assumed of %s', (_name, document) => {
    expect(resourcesFromDocument(document, 'f.json').length).toBeGreaterThan(0);
  });
});

describe('entries of types peerguard does not read (design.md: ignored, not errors)', () => {
  const vnetRow = { id, type: 'Microsoft.Network/virtualNetworks', properties: {} };
  const ids = (document: unknown) => resourcesFromDocument(document, 'estate.json').map((r) => r.resource.id);

  it('a management group row of `resources | union resourcecontainers` is left out, not "not an Azure resource id"', () => {
    const mg = { id: '/providers/Microsoft.Management/managementGroups/mg1', name: 'mg1', type: 'microsoft.management/managementgroups', properties: {} };
    expect(ids({ data: [vnetRow, mg] })).toEqual([id]);
    expect(ids(mg)).toEqual([]);
  });

  it('another resource whose properties are null (or not an object) is kept, for its subscription, without them', () => {
    const storage = { id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1', type: 'Microsoft.Storage/storageAccounts', properties: null };
    const [, kept] = resourcesFromDocument([vnetRow, storage, { ...storage, properties: 'x', name: { x: 1 } }], 'estate.json');
    expect(kept?.resource).toEqual({ id: storage.id, type: storage.type });
    expect(ids([{ type: 'Microsoft.Compute/virtualMachines', name: 'no-id' }, { id: '/subscriptions/s', type: 'Microsoft.Resources/subscriptions' }])).toEqual(['/subscriptions/s']);
  });

  it('the types read are still checked, and so is an entry with neither a type nor an id', () => {
    expect(() => resourcesFromDocument([{ ...vnetRow, properties: null }], 'x.json')).toThrow('x.json at [0]: "properties" must be an object, found null');
    expect(() => resourcesFromDocument([{ id: 'vnet1', type: 'Microsoft.Network/virtualNetworks' }], 'x.json')).toThrow('"id" is not an Azure resource id: "vnet1"');
    expect(() => resourcesFromDocument([{ type: 'microsoft.network/virtualnetworks/virtualnetworkpeerings', name: 'p' }], 'x.json')).toThrow('x.json at [0]: resource (name "p") has no "id" string');
    expect(() => resourcesFromDocument([{ name: 'what' }], 'x.json')).toThrow('x.json at [0]: resource (name "what") has no "id" string');
    expect(() => resourcesFromDocument([{ id, type: 7 }], 'x.json')).toThrow('x.json at [0]: "type" must be a string, found a number');
  });

});

// A name that is not a string showed as "[object Object]" in messages and fix plans (a PUT to
// `.../vnet-b-to-[object Object]`).
describe('names of the resources read', () => {
  const vnetId = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-a';
  const peering = { id: `${vnetId}/virtualNetworkPeerings/a-to-b`, name: 'a-to-b', properties: { remoteVirtualNetwork: { id } } };
  const subnet = { id: `${vnetId}/subnets/default`, name: 'default', properties: { addressPrefix: '10.0.0.0/24' } };
  const vnetOf = (name: unknown, properties: Record<string, unknown> = {}) => ({ id: vnetId, name, type: 'Microsoft.Network/virtualNetworks', properties });

  it.each([
    ['a VNet named by an object', [vnetOf({ x: 1 })], `estate.json at [0]: "name" of resource "${vnetId}" must be a non-empty string, found an object`],
    ['a VNet with an empty name', { data: [vnetOf('')] }, `estate.json at .data[0]: "name" of resource "${vnetId}" must be a non-empty string, found an empty one`],
    ['a standalone peering named by a number', { value: [{ ...peering, name: 42 }] }, `estate.json at .value[0]: "name" of resource "${peering.id}" must be a non-empty string, found a number`],
    ['an inline peering named by an object', [vnetOf('vnet-a', { virtualNetworkPeerings: [peering, { ...peering, name: { x: 1 } }] })], 'estate.json at [0]: "name" of virtual network "vnet-a" virtualNetworkPeerings[1] must be a non-empty string, found an object'],
    ['an inline subnet named by an array', [vnetOf('vnet-a', { subnets: [{ ...subnet, name: ['default'] }] })], 'estate.json at [0]: "name" of virtual network "vnet-a" subnets[0] must be a non-empty string, found an array'],
    ['an inline peering of `az network vnet show` (flattened)', [{ id: vnetId, name: 'vnet-a', type: 'Microsoft.Network/virtualNetworks', virtualNetworkPeerings: [{ id: peering.id, name: true, remoteVirtualNetwork: { id } }] }], 'estate.json at [0]: "name" of virtual network "vnet-a" virtualNetworkPeerings[0] must be a non-empty string, found a boolean'],
  ])('%s is malformed input naming the file and the entry', (_name, document, message) => {
    expect(() => resourcesFromDocument(document, 'estate.json')).toThrow(InputError);
    expect(() => resourcesFromDocument(document, 'estate.json')).toThrow(message);
  });

  it('a missing or null name is the id\'s', () => {
    expect(resourcesFromDocument([vnetOf(undefined, { virtualNetworkPeerings: [{ ...peering, name: null }], subnets: [subnet] }), vnetOf(null)], 'estate.json')).toHaveLength(2);
  });
});

// Windows PowerShell 5.1 writes `az network vnet list > estate.json` as UTF-16LE with a byte-order mark.
describe('the encoding of a JSON file', () => {
  const json = '[{"id": "/subscriptions/s/x", "name": "vnet-ä"}]';
  const utf16be = (text: string) => Buffer.from(text, 'utf16le').swap16();

  it.each([
    ['UTF-16LE with a byte-order mark', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(json, 'utf16le')])],
    ['UTF-16BE with a byte-order mark', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(json)])],
    ['UTF-8 with a byte-order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json, 'utf8')])],
    ['UTF-8', Buffer.from(json, 'utf8')],
  ])('is decoded by its byte-order mark: %s', (_name, bytes) => {
    expect(decodeJsonBytes(bytes).replace(/^\ufeff/, '')).toBe(json);
    expect(parseJsonText(bytes, 'estate.json')).toEqual(JSON.parse(json));
  });

  it('UTF-16 without a byte-order mark is refused with a hint, not mojibake alone', () => {
    expect(() => parseJsonText(Buffer.from(json, 'utf16le'), 'estate.json')).toThrow(/^estate\.json: not valid JSON \(.*\); the file looks like UTF-16 without a byte-order mark: save it as UTF-8$/);
  });
});
