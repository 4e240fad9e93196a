import { describe, expect, it } from 'vitest';
import { anchorOf } from '../../src/alerts/model';
import { anchoring, estateScope, markedVnets, neighbourhoodScope, touchesUnread } from '../../src/alerts/scope';
import { inScope, placeOf } from '../../src/alerts/model';
import { keyOf } from '../../src/model/ids';
import type { RawResource } from '../../src/model/snapshot';
import { RULES } from '../../src/rules';
import { routeTable, SUB_A, SUB_B, topologyOf, vnet, vnetId } from '../support/estate';

// Which findings an event's evaluation decides: those whose every input its read covered.

const HUB = vnetId('hub');
const A = vnetId('a');
const C = vnetId('c');
const FAR = vnetId('far', SUB_B);
const TABLE = routeTable('rt-a', SUB_A, 'rg-a', [{ name: 'to-fw', prefix: '0.0.0.0/0', nextHopIp: '10.0.1.4' }], [`${A}/subnets/app`]);
const ROUTE = `${TABLE.id}/routes/to-fw`;

/** A hub with spokes A and C; A routes through the hub and also peers with FAR (another subscription). */
function estate(): RawResource[] {
  return [
    vnet({ id: HUB, prefixes: ['10.0.0.0/16'], peerings: [{ remote: A }, { remote: C }] }),
    vnet({ id: A, prefixes: ['10.1.0.0/16'], subnets: [{ name: 'app', prefix: '10.1.0.0/24', routeTable: TABLE.id }], peerings: [{ remote: HUB }, { remote: FAR }] }),
    vnet({ id: C, prefixes: ['10.2.0.0/16'], peerings: [{ remote: HUB }] }),
    vnet({ id: FAR, prefixes: ['10.9.0.0/16'], peerings: [{ remote: A }] }),
    TABLE,
  ];
}

const finding = (ruleId: string, resourceId: string, relatedResourceIds: string[] = []) => ({ ruleId, resourceId, relatedResourceIds });
const notTransitive = finding('transit-not-transitive', `${A}/virtualNetworkPeerings/a-to-hub`, [HUB, C]);
const lifecycle = finding('peering-one-sided', `${A}/virtualNetworkPeerings/a-to-far`, [A, FAR]);
const route = finding('transit-next-hop-unreachable', ROUTE, [TABLE.id, A]);
const intent = finding('transit-intent-unreachable', A, [C]);

/** The read of an event: which resources came back, which VNets it looked for, what it could not read. */
function scopeOf(read: { ids: string[]; sought: string[]; vnetIds: string[]; unreadable?: { scope: string; reason: string }[]; subscriptions?: string[]; outOfReach?: string[] }) {
  const resources = estate().filter((r) => read.ids.includes(r.id));
  const topology = topologyOf(resources, read.subscriptions ?? [SUB_A, SUB_B]);
  const inventory = { unreadable: read.unreadable ?? [], sought: read.sought.map(keyOf), ...(read.outOfReach ? { outOfReach: read.outOfReach } : {}) };
  return neighbourhoodScope({ topology, inventory, vnetIds: read.vnetIds }, RULES);
}

