import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/engine/config';
import { auditResources } from '../../src/engine/pipeline';
import { readSnapshot } from '../../src/io/snapshot-files';
import { buildTopology } from '../../src/model/build';
import { keyOf } from '../../src/model/ids';
import { resourcesFromDocument, type RawResource } from '../../src/model/snapshot';
import { RULES } from '../../src/rules';

// The Azure CLI prints network resources with their properties flattened to the top level, and the
// child resources listed in them likewise (`az network vnet list`, `vnet show`, `vnet peering list`,
// `route-table show`, `vnet-gateway show`, `firewall show`). Such exports must audit exactly as ARM's.

/** Property names the Azure CLI spells from its Python SDK's attribute names, not as ARM does. */
const AZ_SPELLING: Record<string, string> = { privateIPAddress: 'privateIpAddress', enableIPForwarding: 'enableIpForwarding' };

/** A resource as the Azure CLI prints it: `properties` spread beside the envelope, with `resourceGroup` added, down through child lists. */
function asAzCliPrints(resource: Record<string, unknown>): Record<string, unknown> {
  const { properties, ...envelope } = resource as { properties?: Record<string, unknown> };
  if (!properties) return resource;
  const flat: Record<string, unknown> = { ...envelope, resourceGroup: /\/resourceGroups\/([^/]+)/i.exec(String(resource.id))?.[1] };
  for (const [key, value] of Object.entries(properties)) {
    flat[AZ_SPELLING[key] ?? key] = Array.isArray(value) ? value.map((item) => (typeof item === 'object' && item !== null && 'id' in item ? asAzCliPrints(item as Record<string, unknown>) : item)) : value;
  }
  return flat;
}

const audit = (resources: Array<{ resource: RawResource; source: string }>) =>
  auditResources({ resources, rules: RULES, config: DEFAULT_CONFIG, now: new Date('2026-11-26T00:00:00Z'), version: 'test' }).report;

describe('Azure CLI output (properties flattened)', () => {
  it('audits the example estate exactly as its ARM and Resource Graph form', async () => {
    const arm = await readSnapshot([resolve(__dirname, '../../examples/estate')]);
    const printed = arm.map(({ resource, source }) => ({ resource: asAzCliPrints(structuredClone(resource)), source }));
    // The printed form really is flat: no resource keeps `properties`, and its VNets list their peerings at the top.
    expect(printed.every(({ resource }) => resource.properties === undefined)).toBe(true);
    const read = resourcesFromDocument(printed.map((p) => p.resource), 'az.json');
    const expected = audit(arm);
    const actual = audit(read);
    expect(actual.summary).toEqual(expected.summary);
    expect(actual.findings.map((f) => [f.ruleId, f.fingerprint, f.message])).toEqual(expected.findings.map((f) => [f.ruleId, f.fingerprint, f.message]));
    expect(expected.findings.length).toBeGreaterThan(20);
    // What only explain and the intent read: the appliances' private addresses, the gateways.
    const attachments = (resources: Array<{ resource: RawResource; source: string }>) =>
      [...buildTopology(resources).vnets.values()].flatMap((v) => [...v.appliances.map((a) => [a.id, a.kind, a.privateIps.map((ip) => ip.text)]), ...v.gateways.map((g) => [g.id, g.kind, g.sku])]);
    expect(attachments(read)).toEqual(attachments(arm));
    expect(attachments(arm).some(([, kind, ips]) => kind === 'AzureFirewall' && (ips as string[]).length > 0)).toBe(true);
  });

  it('reads `az network vnet show` as printed: a one-sided peering is found, not "compliant"', () => {
    const hub = '/subscriptions/aaaaaaaa-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/hub';
    const spokeId = hub.replace(/hub$/, 'spoke');
    const printed = {
      addressSpace: { addressPrefixes: ['10.0.0.0/16'] },
      enableDdosProtection: false,
      etag: 'W/"00000000-0000-0000-0000-000000000000"',
      id: hub,
      location: 'westeurope',
      name: 'hub',
      provisioningState: 'Succeeded',
      resourceGroup: 'rg',
      subnets: [{ addressPrefix: '10.0.1.0/24', id: `${hub}/subnets/app`, name: 'app', resourceGroup: 'rg', type: 'Microsoft.Network/virtualNetworks/subnets' }],
      type: 'Microsoft.Network/virtualNetworks',
      virtualNetworkPeerings: [
        {
          allowForwardedTraffic: false,
          allowGatewayTransit: false,
          allowVirtualNetworkAccess: true,
          id: `${hub}/virtualNetworkPeerings/hub-to-spoke`,
          name: 'hub-to-spoke',
          peeringState: 'Initiated',
          remoteVirtualNetwork: { id: spokeId, resourceGroup: 'rg' },
          resourceGroup: 'rg',
          useRemoteGateways: false,
        },
      ],
    };
    const spoke = { ...printed, id: spokeId, name: 'spoke', addressSpace: { addressPrefixes: ['10.1.0.0/16'] }, subnets: [], virtualNetworkPeerings: [] };
    const report = audit(resourcesFromDocument([printed, spoke], 'vnets.json'));
    expect(report.summary.peerings).toBe(1);
    expect(report.findings.map((f) => f.ruleId)).toEqual(['peering-one-sided']);
  });

  it('reads a forwarding NIC as printed (enableIpForwarding, privateIpAddress) as a virtual appliance', () => {
    const hub = '/subscriptions/aaaaaaaa-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/hub';
    const nicId = '/subscriptions/aaaaaaaa-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/nva-nic';
    const vnet = { id: hub, name: 'hub', type: 'Microsoft.Network/virtualNetworks', resourceGroup: 'rg', addressSpace: { addressPrefixes: ['10.0.0.0/16'] }, subnets: [{ id: `${hub}/subnets/nva`, name: 'nva', addressPrefix: '10.0.1.0/24', resourceGroup: 'rg' }] };
    const nic = {
      id: nicId,
      name: 'nva-nic',
      type: 'Microsoft.Network/networkInterfaces',
      resourceGroup: 'rg',
      enableIpForwarding: true,
      ipConfigurations: [{ id: `${nicId}/ipConfigurations/ipconfig1`, name: 'ipconfig1', privateIpAddress: '10.0.1.4', resourceGroup: 'rg', subnet: { id: `${hub}/subnets/nva`, resourceGroup: 'rg' } }],
    };
    const topology = buildTopology(resourcesFromDocument([vnet, nic], 'az.json'));
    expect(topology.vnets.get(keyOf(hub))?.appliances.map((a) => [a.kind, a.privateIps.map((ip) => ip.text)])).toEqual([['NetworkVirtualAppliance', ['10.0.1.4']]]);
  });

  it('leaves a resource that has properties as it is', () => {
    const resource = { id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v', resourceGroup: 'rg', properties: { addressSpace: { addressPrefixes: ['10.0.0.0/16'] } } };
    expect(resourcesFromDocument([resource], 'f.json')[0]?.resource).toBe(resource);
  });
});
