import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/engine/config';
import { auditResources } from '../../src/engine/pipeline';
import { renderHtml } from '../../src/report/html';
import { buildReport, outOfScopeText } from '../../src/report/report';
import { RULES } from '../../src/rules';
import { SUB_A, SUB_B, topologyOf, vnet, vnetId } from '../support/estate';

// coverage.outOfScope counts the peerings whose remote VNet was not read: the ones
// `peering-remote-out-of-scope` reports (design.md: "listed under coverage"), whatever that rule's
// setting. A remote absent from a subscription that was read counts when its peering does not say
// it was deleted (Connected, or no state); a Disconnected one is missing, not unread.

const CLASSIC = `/subscriptions/${SUB_A}/resourceGroups/rg-classic/providers/Microsoft.ClassicNetwork/virtualNetworks/classic-1`;

function coverageOf(peerings: Parameters<typeof vnet>[0]['peerings']) {
  const topology = topologyOf([vnet({ id: vnetId('vnet-a'), prefixes: ['10.0.0.0/16'], peerings })]);
  return buildReport({ version: 'test', now: new Date('2026-11-26T00:00:00Z'), topology, findings: [] }).coverage;
}

describe('coverage.outOfScope', () => {
  it('counts each kind of unread remote by subscription and reason', () => {
    const coverage = coverageOf([
      { remote: vnetId('vnet-b1', SUB_B), name: 'to-b1' },
      { remote: vnetId('vnet-b2', SUB_B), name: 'to-b2' },
      { remote: CLASSIC, name: 'to-classic' },
      { remote: vnetId('vnet-gone-connected'), name: 'to-absent-connected', state: 'Connected' },
      { remote: vnetId('vnet-gone-initiated'), name: 'to-absent-initiated', state: 'Initiated' },
      { remote: vnetId('vnet-gone-disconnected'), name: 'to-absent-disconnected', state: 'Disconnected' },
    ]);
    expect(coverage.outOfScope).toEqual([
      { subscription: SUB_A, reason: 'classic-vnet', peerings: 1 },
      { subscription: SUB_A, reason: 'vnet-not-read', peerings: 1 },
      { subscription: SUB_B, reason: 'subscription-not-read', peerings: 2 },
    ]);
    expect(outOfScopeText(coverage)).toBe(
      '2 peerings to 1 subscription not read, and 1 to classic VNets, which are never read, and 1 to VNets absent from 1 subscription that was read, though their peerings do not say the VNets were deleted, whose pairs are unverified',
    );
  });

  it('says "peerings" in the first part, whichever kind comes first', () => {
    const coverage = coverageOf([{ remote: vnetId('vnet-gone'), state: 'Connected' }]);
    expect(outOfScopeText(coverage)).toBe('1 peering to VNets absent from 1 subscription that was read, though their peerings do not say the VNets were deleted, whose pairs are unverified');
  });

  it('lists nothing when every remote was read or is missing', () => {
    const coverage = coverageOf([{ remote: vnetId('vnet-gone'), state: 'Disconnected' }]);
    expect(coverage.outOfScope).toEqual([]);
    expect(outOfScopeText(coverage)).toBeUndefined();
  });
});

describe('the HTML report names each unverified subscription once', () => {
  it('a subscription with peerings to a classic VNet and to an unread one is listed once', async () => {
    const resources = [vnet({ id: vnetId('vnet-a'), prefixes: ['10.0.0.0/16'], peerings: [{ remote: CLASSIC, name: 'to-classic' }, { remote: vnetId('vnet-gone'), name: 'to-gone' }] })];
    const run = auditResources({ resources: resources.map((resource) => ({ resource, source: 't' })), rules: RULES, config: DEFAULT_CONFIG, now: new Date('2026-11-26T00:00:00Z'), version: 'test' });
    expect(run.report.coverage.outOfScope.map((o) => o.reason)).toEqual(['classic-vnet', 'vnet-not-read']);
    const page = await renderHtml(run.report, run.extras, { rules: RULES });
    const listed = /Their subscriptions: (.*?)\.</.exec(page)?.[1] ?? '';
    expect(listed).toBe(`<code>${SUB_A}</code>`);
  });
});
