import { describe, expect, it } from 'vitest';
import { buildTopology } from '../../src/model/build';
import { keyOf } from '../../src/model/ids';
import type { RawResource } from '../../src/model/snapshot';
import { SUB_A, SUB_B, peeringResource, routeTable, vnet, vnetId } from '../support/estate';

// Malformed input is an InputError naming the file and the resource (design.md, "Input contract"),
// never a silently empty address space or a route that silently stops counting.

const hub = vnetId('vnet-hub', SUB_A);
const spoke = vnetId('vnet-spoke', SUB_B);
const SOURCE = 'estate.json at [0]';

type Props = Record<string, unknown>;

const build = (...resources: RawResource[]) => buildTopology(resources.map((resource) => ({ resource, source: SOURCE })));

/** `run` throws the InputError that names SOURCE and says `message`. */
function expectInputError(run: () => unknown, message: string): void {
  expect(run).toThrow(expect.objectContaining({ name: 'InputError', message: `${SOURCE}: ${message}` }));
}

/** The hub VNet with one subnet "a" and one inline peering to the spoke, each property changed by `edit`. */
function hubWith(edit: { vnet?: (p: Props) => void; subnet?: (p: Props) => void; peering?: (p: Props) => void }): RawResource {
  const raw = vnet({ id: hub, prefixes: ['10.0.0.0/16'], subnets: [{ name: 'a', prefix: '10.0.1.0/24' }], peerings: [{ remote: spoke, remoteAddressSpace: ['10.1.0.0/16'] }] });
  const p = raw.properties as { subnets: Array<{ properties: Props }>; virtualNetworkPeerings: Array<{ properties: Props }> };
  edit.vnet?.(raw.properties as Props);
  edit.subnet?.((p.subnets[0] as { properties: Props }).properties);
  edit.peering?.((p.virtualNetworkPeerings[0] as { properties: Props }).properties);
  return raw;
}

/** A standalone peering of the hub (as `az network vnet peering list` gives it), its properties changed by `edit`. */
function standalonePeering(edit: (p: Props) => void): RawResource {
  const raw = peeringResource(hub, { remote: spoke });
  edit(raw.properties as Props);
  return raw;
}

/** A standalone subnet of the hub (as `az network vnet subnet show` gives it). */
function standaloneSubnet(properties: Props): RawResource {
  return { id: `${hub}/subnets/b`, name: 'b', type: 'Microsoft.Network/virtualNetworks/subnets', properties };
}

