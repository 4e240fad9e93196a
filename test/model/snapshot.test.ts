import { describe, expect, it } from 'vitest';
import { InputError, parseJsonText, resourcesFromDocument } from '../../src/model/snapshot';

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
