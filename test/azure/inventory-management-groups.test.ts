import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { ManagementGroupsAPI } from '@azure/arm-managementgroups';
import { describe, expect, it } from 'vitest';
import { resolveCloud, ResourceGraphInventory } from '../../src/azure';
import { DEFAULT_CONFIG } from '../../src/engine/config';
import { auditResources } from '../../src/engine/pipeline';
import type { AuditScope, Inventory } from '../../src/ports';
import { isPartial } from '../../src/report/report';
import { RULES } from '../../src/rules';
import { SUB_A, SUB_B, SUB_C } from '../support/estate';
import { FAST_RETRY, inventoryReader, useStandIn } from './harness';
import { realisticEstate } from './realistic-estate';

// A management group's audit, through the real @azure/arm-resourcegraph and
// @azure/arm-managementgroups clients against the stand-in. Resource Graph lists only the
// subscriptions under the group that the identity can read; the Management Groups API's Get
// Descendants lists them all. A subscription the first leaves out is not audited, and must not
// pass for audited: it is coverage.unreadable, and the report PARTIAL.

const MG = 'mg-corp';
const MG_SCOPE: AuditScope = { kind: 'managementGroup', managementGroupId: MG };
const MG_ID = `/providers/Microsoft.Management/managementGroups/${MG}`;

const report = (inventory: Inventory) =>
  auditResources({
    resources: inventory.resources,
    rules: RULES,
    config: DEFAULT_CONFIG,
    now: new Date('2025-06-01T00:00:00Z'),
    version: 'test',
    extraSubscriptions: inventory.subscriptions,
    unreadable: inventory.unreadable,
  }).report;

describe('management group audit: subscriptions Resource Graph does not return', () => {
  const standIn = useStandIn(() => ({ resources: realisticEstate(), managementGroups: { [MG]: [SUB_A, SUB_B, SUB_C] } }));

  it('reads the two it can, and names the third, which the identity cannot read, as unreadable under the group', async () => {
    standIn().faults.forbid(SUB_C);
    const inventory = await inventoryReader(standIn()).readInventory(MG_SCOPE);
    expect(inventory.subscriptions).toEqual([SUB_A, SUB_B].sort());
    expect(inventory.unreadable).toEqual([
      {
        scope: SUB_C,
        reason: expect.stringMatching(
          /^subscription "sub-33333333" is under management group mg-corp but not readable by the identity: Resource Graph returned nothing for it, so its resources are unknown; it needs Reader on the subscription/,
        ),
      },
    ]);
    expect(inventory.resources.some((r) => r.resource.id.toLowerCase().includes(SUB_C))).toBe(false);
    expect(isPartial(report(inventory))).toBe(true);
    // The Resource Graph subscription list and inventory query, and one page of descendants.
    expect(standIn().requests.counts()).toEqual({ resourceGraph: 2, managementGroupDescendants: 1 });
  });

  it('when the descendants cannot be listed (403), says that the group could not be checked for completeness: PARTIAL, whatever it read', async () => {
    standIn().faults.add(
      { kind: 'managementGroupDescendants' },
      {
        type: 'status',
        status: 403,
        code: 'AuthorizationFailed',
        message: `The client 'peerguard' does not have authorization to perform action 'Microsoft.Management/managementGroups/descendants/read' over scope '${MG_ID}' or the scope is invalid.`,
      },
    );
    const inventory = await inventoryReader(standIn()).readInventory(MG_SCOPE);
    expect(inventory.subscriptions).toEqual([SUB_A, SUB_B, SUB_C].sort());
    expect(inventory.unreadable).toEqual([
      {
        scope: MG_ID,
        reason: expect.stringMatching(
          /^its subscriptions could not be checked for completeness: Resource Graph lists only those the identity can read, and the management group's descendants could not be listed \(403 AuthorizationFailed: .*descendants\/read.*\), so a subscription under it that the identity cannot read would be missing without notice/,
        ),
      },
    ]);
    expect(isPartial(report(inventory))).toBe(true);
    // A 403 is not asked again.
    expect(standIn().requests.of('managementGroupDescendants').map((r) => r.status)).toEqual([403]);
  });

  it('with every subscription readable: no unreadable scope, for exactly one call more than Resource Graph alone', async () => {
    const inventory = await inventoryReader(standIn()).readInventory(MG_SCOPE);
    expect(inventory.subscriptions).toEqual([SUB_A, SUB_B, SUB_C].sort());
    expect(inventory.unreadable).toEqual([]);
    expect(isPartial(report(inventory))).toBe(false);
    expect(standIn().requests.counts()).toEqual({ resourceGraph: 2, managementGroupDescendants: 1 });
    const [call] = standIn().requests.of('managementGroupDescendants');
    expect(call?.path).toBe(`${MG_ID}/descendants`);
    expect(call?.query['api-version']).toBe('2021-04-01');
  });

  it('recovers from a 503 on the descendants (the SDK pipeline retries it)', async () => {
    standIn().faults.fail('managementGroupDescendants', 503, 1);
    const inventory = await inventoryReader(standIn()).readInventory(MG_SCOPE);
    expect(inventory.unreadable).toEqual([]);
    expect(standIn().requests.of('managementGroupDescendants').map((r) => r.status)).toEqual([503, 200]);
  });

  it('sends no descendants call when Resource Graph cannot list the group at all (the group is unreadable already)', async () => {
    const inventory = await inventoryReader(standIn()).readInventory({ kind: 'managementGroup', managementGroupId: 'mg-nope' });
    expect(inventory.unreadable).toEqual([{ scope: '/providers/Microsoft.Management/managementGroups/mg-nope', reason: expect.stringMatching(/could not be listed: 403 AuthorizationFailed/) }]);
    expect(standIn().requests.count('managementGroupDescendants')).toBe(0);
  });
});