describe('neighbourhoodScope', () => {
  it("decides a spoke's transit finding only when its hub, every peer of the hub and their route tables were read", () => {
    const hubRead = scopeOf({ ids: [HUB, A, C, TABLE.id], sought: [HUB, A, C], vnetIds: [HUB] });
    expect(hubRead.decides?.(notTransitive)).toBe(true);
    expect(hubRead.keys.has(keyOf(HUB))).toBe(true);
    // An event about A reads A and its peers: the hub, but not C, two hops away.
    const spokeRead = scopeOf({ ids: [A, HUB, FAR, TABLE.id], sought: [A, HUB, FAR], vnetIds: [A, HUB] });
    expect(spokeRead.decides?.(notTransitive)).toBe(false);
    // The hub and C read, but not A's route table.
    const noTable = scopeOf({ ids: [HUB, A, C], sought: [HUB, A, C], vnetIds: [HUB] });
    expect(noTable.decides?.(notTransitive)).toBe(false);
  });

  it('decides a peering finding when both ends are known: read, looked for and absent, or out of scope', () => {
    expect(scopeOf({ ids: [A, HUB, FAR, TABLE.id], sought: [A, HUB, FAR], vnetIds: [A] }).decides?.(lifecycle)).toBe(true);
    expect(scopeOf({ ids: [A, HUB, TABLE.id], sought: [A, HUB, FAR], vnetIds: [A] }).decides?.(lifecycle)).toBe(true); // FAR looked for: absent
    expect(scopeOf({ ids: [A, HUB, TABLE.id], sought: [A, HUB, FAR], vnetIds: [A], subscriptions: [SUB_A] }).decides?.(lifecycle)).toBe(true); // FAR's subscription not read
    // Not looked for: unknown, although its subscription was read (it would look deleted).
    expect(scopeOf({ ids: [A, HUB, TABLE.id], sought: [A, HUB], vnetIds: [A] }).decides?.(lifecycle)).toBe(false);
    // Looked for in a subscription that answered 403: unknown, not absent (a blind read must not resolve, then reopen, its alerts).
    const farBlind = { ids: [A, HUB, TABLE.id], sought: [A, HUB, FAR], vnetIds: [A], unreadable: [{ scope: SUB_B, reason: '403 AuthorizationFailed' }] };
    expect(scopeOf(farBlind).decides?.(lifecycle)).toBe(false);
    const resources = estate().filter((r) => farBlind.ids.includes(r.id));
    const read = { topology: topologyOf(resources, [SUB_A, SUB_B]), inventory: { unreadable: farBlind.unreadable, sought: farBlind.sought.map(keyOf) } };
    expect(markedVnets(read, [keyOf(A)])).toEqual([]);
    // A subscription the identity cannot see at all (another tenant, not found) is out of scope, as for the scheduled audit.
    const farOutOfReach = { ...farBlind, unreadable: [{ scope: SUB_B, reason: 'not visible to the identity' }], outOfReach: [SUB_B] };
    expect(scopeOf(farOutOfReach).decides?.(lifecycle)).toBe(true);
    // A peering of a VNet the event does not judge.
    expect(scopeOf({ ids: [A, HUB, FAR, TABLE.id], sought: [A, HUB, FAR], vnetIds: [HUB] }).decides?.(lifecycle)).toBe(false);
  });

  it("decides the transit findings of a deleted VNet's peerings (looked for, and absent), so that they resolve", () => {
    expect(scopeOf({ ids: [HUB, C, FAR], sought: [A, HUB, C, FAR], vnetIds: [A, HUB] }).decides?.(notTransitive)).toBe(true);
    // Not looked for: unknown.
    expect(scopeOf({ ids: [HUB, C, FAR], sought: [HUB, C, FAR], vnetIds: [A, HUB] }).decides?.(notTransitive)).toBe(false);
  });

  it("decides a route's finding with the VNet it was judged for, its route tables and its peers", () => {
    expect(scopeOf({ ids: [A, HUB, FAR, TABLE.id], sought: [A, HUB, FAR], vnetIds: [A] }).decides?.(route)).toBe(true);
    expect(scopeOf({ ids: [A, HUB, FAR], sought: [A, HUB, FAR], vnetIds: [A] }).decides?.(route)).toBe(false); // the table not read
    expect(scopeOf({ ids: [A, HUB, TABLE.id], sought: [A, HUB], vnetIds: [A] }).decides?.(route)).toBe(false); // FAR unknown
  });

  it('leaves intent findings (paths across the estate) and VNets that could not be read to the full audit', () => {
    const all = { ids: estate().map((r) => r.id), sought: [HUB, A, C, FAR], vnetIds: [HUB, A, C, FAR] };
    expect(scopeOf(all).decides?.(intent)).toBe(false);
    const blind = scopeOf({ ...all, unreadable: [{ scope: A, reason: '500' }] });
    expect(blind.keys.has(keyOf(A))).toBe(false);
    expect(blind.decides?.(lifecycle)).toBe(false);
    expect(scopeOf({ ...all, unreadable: [{ scope: SUB_A, reason: '403' }] }).keys.size).toBe(1); // FAR only
  });
});

