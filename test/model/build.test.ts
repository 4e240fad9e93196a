import { describe, expect, it } from 'vitest';
import { buildTopology } from '../../src/model/build';
import { keyOf, type ResourceKey } from '../../src/model/ids';
import type { RawResource } from '../../src/model/snapshot';
import {
  SUB_A,
  SUB_B,
  SUB_C,
  firewall,
  gateway,
  nva,
  peeringResource,
  routeServer,
  routeTable,
  topologyOf,
  vnet,
  vnetId,
} from '../support/estate';

const hub = vnetId('vnet-hub', SUB_A);
const spoke = vnetId('vnet-spoke', SUB_B);

describe('buildTopology', () => {
  it('joins embedded peerings into pairs case-insensitively', () => {
    const t = topologyOf([
      vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/') }] }),
      vnet({ id: spoke, prefixes: ['10.1.0.0/16', 'fd00:1::/48'], peerings: [{ remote: hub }] }),
    ]);
    const hubToSpoke = t.vnets.get(keyOf(hub))?.peerings[0];
    expect(hubToSpoke).toBeDefined();
    expect(t.reverseOf(hubToSpoke!)?.vnetId).toBe(spoke);
    expect(t.peeringBetween(keyOf(spoke), keyOf(hub))?.name).toBe('vnet-spoke-to-vnet-hub');
    expect(t.vnets.get(keyOf(spoke))?.prefixes.map((p) => p.version)).toEqual([4, 6]);
    expect([...t.subscriptions].sort()).toEqual([SUB_A, SUB_B]);
  });

  it('reads standalone peerings (az network vnet peering list), without type, and derives the VNet', () => {
    const standalone = peeringResource(hub, { remote: spoke, state: 'Initiated' });
    delete standalone.type;
    const t = topologyOf([standalone]);
    expect(t.vnets.get(keyOf(hub))?.peerings.map((p) => p.name)).toEqual(['vnet-hub-to-vnet-spoke']);
    expect([...t.peerings.values()][0]?.vnet).toBe(t.vnets.get(keyOf(hub)));
    // Only SUB_A was read: a VNet there that is absent is missing, the spoke in SUB_B is out of scope.
    expect(t.isInScope(keyOf(vnetId('other', SUB_A)))).toBe(true);
    expect(t.isInScope(keyOf(spoke))).toBe(false);
    // A classic VNet is never read, so never in scope, even in a subscription that was.
    const classic = `/subscriptions/${SUB_A}/resourceGroups/rg-classic/providers/Microsoft.ClassicNetwork/virtualNetworks/vnet-classic`;
    expect(t.isInScope(keyOf(classic))).toBe(false);
  });

  const FLAGS = ['allowVirtualNetworkAccess', 'allowForwardedTraffic', 'allowGatewayTransit', 'useRemoteGateways', 'peerCompleteVnets', 'enableOnlyIPv6Peering'] as const;

  it.each(FLAGS.flatMap((flag) => [true, false].map((value) => ({ flag, value }))))('reads $flag: $value as written, whatever the other flags say', ({ flag, value }) => {
    // The other flags the opposite way: a flag read from a neighbour's bit would show.
    const properties: Record<string, unknown> = { remoteVirtualNetwork: { id: spoke } };
    for (const other of FLAGS) properties[other] = other === flag ? value : !value;
    const t = topologyOf([peeringResource(hub, { remote: spoke }), vnet({ id: spoke, prefixes: ['10.1.0.0/16'] })].map((r, i) => (i === 0 ? { ...r, properties } : r)));
    const peering = [...t.peerings.values()][0]!;
    for (const other of FLAGS) expect(peering[other], other).toBe(other === flag ? value : !value);
    expect(peering.remoteInScope).toBe(true);
  });

  it('defaults an absent allowVirtualNetworkAccess and peerCompleteVnets to true, the other flags to false', () => {
    const t = topologyOf([{ ...peeringResource(hub, { remote: spoke }), properties: { remoteVirtualNetwork: { id: spoke } } }]);
    const peering = [...t.peerings.values()][0]!;
    expect(FLAGS.map((flag) => peering[flag])).toEqual([true, false, false, false, true, false]);
    expect(peering.remoteInScope).toBe(false); // SUB_B, the spoke's subscription, was not read
    expect(peering.writable).toEqual({ allowVirtualNetworkAccess: true, allowForwardedTraffic: false, allowGatewayTransit: false, useRemoteGateways: false, remoteVirtualNetwork: { id: spoke } });
  });

  it('records every subscription read, in any order and however the ids spell /subscriptions/', () => {
    const shouting = vnet({ id: vnetId('loud', SUB_C).replace('/subscriptions/', '/SUBSCRIPTIONS/'), prefixes: ['10.9.0.0/16'] });
    const resources = [vnet({ id: hub, prefixes: ['10.0.0.0/16'] }), vnet({ id: spoke, prefixes: ['10.1.0.0/16'] }), vnet({ id: vnetId('other', SUB_A), prefixes: ['10.2.0.0/16'] }), shouting];
    expect([...topologyOf(resources).subscriptions].sort()).toEqual([SUB_A, SUB_B, SUB_C]);
  });

  it('does not double a peering present both embedded and standalone, and reads type names in any case', () => {
    const embedded = vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke }] });
    embedded.type = 'microsoft.network/virtualnetworks';
    const t = topologyOf([embedded, peeringResource(hub, { remote: spoke })]);
    expect(t.peerings.size).toBe(1);
  });

  it('attaches gateways, Route Servers, firewalls and NVAs to their VNets', () => {
    const t = topologyOf([
      vnet({
        id: hub,
        prefixes: ['10.0.0.0/16'],
        subnets: [
          { name: 'GatewaySubnet', prefix: '10.0.0.0/27' },
          { name: 'RouteServerSubnet', prefix: '10.0.1.0/27' },
          { name: 'AzureFirewallSubnet', prefix: '10.0.2.0/26' },
          { name: 'nva', prefix: '10.0.3.0/24' },
        ],
      }),
      gateway('gw-hub', hub, { type: 'ExpressRoute', sku: 'ErGw1AZ' }),
      routeServer('rs-hub', hub),
      firewall('fw-hub', hub, '10.0.2.4'),
      nva('nic-nva', hub, 'nva', '10.0.3.4'),
      nva('nic-plain', hub, 'nva', '10.0.3.5', false),
    ]);
    const v = t.vnets.get(keyOf(hub))!;
    expect(v.gateways.map((g) => [g.name, g.kind, g.sku])).toEqual([
      ['gw-hub', 'ExpressRoute', 'ErGw1AZ'],
      ['rs-hub', 'RouteServer', undefined],
    ]);
    expect(v.appliances.map((a) => [a.name, a.kind])).toEqual([
      ['fw-hub', 'AzureFirewall'],
      ['nic-nva', 'NetworkVirtualAppliance'],
    ]);
  });

  it('knows of a gateway from the GatewaySubnet ipConfigurations even when the gateway was not exported', () => {
    const gwConfig = `/subscriptions/${SUB_A}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworkGateways/gw/ipConfigurations/default`;
    const t = topologyOf([vnet({ id: hub, prefixes: ['10.0.0.0/16'], subnets: [{ name: 'GatewaySubnet', prefix: '10.0.0.0/27', ipConfigurations: [gwConfig] }] })]);
    expect(t.vnets.get(keyOf(hub))?.gateways.map((g) => g.kind)).toEqual(['Unknown']);
  });

  it('associates route tables from either side of the association', () => {
    const rt1 = routeTable('rt-from-subnet', SUB_B, 'rg', [{ prefix: '0.0.0.0/0', nextHopIp: '10.0.2.4' }]);
    const rt2 = routeTable('rt-from-table', SUB_B, 'rg', [{ prefix: '10.2.0.0/16', nextHopType: 'None' }], [`${spoke}/subnets/b`]);
    const t = topologyOf([
      vnet({ id: spoke, prefixes: ['10.1.0.0/16'], subnets: [{ name: 'a', prefix: '10.1.0.0/24', routeTable: rt1.id }, { name: 'b', prefix: '10.1.1.0/24' }] }),
      rt1,
      rt2,
    ]);
    expect(t.vnets.get(keyOf(spoke))?.routeTables.map((r) => r.name).sort()).toEqual(['rt-from-subnet', 'rt-from-table']);
    const route = t.routeTables.get(keyOf(rt1.id))?.routes[0];
    expect(route?.nextHopType).toBe('VirtualAppliance');
    expect(route?.nextHopIp?.text).toBe('10.0.2.4');
  });

  it("reads a route table's disableBgpRoutePropagation (absent: propagation on)", () => {
    const off = { ...routeTable('rt-no-bgp', SUB_B, 'rg', []), properties: { routes: [], disableBgpRoutePropagation: true } };
    const on = routeTable('rt-bgp', SUB_B, 'rg', []);
    const t = topologyOf([vnet({ id: spoke, prefixes: ['10.1.0.0/16'] }), off, on]);
    expect(t.routeTables.get(keyOf(off.id))?.disableBgpRoutePropagation).toBe(true);
    expect(t.routeTables.get(keyOf(on.id))?.disableBgpRoutePropagation).toBe(false);
  });

  it('reads Azure Virtual Network Manager mesh membership', () => {
    const manager = `/subscriptions/${SUB_A}/resourceGroups/rg/providers/Microsoft.Network/networkManagers/avnm`;
    const group = `${manager}/networkGroups/prod`;
    const resources: RawResource[] = [
      vnet({ id: hub, prefixes: ['10.0.0.0/16'] }),
      vnet({ id: spoke, prefixes: ['10.1.0.0/16'] }),
      {
        id: `${manager}/connectivityConfigurations/mesh`,
        type: 'Microsoft.Network/networkManagers/connectivityConfigurations',
        properties: { connectivityTopology: 'Mesh', appliesToGroups: [{ networkGroupId: group }] },
      },
      { id: `${group}/staticMembers/a`, properties: { resourceId: hub } },
      { id: `${group}/staticMembers/b`, properties: { resourceId: spoke.toLowerCase() } },
    ];
    const t = topologyOf(resources);
    const groupKey = t.vnets.get(keyOf(hub))?.meshGroupKeys[0];
    expect(groupKey).toBe(`${keyOf(group)}@westeurope`);
    expect(t.vnets.get(keyOf(spoke))?.meshGroupKeys).toEqual([groupKey]);
    expect(t.meshMembers(groupKey!)).toEqual([keyOf(hub), keyOf(spoke)]);
  });

  describe('AVNM connectivity across regions', () => {
    const manager = `/subscriptions/${SUB_A}/resourceGroups/rg/providers/Microsoft.Network/networkManagers/avnm`;
    const group = `${manager}/networkGroups/spokes`;
    const weu = vnetId('vnet-weu', SUB_B);
    const weu2 = vnetId('vnet-weu2', SUB_B);
    const use = vnetId('vnet-use', SUB_B);
    const nowhere = vnetId('vnet-nowhere', SUB_B);
    const unread = vnetId('vnet-unread', SUB_C);
    const configuration = (properties: Record<string, unknown>): RawResource => ({
      id: `${manager}/connectivityConfigurations/cc`,
      type: 'Microsoft.Network/networkManagers/connectivityConfigurations',
      properties,
    });
    const estate = (config: RawResource): RawResource[] => [
      vnet({ id: weu, prefixes: ['10.1.0.0/16'], location: 'westeurope' }),
      // A display name as some exports write the location: the same region as `westeurope`.
      vnet({ id: weu2, prefixes: ['10.2.0.0/16'], location: 'West Europe' }),
      vnet({ id: use, prefixes: ['10.3.0.0/16'], location: 'eastus' }),
      { ...vnet({ id: nowhere, prefixes: ['10.4.0.0/16'] }), location: undefined },
      config,
      ...[weu, weu2, use, nowhere, unread].map((id, i) => ({ id: `${group}/staticMembers/m${i}`, properties: { resourceId: id } })),
    ];
    const keysOf = (t: ReturnType<typeof topologyOf>, id: string) => t.vnets.get(keyOf(id))?.meshGroupKeys;
    const regional = `${keyOf(group)}@westeurope` as ResourceKey;

    it('a regional mesh (the default, isGlobal "False") connects only the members of one region; a member of unknown region none', () => {
      for (const isGlobal of [undefined, 'False']) {
        const t = topologyOf(estate(configuration({ connectivityTopology: 'Mesh', isGlobal, appliesToGroups: [{ networkGroupId: group, isGlobal }] })));
        expect([keysOf(t, weu), keysOf(t, weu2), keysOf(t, use), keysOf(t, nowhere)]).toEqual([[regional], [regional], [`${keyOf(group)}@eastus`], []]);
        expect(t.meshMembers(regional)).toEqual([keyOf(weu), keyOf(weu2)]);
        expect(t.meshMembers(`${keyOf(group)}@eastus` as ResourceKey)).toEqual([keyOf(use)]);
        expect(t.meshMembers(keyOf(group))).toEqual([]);
      }
    });

    it('a location that is not a string is no location (no crash, no region)', () => {
      const resources = estate(configuration({ connectivityTopology: 'Mesh', appliesToGroups: [{ networkGroupId: group }] }));
      const odd = resources.map((r) => (r.id === nowhere ? ({ ...r, location: 123 } as unknown as RawResource) : r));
      const t = topologyOf(odd);
      expect(t.vnets.get(keyOf(nowhere))?.location).toBeUndefined();
      expect(keysOf(t, nowhere)).toEqual([]);
    });

    it('directly connected spokes of a hub-and-spoke configuration are regional too', () => {
      const t = topologyOf(
        estate(configuration({ connectivityTopology: 'HubAndSpoke', hubs: [{ resourceId: hub }], appliesToGroups: [{ networkGroupId: group, groupConnectivity: 'DirectlyConnected' }] })),
      );
      expect([keysOf(t, weu), keysOf(t, use)]).toEqual([[regional], [`${keyOf(group)}@eastus`]]);
    });

    it('a global mesh, set on the configuration or on the group item, connects every member under the group key', () => {
      const global = [
        configuration({ connectivityTopology: 'Mesh', isGlobal: 'True', appliesToGroups: [{ networkGroupId: group, isGlobal: 'False' }] }),
        configuration({ connectivityTopology: 'HubAndSpoke', appliesToGroups: [{ networkGroupId: group, groupConnectivity: 'DirectlyConnected', isGlobal: 'True' }] }),
      ];
      for (const config of global) {
        const t = topologyOf(estate(config));
        for (const id of [weu, weu2, use, nowhere]) expect(keysOf(t, id)).toEqual([keyOf(group)]);
        expect(t.meshMembers(keyOf(group))).toEqual([weu, weu2, use, nowhere, unread].map(keyOf));
      }
    });

    it('a group in a regional and a global configuration is global', () => {
      const regionalConfig = configuration({ connectivityTopology: 'Mesh', appliesToGroups: [{ networkGroupId: group }] });
      const globalConfig = { ...configuration({ connectivityTopology: 'Mesh', isGlobal: 'True', appliesToGroups: [{ networkGroupId: group }] }), id: `${manager}/connectivityConfigurations/cc-global` };
      for (const configs of [[regionalConfig, globalConfig], [globalConfig, regionalConfig]]) {
        const t = topologyOf([...estate(configs[0]!), configs[1]!]);
        expect([keysOf(t, weu), keysOf(t, use)]).toEqual([[keyOf(group)], [keyOf(group)]]);
      }
    });
  });

  it('marks the hubs of AVNM hub-and-spoke configurations (hubs[].resourceId), and only them', () => {
    const manager = `/subscriptions/${SUB_A}/resourceGroups/rg/providers/Microsoft.Network/networkManagers/avnm`;
    const t = topologyOf([
      vnet({ id: hub, prefixes: ['10.0.0.0/16'] }),
      vnet({ id: spoke, prefixes: ['10.1.0.0/16'] }),
      {
        id: `${manager}/connectivityConfigurations/cc-hub`,
        type: 'Microsoft.Network/networkManagers/connectivityConfigurations',
        properties: {
          connectivityTopology: 'HubAndSpoke',
          hubs: [{ resourceId: hub.toLowerCase(), resourceType: 'Microsoft.Network/virtualNetworks' }],
          appliesToGroups: [{ networkGroupId: `${manager}/networkGroups/spokes`, groupConnectivity: 'None' }],
        },
      },
    ]);
    expect([t.vnets.get(keyOf(hub))?.avnmHub, t.vnets.get(keyOf(spoke))?.avnmHub]).toEqual([true, false]);
  });

  it('ignores unknown resource types', () => {
    const t = topologyOf([{ id: `/subscriptions/${SUB_A}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa`, type: 'Microsoft.Storage/storageAccounts' }]);
    expect(t.vnets.size).toBe(0);
    expect(t.subscriptions.has(SUB_A)).toBe(true);
  });

  it('names the source of malformed peerings and prefixes', () => {
    const noRemote = vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke }] });
    const p = (noRemote.properties as { virtualNetworkPeerings: Array<{ properties: Record<string, unknown> }> }).virtualNetworkPeerings[0]!;
    delete p.properties.remoteVirtualNetwork;
    expect(() => buildTopology([{ resource: noRemote, source: 'estate.json at [3]' }])).toThrow(
      'estate.json at [3]: peering "vnet-hub-to-vnet-spoke" has no properties.remoteVirtualNetwork.id',
    );
    expect(() => buildTopology([{ resource: vnet({ id: hub, prefixes: ['10.0.0.0/40'] }), source: 'e.json at [0]' }])).toThrow(
      'e.json at [0]: virtual network "vnet-hub" addressSpace has an invalid address prefix "10.0.0.0/40"',
    );
  });

  it("keeps a VNet's first read when it is read again (overlapping exports, a row paged twice)", () => {
    const first = { ...vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke }] }), location: 'westeurope', tags: { team: 'net' } };
    const again = { ...vnet({ id: hub.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/'), prefixes: ['10.0.0.0/16'], peerings: [{ remote: vnetId('other', SUB_B) }] }), location: 'northeurope', tags: {} };
    const read = topologyOf([first, again]).vnets.get(keyOf(hub));
    expect([read?.id, read?.location, read?.tags]).toEqual([hub, 'westeurope', { team: 'net' }]);
    expect(read?.peerings.map((p) => p.remoteVnetId)).toEqual([spoke, vnetId('other', SUB_B)]);
  });

  it("fills a VNet's space and location from a later read when its first read had none; the rest stays the first's", () => {
    const projection: RawResource = { id: hub, name: 'vnet-hub', type: 'Microsoft.Network/virtualNetworks', tags: { team: 'net' } };
    const full = { ...vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke }] }), location: 'northeurope', tags: {} };
    const read = topologyOf([projection, full]).vnets.get(keyOf(hub));
    expect([read?.prefixes.map((p) => p.text), read?.location, read?.tags]).toEqual([['10.0.0.0/16'], 'northeurope', { team: 'net' }]);
    expect(read?.peerings.map((p) => p.remoteVnetId)).toEqual([spoke]);

    const empty = { ...vnet({ id: hub, prefixes: [] }), location: 'westeurope' };
    const filled = topologyOf([empty, full, { ...full, location: 'eastus' }]).vnets.get(keyOf(hub));
    expect([filled?.prefixes.map((p) => p.text), filled?.location]).toEqual([['10.0.0.0/16'], 'westeurope']);
  });

  it('keeps the first of a peering read twice, whatever the casing, in small and large VNets', () => {
    const spokes = Array.from({ length: 20 }, (_, i) => vnetId(`spoke-${i}`, SUB_B));
    const bigHub = vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: spokes.map((s) => ({ remote: s })) });
    const small = vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub }, { remote: spokes[0] as string }] });
    // The same VNets again (another file), ids upper-cased and one peering Initiated: the first read wins.
    const again = (raw: RawResource): RawResource => {
      const copy = structuredClone(raw);
      const list = (copy.properties as { virtualNetworkPeerings: RawResource[] }).virtualNetworkPeerings;
      for (const p of list) p.id = p.id.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/');
      (list[0]?.properties as { peeringState: string }).peeringState = 'Initiated';
      return copy;
    };
    const standalone = peeringResource(spoke, { remote: hub, state: 'Disconnected' });
    standalone.id = `${standalone.id}/`; // a trailing slash: the same key
    const t = topologyOf([bigHub, small, again(bigHub), again(small), standalone]);
    expect(t.peerings.size).toBe(22);
    expect(t.vnets.get(keyOf(hub))?.peerings.map((p) => p.remoteVnetId)).toEqual(spokes);
    expect(t.vnets.get(keyOf(spoke))?.peerings.map((p) => [p.remoteVnetId, p.peeringState])).toEqual([
      [hub, 'Connected'],
      [spokes[0], 'Connected'],
    ]);
    const hubToFirst = t.vnets.get(keyOf(hub))?.peerings[0];
    expect(t.peerings.get(keyOf(hubToFirst?.id ?? ''))).toBe(hubToFirst);
    expect([...t.peerings.keys()]).toEqual([...t.peerings.values()].map((p) => keyOf(p.id)));
  });

  it('keeps the first read of a peering or subnet whichever form came first: standalone (az ... peering list) or inline', () => {
    const spokes = Array.from({ length: 20 }, (_, i) => vnetId(`spoke-${i}`, SUB_B));
    const withSubnet = (raw: RawResource, prefix: string): RawResource => {
      const copy = structuredClone(raw);
      (copy.properties as { subnets: RawResource[] }).subnets = [{ id: `${raw.id}/subnets/app`, name: 'app', properties: { addressPrefix: prefix } } as RawResource];
      return copy;
    };
    const bigHub = withSubnet(vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: spokes.map((s) => ({ remote: s })) }), '10.0.1.0/24');
    const small = withSubnet(vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub }] }), '10.1.1.0/24');
    // Read first, standalone: the peering Disconnected, the subnet with another prefix.
    const peerings = [peeringResource(hub, { remote: spokes[3] as string, state: 'Disconnected' }), peeringResource(spoke, { remote: hub, state: 'Disconnected' })];
    const subnets = [hub, spoke].map((id) => ({ id: `${id}/subnets/app`, name: 'app', type: 'Microsoft.Network/virtualNetworks/subnets', properties: { addressPrefix: id === hub ? '10.0.5.0/24' : '10.1.5.0/24' } }) as RawResource);
    const stateOf = (t: ReturnType<typeof topologyOf>, from: string, to: string) => t.vnets.get(keyOf(from))?.peerings.filter((p) => p.remoteVnetKey === keyOf(to)).map((p) => p.peeringState);
    const subnetOf = (t: ReturnType<typeof topologyOf>, id: string) => t.vnets.get(keyOf(id))?.subnets.map((s) => s.prefixes.map((p) => p.text).join());
    const standaloneFirst = topologyOf([...peerings, ...subnets, bigHub, small]);
    expect(stateOf(standaloneFirst, hub, spokes[3] as string)).toEqual(['Disconnected']);
    expect(stateOf(standaloneFirst, spoke, hub)).toEqual(['Disconnected']);
    expect([subnetOf(standaloneFirst, hub), subnetOf(standaloneFirst, spoke)]).toEqual([['10.0.5.0/24'], ['10.1.5.0/24']]);
    expect(standaloneFirst.peerings.size).toBe(21);
    const inlineFirst = topologyOf([bigHub, small, ...peerings, ...subnets]);
    expect(stateOf(inlineFirst, hub, spokes[3] as string)).toEqual(['Connected']);
    expect(stateOf(inlineFirst, spoke, hub)).toEqual(['Connected']);
    expect([subnetOf(inlineFirst, hub), subnetOf(inlineFirst, spoke)]).toEqual([['10.0.1.0/24'], ['10.1.1.0/24']]);
  });

  it('holds no VNet when no VNet and no peering was read (a subnet list alone), and the VNets a peering list names', () => {
    const subnet = { id: `${hub}/subnets/app`, name: 'app', type: 'Microsoft.Network/virtualNetworks/subnets', properties: { addressPrefix: '10.0.1.0/24' } } as RawResource;
    const alone = topologyOf([subnet], [SUB_A]);
    expect([alone.vnets.size, [...alone.subscriptions]]).toEqual([0, [SUB_A]]);
    const withPeering = topologyOf([subnet, peeringResource(hub, { remote: spoke })]);
    expect([...withPeering.vnets.keys()]).toEqual([keyOf(hub)]);
    expect(withPeering.vnets.get(keyOf(hub))?.subnets.map((s) => s.name)).toEqual(['app']);
  });

  it("keeps each peering's recorded remote space, sharing the parse of equal ones", () => {
    const spokes = ['a', 'b', 'c'].map((n) => vnetId(`spoke-${n}`, SUB_B));
    const toHub = (space: string[], current: string[] = space) => ({ remote: hub, remoteAddressSpace: space, remoteVirtualNetworkAddressSpace: current });
    const t = topologyOf([
      vnet({ id: spokes[0] as string, prefixes: ['10.1.0.0/24'], peerings: [toHub(['10.0.0.0/16'])] }),
      vnet({ id: spokes[1] as string, prefixes: ['10.2.0.0/24'], peerings: [toHub(['10.0.0.0/16'], ['10.0.0.0/16', '10.9.0.0/16'])] }),
      vnet({ id: spokes[2] as string, prefixes: ['10.3.0.0/24'], peerings: [toHub(['10.0.0.0/16'])] }),
    ]);
    const [a, b, c] = spokes.map((s) => t.vnets.get(keyOf(s))?.peerings[0]);
    const texts = (space: readonly { text: string }[] | undefined) => space?.map((p) => p.text);
    expect([a, b, c].map((p) => texts(p?.remoteAddressSpace))).toEqual([['10.0.0.0/16'], ['10.0.0.0/16'], ['10.0.0.0/16']]);
    expect([a, b, c].map((p) => texts(p?.remoteVirtualNetworkAddressSpace))).toEqual([['10.0.0.0/16'], ['10.0.0.0/16', '10.9.0.0/16'], ['10.0.0.0/16']]);
    expect(a?.remoteVirtualNetworkAddressSpace).toBe(a?.remoteAddressSpace);
  });

  it('builds a VNet with hundreds of peerings in linear time', () => {
    const spokes = Array.from({ length: 400 }, (_, i) => vnetId(`spoke-${i}`, SUB_B));
    const t = topologyOf([
      vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: spokes.map((s) => ({ remote: s })) }),
      ...spokes.map((s, i) => vnet({ id: s, prefixes: [`10.${1 + (i >> 8)}.${i & 255}.0/24`], peerings: [{ remote: hub }] })),
    ]);
    expect(t.vnets.get(keyOf(hub))?.peerings).toHaveLength(400);
    for (const p of t.vnets.get(keyOf(hub))!.peerings) expect(t.reverseOf(p)).toBeDefined();
  });
});