describe('address prefixes that are not a list', () => {
  const notLists: Array<[string, unknown]> = [
    ['a string', '10.0.0.0/16'],
    ['an object', { 0: '10.0.0.0/16' }],
    ['a number', 42],
    ['a boolean', true],
    ['an empty string', ''],
  ];

  const cases: Array<{ where: string; resource: (bad: unknown) => RawResource; message: string }> = [
    {
      where: 'a VNet addressSpace',
      resource: (bad) => hubWith({ vnet: (p) => (p.addressSpace = { addressPrefixes: bad }) }),
      message: 'virtual network "vnet-hub" addressSpace.addressPrefixes is not a list',
    },
    {
      where: 'an inline subnet',
      resource: (bad) => hubWith({ subnet: (p) => ((p.addressPrefixes = bad), delete p.addressPrefix) }),
      message: 'subnet "a" addressPrefixes is not a list',
    },
    {
      where: 'an inline subnet that also has addressPrefix',
      resource: (bad) => hubWith({ subnet: (p) => (p.addressPrefixes = bad) }),
      message: 'subnet "a" addressPrefixes is not a list',
    },
    {
      where: 'a standalone subnet',
      resource: (bad) => standaloneSubnet({ addressPrefixes: bad }),
      message: 'subnet "b" addressPrefixes is not a list',
    },
    {
      where: "a peering's remoteAddressSpace",
      resource: (bad) => hubWith({ peering: (p) => (p.remoteAddressSpace = { addressPrefixes: bad }) }),
      message: 'peering "vnet-hub-to-vnet-spoke" remoteAddressSpace.addressPrefixes is not a list',
    },
    {
      where: "a peering's remoteVirtualNetworkAddressSpace",
      resource: (bad) => hubWith({ peering: (p) => (p.remoteVirtualNetworkAddressSpace = { addressPrefixes: bad }) }),
      message: 'peering "vnet-hub-to-vnet-spoke" remoteVirtualNetworkAddressSpace.addressPrefixes is not a list',
    },
    {
      where: "a standalone peering's remoteAddressSpace",
      resource: (bad) => standalonePeering((p) => (p.remoteAddressSpace = { addressPrefixes: bad })),
      message: 'peering "vnet-hub-to-vnet-spoke" remoteAddressSpace.addressPrefixes is not a list',
    },
    {
      where: "a standalone peering's localVirtualNetworkAddressSpace",
      resource: (bad) => standalonePeering((p) => (p.localVirtualNetworkAddressSpace = { addressPrefixes: bad })),
      message: 'peering "vnet-hub-to-vnet-spoke" localVirtualNetworkAddressSpace.addressPrefixes is not a list',
    },
    {
      where: "a standalone peering's localAddressSpace",
      resource: (bad) => standalonePeering((p) => (p.localAddressSpace = { addressPrefixes: bad })),
      message: 'peering "vnet-hub-to-vnet-spoke" localAddressSpace.addressPrefixes is not a list',
    },
  ];

  it.each(cases.flatMap((c) => notLists.map(([kind, bad]) => ({ ...c, kind, bad }))))('$where: $kind is an InputError naming it', ({ resource, bad, message }) => {
    expectInputError(() => build(resource(bad)), message);
  });

  const spaces: Array<{ where: string; resource: (bad: unknown) => RawResource; message: string }> = [
    {
      where: 'a VNet addressSpace',
      resource: (bad) => hubWith({ vnet: (p) => (p.addressSpace = bad) }),
      message: 'virtual network "vnet-hub" addressSpace is not an object',
    },
    {
      where: "a peering's remoteAddressSpace",
      resource: (bad) => hubWith({ peering: (p) => (p.remoteAddressSpace = bad) }),
      message: 'peering "vnet-hub-to-vnet-spoke" remoteAddressSpace is not an object',
    },
    {
      where: "a peering's remoteVirtualNetworkAddressSpace",
      resource: (bad) => hubWith({ peering: (p) => (p.remoteVirtualNetworkAddressSpace = bad) }),
      message: 'peering "vnet-hub-to-vnet-spoke" remoteVirtualNetworkAddressSpace is not an object',
    },
    {
      where: "a standalone peering's localVirtualNetworkAddressSpace",
      resource: (bad) => standalonePeering((p) => (p.localVirtualNetworkAddressSpace = bad)),
      message: 'peering "vnet-hub-to-vnet-spoke" localVirtualNetworkAddressSpace is not an object',
    },
    {
      where: "a standalone peering's localAddressSpace",
      resource: (bad) => standalonePeering((p) => (p.localAddressSpace = bad)),
      message: 'peering "vnet-hub-to-vnet-spoke" localAddressSpace is not an object',
    },
  ];

  it.each(spaces.flatMap((c) => [...notLists.filter(([kind]) => kind !== 'an object'), ['a list', ['10.0.0.0/16']] as [string, unknown]].map(([kind, bad]) => ({ ...c, kind, bad }))))(
    '$where given as $kind is an InputError naming it',
    ({ resource, bad, message }) => {
      expectInputError(() => build(resource(bad)), message);
    },
  );

  const texts = (prefixes: readonly { text: string }[] | undefined) => prefixes?.map((p) => p.text);

  it.each([
    { where: 'no addressSpace', edit: (p: Props) => delete p.addressSpace, prefixes: [] },
    { where: 'addressSpace null', edit: (p: Props) => (p.addressSpace = null), prefixes: [] },
    { where: 'addressSpace {}', edit: (p: Props) => (p.addressSpace = {}), prefixes: [] },
    { where: 'addressPrefixes null', edit: (p: Props) => (p.addressSpace = { addressPrefixes: null }), prefixes: [] },
    { where: 'addressPrefixes []', edit: (p: Props) => (p.addressSpace = { addressPrefixes: [] }), prefixes: [] },
    { where: 'two prefixes', edit: (p: Props) => (p.addressSpace = { addressPrefixes: ['10.0.0.0/16', 'fd00::/48'] }), prefixes: ['10.0.0.0/16', 'fd00::/48'] },
  ])('a VNet with $where has the space it states', ({ edit, prefixes }) => {
    expect(texts(build(hubWith({ vnet: edit })).vnets.get(keyOf(hub))?.prefixes)).toEqual(prefixes);
  });

  it.each([
    { where: 'addressPrefix only', edit: (p: Props) => (p.addressPrefix = '10.0.1.0/24'), prefixes: ['10.0.1.0/24'] },
    { where: 'addressPrefixes only', edit: (p: Props) => (delete p.addressPrefix, (p.addressPrefixes = ['10.0.1.0/24', '10.0.2.0/24'])), prefixes: ['10.0.1.0/24', '10.0.2.0/24'] },
    { where: 'addressPrefixes null and addressPrefix', edit: (p: Props) => (p.addressPrefixes = null), prefixes: ['10.0.1.0/24'] },
    { where: 'neither', edit: (p: Props) => delete p.addressPrefix, prefixes: [] },
    { where: 'addressPrefix null', edit: (p: Props) => (p.addressPrefix = null), prefixes: [] },
    { where: 'both null', edit: (p: Props) => ((p.addressPrefix = null), (p.addressPrefixes = null)), prefixes: [] },
  ])('a subnet with $where has the prefixes it states', ({ edit, prefixes }) => {
    expect(texts(build(hubWith({ subnet: edit })).vnets.get(keyOf(hub))?.subnets[0]?.prefixes)).toEqual(prefixes);
  });

  it.each([
    { where: 'absent', space: undefined, prefixes: undefined },
    { where: 'null', space: null, prefixes: undefined },
    { where: 'without addressPrefixes', space: {}, prefixes: undefined },
    { where: 'with addressPrefixes null', space: { addressPrefixes: null }, prefixes: undefined },
    { where: 'with addressPrefixes []', space: { addressPrefixes: [] }, prefixes: [] },
    { where: 'with a prefix', space: { addressPrefixes: ['10.1.0.0/16'] }, prefixes: ['10.1.0.0/16'] },
  ])("a peering's remote spaces $where are recorded as such", ({ space, prefixes }) => {
    const t = build(
      hubWith({
        peering: (p) => {
          p.remoteAddressSpace = space;
          p.remoteVirtualNetworkAddressSpace = space;
        },
      }),
    );
    const peering = t.vnets.get(keyOf(hub))?.peerings[0];
    expect(texts(peering?.remoteAddressSpace)).toEqual(prefixes);
    expect(texts(peering?.remoteVirtualNetworkAddressSpace)).toEqual(prefixes);
  });

  it.each([
    { where: 'no local space', edit: () => undefined, prefixes: [] },
    { where: 'localVirtualNetworkAddressSpace null', edit: (p: Props) => (p.localVirtualNetworkAddressSpace = null), prefixes: [] },
    { where: 'localVirtualNetworkAddressSpace.addressPrefixes null', edit: (p: Props) => (p.localVirtualNetworkAddressSpace = { addressPrefixes: null }), prefixes: [] },
    { where: 'localAddressSpace', edit: (p: Props) => (p.localAddressSpace = { addressPrefixes: ['10.0.0.0/16'] }), prefixes: ['10.0.0.0/16'] },
    {
      where: 'both local spaces (the current one wins)',
      edit: (p: Props) => ((p.localAddressSpace = { addressPrefixes: ['10.0.0.0/16'] }), (p.localVirtualNetworkAddressSpace = { addressPrefixes: ['10.0.0.0/16', '10.9.0.0/16'] })),
      prefixes: ['10.0.0.0/16', '10.9.0.0/16'],
    },
  ])('a standalone peering with $where tells its VNet that space', ({ edit, prefixes }) => {
    expect(texts(build(standalonePeering(edit)).vnets.get(keyOf(hub))?.prefixes)).toEqual(prefixes);
  });
});

