import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTopology } from '../../src/model/build';
import { keyOf } from '../../src/model/ids';
import { resourcesFromDocument, type RawResource, type SourcedResource } from '../../src/model/snapshot';
import type { Topology } from '../../src/model/types';
import { RULES } from '../../src/rules';
import { NETWORK_API_VERSION } from '../../src/rules/describe';
import { DEFAULT_RULE_OPTIONS, type FindingDraft } from '../../src/rules/rule';

// Microsoft's own REST examples (Microsoft.Network spec, "VirtualNetworkPeeringGet*"): standalone
// peering objects without "type", in subscription "subid", whose remote VNet "vnet2" is absent.

const DIR = path.resolve(__dirname, '../../../shared/fixtures/arm');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();

const VNET1 = '/subscriptions/subid/resourceGroups/peerTest/providers/Microsoft.Network/virtualNetworks/vnet1';
const VNET2 = '/subscriptions/subid/resourceGroups/peerTest/providers/Microsoft.Network/virtualNetworks/vnet2';
const PEER = `${VNET1}/virtualNetworkPeerings/peer`;

function load(file: string): SourcedResource[] {
  return resourcesFromDocument(JSON.parse(readFileSync(path.join(DIR, file), 'utf8')), file);
}

function topologyOf(file: string, extra: RawResource[] = []): Topology {
  return buildTopology([...load(file), ...extra.map((resource, i) => ({ resource, source: `extra[${i}]` }))]);
}

interface RuleFinding extends FindingDraft {
  ruleId: string;
}

/** Every rule of the catalog, as the audit runs them. */
function audit(topology: Topology): RuleFinding[] {
  return RULES.flatMap((rule) => rule.evaluate(topology, DEFAULT_RULE_OPTIONS).map((f) => ({ ...f, ruleId: rule.meta.id })));
}

const lifecycle = new Set(RULES.filter((r) => r.meta.category === 'peering-lifecycle').map((r) => r.meta.id));
const lifecycleFindings = (topology: Topology) =>
  audit(topology)
    .filter((f) => lifecycle.has(f.ruleId))
    .map((f) => `${f.ruleId} ${f.resourceId}`)
    .sort();

function vnet2(prefixes: string[], subnets: Array<{ name: string; prefix: string }> = []): RawResource {
  return {
    id: VNET2,
    name: 'vnet2',
    type: 'Microsoft.Network/virtualNetworks',
    location: 'westus',
    properties: {
      addressSpace: { addressPrefixes: prefixes },
      subnets: subnets.map((s) => ({ id: `${VNET2}/subnets/${s.name}`, name: s.name, properties: { addressPrefix: s.prefix } })),
    },
  };
}

