import { describe, expect, it } from 'vitest';
import { coverageSectionHtml, renderEmailReport, renderFindingEmailFragment, unverifiedText } from '../../src/report/email-html';
import { escapeHtml, jsonForScript } from '../../src/report/escape';
import { contentSecurityPolicy, DRAWING_LIMIT, layoutTopology, renderHtml } from '../../src/report/html';
import { FORMATS, renderReport, renderReportAsync } from '../../src/report/render';
import { buildTopologyView, LINK_STATUSES, LINK_STYLES } from '../../src/report/topology-view';
import { auditResources } from '../../src/engine/pipeline';
import { DEFAULT_CONFIG } from '../../src/engine/config';
import { composeReportMail, diffReports } from '../../src/alerts/compose';
import { RULES } from '../../src/rules';
import { SUB_A, vnet, vnetId } from '../support/estate';
import { exampleRun, hostileRun, HOSTILE, largeRun } from './html-fixtures';

/**
 * A hub and `spokes` spokes, all in one subscription, each spoke peered both ways with the hub and
 * with the next spoke: no spoke is a leaf, so none collapses (nodes: spokes + 1, links: 2 spokes - 1).
 */
function chainRun(spokes: number, names: (i: number) => string = (i) => `spoke-${String(i).padStart(3, '0')}`) {
  const hub = vnetId('hub');
  const ids = Array.from({ length: spokes }, (_, i) => vnetId(names(i)));
  const resources = [
    { resource: vnet({ id: hub, prefixes: ['10.255.0.0/16'], peerings: ids.map((remote) => ({ remote })) }), source: 't' },
    ...ids.map((id, i) => ({
      resource: vnet({ id, prefixes: [`10.${Math.floor(i / 200)}.${i % 200}.0/24`], peerings: [hub, ids[i - 1], ids[i + 1]].filter((r): r is string => r !== undefined).map((remote) => ({ remote })) }),
      source: 't',
    })),
  ];
  return auditResources({ resources, rules: RULES, config: DEFAULT_CONFIG, now: new Date('2026-11-25T08:00:00Z'), version: 'test', extraSubscriptions: [SUB_A], unreadable: [] });
}

/** The drawn label (markup as written) and the tooltip (the node's <title>) of the node named `name`. */
function nodeText(svg: string, name: string): { label: string; title: string } {
  const node = new RegExp(`<g class="node [^"]*" data-node="n\\d+" data-name="${attr(name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"[^>]*>([\\s\\S]*?)</g>`).exec(svg)?.[1] ?? '';
  return { label: /<text class="name"[^>]*>([^<]*)<\/text>/.exec(node)?.[1] ?? '', title: /<title>([^<]*)<\/title>$/.exec(node)?.[1] ?? '' };
}

const svgOf = (page: string) => /<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" id="topology"[\s\S]*?<\/svg><\/div>/.exec(page)?.[0] ?? '';
const attr = (value: string) => escapeHtml(value);

describe('escape helpers', () => {
  it('escapes text and attributes', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&\``)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&#96;');
  });
  it('makes JSON safe inside a script element and keeps its value', () => {
    const value = { s: '</script><!-- & \u2028\u2029 >' };
    const text = jsonForScript(value);
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});

describe('topology view', () => {
  it('classifies the example estate links from the findings', async () => {
    const run = await exampleRun();
    const view = buildTopologyView(run.extras.topology, run.report.findings);
    const statuses = new Set(view.links.map((l) => l.status));
    expect(statuses.has('healthy') || statuses.has('gateway-transit')).toBe(true);
    expect(statuses.has('one-sided')).toBe(true);
    // every finding about a peering lands on a link with a broken or out-of-scope status
    for (const link of view.links) if (link.findings.some((f) => f.severity !== 'info')) expect(link.broken).toBe(true);
    expect(view.nodes.filter((n) => n.hub).map((n) => n.name)).toContain('vnet-hub-weu');
    expect(view.nodes.find((n) => n.name === 'vnet-hub-weu')?.badges.map((b) => b.code)).toEqual(['GW', 'FW']);
  });
});