describe('route table routes', () => {
  const table = (route: { prefix: string; nextHopIp?: string }) => routeTable('rt-x', SUB_A, 'rg', [{ name: 'r1', ...route }]);
  const routeOf = (raw: RawResource) => build(raw).routeTables.get(keyOf(raw.id))?.routes[0];

  it.each([
    { nextHopIp: '10.9.0.300', why: 'an octet over 255' },
    { nextHopIp: '10.9.0', why: 'three octets' },
    { nextHopIp: 'fd00::zz', why: 'not hexadecimal' },
    { nextHopIp: 'nva.contoso.com', why: 'a host name' },
    { nextHopIp: '10.9.0.0/24', why: 'a range, not an address' },
    { nextHopIp: 'fd00::/64', why: 'an IPv6 range, not an address' },
  ])('a nextHopIpAddress "$nextHopIp" ($why) is an InputError naming the table and the route', ({ nextHopIp }) => {
    expectInputError(() => build(table({ prefix: '0.0.0.0/0', nextHopIp })), `route table "rt-x" route "r1" has an invalid nextHopIpAddress "${nextHopIp}"`);
  });

  it.each([
    { nextHopIp: '10.0.2.4', text: '10.0.2.4' },
    { nextHopIp: '10.0.2.4/32', text: '10.0.2.4/32' },
    { nextHopIp: 'fd00::4', text: 'fd00::4' },
    { nextHopIp: '', text: undefined },
    { nextHopIp: undefined, text: undefined },
  ])('a nextHopIpAddress "$nextHopIp" is read as $text', ({ nextHopIp, text }) => {
    expect(routeOf(table({ prefix: '0.0.0.0/0', ...(nextHopIp !== undefined ? { nextHopIp } : {}) }))?.nextHopIp?.text).toBe(text);
  });

  it.each([
    { prefix: '10.50.0.0/33', why: 'a length over 32' },
    { prefix: '10.50.0.300/24', why: 'an octet over 255' },
    { prefix: '10.50.0.300', why: 'an octet over 255, no length' },
    { prefix: '10.50/16', why: 'two octets' },
    { prefix: '10.50.0.0/', why: 'no length after the slash' },
    { prefix: '10.50.0.0/x', why: 'a length that is not a number' },
    { prefix: '1050', why: 'digits only' },
    { prefix: 'fd00::/129', why: 'a length over 128' },
    { prefix: 'fd00:::/48', why: 'a malformed IPv6 address' },
    { prefix: 'AzureCloud/16', why: 'a service tag with a length' },
  ])('an addressPrefix "$prefix" ($why) is an InputError naming the table and the route', ({ prefix }) => {
    expectInputError(() => build(table({ prefix, nextHopIp: '10.0.2.4' })), `route table "rt-x" route "r1" has an invalid addressPrefix "${prefix}"`);
  });

  it.each([
    { prefix: '10.50.0.0/16', text: '10.50.0.0/16' },
    { prefix: '10.50.0.4', text: '10.50.0.4' },
    { prefix: 'fd00:50::/48', text: 'fd00:50::/48' },
    { prefix: 'AzureCloud', text: undefined },
    { prefix: 'Storage.WestEurope', text: undefined },
    { prefix: 'AzureCloud.westus2', text: undefined },
    { prefix: 'VirtualNetwork', text: undefined },
    { prefix: 'AppService', text: undefined },
  ])('an addressPrefix "$prefix" is a prefix ($text) or a service tag, kept as written', ({ prefix, text }) => {
    const route = routeOf(table({ prefix, nextHopIp: '10.0.2.4' }));
    expect(route?.addressPrefix).toBe(prefix);
    expect(route?.prefix?.text).toBe(text);
    expect(route?.nextHopIp?.text).toBe('10.0.2.4');
  });

  it('names a route without a name by its place in the table', () => {
    const raw = table({ prefix: '10.50.0.0/33' });
    const route = (raw.properties as { routes: Array<Props> }).routes[0] as Props;
    delete route.name;
    delete route.id;
    expect(() => build(raw)).toThrow(`${SOURCE}: route table "rt-x" routes[0] has an invalid addressPrefix "10.50.0.0/33"`);
  });
});

