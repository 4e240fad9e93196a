import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSnapshot, readSnapshotEstate, readSnapshotFiles } from '../../src/io/snapshot-files';
import { keyOf } from '../../src/model/ids';
import { InputError, snapshotFromDocument } from '../../src/model/snapshot';
import { peeringResource, SUB_A, SUB_B, vnet, vnetId } from '../support/estate';
import { scratchDir } from '../support/scratch';

// Reading snapshot files: the `unreadable` scopes a partial `export --live` records, and symbolic
// links in the tree (followed, dangling ones named, loops walked once).

const root = scratchDir('peerguard-io-').dir;
let n = 0;
/** A fresh directory under the test's temporary root. */
const fresh = (): string => {
  const dir = join(root, `case-${n++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};
const hub = vnetId('vnet-hub', SUB_A);
const spoke = vnetId('vnet-spoke', SUB_B);
const hubJson = JSON.stringify([vnet({ id: hub, prefixes: ['10.0.0.0/16'] })]);
const spokeJson = JSON.stringify({ value: [vnet({ id: spoke, prefixes: ['10.1.0.0/16'] })] });
const ids = (resources: { resource: { id: string } }[]) => resources.map((r) => r.resource.id);

async function inputError(promise: Promise<unknown>): Promise<InputError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputError);
  return error as InputError;
}

describe('unreadable scopes recorded in a snapshot', () => {
  const forbidden = { scope: SUB_B, reason: 'access denied by Resource Graph (403 AuthorizationFailed)' };

  it('are returned with the resources, for {data} and {value} documents', () => {
    const doc = { data: [vnet({ id: hub, prefixes: ['10.0.0.0/16'] })], count: 1, unreadable: [forbidden] };
    expect(snapshotFromDocument(doc, 'estate.json').unreadable).toEqual([forbidden]);
    expect(snapshotFromDocument({ value: [], unreadable: [forbidden] }, 'list.json').unreadable).toEqual([forbidden]);
    expect(snapshotFromDocument({ data: [], unreadable: [] }, 'e.json').unreadable).toEqual([]);
    expect(snapshotFromDocument([vnet({ id: hub, prefixes: ['10.0.0.0/16'] })], 'plain.json').unreadable).toEqual([]);
    // Only the contract's two fields are kept.
    expect(snapshotFromDocument({ data: [], unreadable: [{ ...forbidden, extra: 1 }] }, 'e.json').unreadable).toEqual([forbidden]);
  });

  it.each([
    [{ data: [], unreadable: 'sub-b' }, 'estate.json: "unreadable" must be an array of {"scope": ..., "reason": ...} entries, found a string'],
    [{ data: [], unreadable: null }, 'estate.json: "unreadable" must be an array'],
    [{ data: [], unreadable: [forbidden, 'sub-b'] }, 'estate.json at .unreadable[1]: expected {"scope": ..., "reason": ...}, found a string'],
    [{ data: [], unreadable: [{ reason: '403' }] }, 'estate.json at .unreadable[0]: unreadable entry has no "scope" string'],
    [{ value: [], unreadable: [{ scope: ' ', reason: '403' }] }, 'estate.json at .unreadable[0]: unreadable entry has no "scope" string'],
    [{ data: [], unreadable: [{ scope: SUB_B, reason: 403 }] }, `estate.json at .unreadable[0]: unreadable entry for "${SUB_B}" has no "reason" string`],
  ])('a malformed "unreadable" is an InputError naming the file and the entry: %j', (document, message) => {
    expect(() => snapshotFromDocument(document, 'estate.json')).toThrow(InputError);
    expect(() => snapshotFromDocument(document, 'estate.json')).toThrow(message);
  });

  it('are collected across the files, each scope and reason once', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ data: [vnet({ id: hub, prefixes: ['10.0.0.0/16'] })], unreadable: [forbidden] }));
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ data: [], unreadable: [{ ...forbidden, scope: SUB_B.toUpperCase() }, { scope: 'tenant', reason: 'list failed' }] }));
    const read = await readSnapshotFiles([dir]);
    expect(ids(read.resources)).toEqual([hub]);
    expect(read.unreadable).toEqual([forbidden, { scope: 'tenant', reason: 'list failed' }]);
    const estate = await readSnapshotEstate([dir]);
    expect(estate.unreadable).toEqual(read.unreadable);
    expect(estate.topology.vnets.size).toBe(1);
  });

  it('a malformed entry in a file names the file', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'partial.json'), JSON.stringify({ data: [], unreadable: [{ scope: SUB_B }] }));
    const error = await inputError(readSnapshotEstate([dir]));
    expect(error.message).toMatch(/partial\.json at \.unreadable\[0\]: unreadable entry for "2{8}-.*" has no "reason" string/);
  });
});

describe('symbolic links in a snapshot tree', () => {
  it('a link to a .json file is read', async () => {
    const dir = fresh();
    const elsewhere = fresh();
    writeFileSync(join(elsewhere, 'hub.json'), hubJson);
    writeFileSync(join(dir, 'spoke.json'), spokeJson);
    symlinkSync(join(elsewhere, 'hub.json'), join(dir, 'hub.json'));
    expect(ids(await readSnapshot([dir]))).toEqual([hub, spoke]);
  });

  it('a link to a directory is walked', async () => {
    const dir = fresh();
    const elsewhere = fresh();
    writeFileSync(join(elsewhere, 'spoke.json'), spokeJson);
    writeFileSync(join(dir, 'hub.json'), hubJson);
    symlinkSync(elsewhere, join(dir, 'spokes'), 'dir');
    expect(ids(await readSnapshot([dir]))).toEqual([hub, spoke]);
  });

  it('a directory holding only links is not "empty"', async () => {
    const dir = fresh();
    const elsewhere = fresh();
    writeFileSync(join(elsewhere, 'hub.json'), hubJson);
    symlinkSync(join(elsewhere, 'hub.json'), join(dir, 'hub.json'));
    expect(ids(await readSnapshot([dir]))).toEqual([hub]);
  });

  it.each(['hub.json', 'notes'])('a dangling link (%s) is an InputError naming it', async (name) => {
    const dir = fresh();
    writeFileSync(join(dir, 'spoke.json'), spokeJson);
    symlinkSync(join(dir, 'gone.json'), join(dir, name));
    const error = await inputError(readSnapshot([dir]));
    expect(error.message).toBe(`${join(dir, name)}: dangling symbolic link: its target does not exist`);
  });

  it('a dangling link given as the input is named as one', async () => {
    const dir = fresh();
    symlinkSync(join(dir, 'gone.json'), join(dir, 'estate.json'));
    const error = await inputError(readSnapshot([join(dir, 'estate.json')]));
    expect(error.message).toContain('estate.json: dangling symbolic link');
  });

  it('a link back to an ancestor (a loop) ends the walk; each file is read once', async () => {
    const dir = fresh();
    mkdirSync(join(dir, 'nested'));
    writeFileSync(join(dir, 'hub.json'), hubJson);
    writeFileSync(join(dir, 'nested', 'spoke.json'), spokeJson);
    symlinkSync(dir, join(dir, 'nested', 'up'), 'dir');
    symlinkSync(join(dir, 'nested'), join(dir, 'z-again'), 'dir');
    symlinkSync(join(dir, 'hub.json'), join(dir, 'same-hub.json'));
    expect(ids(await readSnapshot([dir]))).toEqual([hub, spoke]);
  });

  it('a link to itself is an InputError, not a hang', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'hub.json'), hubJson);
    symlinkSync(join(dir, 'self.json'), join(dir, 'self.json'));
    const error = await inputError(readSnapshot([dir]));
    expect(error.message).toContain('self.json: symbolic link loop');
  });
});

describe('a VNet read from more than one snapshot', () => {
  const peered = (prefixes: string[], location: string, remote?: string) => {
    const resource = vnet({ id: hub, prefixes, ...(remote ? { peerings: [{ remote }] } : {}) });
    return { ...resource, location };
  };

  it('with the same space, in any order: one VNet, its first read kept, peerings merged', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'a.json'), JSON.stringify([peered(['10.0.0.0/16', '10.9.0.0/16'], 'westeurope', spoke)]));
    writeFileSync(join(dir, 'b.json'), JSON.stringify([peered(['10.9.0.0/16', '10.0.0.0/16'], 'northeurope', vnetId('vnet-other', SUB_B))]));
    const { topology } = await readSnapshotEstate([dir]);
    const read = topology.vnets.get(keyOf(hub));
    expect(read?.location).toBe('westeurope');
    expect(read?.peerings.map((p) => p.remoteVnetId)).toEqual([spoke, vnetId('vnet-other', SUB_B)]);
  });

  it('with another space: refused, naming both reads and both spaces, whichever file comes first', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'a.json'), JSON.stringify([peered(['10.5.0.0/16', '10.50.0.0/16'], 'westeurope', spoke)]));
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ value: [peered(['192.168.0.0/16'], 'westeurope')] }));
    const both = [join(dir, 'b.json'), join(dir, 'a.json')];
    for (const paths of [[dir], both]) {
      const error = await inputError(readSnapshotFiles(paths));
      expect(error.message).toMatch(/^.*\/[ab]\.json at (\.value)?\[0\]: virtual network "vnet-hub" was also read from .*\/[ab]\.json at (\.value)?\[0\] with another address space \(.* there, .* here\): give one export of each VNet$/);
    }
    expect((await inputError(readSnapshotEstate([dir]))).message).toContain('(10.5.0.0/16, 10.50.0.0/16 there, 192.168.0.0/16 here)');
    expect((await inputError(readSnapshot(both))).message).toContain('(192.168.0.0/16 there, 10.5.0.0/16, 10.50.0.0/16 here)');
  });

  it('without an address space (a projection of id and name, no properties): not compared, in any order', async () => {
    const dir = fresh();
    const projection = { id: hub, name: 'vnet-hub', type: 'Microsoft.Network/virtualNetworks' };
    const nulled = { ...projection, properties: { addressSpace: null } };
    writeFileSync(join(dir, 'a.json'), JSON.stringify([projection, nulled]));
    writeFileSync(join(dir, 'b.json'), JSON.stringify([peered(['10.0.0.0/16'], 'westeurope', spoke)]));
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ data: [{ ...projection, properties: {} }] }));
    for (const paths of [[dir], [join(dir, 'b.json'), join(dir, 'a.json'), join(dir, 'c.json')]]) {
      const { topology } = await readSnapshotEstate(paths);
      expect(topology.vnets.get(keyOf(hub))?.prefixes.map((p) => p.text)).toEqual(['10.0.0.0/16']);
    }
  });

  it('with an empty list against a non-empty one: refused', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'a.json'), JSON.stringify([peered([], 'westeurope')]));
    writeFileSync(join(dir, 'b.json'), JSON.stringify([peered(['10.0.0.0/16'], 'westeurope')]));
    expect((await inputError(readSnapshotFiles([dir]))).message).toContain('(none there, 10.0.0.0/16 here)');
  });

  it('with the same prefixes written differently (case, zeros, spaces): one space; the message shows them as written', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'a.json'), JSON.stringify([peered(['FD00:DB8::/48', '10.0.0.0/16'], 'westeurope', spoke)]));
    writeFileSync(join(dir, 'b.json'), JSON.stringify([peered([' 10.0.0.0/16', 'fd00:0db8:0::/48'], 'westeurope')]));
    const { topology } = await readSnapshotEstate([dir]);
    expect(topology.vnets.get(keyOf(hub))?.prefixes.map((p) => p.text)).toEqual(['FD00:DB8::/48', '10.0.0.0/16']);

    writeFileSync(join(dir, 'c.json'), JSON.stringify([peered(['fd00:db9::/48', '10.0.0.0/16'], 'westeurope')]));
    expect((await inputError(readSnapshotFiles([dir]))).message).toContain('(10.0.0.0/16, FD00:DB8::/48 there, 10.0.0.0/16, fd00:db9::/48 here)');
  });

  it('with a malformed prefix: compared as its trimmed text, the builder naming the fault', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'a.json'), JSON.stringify([peered(['10.0.0.0/40'], 'westeurope')]));
    writeFileSync(join(dir, 'b.json'), JSON.stringify([peered([' 10.0.0.0/40 '], 'westeurope')]));
    expect(ids((await readSnapshotFiles([dir])).resources)).toEqual([hub, hub]);
    expect((await inputError(readSnapshotEstate([dir]))).message).toContain('has an invalid address prefix "10.0.0.0/40"');

    writeFileSync(join(dir, 'c.json'), JSON.stringify([peered(['10.0.0.0/41'], 'westeurope')]));
    expect((await inputError(readSnapshotFiles([dir]))).message).toContain('(10.0.0.0/40 there, 10.0.0.0/41 here)');
  });
});

// Windows PowerShell 5.1 writes `az network vnet list > estate.json` as UTF-16LE with a byte-order mark.
describe('the encoding of a snapshot file', () => {
  const estate = JSON.stringify([vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke }] }), vnet({ id: spoke, prefixes: ['10.1.0.0/16'] })], null, 2);

  it.each([
    ['UTF-16LE with a byte-order mark', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(estate, 'utf16le')])],
    ['UTF-16BE with a byte-order mark', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(estate, 'utf16le').swap16()])],
    ['UTF-8 with a byte-order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(estate, 'utf8')])],
  ])('%s is read as UTF-8 is', async (_name, bytes) => {
    const dir = fresh();
    writeFileSync(join(dir, 'estate.json'), bytes);
    expect(ids(await readSnapshot([dir]))).toEqual([hub, spoke]);
    const { topology } = await readSnapshotEstate([join(dir, 'estate.json')]);
    expect(topology.peerings.size).toBe(1);
  });
});

// VNets the builder knows only from a child's id (a subnet list) are no estate: "1 VNets, 0 peerings,
// no findings, compliant" was reported for `az network vnet subnet list` output.
describe('snapshot files that hold no VNet and no peering', () => {
  const subnetRow = {
    id: `${hub}/subnets/default`,
    name: 'default',
    type: 'Microsoft.Network/virtualNetworks/subnets',
    addressPrefix: '10.0.0.0/24',
    resourceGroup: 'rg',
  };

  it('a subnet list: a topology without VNets (nothing to audit), its subscriptions still read', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'subnets.json'), JSON.stringify([subnetRow]));
    const { topology } = await readSnapshotEstate([dir], { extraSubscriptions: [SUB_B] });
    expect(topology.vnets.size).toBe(0);
    expect(topology.peerings.size).toBe(0);
    expect([...topology.subscriptions].sort()).toEqual([SUB_A, SUB_B].sort());
  });

  it('a standalone peering list (az network vnet peering list) is audited: its VNet comes from its id', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'peerings.json'), JSON.stringify([peeringResource(hub, { remote: spoke }), subnetRow]));
    const { topology } = await readSnapshotEstate([dir]);
    expect([...topology.vnets.keys()]).toEqual([keyOf(hub)]);
    expect(topology.peerings.size).toBe(1);
    expect(topology.vnets.get(keyOf(hub))?.subnets).toHaveLength(1);
  });

  it('a subnet list beside a VNet export is audited as before', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'a.json'), JSON.stringify([subnetRow]));
    writeFileSync(join(dir, 'b.json'), spokeJson);
    const { topology } = await readSnapshotEstate([dir]);
    expect(topology.vnets.size).toBe(2);
  });
});

// QA C3: a file that is not UTF-8 is refused by the path shown, as every other input error is.
describe('a snapshot file that is not UTF-8', () => {
  it('is an InputError naming the file as shown and the offset, whichever file of a directory it is', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'a.json'), hubJson);
    const text = JSON.stringify([vnet({ id: vnetId('vnet-münchen', SUB_B), prefixes: ['10.1.0.0/16'] })]);
    writeFileSync(join(dir, 'b.json'), Buffer.from(text, 'latin1'));
    const at = Buffer.byteLength(text.slice(0, text.indexOf('ü')));
    const error = await inputError(readSnapshotEstate([dir]));
    expect(error.message).toBe(`${relative(process.cwd(), join(dir, 'b.json'))}: not valid UTF-8 at byte ${at}: save it as UTF-8 (or UTF-16 with a byte-order mark)`);
  });
});

// QA C10: a file named as an --input that held nothing was taken silently beside inputs that held VNets.
describe('an input file that holds no resource', () => {
  const warning = (file: string) => `${relative(process.cwd(), file)}: holds no resource, so nothing was read from it (a failed export, or the wrong file?)`;

  it.each([
    ['an empty array', '[]'],
    ['an empty Resource Graph result', '{"data": [], "count": 0, "total_records": 0, "skip_token": null}'],
    ['an empty ARM list', '{"value": []}'],
    ['only rows that name no subscription', '{"data": [{"id": "/providers/Microsoft.Management/managementGroups/mg", "type": "microsoft.management/managementgroups"}]}'],
  ])('named on its own (%s): read, with a warning naming it', async (_name, json) => {
    const dir = fresh();
    const empty = join(dir, 'empty.json');
    writeFileSync(empty, json);
    writeFileSync(join(dir, 'hub.json'), hubJson);
    const estate = await readSnapshotEstate([join(dir, 'hub.json'), empty]);
    expect(estate.topology.vnets.size).toBe(1);
    expect(estate.warnings).toEqual([warning(empty)]);
    expect((await readSnapshotFiles([empty, join(dir, 'hub.json')])).warnings).toEqual([warning(empty)]);
  });

  it('in a directory (a subscription without VNets), or listing scopes not read: no warning', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'empty.json'), '[]');
    writeFileSync(join(dir, 'hub.json'), hubJson);
    const partial = join(root, `partial-${n++}.json`);
    writeFileSync(partial, JSON.stringify({ data: [], unreadable: [{ scope: SUB_B, reason: '403' }] }));
    expect((await readSnapshotEstate([dir, partial])).warnings).toEqual([]);
  });

  it('a file that holds a resource of another type in a subscription: no warning (the subscription counts as read)', async () => {
    const file = join(root, `other-${n++}.json`);
    writeFileSync(file, JSON.stringify([{ id: `/subscriptions/${SUB_B}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st`, type: 'Microsoft.Storage/storageAccounts' }]));
    const read = await readSnapshotFiles([file]);
    expect(read.resources).toHaveLength(1);
    expect(read.warnings).toEqual([]);
  });
});
