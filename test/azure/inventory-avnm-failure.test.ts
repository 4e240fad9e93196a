import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/engine/config';
import { auditResources } from '../../src/engine/pipeline';
import type { RawResource } from '../../src/model/snapshot';
import type { AuditScope, Inventory } from '../../src/ports';
import { RULES } from '../../src/rules';
import { SUB_A, SUB_B, SUB_C, vnetId } from '../support/estate';
import { spokeId, spokesRoutingToSharedNva } from '../support/transit';
import { inventoryReader, useStandIn } from './harness';

// A Virtual Network Manager mesh joins VNets without any peering object, and its rows live with the
// manager, not with the VNets it joins. When they cannot be read, every subscription the mesh may
// cover is unknown: judged without the mesh, its VNets would look cut off (false transit findings).

const NOW = new Date('2025-06-01T00:00:00Z');
const ALL: AuditScope = { kind: 'subscriptions', subscriptionIds: [SUB_A, SUB_B, SUB_C] };
/** The manager sits in SUB_C; the VNets it meshes in SUB_B; the hub in SUB_A. */
const MANAGER = `/subscriptions/${SUB_C}/resourceGroups/rg-avnm/providers/Microsoft.Network/networkManagers/avnm`;
const GROUP = `${MANAGER}/networkGroups/ng`;
const shared = vnetId('vnet-shared', SUB_B);
const MESH_DECIDED = ['transit-not-transitive', 'transit-next-hop-unreachable'];

/** spoke1 routes 0/0 to an NVA in vnet-shared; spoke1, spoke2 and vnet-shared are joined by the mesh only. */
function estate(): RawResource[] {
  return [
    ...spokesRoutingToSharedNva(shared),
    { id: MANAGER, name: 'avnm', type: 'Microsoft.Network/networkManagers', location: 'westeurope', properties: {} },
    { id: GROUP, name: 'ng', type: 'Microsoft.Network/networkManagers/networkGroups', properties: { memberType: 'VirtualNetwork' } },
    {
      id: `${MANAGER}/connectivityConfigurations/cc`,
      name: 'cc',
      type: 'Microsoft.Network/networkManagers/connectivityConfigurations',
      properties: { connectivityTopology: 'Mesh', isGlobal: 'True', appliesToGroups: [{ networkGroupId: GROUP }] },
    },
    ...[spokeId('spoke1'), spokeId('spoke2'), shared].map((member, i) => ({
      id: `${GROUP}/staticMembers/m${i}`,
      name: `m${i}`,
      type: 'Microsoft.Network/networkManagers/networkGroups/staticMembers',
      properties: { resourceId: member },
    })),
  ];
}

const audit = (inventory: Inventory) =>
  auditResources({ resources: inventory.resources, rules: RULES, config: DEFAULT_CONFIG, now: NOW, version: 'test', extraSubscriptions: inventory.subscriptions, unreadable: inventory.unreadable });
const meshDecided = (inventory: Inventory) => audit(inventory).report.findings.filter((f) => MESH_DECIDED.includes(f.ruleId));
const FAILED = /Resource Graph query failed after 2 attempts \(500 InternalServerError: boom\)$/;
const BOOM = { type: 'status', status: 500, code: 'InternalServerError', message: 'boom' } as const;

/** Fails every request for SUB_C alone after the first (its inventory query): its networkresources query and retries. */
function failManagerReadAfterFirst(): (request: { subscriptions: readonly string[] }) => boolean {
  let seen = 0;
  return (request) => request.subscriptions.length === 1 && request.subscriptions[0] === SUB_C && ++seen > 1;
}

describe('Resource Graph inventory: a Virtual Network Manager read that keeps failing', () => {
  const standIn = useStandIn(() => ({ resources: estate() }));

  it('with the mesh read, the estate has no transit finding (the mesh decides it)', async () => {
    const inventory = await inventoryReader(standIn()).readInventory(ALL);
    expect(inventory.unreadable).toEqual([]);
    expect(meshDecided(inventory)).toEqual([]);
  });

  it('marks unreadable every subscription of the batch, not only the manager’s, and reports no finding the mesh decides', async () => {
    standIn().faults.add({ kind: 'resourceGraph', when: (r) => r.subscriptions.length === 1 }, BOOM, Infinity);
    const inventory = await inventoryReader(standIn(), { pageAttempts: 2 }).readInventory(ALL);

    expect(inventory.subscriptions).toEqual([]);
    expect(inventory.resources).toEqual([]);
    expect(inventory.unreadable.map((u) => u.scope).sort()).toEqual([SUB_A, SUB_B, SUB_C].sort());
    const reasons = Object.fromEntries(inventory.unreadable.map((u) => [u.scope, u.reason]));
    expect(reasons[SUB_C]).toMatch(new RegExp(`^its Virtual Network Manager configurations \\(Resource Graph table networkresources\\) could not be read: ${FAILED.source}`));
    // The others, as what the manager's subscription may mesh.
    for (const s of [SUB_A, SUB_B]) {
      expect(reasons[s]).toMatch(
        new RegExp(`^the Virtual Network Manager configurations \\(Resource Graph table networkresources\\) of subscription ${SUB_C}, whose mesh may connect its VNets without any peering, could not be read, so its resources are unknown: ${FAILED.source}`),
      );
    }

    const report = audit(inventory).report;
    expect(meshDecided(inventory)).toEqual([]);
    expect(report.coverage.unreadable).toHaveLength(3);
  });

  it('marks unreadable the subscriptions of other batches too, read before or after the failure', async () => {
    standIn().faults.add({ kind: 'resourceGraph', when: failManagerReadAfterFirst() }, BOOM, Infinity);
    const inventory = await inventoryReader(standIn(), { pageAttempts: 2, batchSize: 1 }).readInventory(ALL);

    // One batch each, the manager's last: SUB_A and SUB_B were read before its mesh read failed.
    const queried = standIn().requests.of('resourceGraph').map((r) => [r.subscriptions.join(), r.status]);
    expect(queried.slice(0, 3)).toEqual([
      [SUB_A, 200],
      [SUB_B, 200],
      [SUB_C, 200],
    ]);
    expect(queried.slice(3).every(([s, status]) => s === SUB_C && status === 500)).toBe(true);

    expect(inventory.subscriptions).toEqual([]);
    expect(inventory.resources).toEqual([]);
    expect(inventory.unreadable.map((u) => u.scope).sort()).toEqual([SUB_A, SUB_B, SUB_C].sort());
    for (const u of inventory.unreadable) expect(u.reason).toMatch(FAILED);
    expect(meshDecided(inventory)).toEqual([]);
  });
});