describe('other lists that are not a list', () => {
  const firewall = (ipConfigurations: unknown): RawResource => ({
    id: `/subscriptions/${SUB_A}/resourceGroups/rg/providers/Microsoft.Network/azureFirewalls/fw-hub`,
    name: 'fw-hub',
    type: 'Microsoft.Network/azureFirewalls',
    properties: { ipConfigurations },
  });
  const gateway = (ipConfigurations: unknown): RawResource => ({
    id: `/subscriptions/${SUB_A}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworkGateways/gw-hub`,
    name: 'gw-hub',
    type: 'Microsoft.Network/virtualNetworkGateways',
    properties: { gatewayType: 'Vpn', ipConfigurations },
  });
  const routeServer = (ipConfigurations: unknown): RawResource => ({
    id: `/subscriptions/${SUB_A}/resourceGroups/rg/providers/Microsoft.Network/virtualHubs/rs-hub`,
    name: 'rs-hub',
    type: 'Microsoft.Network/virtualHubs',
    properties: { ipConfigurations },
  });
  const connectivity = (appliesToGroups: unknown): RawResource => ({
    id: `/subscriptions/${SUB_A}/resourceGroups/rg/providers/Microsoft.Network/networkManagers/nm/connectivityConfigurations/mesh`,
    name: 'mesh',
    type: 'Microsoft.Network/networkManagers/connectivityConfigurations',
    properties: { connectivityTopology: 'Mesh', appliesToGroups },
  });
  const tableWith = (edit: (p: Props) => void): RawResource => {
    const raw = routeTable('rt-x', SUB_A, 'rg', [{ name: 'r1', prefix: '0.0.0.0/0', nextHopIp: '10.0.2.4' }]);
    edit(raw.properties as Props);
    return raw;
  };

  const cases: Array<{ where: string; resource: (bad: unknown) => RawResource; message: string }> = [
    { where: "a VNet's subnets", resource: (bad) => hubWith({ vnet: (p) => (p.subnets = bad) }), message: 'virtual network "vnet-hub" subnets is not a list' },
    {
      where: "a VNet's virtualNetworkPeerings",
      resource: (bad) => hubWith({ vnet: (p) => (p.virtualNetworkPeerings = bad) }),
      message: 'virtual network "vnet-hub" virtualNetworkPeerings is not a list',
    },
    { where: "a subnet's ipConfigurations", resource: (bad) => hubWith({ subnet: (p) => (p.ipConfigurations = bad) }), message: 'subnet "a" ipConfigurations is not a list' },
    { where: "a route table's routes", resource: (bad) => tableWith((p) => (p.routes = bad)), message: 'route table "rt-x" routes is not a list' },
    { where: "a route table's subnets", resource: (bad) => tableWith((p) => (p.subnets = bad)), message: 'route table "rt-x" subnets is not a list' },
    { where: "a firewall's ipConfigurations", resource: firewall, message: '"fw-hub" ipConfigurations is not a list' },
    { where: "a gateway's ipConfigurations", resource: gateway, message: '"gw-hub" ipConfigurations is not a list' },
    { where: "a Route Server's ipConfigurations", resource: routeServer, message: '"rs-hub" ipConfigurations is not a list' },
    { where: "a connectivity configuration's appliesToGroups", resource: connectivity, message: 'connectivity configuration "mesh" appliesToGroups is not a list' },
  ];
  const notLists: Array<[string, unknown]> = [
    ['an object', { id: 'x' }],
    ['a string', 'x'],
    ['a number', 1],
  ];

  it.each(cases.flatMap((c) => notLists.map(([kind, bad]) => ({ ...c, kind, bad }))))('$where given as $kind is an InputError naming it', ({ resource, bad, message }) => {
    expectInputError(() => build(resource(bad)), message);
  });

  it.each(cases.flatMap((c) => [undefined, null, []].map((empty) => ({ ...c, empty }))))('$where absent ($empty) is an empty list', ({ resource, empty }) => {
    expect(() => build(resource(empty))).not.toThrow();
  });
});

