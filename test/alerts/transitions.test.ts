import { describe, expect, it } from 'vitest';
import { composeAlertMail, portalLink } from '../../src/alerts/compose';
import { withinScope } from '../../src/alerts/event-path';
import { escapeHtml } from '../../src/report/escape';
import { anchorOf, type AlertRow, type AlertScope } from '../../src/alerts/model';
import { parseArmEvent } from '../../src/alerts/events';
import { planTransitions, strictlyIncreasing } from '../../src/alerts/transitions';
import type { Finding } from '../../src/engine/audit';

const A = '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/a';
const B = '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/b';
const C = '/subscriptions/s2/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/c';

function finding(fp: string, resourceId: string): Finding {
  return { ruleId: 'peering-one-sided', severity: 'error', resourceId, relatedResourceIds: [A, B], message: 'm', fingerprint: fp, fix: null };
}

function row(fp: string, resourceId: string, extra: Partial<AlertRow> = {}): AlertRow {
  const f = finding(fp, resourceId);
  return {
    fingerprint: fp, status: 'open', ruleId: f.ruleId, severity: 'error', resourceId, relatedResourceIds: [], message: 'm',
    anchor: anchorOf(resourceId), subscriptionId: 's1', firstSeen: 't0', lastSeen: 't0', observedAt: '2026-01-01T00:00:00.000Z',
    finding: f, pendingOpen: false, pendingResolved: false, sendAttempts: 0, mailedOpenAt: 't0', ...extra,
  };
}

const scopeAB: AlertScope = { keys: new Set([anchorOf(A), anchorOf(B)]), subscriptions: new Set() };
const at = '2026-01-02T00:00:00.000Z';

describe('planTransitions', () => {
  it('new, resolved, unchanged, restricted to the evaluated scope', () => {
    const rows = [row('1', `${A}/virtualNetworkPeerings/x`), row('2', `${B}/virtualNetworkPeerings/y`), row('3', `${C}/virtualNetworkPeerings/z`)];
    const plan = planTransitions(rows, [finding('1', `${A}/virtualNetworkPeerings/x`), finding('4', `${B}/virtualNetworkPeerings/w`), finding('5', `${C}/virtualNetworkPeerings/v`)], scopeAB, at);
    expect(plan.opened.map((o) => o.finding.fingerprint)).toEqual(['4']);
    expect(plan.resolved.map((r) => r.fingerprint)).toEqual(['2']);
    expect(plan.unchanged.map((u) => u.row.fingerprint)).toEqual(['1']);
  });

  it('matches ids case-insensitively and by subscription for a full audit', () => {
    const rows = [row('2', `${C.toUpperCase()}/virtualNetworkPeerings/z`)];
    expect(planTransitions(rows, [], { keys: new Set(), subscriptions: new Set(['s2']) }, at).resolved).toHaveLength(1);
    expect(planTransitions(rows, [], { keys: new Set([anchorOf(C)]), subscriptions: new Set() }, at).resolved).toHaveLength(1);
  });

  it('a view older than the one that last decided a row changes nothing (no resurrection)', () => {
    const rows = [row('1', `${A}/virtualNetworkPeerings/x`, { status: 'resolved', observedAt: '2026-01-03T00:00:00.000Z', mailedResolvedAt: 't1' })];
    const plan = planTransitions(rows, [finding('1', `${A}/virtualNetworkPeerings/x`)], scopeAB, at);
    expect(plan.opened).toHaveLength(0);
    expect(plan.stale).toHaveLength(1);
  });

  it('a finding back before its resolution was mailed is reopened, not re-alerted', () => {
    const rows = [row('1', `${A}/virtualNetworkPeerings/x`, { status: 'resolved', pendingResolved: true })];
    const plan = planTransitions(rows, [finding('1', `${A}/virtualNetworkPeerings/x`)], scopeAB, at);
    expect(plan.reopened).toHaveLength(1);
    expect(plan.opened).toHaveLength(0);
  });
});

describe('strictlyIncreasing (when live reads begin)', () => {
  it("follows the clock, and within one of its milliseconds (or if it steps back) still moves on by one", () => {
    let t = Date.parse('2026-03-02T09:00:00.000Z');
    const observe = strictlyIncreasing(() => new Date(t));
    expect([observe(), observe(), observe()].map((d) => d.toISOString())).toEqual(['2026-03-02T09:00:00.000Z', '2026-03-02T09:00:00.001Z', '2026-03-02T09:00:00.002Z']);
    t += 60_000;
    expect(observe().toISOString()).toBe('2026-03-02T09:01:00.000Z');
    t -= 120_000;
    expect(observe().toISOString()).toBe('2026-03-02T09:01:00.001Z');
  });
});

describe('mail composition', () => {
  it('escapes every Azure string in HTML and links to the portal', () => {
    const f = { ...finding('1', `${A}/virtualNetworkPeerings/<script>`), message: 'a <b>"bold"</b> & more' };
    const mail = composeAlertMail({ kind: 'opened', finding: f, rule: undefined, change: { source: 'event', caller: { name: '<img src=x>' } }, firstSeen: 't', portalUrl: 'https://portal.azure.com/' });
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).not.toContain('<img');
    expect(mail.html).toContain('a &lt;b&gt;&quot;bold&quot;&lt;/b&gt; &amp; more');
    expect(mail.text).toContain('a <b>"bold"</b> & more');
    expect(portalLink('https://portal.azure.com/', A)).toBe(`https://portal.azure.com/#@/resource${A}`);
    expect(escapeHtml(`'`)).toBe('&#39;');
  });
});

