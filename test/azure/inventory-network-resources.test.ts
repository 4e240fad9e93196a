import { ResourceGraphClient } from '@azure/arm-resourcegraph';
import { describe, expect, it } from 'vitest';
import { NETWORK_RESOURCES_QUERY } from '../../src/azure/resource-graph';
import { DEFAULT_CONFIG } from '../../src/engine/config';
import { auditResources } from '../../src/engine/pipeline';
import { keyOf } from '../../src/model/ids';
import type { RawResource } from '../../src/model/snapshot';
import type { Topology } from '../../src/model/types';
import type { AuditScope, Inventory } from '../../src/ports';
import { RULES } from '../../src/rules';
import { SUB_A, SUB_B, SUB_C, vnetId } from '../support/estate';
import { HUB, meshGroup, spokeId, spokesRoutingToSharedNva } from '../support/transit';
import { inventoryReader, useStandIn } from './harness';

// Virtual Network Manager's connectivity configurations and static members live in Resource Graph's
// `networkresources` table, not `resources`: the live inventory reads them with a second query, for
// the subscriptions that hold a network manager, through the real @azure/arm-resourcegraph client
// against the stand-in, which serves them from that table only, as Azure does.

const NOW = new Date('2025-06-01T00:00:00Z');
const ALL: AuditScope = { kind: 'subscriptions', subscriptionIds: [SUB_A, SUB_B, SUB_C] };
const MANAGER = `/subscriptions/${SUB_A}/resourceGroups/rg-avnm/providers/Microsoft.Network/networkManagers/avnm`;
const GROUP = `${MANAGER}/networkGroups/ng-all`;
const s1 = spokeId('spoke1');
const s2 = spokeId('spoke2');
const shared = vnetId('vnet-shared', SUB_C);
const AVNM_TYPES = ['microsoft.network/networkmanagers/connectivityconfigurations', 'microsoft.network/networkmanagers/networkgroups/staticmembers'];

/**
 * Two spokes of a hub, and a shared VNet with an NVA that spoke1 routes everything to, all three
 * connected by an AVNM mesh and no peering between them; a hub-and-spoke configuration over the same
 * group makes the hub an AVNM hub. Without the mesh, the spokes could not reach each other
 * (transit-not-transitive) and spoke1's route would lead nowhere (transit-next-hop-unreachable).
 */
function meshedEstate(): RawResource[] {
  const mesh = meshGroup('ng-all', [s1, s2, shared]).map((r) => (r.type?.endsWith('connectivityConfigurations') ? { ...r, properties: { ...r.properties, isGlobal: 'True', description: 'not read' } } : r));
  return [
    ...spokesRoutingToSharedNva(shared),
    { id: MANAGER, name: 'avnm', type: 'Microsoft.Network/networkManagers', location: 'westeurope', properties: { networkManagerScopes: { subscriptions: [`/subscriptions/${SUB_B}`, `/subscriptions/${SUB_C}`] }, networkManagerScopeAccesses: ['Connectivity'] } },
    { id: GROUP, name: 'ng-all', type: 'Microsoft.Network/networkManagers/networkGroups', properties: { memberType: 'VirtualNetwork' } },
    ...mesh,
    {
      id: `${MANAGER}/connectivityConfigurations/cc-hub`,
      name: 'cc-hub',
      type: 'Microsoft.Network/networkManagers/connectivityConfigurations',
      properties: { connectivityTopology: 'HubAndSpoke', hubs: [{ resourceId: HUB, resourceType: 'Microsoft.Network/virtualNetworks' }], appliesToGroups: [{ networkGroupId: GROUP, groupConnectivity: 'DirectlyConnected', isGlobal: 'False' }] },
    },
  ];
}

function audit(inventory: Pick<Inventory, 'resources' | 'subscriptions' | 'unreadable'>) {
  return auditResources({ resources: inventory.resources, rules: RULES, config: DEFAULT_CONFIG, now: NOW, version: 'test', extraSubscriptions: inventory.subscriptions, unreadable: inventory.unreadable });
}
const fromFile = () => audit({ resources: meshedEstate().map((resource, i) => ({ resource, source: `estate.json at [${i}]` })), subscriptions: [], unreadable: [] });
const shape = (findings: { ruleId: string; resourceId: string; fingerprint: string; message: string }[]) =>
  findings.map((f) => ({ ruleId: f.ruleId, resourceId: f.resourceId.toLowerCase(), fingerprint: f.fingerprint, message: f.message }));
/** What AVNM adds to the topology: each VNet's mesh groups and whether it is an AVNM hub. */
const avnmShape = (topology: Topology) => [...topology.vnets.values()].map((v) => [v.key, [...v.meshGroupKeys].sort(), v.avnmHub]).sort();
const queryOf = (body: unknown): string => String((body as { query: string }).query);
const avnmIds = (inventory: Inventory) => inventory.resources.filter((r) => AVNM_TYPES.includes(String(r.resource.type))).map((r) => r.resource.id.toLowerCase()).sort();