// QA C6: `"allowVirtualNetworkAccess": "false"` (a string) was read as the default, true, and a
// peering-disconnected fix would re-create the link with access on; a remote id "vnet-b" was kept.
describe('peering flags that are not booleans', () => {
  const flags: Array<[string, boolean]> = [
    ['allowVirtualNetworkAccess', true],
    ['allowForwardedTraffic', false],
    ['allowGatewayTransit', false],
    ['useRemoteGateways', false],
    ['peerCompleteVnets', true],
    ['enableOnlyIPv6Peering', false],
  ];
  const wrong: Array<[string, unknown]> = [
    ['a string', 'false'],
    ['a number', 0],
    ['an object', {}],
    ['an array', [true]],
  ];
  /** The flag as the topology's one peering reads it. */
  const read = (flag: string, topology: ReturnType<typeof build>): unknown => ([...topology.peerings.values()][0] as unknown as Record<string, unknown>)[flag];

  it.each(flags.flatMap(([flag]) => wrong.map(([kind, bad]) => ({ flag, kind, bad }))))('$flag given as $kind is an InputError naming the peering and the property', ({ flag, kind, bad }) => {
    const message = `peering "vnet-hub-to-vnet-spoke" properties.${flag} must be a boolean, found ${kind}`;
    expectInputError(() => build(hubWith({ peering: (p) => (p[flag] = bad) })), message);
    expectInputError(() => build(standalonePeering((p) => (p[flag] = bad))), message);
  });

  it.each(flags.flatMap(([flag, fallback]) => [undefined, null].map((value) => ({ flag, fallback, value }))))('$flag absent ($value) is its default, $fallback', ({ flag, fallback, value }) => {
    const topology = build(hubWith({ peering: (p) => (value === undefined ? delete p[flag] : (p[flag] = value)) }));
    expect(read(flag, topology)).toBe(fallback);
  });

  it.each(flags.flatMap(([flag]) => [true, false].map((value) => ({ flag, value }))))('$flag given as $value is read as given', ({ flag, value }) => {
    const topology = build(hubWith({ peering: (p) => (p[flag] = value) }));
    expect(read(flag, topology)).toBe(value);
  });
});

