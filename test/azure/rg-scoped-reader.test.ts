import { ResourceGraphClient } from '@azure/arm-resourcegraph';
import { describe, expect, it } from 'vitest';
import { inScope, placeOf } from '../../src/alerts/model';
import { neighbourhoodScope } from '../../src/alerts/scope';
import { DEFAULT_CONFIG } from '../../src/engine/config';
import { auditResources } from '../../src/engine/pipeline';
import type { RawResource } from '../../src/model/snapshot';
import type { Inventory } from '../../src/ports';
import { RULES } from '../../src/rules';
import { SUB_A, SUB_B, vnet, vnetId } from '../support/estate';
import { inventoryReader, liveReader, useStandIn } from './harness';

// The identity has Reader on subscription A and on resource group rg-spoke1 of subscription B only
// (a team-scoped role). Resource Graph returns only what the caller may read: no row of rg-spoke2,
// and no row for subscription B itself (Learn: "results won't be returned" for objects without read
// permission). ARM answers 200 for rg-spoke1's VNet and 403 for anything in rg-spoke2.
const HUB = vnetId('vnet-hub', SUB_A);
const S1 = vnetId('spoke1', SUB_B);
const S2 = vnetId('spoke2', SUB_B);
const estate = (): RawResource[] => [
  vnet({ id: HUB, prefixes: ['10.0.0.0/16'], peerings: [{ remote: S1 }, { remote: S2, state: 'Disconnected' }] }),
  vnet({ id: S1, prefixes: ['10.1.0.0/16'], peerings: [{ remote: HUB }] }),
  // spoke2 exists; its side of the pair was deleted, so the hub's link is Disconnected.
  vnet({ id: S2, prefixes: ['10.2.0.0/16'] }),
];
const audit = (inv: Pick<Inventory, 'resources' | 'subscriptions' | 'unreadable'>) =>
  auditResources({ resources: inv.resources, rules: RULES, config: DEFAULT_CONFIG, now: new Date(), version: 't', extraSubscriptions: inv.subscriptions, unreadable: inv.unreadable });

describe('event path: a subscription ARM answered for but Resource Graph did not', () => {
  const standIn = useStandIn(() => ({ resources: estate() }));
  const rgScopedClient = () => {
    const s = standIn();
    const real = new ResourceGraphClient(s.credential, { endpoint: s.endpoint, tlsOptions: { ca: s.ca } });
    const hidden = (row: Record<string, unknown>) => {
      const id = String(row.id).toLowerCase();
      return id === `/subscriptions/${SUB_B}` || id.startsWith(`/subscriptions/${SUB_B}/resourcegroups/rg-spoke2/`);
    };
    return {
      resources: async (...args: Parameters<ResourceGraphClient['resources']>) => {
        const r = await real.resources(...args);
        const rows = (r.data as Record<string, unknown>[]) ?? [];
        const data = rows.filter((row) => !hidden(row));
        return { ...r, data, count: data.length, totalRecords: (r.totalRecords ?? 0) - (rows.length - data.length) };
      },
    } as unknown as ResourceGraphClient;
  };

  it('does not report an existing VNet as missing from a subscription Resource Graph did not answer for', async () => {
    standIn().faults.add({ kind: 'armGet', when: (r) => r.path.toLowerCase().includes('/resourcegroups/rg-spoke2/') }, { type: 'status', status: 403, code: 'AuthorizationFailed', message: 'no access' }, Infinity);
    const client = rgScopedClient();

    // The scheduled audit: subscription B is unreadable, so nothing about spoke2 is claimed.
    const full = await inventoryReader(standIn(), { client }).readInventory({ kind: 'subscriptions', subscriptionIds: [SUB_A, SUB_B] });
    const fullMissing = audit(full).report.findings.filter((f) => f.ruleId === 'peering-remote-vnet-missing');
    expect(fullMissing).toEqual([]);

    // An event on spoke1's peering (reachOf: fresh = spoke1 and the hub).
    const live = await liveReader(standIn(), { client } as never).readNeighbourhood([S1, HUB], { changed: `${S1}/virtualNetworkPeerings/spoke1-to-vnet-hub` });
    const run = audit(live);
    const scope = neighbourhoodScope({ topology: run.extras.topology, inventory: live, vnetIds: [S1, HUB] }, RULES);
    const decided = run.report.findings.filter((f) => f.ruleId === 'peering-remote-vnet-missing' && inScope(scope, f, placeOf(scope, f)));
    expect(live.subscriptions).not.toContain(SUB_B);
    expect(decided).toEqual([]);
  });
});
