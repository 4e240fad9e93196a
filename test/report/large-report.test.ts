import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/engine/audit';
import { renderTable } from '../../src/report/table';
import { hubSpokeTable, type TopologyView, type ViewLink, type ViewNode } from '../../src/report/topology-view';
import { SAMPLE_RULES, sampleExtras, sampleReport } from './sample-report';

// Reports of the largest estates: work in the size of the report, not its square. Not timed: at
// these sizes a renderer that copies a group on each append, or scans every link per hub, runs
// past the suite's 30 s test timeout (50k findings of one rule took 18 s that way), while the
// linear ones take well under a second.

describe('reports of large estates', () => {
  it('the table lists 100k findings of one rule, each once, in order', () => {
    const findings: Finding[] = Array.from({ length: 100_000 }, (_, i) => ({
      ruleId: 'rule-error',
      severity: 'error',
      resourceId: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v${i}/virtualNetworkPeerings/p`,
      relatedResourceIds: [],
      message: `finding number ${i}`,
      fingerprint: i.toString(16).padStart(32, '0'),
      fix: null,
    }));
    const text = renderTable(sampleReport({ findings }), sampleExtras(), SAMPLE_RULES, false);
    const listed = text.split('\n').filter((line) => line.startsWith('    • finding number '));
    expect(listed).toHaveLength(100_000);
    expect(listed[0]).toBe('    • finding number 0');
    expect(listed[99_999]).toBe('    • finding number 99999');
  });

  it('the hub table of 40k hubs with two spokes each gives each hub its own two links', () => {
    const nodes: ViewNode[] = [];
    const links: ViewLink[] = [];
    const node = (id: string, hub: boolean): ViewNode => ({
      id, kind: 'vnet', key: id, resourceId: id, name: id, subscriptionId: 's', location: undefined, groupId: 'g', hub, badges: [], findings: [], worstSeverity: undefined,
    });
    for (let h = 0; h < 40_000; h += 1) {
      nodes.push(node(`h${h}`, true));
      for (const s of ['a', 'b']) {
        nodes.push(node(`h${h}${s}`, false));
        links.push({ id: `l${h}${s}`, source: `h${h}`, target: `h${h}${s}`, status: 'healthy', broken: false, peerings: [], findings: [], worstSeverity: undefined, count: 1 });
      }
    }
    const view: TopologyView = { groupBy: 'subscription', groups: [{ id: 'g', kind: 'subscription', label: 's' }], nodes, links, collapsedSpokes: 0 };
    const { hubs, others } = hubSpokeTable(view);
    expect(hubs).toHaveLength(40_000);
    expect(others).toHaveLength(0);
    for (const { hub, spokes } of hubs) expect(spokes.map((s) => s.node.id)).toEqual([`${hub.id}a`, `${hub.id}b`]);
  });
});