// QA: `"peeringState": 5` was read as "none recorded", so a broken peering was judged as if its
// state were unknown.
describe("a peering's state, sync level and provisioning state", () => {
  const keys = ['peeringState', 'peeringSyncLevel', 'provisioningState'] as const;
  const read = (key: string, value: unknown): unknown =>
    ([...build(hubWith({ peering: (p) => (value === undefined ? delete p[key] : (p[key] = value)) })).peerings.values()][0] as unknown as Record<string, unknown>)[key];

  it.each(keys.flatMap((key) => [['a number', 5], ['a boolean', true], ['an object', {}]].map(([kind, bad]) => ({ key, kind, bad }))))(
    '$key given as $kind is an InputError naming the peering and the property',
    ({ key, kind, bad }) => {
      const message = `peering "vnet-hub-to-vnet-spoke" properties.${key} must be a string, found ${kind}`;
      expectInputError(() => build(hubWith({ peering: (p) => (p[key] = bad) })), message);
      expectInputError(() => build(standalonePeering((p) => (p[key] = bad))), message);
    },
  );

  it('absent, null or empty is none recorded; a known value in another casing is read in Azure\'s; one the REST spec does not list is kept (its enums are extensible)', () => {
    expect([undefined, null, ''].map((value) => read('peeringState', value))).toEqual([undefined, undefined, undefined]);
    expect([read('peeringState', 'disconnected'), read('peeringSyncLevel', 'REMOTENOTINSYNC'), read('provisioningState', 'failed')]).toEqual(['Disconnected', 'RemoteNotInSync', 'Failed']);
    expect(read('peeringState', 'Reconnecting')).toBe('Reconnecting');
  });
});

describe('a peering remote id that is not an Azure resource id', () => {
  it.each(['vnet-spoke', 'virtualNetworks/vnet-spoke', ' ', 'https://management.azure.com/subscriptions/x'])('"%s" is an InputError naming the peering and the id', (id) => {
    const message = `peering "vnet-hub-to-vnet-spoke" properties.remoteVirtualNetwork.id is not an Azure resource id: "${id}"`;
    expectInputError(() => build(hubWith({ peering: (p) => (p.remoteVirtualNetwork = { id }) })), message);
    expectInputError(() => build(standalonePeering((p) => (p.remoteVirtualNetwork = { id }))), message);
  });

  it('an id in any case, a classic VNet, or a second peering to the same remote is read', () => {
    const classic = `/subscriptions/${SUB_B}/resourceGroups/rg/providers/Microsoft.ClassicNetwork/virtualNetworks/vnet-old`;
    for (const id of [spoke.toUpperCase(), ` ${spoke}`, classic]) {
      const second = { ...standalonePeering((p) => (p.remoteVirtualNetwork = { id })), id: `${hub}/virtualNetworkPeerings/second`, name: 'second' };
      const topology = build(hubWith({ peering: (p) => (p.remoteVirtualNetwork = { id }) }), second);
      expect([...topology.peerings.values()].map((p) => p.remoteVnetId)).toEqual([id, id]);
    }
  });
});

describe("a route table's disableBgpRoutePropagation", () => {
  const table = (value: unknown) => {
    const t = routeTable('rt-app', SUB_A, 'rg', []);
    (t.properties as Record<string, unknown>).disableBgpRoutePropagation = value;
    return t;
  };
  const read = (value: unknown) => [...build(vnet({ id: hub, prefixes: ['10.0.0.0/16'] }), table(value)).routeTables.values()][0]?.disableBgpRoutePropagation;

  it.each([
    ['a string', 'true'],
    ['a number', 1],
  ])('given as %s is an InputError naming the table (read as false, a spoke would learn the routes it does not)', (kind, value) => {
    expectInputError(() => read(value), `route table "rt-app" properties.disableBgpRoutePropagation must be a boolean, found ${kind}`);
  });

  it('absent or null is false, a boolean is read as given', () => {
    expect([read(undefined), read(null), read(true), read(false)]).toEqual([false, false, true, false]);
  });
});
