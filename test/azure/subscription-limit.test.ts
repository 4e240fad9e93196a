import type { ResourceGraphClient } from '@azure/arm-resourcegraph';
import { createHttpHeaders } from '@azure/core-rest-pipeline';
import { describe, expect, it } from 'vitest';
import { resolveCloud } from '../../src/azure/clouds';
import { ResourceGraphInventory } from '../../src/azure/resource-graph';
import { vnet, vnetId } from '../support/estate';

// Resource Graph at management-group (or tenant) scope answers for the first 10,000 subscriptions
// only, and says so with `x-ms-tenant-subscription-limit-hit: true` (Learn: guidance for throttled
// requests). The stand-in cannot hold 10,000 subscriptions, so a client that answers as Resource
// Graph does stands in for it here: the group holds 3 subscriptions, the group-scope answer names 2.
const SUBS = ['00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-000000000003'];

function cappedClient(limitHit: boolean): { client: ResourceGraphClient; scopes: unknown[] } {
  const scopes: unknown[] = [];
  const client = {
    resources: async (request: { query: string; managementGroups?: string[]; subscriptions?: string[] }, options: { onResponse?: (raw: unknown) => void }) => {
      options.onResponse?.({ status: 200, headers: createHttpHeaders({ 'x-ms-tenant-subscription-limit-hit': String(limitHit) }) });
      if (request.query.startsWith('resourcecontainers')) {
        scopes.push({ managementGroups: request.managementGroups });
        const data = SUBS.slice(0, 2).map((s) => ({ id: `/subscriptions/${s}`, subscriptionId: s, name: s }));
        return { data, count: data.length, totalRecords: data.length, resultTruncated: 'false' };
      }
      scopes.push({ subscriptions: request.subscriptions });
      const named = request.subscriptions ?? [];
      const data = [
        ...named.map((s) => ({ ...vnet({ id: vnetId(`vnet-${s.slice(-1)}`, s), prefixes: [`10.${s.slice(-1)}.0.0/16`] }), type: 'microsoft.network/virtualnetworks', subscriptionId: s })),
        ...named.map((s) => ({ id: `/subscriptions/${s}`, type: 'microsoft.resources/subscriptions', subscriptionId: s })),
      ];
      return { data, count: data.length, totalRecords: data.length, resultTruncated: 'false' };
    },
  } as unknown as ResourceGraphClient;
  return { client, scopes };
}

const reader = (client: ResourceGraphClient) =>
  new ResourceGraphInventory({
    cloud: resolveCloud('AzurePublicCloud'),
    credential: { getToken: async () => ({ token: 't', expiresOnTimestamp: Date.now() + 3_600_000 }) },
    client,
    listManagementGroupSubscriptions: async () => SUBS.map((subscriptionId) => ({ subscriptionId })),
  });

describe('a management group past Resource Graph\'s 10,000-subscription limit', () => {
  it('reads the subscriptions the limit cut off by name instead of calling them unreadable', async () => {
    const { client, scopes } = cappedClient(true);
    const inventory = await reader(client).readInventory({ kind: 'managementGroup', managementGroupId: 'mg-big' });
    expect(inventory.unreadable).toEqual([]);
    expect(inventory.subscriptions).toEqual(SUBS);
    expect(inventory.resources.map((r) => r.resource.name).sort()).toEqual(['vnet-1', 'vnet-2', 'vnet-3']);
    expect(scopes.at(-1)).toEqual({ subscriptions: SUBS });
  });

  it('without the header, a subscription Resource Graph left out is one the identity cannot read', async () => {
    const { client } = cappedClient(false);
    const inventory = await reader(client).readInventory({ kind: 'managementGroup', managementGroupId: 'mg-big' });
    expect(inventory.unreadable.map((u) => u.scope)).toEqual([SUBS[2]]);
    expect(inventory.unreadable[0]?.reason).toMatch(/not readable by the identity/);
  });
});