describe('anchoring', () => {
  it('keeps a transit finding on a peering with the hub at its other end, a route finding with its VNet, the rest with their VNet', () => {
    const anchor = anchoring(topologyOf(estate(), [SUB_A, SUB_B]), RULES);
    expect(anchor(notTransitive)).toBe(keyOf(HUB));
    expect(anchor(route)).toBe(keyOf(A));
    expect(anchor(lifecycle)).toBe(keyOf(A));
    expect(anchor(intent)).toBe(anchorOf(A));
  });
});

// The scheduled audit reads every subscription it can; one it could not read (Resource Graph 403)
// is as blind for it as a neighbour an event could not read.
describe('estateScope (the full audit)', () => {
  /** The full audit's read: every resource of the subscriptions read; `unreadable` as Resource Graph reported it. */
  function auditOf(read: { subscriptions: string[]; unreadable?: { scope: string; reason: string }[] }) {
    const resources = estate().filter((r) => read.subscriptions.some((s) => r.id.toLowerCase().startsWith(`/subscriptions/${s}`)));
    const topology = topologyOf(resources, read.subscriptions);
    const scope = estateScope({ topology, inventory: { unreadable: read.unreadable ?? [], subscriptions: read.subscriptions } }, RULES);
    return (f: ReturnType<typeof finding>) => inScope(scope, f, placeOf(scope, f));
  }
  const missing = finding('peering-remote-vnet-missing', `${A}/virtualNetworkPeerings/a-to-far`, [A, FAR]);

  it("decides the transit findings of a VNet deleted from a subscription it read, so that they resolve", () => {
    const resources = estate().filter((r) => !r.id.startsWith(A));
    const topology = topologyOf(resources, [SUB_A, SUB_B]);
    const scope = estateScope({ topology, inventory: { unreadable: [], subscriptions: [SUB_A, SUB_B] } }, RULES);
    expect(inScope(scope, notTransitive, placeOf(scope, notTransitive))).toBe(true);
    // Its subscription unreadable: unknown, kept.
    const blind = estateScope({ topology, inventory: { unreadable: [{ scope: SUB_A, reason: '403' }], subscriptions: [SUB_B] } }, RULES);
    expect(inScope(blind, notTransitive, placeOf(blind, notTransitive))).toBe(false);
  });

  it('decides every finding when every subscription was read', () => {
    const all = auditOf({ subscriptions: [SUB_A, SUB_B] });
    for (const f of [notTransitive, lifecycle, missing, route, intent]) expect(all(f)).toBe(true);
  });

  it("keeps what depends on a subscription it could not read: a peering to it, and what names it; decides the rest", () => {
    const partial = auditOf({ subscriptions: [SUB_A], unreadable: [{ scope: SUB_B, reason: '403' }] });
    // A's peering to FAR (subscription B): FAR is unknown, not missing: neither opened nor resolved.
    expect(partial(missing)).toBe(false);
    expect(partial(lifecycle)).toBe(false);
    // A's route: A peers with FAR, so A's neighbourhood was not all read.
    expect(partial(route)).toBe(false);
    // The hub and C are in A, every peer of the hub read: the spoke's transit finding is decided.
    expect(partial(notTransitive)).toBe(true);
    // Findings in B itself: not decided.
    expect(partial(finding('peering-one-sided', `${FAR}/virtualNetworkPeerings/far-to-a`, [FAR, A]))).toBe(false);
  });

  it('counts a VNet in a subscription outside the audit as out of scope (known), unless the tenant or a management group could not be listed', () => {
    // B not in the audit's scope at all (not configured): FAR is out of scope, as on the event path.
    expect(auditOf({ subscriptions: [SUB_A] })(lifecycle)).toBe(true);
    expect(auditOf({ subscriptions: [SUB_A], unreadable: [{ scope: '/providers/Microsoft.Management/managementGroups/mg', reason: 'x' }] })(lifecycle)).toBe(false);
  });

  it('touchesUnread: the resource or a related one in an unreadable subscription or resource', () => {
    expect(touchesUnread(lifecycle, [{ scope: SUB_B }])).toBe(true);
    expect(touchesUnread(lifecycle, [{ scope: FAR.toUpperCase() }])).toBe(true);
    expect(touchesUnread(notTransitive, [{ scope: SUB_B }])).toBe(false);
    expect(touchesUnread(lifecycle, [])).toBe(false);
  });
});