describe('management group audit: a hierarchy, over several pages of descendants', () => {
  // mg-corp holds SUB_A and the child group mg-online, which holds SUB_B and SUB_C: 1 group + 3
  // subscriptions, two per page.
  const standIn = useStandIn(() => ({
    resources: realisticEstate(),
    managementGroups: { [MG]: [SUB_A], 'mg-online': [SUB_B, SUB_C] },
    managementGroupParents: { 'mg-online': MG },
    options: { armPageSize: 2 },
  }));

  it('finds a subscription of a child group that the identity cannot read, reading every page', async () => {
    standIn().faults.forbid(SUB_B);
    const inventory = await inventoryReader(standIn()).readInventory(MG_SCOPE);
    expect(inventory.subscriptions).toEqual([SUB_A, SUB_C].sort());
    expect(inventory.unreadable.map((u) => u.scope)).toEqual([SUB_B]);
    expect(inventory.unreadable[0]?.reason).toMatch(/is under management group mg-corp but not readable by the identity/);
    expect(standIn().requests.of('managementGroupDescendants').map((r) => r.query.$skiptoken)).toEqual([undefined, '2']);
  });

  it('asks again for a page that keeps failing past the SDK pipeline retries, from its nextLink, not from the first page', async () => {
    standIn().faults.forbid(SUB_C);
    let seen = 0;
    // The second page and its 3 retries (FAST_RETRY.maxRetries) answer 503: the adapter asks once more.
    standIn().faults.add({ kind: 'managementGroupDescendants', when: () => (seen += 1) >= 2 }, { type: 'status', status: 503, code: 'ServiceUnavailable' }, 4);
    const inventory = await inventoryReader(standIn()).readInventory(MG_SCOPE);
    expect(inventory.unreadable.map((u) => u.scope)).toEqual([SUB_C]);
    const calls = standIn().requests.of('managementGroupDescendants');
    expect(calls.map((r) => [r.status, r.query.$skiptoken])).toEqual([[200, undefined], ...Array(4).fill([503, '2']), [200, '2']]);
  });

  it("serves Azure's shapes: the child group, then each subscription with the group it sits in directly", async () => {
    const client = new ManagementGroupsAPI(standIn().credential, { endpoint: standIn().endpoint, tlsOptions: { ca: standIn().ca } });
    const all = [];
    for await (const d of client.managementGroups.listDescendants(MG)) all.push({ id: d.id, type: d.type, name: d.name, parent: d.parent?.id });
    const group = (name: string) => `/providers/Microsoft.Management/managementGroups/${name}`;
    expect(all).toEqual([
      { id: group('mg-online'), type: 'Microsoft.Management/managementGroups', name: 'mg-online', parent: group(MG) },
      { id: `/subscriptions/${SUB_A}`, type: 'Microsoft.Management/managementGroups/subscriptions', name: SUB_A, parent: group(MG) },
      { id: `/subscriptions/${SUB_B}`, type: 'Microsoft.Management/managementGroups/subscriptions', name: SUB_B, parent: group('mg-online') },
      { id: `/subscriptions/${SUB_C}`, type: 'Microsoft.Management/managementGroups/subscriptions', name: SUB_C, parent: group('mg-online') },
    ]);
  });
});

describe('management group audit in a sovereign cloud', () => {
  const standIn = useStandIn(() => ({ resources: realisticEstate(), managementGroups: { [MG]: [SUB_A, SUB_B, SUB_C] } }));

  it("calls the cloud's Resource Manager endpoint (here overridden) with tokens for the cloud's audience, not the endpoint's", async () => {
    const scopes: string[] = [];
    const credential: TokenCredential = {
      getToken: async (asked): Promise<AccessToken> => {
        scopes.push(...(Array.isArray(asked) ? asked : [asked]));
        return { token: 'stand-in-token', expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    };
    const cloud = resolveCloud('AzureUSGovernment', standIn().endpoint);
    const reader = new ResourceGraphInventory({ cloud, credential, ca: standIn().ca, retry: FAST_RETRY, backoffMs: 10, requestTimeoutMs: 5_000 });
    standIn().faults.forbid(SUB_A);
    const inventory = await reader.readInventory(MG_SCOPE);
    expect(inventory.unreadable.map((u) => u.scope)).toEqual([SUB_A]);
    expect(standIn().requests.count('managementGroupDescendants')).toBe(1);
    expect(new Set(scopes)).toEqual(new Set(['https://management.usgovcloudapi.net/.default']));
  });
});
