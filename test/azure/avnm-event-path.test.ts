import { describe, expect, it } from 'vitest';
import { neighbourhoodScope } from '../../src/alerts/scope';
import { inScope, placeOf } from '../../src/alerts/model';
import { DEFAULT_CONFIG } from '../../src/engine/config';
import { auditResources } from '../../src/engine/pipeline';
import type { RawResource } from '../../src/model/snapshot';
import type { Inventory } from '../../src/ports';
import { RULES } from '../../src/rules';
import { SUB_A, SUB_B } from '../support/estate';
import { HUB, hubAndSpokes, meshGroup, spokeId } from '../support/transit';
import { inventoryReader, liveReader, useStandIn } from './harness';

// Two spokes of a hub, connected to each other by an AVNM mesh (no peering between them).
const s1 = spokeId('spoke1');
const s2 = spokeId('spoke2');
const MANAGER = `/subscriptions/${SUB_A}/resourceGroups/rg-avnm/providers/Microsoft.Network/networkManagers/avnm`;
const estate = (): RawResource[] => [
  ...hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'] }, { name: 'spoke2', prefixes: ['10.2.0.0/16'] }]),
  { id: MANAGER, name: 'avnm', type: 'Microsoft.Network/networkManagers', location: 'westeurope', properties: {} },
  ...meshGroup('ng-spokes', [s1, s2]),
];
const audit = (inv: Pick<Inventory, 'resources' | 'subscriptions' | 'unreadable'>) =>
  auditResources({ resources: inv.resources, rules: RULES, config: DEFAULT_CONFIG, now: new Date(), version: 't', extraSubscriptions: inv.subscriptions, unreadable: inv.unreadable });

describe('event path vs scheduled audit: AVNM mesh', () => {
  const standIn = useStandIn(() => ({ resources: estate() }));

  it('the live neighbourhood read sees the mesh the scheduled audit sees (no transit-not-transitive between meshed spokes)', async () => {
    const full = await inventoryReader(standIn()).readInventory({ kind: 'subscriptions', subscriptionIds: [SUB_A, SUB_B] });
    const fullRun = audit(full);
    const fullTransit = fullRun.report.findings.filter((f) => f.ruleId === 'transit-not-transitive');
    expect(fullTransit).toEqual([]); // the scheduled audit: the mesh connects the spokes

    // An event on the hub VNet: the hub fresh from ARM, its peers from Resource Graph (reachOf for a VNet write).
    const live = await liveReader(standIn()).readNeighbourhood([HUB], { alsoRead: [s1, s2] });
    const run = audit(live);
    const scope = neighbourhoodScope({ topology: run.extras.topology, inventory: live, vnetIds: [HUB, s1, s2] }, RULES);
    const decided = run.report.findings.filter((f) => f.ruleId === 'transit-not-transitive' && inScope(scope, f, placeOf(scope, f)));
    expect(decided).toEqual([]);
    // The mesh costs one more Resource Graph call, asked of the network manager's subscription only.
    const graphCalls = standIn().requests.of('resourceGraph').slice(-2);
    expect(graphCalls.map((r) => String((r.body as { query: string }).query).split('\n')[0])).toEqual(['resources', 'networkresources']);
    expect((graphCalls[1]?.body as { subscriptions: string[] }).subscriptions).toEqual([SUB_A]);
  });
});

describe('event path without a network manager in the tenant', () => {
  const standIn = useStandIn(() => ({ resources: hubAndSpokes([{ name: 'spoke1', prefixes: ['10.1.0.0/16'] }, { name: 'spoke2', prefixes: ['10.2.0.0/16'] }]) }));

  it('reads no AVNM table: one Resource Graph call', async () => {
    const live = await liveReader(standIn()).readNeighbourhood([HUB], { alsoRead: [s1, s2] });
    expect(live.resources.length).toBeGreaterThan(0);
    expect(standIn().requests.of('resourceGraph')).toHaveLength(1);
  });
});