describe('Microsoft REST examples of peerings', () => {
  it('are all here: the three VirtualNetworkPeeringGet examples', () => {
    expect(FILES).toEqual([
      'VirtualNetworkPeeringGet.json',
      'VirtualNetworkPeeringGetWithRemoteVirtualNetworkEncryption.json',
      'VirtualNetworkSubnetPeeringGet.json',
    ]);
  });

  for (const file of FILES) {
    describe(file, () => {
      it('parses as a standalone peering whose type is inferred from the id', () => {
        const resources = load(file);
        expect(resources).toHaveLength(1);
        expect(resources[0]?.resource.type).toBeUndefined();
        const topology = topologyOf(file);
        expect([...topology.peerings.values()].map((p) => p.id)).toEqual([PEER]);
        expect([...topology.vnets.values()].map((v) => v.id)).toEqual([VNET1]);
        expect([...topology.subscriptions]).toEqual(['subid']);
        const peering = topology.peerings.get(keyOf(PEER));
        expect(peering).toMatchObject({
          name: 'peer',
          vnetId: VNET1,
          remoteVnetId: VNET2,
          remoteSubscriptionId: 'subid',
          peeringState: 'Initiated',
          provisioningState: 'Succeeded',
          allowVirtualNetworkAccess: true,
          allowForwardedTraffic: true,
          allowGatewayTransit: false,
          useRemoteGateways: false,
        });
      });

      it('runs the whole catalog; vnet2 is absent from the subscription that was read, so the peering is an orphan', () => {
        const topology = topologyOf(file);
        expect(topology.isInScope(keyOf(VNET2))).toBe(true);
        expect(lifecycleFindings(topology)).toEqual([`peering-remote-vnet-missing ${PEER}`]);
        const [missing] = audit(topology).filter((f) => f.ruleId === 'peering-remote-vnet-missing');
        expect(missing?.message).toContain('"vnet2"');
        // Microsoft's example peering is Initiated: an unproven orphan, so no DELETE is proposed.
        expect(missing?.fix ?? undefined).toBeUndefined();
      });

      it('with vnet2 added but no peering back, the peering is one-sided and the fix creates the reverse', () => {
        const topology = topologyOf(file, [vnet2(['12.0.0.0/8', '2001:2001::/64'], [{ name: 'subnet2', prefix: '12.0.2.0/24' }])]);
        const findings = audit(topology);
        const ids = lifecycleFindings(topology);
        expect(ids).toContain(`peering-one-sided ${PEER}`);
        expect(ids).not.toContain(`peering-remote-vnet-missing ${PEER}`);
        const oneSided = findings.find((f) => f.ruleId === 'peering-one-sided');
        expect(oneSided?.fix?.operations).toHaveLength(1);
        expect(oneSided?.fix?.operations[0]).toMatchObject({ method: 'PUT', resourceId: `${VNET2}/virtualNetworkPeerings/vnet2-to-vnet1` });
        expect(oneSided?.fix?.operations[0]?.body).toMatchObject({
          properties: { allowVirtualNetworkAccess: true, allowForwardedTraffic: true, remoteVirtualNetwork: { id: VNET1 } },
        });
      });
    });
  }

  describe('VirtualNetworkPeeringGet.json', () => {
    const file = 'VirtualNetworkPeeringGet.json';

    it('records the remote space as peered and as it is now, and the sync level', () => {
      const peering = [...topologyOf(file).peerings.values()][0];
      expect(peering?.peeringSyncLevel).toBe('FullyInSync');
      expect(peering?.peerCompleteVnets).toBe(true);
      expect(peering?.remoteAddressSpace?.map((p) => p.text)).toEqual(['12.0.0.0/8']);
      expect(peering?.remoteVirtualNetworkAddressSpace?.map((p) => p.text)).toEqual(['12.0.0.0/8']);
    });

    it('with vnet2 read holding the same space: one-sided only; with a range added to vnet2: also out of sync', () => {
      expect(lifecycleFindings(topologyOf(file, [vnet2(['12.0.0.0/8'])]))).toEqual([`peering-one-sided ${PEER}`]);
      const grown = topologyOf(file, [vnet2(['12.0.0.0/8', '13.0.0.0/16'])]);
      expect(lifecycleFindings(grown)).toEqual([`peering-address-space-out-of-sync ${PEER}`, `peering-one-sided ${PEER}`].sort());
      const sync = audit(grown).find((f) => f.ruleId === 'peering-address-space-out-of-sync');
      expect(sync?.message).toContain('not yet peered: 13.0.0.0/16');
      expect(sync?.fix?.operations).toEqual([
        {
          method: 'PUT',
          resourceId: PEER,
          apiVersion: NETWORK_API_VERSION,
          query: { syncRemoteAddressSpace: 'true' },
          body: {
            properties: {
              allowVirtualNetworkAccess: true,
              allowForwardedTraffic: true,
              allowGatewayTransit: false,
              useRemoteGateways: false,
              remoteVirtualNetwork: { id: VNET2 },
            },
          },
        },
      ]);
    });
  });

  describe('VirtualNetworkPeeringGetWithRemoteVirtualNetworkEncryption.json', () => {
    it('lacks the sync level and the current remote space: both stay unknown, nothing is out of sync', () => {
      const file = 'VirtualNetworkPeeringGetWithRemoteVirtualNetworkEncryption.json';
      const peering = [...topologyOf(file).peerings.values()][0];
      expect(peering?.peeringSyncLevel).toBeUndefined();
      expect(peering?.remoteVirtualNetworkAddressSpace).toBeUndefined();
      expect(peering?.remoteAddressSpace?.map((p) => p.text)).toEqual(['12.0.0.0/8']);
      expect(lifecycleFindings(topologyOf(file, [vnet2(['12.0.0.0/8'])]))).toEqual([`peering-one-sided ${PEER}`]);
    });
  });

  describe('VirtualNetworkSubnetPeeringGet.json', () => {
    const file = 'VirtualNetworkSubnetPeeringGet.json';

    it('is a subnet peering with IPv4 and IPv6 spaces; the local VNet takes its space from the peering', () => {
      const topology = topologyOf(file);
      const peering = [...topology.peerings.values()][0];
      expect(peering).toMatchObject({
        peerCompleteVnets: false,
        localSubnetNames: ['Subnet1'],
        remoteSubnetNames: ['Subnet2'],
        enableOnlyIPv6Peering: false,
        peeringSyncLevel: 'FullyInSync',
      });
      expect(peering?.remoteAddressSpace?.map((p) => [p.text, p.version])).toEqual([
        ['12.0.0.0/8', 4],
        ['2001:2001::/64', 6],
      ]);
      expect(peering?.remoteVirtualNetworkAddressSpace?.map((p) => p.text)).toEqual(['12.0.0.0/8', '2001:2001::/64']);
      expect(topology.vnets.get(keyOf(VNET1))?.prefixes.map((p) => [p.text, p.version])).toEqual([
        ['212.0.0.0/16', 4],
        ['2002:2002::/64', 6],
      ]);
      expect(peering?.writable).toEqual({
        allowVirtualNetworkAccess: true,
        allowForwardedTraffic: true,
        allowGatewayTransit: false,
        useRemoteGateways: false,
        remoteVirtualNetwork: { id: VNET2 },
        peerCompleteVnets: false,
        localSubnetNames: ['Subnet1'],
        remoteSubnetNames: ['Subnet2'],
        enableOnlyIPv6Peering: false,
      });
    });

    it('the reverse the one-sided fix creates swaps the subnet names', () => {
      const topology = topologyOf(file, [vnet2(['12.0.0.0/8', '2001:2001::/64'], [{ name: 'subnet2', prefix: '12.0.2.0/24' }])]);
      const oneSided = audit(topology).find((f) => f.ruleId === 'peering-one-sided');
      expect(oneSided?.fix?.operations[0]?.body).toMatchObject({
        properties: { peerCompleteVnets: false, localSubnetNames: ['Subnet2'], remoteSubnetNames: ['Subnet1'], remoteVirtualNetwork: { id: VNET1 } },
      });
    });

    it('with both VNets read, the peered subnets overlap: subnet names match case-insensitively', () => {
      const vnet1: RawResource = {
        id: VNET1,
        name: 'vnet1',
        type: 'Microsoft.Network/virtualNetworks',
        properties: {
          addressSpace: { addressPrefixes: ['212.0.0.0/16', '2002:2002::/64'] },
          subnets: [
            { id: `${VNET1}/subnets/Subnet1`, name: 'Subnet1', properties: { addressPrefix: '212.0.1.0/24' } },
            { id: `${VNET1}/subnets/Other`, name: 'Other', properties: { addressPrefix: '212.0.9.0/24' } },
          ],
        },
      };
      const topology = topologyOf(file, [
        vnet1,
        vnet2(['212.0.0.0/8'], [
          { name: 'SUBNET2', prefix: '212.0.1.128/25' },
          { name: 'unpeered', prefix: '212.0.9.0/24' },
        ]),
      ]);
      const overlap = audit(topology).filter((f) => f.ruleId === 'peering-address-overlap');
      expect(overlap.map((f) => f.resourceId)).toEqual([PEER]);
      expect(overlap[0]?.message).toContain('212.0.1.0/24 ("vnet1") with 212.0.1.128/25 ("vnet2")');
      expect(overlap[0]?.message).not.toContain('212.0.9.0/24');
    });
  });
});