describe('parseArmEvent', () => {
  it('reads the subject type case-insensitively and the caller from the claims', () => {
    const parsed = parseArmEvent(
      { id: 'e', eventType: 'Microsoft.Resources.ResourceActionSuccess', subject: `${A.toLowerCase()}/virtualnetworkpeerings/p`, eventTime: 't', data: { claims: { appid: 'app-1' } } },
      { tenantId: undefined, subscriptions: [] },
    );
    expect(parsed.kind).toBe('accepted');
    if (parsed.kind === 'accepted') {
      expect(parsed.event.resourceType).toBe('Microsoft.Network/virtualNetworks/virtualNetworkPeerings');
      expect(parsed.event.change.caller).toEqual({ appId: 'app-1' });
    }
  });

  it('ignores an action that only reads (monitoring polls a gateway\'s routes), accepts one that may change something', () => {
    const gateway = `${A.replace(/virtualNetworks\/.*$/, '')}virtualNetworkGateways/gw`;
    const action = (operationName: string) =>
      parseArmEvent({ id: 'e', eventType: 'Microsoft.Resources.ResourceActionSuccess', subject: gateway, data: { operationName } }, { tenantId: undefined, subscriptions: [] });
    for (const read of ['Microsoft.Network/virtualNetworkGateways/getLearnedRoutes/action', 'Microsoft.Network/virtualNetworkGateways/getbgppeerstatus/action', 'Microsoft.Network/virtualNetworkGateways/listConnections/action']) {
      expect(action(read)).toEqual({ kind: 'ignored', id: 'e', reason: `operation ${read} only reads` });
    }
    expect(action('Microsoft.Network/virtualNetworkGateways/reset/action').kind).toBe('accepted');
  });

  it("accepts a resource group's deletion (its VNets have no events of their own), ignores other events on a group", () => {
    const group = '/subscriptions/aaaaaaaa-0000-0000-0000-000000000001/resourcegroups/rg-spoke';
    const event = (eventType: string, subject: string) => parseArmEvent({ id: 'e', eventType, subject, data: {} }, { tenantId: undefined, subscriptions: [] });
    const deleted = event('Microsoft.Resources.ResourceDeleteSuccess', group);
    expect(deleted.kind === 'accepted' && deleted.event.resourceType).toBe('Microsoft.Resources/resourceGroups');
    expect(event('Microsoft.Resources.ResourceWriteSuccess', group)).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('not a provider resource or a deleted resource group') });
    expect(event('Microsoft.Resources.ResourceDeleteSuccess', '/subscriptions/aaaaaaaa-0000-0000-0000-000000000001')).toMatchObject({ kind: 'ignored' });
    expect(event('Microsoft.Resources.ResourceDeleteSuccess', `${group}/providers/Microsoft.Storage/storageAccounts/s`)).toMatchObject({
      kind: 'ignored',
      reason: expect.stringContaining('is not watched'),
    });
  });
});

describe('withinScope (the event path sees the configured subscriptions only)', () => {
  it('drops resources, read subscriptions and unreadable scopes outside PEERGUARD_SUBSCRIPTIONS; no list keeps everything', () => {
    const inside = '/subscriptions/AAAA/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/a';
    const outside = '/subscriptions/ffff/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/b';
    const inventory = {
      resources: [inside, outside].map((id) => ({ resource: { id, type: 'Microsoft.Network/virtualNetworks' }, source: 'live' })),
      subscriptions: ['aaaa', 'ffff'],
      unreadable: [
        { scope: 'ffff', reason: 'denied' },
        { scope: `${outside}/x`, reason: 'timeout' },
        { scope: `${inside}/y`, reason: 'timeout' },
      ],
    };
    const scoped = withinScope(inventory, ['aaaa']);
    expect(scoped.resources.map((r) => r.resource.id)).toEqual([inside]);
    expect(scoped.subscriptions).toEqual(['aaaa']);
    expect(scoped.unreadable.map((u) => u.scope)).toEqual([`${inside}/y`]);
    expect(withinScope(inventory, [])).toBe(inventory);
  });

  it('keeps a configured subscription the identity cannot see unreadable, not out of reach (a role removed)', () => {
    const inventory = { resources: [], subscriptions: [], unreadable: [{ scope: 'aaaa', reason: 'not visible' }, { scope: 'ffff', reason: 'not visible' }], outOfReach: ['aaaa', 'ffff'] };
    const scoped = withinScope(inventory, ['aaaa']);
    expect(scoped.unreadable.map((u) => u.scope)).toEqual(['aaaa']);
    expect(scoped.outOfReach ?? []).toEqual([]);
    expect(withinScope(inventory, []).outOfReach).toEqual(['aaaa', 'ffff']);
  });
});