describe('renderHtml', () => {
  it('is one self-contained page: strict CSP, no external loads, summary, legend, filters, fix plans', async () => {
    const run = await exampleRun();
    const page = await renderHtml(run.report, run.extras, { rules: RULES });
    expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(page).toContain(`content="${attr(contentSecurityPolicy())}"`);
    expect(contentSecurityPolicy()).toMatch(/^default-src 'none'; style-src 'sha256-[^']+'; script-src 'sha256-[^']+'/);
    expect(page).not.toMatch(/\b(src|href)="(https?:)?\/\//);
    expect(page).not.toMatch(/<link\b|@import|url\(/);
    for (const status of LINK_STATUSES) expect(page).toContain(`<li data-status="${status}">`);
    expect(page).toContain('id="severity-filter"');
    expect(page).toContain('id="rule-filter"');
    expect(page).toContain(`Showing <b id="shown-count">${run.report.findings.length}</b>`);
    expect(page.match(/<tr class="finding"/g)).toHaveLength(run.report.findings.length);
    const withFix = run.report.findings.filter((f) => f.fix);
    expect(withFix.length).toBeGreaterThan(0);
    for (const op of withFix.flatMap((f) => f.fix?.operations ?? [])) expect(page).toContain(attr(op.resourceId));
    expect(JSON.parse(/<script type="application\/json" id="peerguard-report">([\s\S]*?)<\/script>/.exec(page)?.[1] ?? '')).toEqual(JSON.parse(JSON.stringify(run.report)));
  });

  it('draws every VNet and every broken link of the example estate', async () => {
    const run = await exampleRun();
    const page = await renderHtml(run.report, run.extras, { rules: RULES });
    const svg = svgOf(page);
    for (const v of run.extras.topology.vnets.values()) expect(svg).toContain(`data-name="${attr(v.name)}"`);
    const view = buildTopologyView(run.extras.topology, run.report.findings);
    const broken = view.links.filter((l) => l.broken);
    expect(broken.length).toBeGreaterThan(0);
    for (const l of broken) expect(svg).toMatch(new RegExp(`class="edge s-${l.status} broken" data-link="${l.id}"`));
    const drawn = [...svg.matchAll(/class="edge [^"]*" data-link="[^"]+" data-status="[^"]+" data-source="[^"]*" data-target="[^"]*"><path class="halo" d="M[\d.]+ [\d.]+ L/g)];
    expect(drawn).toHaveLength(view.links.length);
  });

  it('shows a PARTIAL banner only when a scope was unreadable', async () => {
    const hostile = hostileRun();
    expect(await renderHtml(hostile.report, hostile.extras, { rules: RULES })).toContain('id="partial-banner"');
    const run = await exampleRun();
    expect(await renderHtml(run.report, run.extras, { rules: RULES })).not.toContain('PARTIAL AUDIT');
  });

  it('renders hostile names, tags, ids and messages as text', async () => {
    const run = hostileRun();
    const page = await renderHtml(run.report, run.extras, { rules: RULES });
    expect(page).not.toContain(HOSTILE);
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page).not.toMatch(/<(img|svg onload|script>alert)/i);
    expect(page.match(/<script\b/g)).toHaveLength(2); // the JSON data block and the filter script
    const markup = page.replace(/<script type="application\/json"[\s\S]*?<\/script>/, '');
    for (const breakout of [`x' onmouseover`, '"><svg onload', '"><script>alert', '</script><script>alert']) expect(markup).not.toContain(breakout);
    const data = /<script type="application\/json" id="peerguard-report">([\s\S]*?)<\/script>/.exec(page)?.[1] ?? '';
    expect(data).not.toMatch(/[<>\u2028]/);
    expect(JSON.parse(data)).toEqual(JSON.parse(JSON.stringify(run.report)));
  });

  it('is deterministic: the same input lays out to the same page', async () => {
    const run = await exampleRun();
    const a = await renderHtml(run.report, run.extras, { rules: RULES });
    const b = await renderHtml(run.report, run.extras, { rules: RULES });
    expect(a).toBe(b);
  });

  it('stays readable at 300 VNets: healthy spokes collapse, broken links stay drawn', async () => {
    const { run, broken } = largeRun(300);
    const view = buildTopologyView(run.extras.topology, run.report.findings);
    expect(view.collapsedSpokes).toBeGreaterThan(200);
    expect(view.nodes.filter((n) => n.kind === 'collapsed').map((n) => n.name)).toEqual(expect.arrayContaining([expect.stringMatching(/^\d+ healthy spokes$/)]));
    // two hubs, their two collapsed nodes, and every spoke with a broken link
    expect(view.nodes).toHaveLength(broken.length + 4);
    const page = await renderHtml(run.report, run.extras, { rules: RULES });
    const svg = svgOf(page);
    expect(broken.length).toBeGreaterThan(20);
    for (const b of broken) {
      expect(svg).toContain(`data-name="${b.spoke}"`);
      expect(svg).toMatch(new RegExp(`class="edge s-(one-sided|disconnected) broken"[^>]*data-source="${b.hub}" data-target="${b.spoke}"|class="edge s-(one-sided|disconnected) broken"[^>]*data-source="${b.spoke}" data-target="${b.hub}"`));
    }
    const layout = await layoutTopology(view);
    expect(layout.width).toBeLessThan(4000);
    expect(layout).toEqual(await layoutTopology(buildTopologyView(run.extras.topology, run.report.findings)));
  });

  it('does not draw a topology above DRAWING_LIMIT (its layout would take minutes), and says so; the findings stay', async () => {
    // 400 VNets, each peered both ways with the next two: no hub, so nothing collapses (800 links).
    const count = 400;
    const ids = Array.from({ length: count }, (_, i) => vnetId(`mesh-${String(i).padStart(3, '0')}`));
    const resources = ids.map((id, i) => {
      const peers = [i - 2, i - 1, i + 1, i + 2].filter((j) => j >= 0 && j < count).map((j) => ({ remote: ids[j] as string }));
      return { resource: vnet({ id, prefixes: [`10.${Math.floor(i / 200)}.${i % 200}.0/24`], peerings: peers }), source: 't' };
    });
    // One broken link, so that the findings table has a row to keep.
    resources.push({ resource: vnet({ id: vnetId('lonely'), prefixes: ['10.9.0.0/24'], peerings: [{ remote: ids[0] as string }] }), source: 't' });
    const run = auditResources({ resources, rules: RULES, config: DEFAULT_CONFIG, now: new Date('2026-11-25T08:00:00Z'), version: 'test', extraSubscriptions: [SUB_A], unreadable: [] });
    const view = buildTopologyView(run.extras.topology as NonNullable<typeof run.extras.topology>, run.report.findings);
    expect(view.links.length).toBeGreaterThan(DRAWING_LIMIT.links);
    const page = await renderHtml(run.report, run.extras, { rules: RULES });
    expect(page).not.toContain('<svg');
    expect(page).toContain(`Not drawn: with healthy spokes collapsed, the topology has ${view.nodes.length} nodes and ${view.links.length} links, more than the ${DRAWING_LIMIT.nodes} nodes and ${DRAWING_LIMIT.links} links this page draws`);
    expect(page).toContain('data-rule="peering-one-sided"');
  });

  it(`draws ${DRAWING_LIMIT.nodes} nodes (a chain of spokes in a few layers, not one layer per spoke), and not ${DRAWING_LIMIT.nodes + 1}`, async () => {
    const atLimit = chainRun(DRAWING_LIMIT.nodes - 1);
    const view = buildTopologyView(atLimit.extras.topology as NonNullable<typeof atLimit.extras.topology>, atLimit.report.findings);
    expect([view.nodes.length, view.links.length <= DRAWING_LIMIT.links, view.collapsedSpokes]).toEqual([DRAWING_LIMIT.nodes, true, 0]);
    const svg = svgOf(await renderHtml(atLimit.report, atLimit.extras, { rules: RULES }));
    expect(svg.match(/<g class="node /g)).toHaveLength(DRAWING_LIMIT.nodes);
    // Each link of the chain running from one spoke to the next made a layer per spoke: 30,000 px wide.
    const [width] = (/viewBox="0 0 ([\d.]+) ([\d.]+)"/.exec(svg) ?? []).slice(1).map(Number);
    expect(width).toBeLessThan(4000);

    const over = chainRun(DRAWING_LIMIT.nodes);
    const page = await renderHtml(over.report, over.extras, { rules: RULES });
    expect(page).not.toContain('<svg');
    expect(page).toContain(`Not drawn: with healthy spokes collapsed, the topology has ${DRAWING_LIMIT.nodes + 1} nodes and ${2 * DRAWING_LIMIT.nodes - 1} links, more than the ${DRAWING_LIMIT.nodes} nodes`);
  });

  it('shortens a long VNet name in the middle, keeping its end, with the full name as its tooltip', async () => {
    const long = 'vnet-prod-westeurope-landingzone-payments-settlement-spoke-017';
    const run = chainRun(2, (i) => (i === 0 ? long : 'vnet-b'));
    const svg = svgOf(await renderHtml(run.report, run.extras, { rules: RULES }));
    const { label, title } = nodeText(svg, long);
    expect(label).toMatch(/^vnet-prod-[a-z-]+…[a-z-]+-spoke-017$/);
    expect(label.length).toBeLessThan(long.length);
    expect(title.split('\n')[0]).toBe(long);
    expect(nodeText(svg, 'vnet-b')).toEqual({ label: 'vnet-b', title: expect.stringMatching(/^vnet-b\n/) });
  });

  it("shows a hub's name whole when its box can hold it (a hub's name is drawn larger)", async () => {
    for (const name of ['vnet-hub-weu-prod1', 'vnet-hub-westeurope-01', 'hub-connectivity-weu-001']) {
      const hub = vnetId(name);
      const spokes = ['spoke-a', 'spoke-b', 'spoke-c'].map((n) => vnetId(n));
      const resources = [
        vnet({ id: hub, prefixes: ['10.255.0.0/16'], peerings: spokes.map((remote) => ({ remote, allowGatewayTransit: true })) }),
        ...spokes.map((id, i) => vnet({ id, prefixes: [`10.0.${i}.0/24`], peerings: [{ remote: hub }] })),
      ].map((resource) => ({ resource, source: 't' }));
      const run = auditResources({ resources, rules: RULES, config: DEFAULT_CONFIG, now: new Date('2026-11-25T08:00:00Z'), version: 'test', extraSubscriptions: [SUB_A], unreadable: [] });
      expect(nodeText(svgOf(await renderHtml(run.report, run.extras, { rules: RULES })), name).label).toBe(name);
    }
  });

  it('escapes a long name with <script> in both its shortened label and its tooltip', async () => {
    const evil = '<script>alert(1)-vnet-prod-westeurope-landingzone-payments-<script>alert(2)';
    const run = chainRun(2, (i) => (i === 0 ? evil : 'vnet-b'));
    const page = await renderHtml(run.report, run.extras, { rules: RULES });
    expect(page).not.toContain('<script>alert');
    expect(page.match(/<script\b/g)).toHaveLength(2);
    const { label, title } = nodeText(svgOf(page), evil);
    expect(label).toMatch(/^&lt;script&gt;alert\(1\)[^<>]*…[^<>]*&lt;script&gt;alert\(2\)$/);
    // cut before escaping: no entity is cut in two
    expect(label.replace(/&(lt|gt|amp|quot|#39|#96);/g, '')).not.toContain('&');
    expect(title.split('\n')[0]).toBe(attr(evil));
  });

  it('is reachable through the format dispatch, asynchronously only', async () => {
    const run = await exampleRun();
    expect(FORMATS).toContain('html');
    expect(() => renderReport(run.report, 'html', run.extras, { rules: RULES, colour: false })).toThrow(/renderReportAsync/);
    expect(await renderReportAsync(run.report, 'html', run.extras, { rules: RULES, colour: false })).toContain('<svg');
    expect(await renderReportAsync(run.report, 'json', run.extras, { rules: RULES, colour: false })).toBe(JSON.stringify(run.report, null, 2) + '\n');
  });
});

describe('email HTML', () => {
  it('has no script, style block, SVG or external resource, and shows the topology as a table', async () => {
    const run = await exampleRun();
    const mail = renderEmailReport(run.report, run.extras, { rules: RULES });
    expect(mail).not.toMatch(/<script|<style|<svg|<img|<link|class=/i);
    expect(mail).toContain('>Hub</th>');
    const names = [
      'vnet-hub-weu', 'vnet-hub-neu', 'vnet-shared-dev', 'vnet-spoke1', 'vnet-spoke2-prod', 'vnet-spoke3-prod', 'vnet-spoke4-prod', 'vnet-spoke5-dev',
      'vnet-spoke6-dev', 'vnet-spoke7-dev', 'vnet-spoke8-dev', 'vnet-spoke9-dev', 'vnet-spoke10-prod', 'vnet-spoke11-prod', 'vnet-spoke12-dev', 'vnet-spoke13-dev',
    ];
    expect([...run.extras.topology.vnets.values()].map((v) => v.name).sort()).toEqual([...names].sort());
    for (const name of names) expect(mail).toContain(`>${name}<`);
    expect(mail).toContain(LINK_STYLES['one-sided'].label);
  });

  it('escapes hostile strings in the report and in an alert fragment', () => {
    const run = hostileRun();
    const mail = renderEmailReport(run.report, run.extras, { rules: RULES, title: HOSTILE });
    expect(mail).not.toContain(HOSTILE);
    expect(mail).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(mail).toContain('PARTIAL AUDIT');
    // Each finding's resource id as escaped text: < > " ' written as entities.
    const escapedIds: Record<string, string> = {
      'peering-one-sided':
        '/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks/hub/virtualNetworkPeerings/hub-to-&lt;img src=x onerror=alert(1)&gt;',
      'peering-disconnected':
        '/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-x&#39; onmouseover=&#39;alert(3)/providers/Microsoft.Network/virtualNetworks/x&#39; onmouseover=&#39;alert(3)/virtualNetworkPeerings/&quot;&gt;&lt;svg onload=alert(5)&gt;',
    };
    expect(run.report.findings.map((f) => f.ruleId).sort()).toEqual(Object.keys(escapedIds).sort());
    for (const f of run.report.findings) {
      const fragment = renderFindingEmailFragment(f, { rules: RULES });
      expect(fragment).not.toMatch(/<(img|svg|script)/i);
      expect(fragment).toContain(escapedIds[f.ruleId]);
      expect(fragment.startsWith('<table')).toBe(true);
    }
  });
  it('counts the subscriptions of unverified remotes when a shortened mail lists none of them', () => {
    const coverage = {
      subscriptions: [SUB_A],
      unreadable: [],
      outOfScope: [
        { subscription: 'ffff', reason: 'subscription-not-read' as const, peerings: 2 },
        { subscription: 'eeee', reason: 'subscription-not-read' as const, peerings: 1 },
      ],
    };
    const sentence = '3 peerings to 2 subscriptions not read, whose pairs are unverified.';
    expect(unverifiedText(coverage)).toBe(`${sentence} Their subscriptions: ffff, eeee.`);
    expect(unverifiedText(coverage, 1)).toBe(`${sentence} Their subscriptions: ffff and 1 more.`);
    expect(unverifiedText(coverage, 0)).toBe(`${sentence} Their remote VNets are in 2 subscriptions, not listed here.`);
    expect(unverifiedText({ ...coverage, outOfScope: [coverage.outOfScope[0]!] }, 0)).toMatch(/ in 1 subscription, not listed here\.$/);
    expect(coverageSectionHtml(coverage, 0).value).toContain('Their remote VNets are in 2 subscriptions, not listed here.');
  });
});

describe('counts in words', () => {
  it('says "1 VNet, 1 peering, 1 subscription" in the HTML report and the report mail, not "1 VNets"', async () => {
    const a = vnetId('a');
    const now = new Date('2026-03-02T06:00:00.000Z');
    const run = auditResources({ resources: [{ resource: vnet({ id: a, prefixes: ['10.0.0.0/16'], peerings: [{ remote: vnetId('b') }] }), source: 't' }], rules: RULES, config: DEFAULT_CONFIG, now, version: 'test', extraSubscriptions: [SUB_A], unreadable: [] });
    expect(await renderHtml(run.report, run.extras, { rules: RULES })).toContain('1 VNet, 1 peering</p>');
    const mail = composeReportMail({ report: run.report, changes: diffReports(undefined, run.report, new Map(), now), portalUrl: 'https://portal.azure.com', archivedAs: [], attachments: [], extras: run.extras, rules: RULES });
    expect(mail.text).toContain('Summary: 1 VNet, 1 peering, 1 subscription read.');
  });
});