describe('Resource Graph inventory: Virtual Network Manager (networkresources)', () => {
  const standIn = useStandIn(() => ({ resources: meshedEstate() }));
  const expectedAvnmIds = meshedEstate()
    .filter((r) => AVNM_TYPES.includes(String(r.type).toLowerCase()))
    .map((r) => r.id.toLowerCase())
    .sort();

  it('reads the connectivity configurations and static members from networkresources, and finds what the file audit finds', async () => {
    const inventory = await inventoryReader(standIn()).readInventory(ALL);
    expect(inventory.unreadable).toEqual([]);
    expect(inventory.subscriptions).toEqual([SUB_A, SUB_B, SUB_C].sort());
    expect(avnmIds(inventory)).toEqual(expectedAvnmIds);
    // The network manager's row only said where to look: it is not part of the estate read.
    expect(inventory.resources.some((r) => r.resource.id === MANAGER)).toBe(false);

    const live = audit(inventory);
    const file = fromFile();
    // The estate is one the mesh decides: without it, these two rules would fire.
    expect(file.report.findings.filter((f) => f.ruleId === 'transit-not-transitive' || f.ruleId === 'transit-next-hop-unreachable')).toEqual([]);
    expect(shape(live.report.findings)).toEqual(shape(file.report.findings));
    expect(live.report.summary).toEqual(file.report.summary);
    expect(avnmShape(live.extras.topology)).toEqual(avnmShape(file.extras.topology));
    expect(live.extras.topology.vnets.get(keyOf(HUB))?.avnmHub).toBe(true);

    // One query of `resources` for the batch, one of `networkresources` for the manager's subscription.
    const queries = standIn().requests.of('resourceGraph');
    expect(queries.map((r) => queryOf(r.body).split('\n')[0])).toEqual(['resources', 'networkresources']);
    expect(queries[1]?.subscriptions).toEqual([SUB_A]);
    expect(queryOf(queries[1]?.body)).toBe(NETWORK_RESOURCES_QUERY);
  });

  it('pages the networkresources query and retries its failed pages like the inventory query', async () => {
    standIn().faults.add({ kind: 'resourceGraph', when: (r) => r.subscriptions.length === 1 }, { type: 'status', status: 503, code: 'ServiceUnavailable', message: 'busy' });
    const inventory = await inventoryReader(standIn(), { pageSize: 2 }).readInventory(ALL);
    expect(inventory.unreadable).toEqual([]);
    expect(avnmIds(inventory)).toEqual(expectedAvnmIds);
    const avnmPages = standIn()
      .requests.of('resourceGraph')
      .filter((r) => queryOf(r.body).startsWith('networkresources'));
    // 5 rows at 2 a page: 3 pages, the first answered 503 once (retried by the SDK).
    expect(avnmPages.map((r) => r.status)).toEqual([503, 200, 200, 200]);
  });

  it('marks every subscription unreadable when networkresources keeps failing: the mesh may join VNets in any of them', async () => {
    standIn().faults.add({ kind: 'resourceGraph', when: (r) => r.subscriptions.length === 1 }, { type: 'status', status: 500, code: 'InternalServerError', message: 'boom' }, Infinity);
    const inventory = await inventoryReader(standIn(), { pageAttempts: 2 }).readInventory(ALL);
    expect(inventory.subscriptions).toEqual([]);
    const failed = 'Resource Graph query failed after 2 attempts (500 InternalServerError: boom)';
    const meshOfA = `the Virtual Network Manager configurations (Resource Graph table networkresources) of subscription ${SUB_A}, whose mesh may connect its VNets without any peering, could not be read, so its resources are unknown: ${failed}`;
    expect(inventory.unreadable).toEqual([
      { scope: SUB_A, reason: `its Virtual Network Manager configurations (Resource Graph table networkresources) could not be read: ${failed}` },
      { scope: SUB_B, reason: meshOfA },
      { scope: SUB_C, reason: meshOfA },
    ]);
    // None of their resources is kept: they are unread, not read without the mesh.
    expect(inventory.resources).toEqual([]);
    expect(audit(inventory).report.coverage.unreadable).toHaveLength(3);
  });

  it('serves AVNM rows from networkresources only, as Azure does: a resources query of their types gets none', async () => {
    const client = new ResourceGraphClient(standIn().credential, { endpoint: standIn().endpoint, tlsOptions: { ca: standIn().ca } });
    const ask = (query: string) => client.resources({ query, options: { resultFormat: 'objectArray' } });
    const types = AVNM_TYPES.map((t) => `'${t}'`).join(', ');
    expect((await ask(`resources | where type in~ (${types})`)).data).toEqual([]);
    expect(((await ask(`networkresources | where type in~ (${types})`)).data as unknown[]).length).toBe(expectedAvnmIds.length);
    expect(((await ask(`networkresources | where type in~ ('microsoft.network/networkmanagers')`)).data as unknown[]).length).toBe(0);
    await expect(ask(`networkresources | where type in~ (${types}) | union (resourcecontainers | where type =~ 'microsoft.resources/subscriptions' and subscriptionId in~ ('${SUB_A}'))`)).rejects.toMatchObject({ statusCode: 400 });
  });
});
