import { describe, expect, it } from 'vitest';
import { escapeMarkdown, renderMarkdown } from '../../src/report/markdown';
import { renderReport } from '../../src/report/render';
import { SUB_A } from '../support/estate';
import { RULES } from '../../src/rules';
import {
  ERROR_FINDING,
  HOSTILE_VNET,
  partialReport,
  PIPE_NAME,
  realRun,
  SAMPLE_RULES,
  sampleExtras,
  sampleReport,
  UNREADABLE,
} from './sample-report';

// The tests check what a GFM renderer relies on: no raw HTML outside code fences, no unescaped
// `[`, `]` or backtick, and table rows with as many cell separators as the header row, one row per
// finding; and, through a GFM parser (micromark), that names never become links.

/** Lines outside fenced code blocks. */
function prose(markdown: string): string[] {
  const lines: string[] = [];
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) {
      fenced = !fenced;
      continue;
    }
    if (!fenced) lines.push(line);
  }
  expect(fenced, 'every code fence is closed').toBe(false);
  return lines;
}

/** The cell separators GFM sees: pipes not escaped by a backslash. */
function separators(line: string): number {
  return (line.replace(/\\\\/g, '').match(/(?<!\\)\|/g) ?? []).length;
}

/** Every table: its header and body rows. */
function tables(markdown: string): { header: string; rows: string[] }[] {
  const lines = prose(markdown);
  const found: { header: string; rows: string[] }[] = [];
  lines.forEach((line, i) => {
    if (/^\|(-+\|)+$/.test(line) && i > 0) {
      const rows: string[] = [];
      for (let j = i + 1; j < lines.length && lines[j]!.startsWith('|'); j++) rows.push(lines[j]!);
      found.push({ header: lines[i - 1]!, rows });
    }
  });
  return found;
}

function hostileMarkdown(): string {
  return renderMarkdown(
    partialReport(),
    sampleExtras({ notices: [{ kind: 'expired-suppression', message: `1. <b>${PIPE_NAME}</b>` }] }),
    SAMPLE_RULES,
  );
}

describe('escapeMarkdown', () => {
  it.each([
    ['a|b', 'a\\|b'],
    [HOSTILE_VNET, '&lt;img src=x onerror=alert(1)&gt;'],
    ['`x`', '\\`x\\`'],
    ['[x](javascript:alert(1))', '\\[x\\](javascript:alert(1))'],
    ['![i](y)', '\\!\\[i\\](y)'],
    ['line1\nline2\r\nline3\rline4', 'line1 line2 line3 line4'],
    ['a & b &lt;', 'a &amp; b &amp;lt;'],
    ['*bold* _it_ ~~s~~ # h \\', '\\*bold\\* \\_it\\_ \\~\\~s\\~\\~ \\# h \\\\'],
    ['bell\u0007', 'bell'],
    ['www.evil.example WWW.x', 'www\\.evil.example WWW\\.x'],
  ])('%j → %j', (input, expected) => {
    expect(escapeMarkdown(input)).toBe(expected);
  });
});

describe('markdown renderer', () => {
  it('never turns a VNet name into a link, as GFM does with a bare www. name', async () => {
    // ES modules only: imported, not required.
    const { micromark } = await import('micromark');
    const { gfm, gfmHtml } = await import('micromark-extension-gfm');
    const vnetIdNamed = (name: string) => `/subscriptions/${SUB_A}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/${name}`;
    const peering = `${vnetIdNamed('www.evil.example')}/virtualNetworkPeerings/WWW.evil.example-peer`;
    const finding = { ...ERROR_FINDING, resourceId: peering, relatedResourceIds: [vnetIdNamed('www.evil.example')], message: 'on www.evil.example (www.evil.example)' };
    const markdown = renderMarkdown(sampleReport({ findings: [finding] }), sampleExtras(), SAMPLE_RULES);
    expect(markdown).toContain('www\\.evil.example');
    const html = micromark(markdown, { extensions: [gfm()], htmlExtensions: [gfmHtml()] });
    expect(html).toContain('www.evil.example');
    expect(html).not.toMatch(/<a /);
  });

  it('renders hostile Azure names as text: no HTML, no links, no code spans outside fences', () => {
    const lines = prose(hostileMarkdown());
    for (const line of lines) {
      expect(line, line).not.toMatch(/<[a-zA-Z!/?]/);
      expect(line, line).not.toMatch(/(?<!\\)[[\]`]/);
      expect(line.replace(/^> /, ''), line).not.toContain('>');
    }
    const text = lines.join('\n');
    expect(text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(text).toContain('a\\|b');
    expect(text).toContain('spoke\\`code\\`\\[x\\](javascript:alert(1))');
    expect(text).toContain('- 1\\. &lt;b&gt;a\\|b&lt;/b&gt;'); // a notice that would open a nested list
  });

  it('keeps every table intact: one row per finding, as many cells as the header', () => {
    const markdown = hostileMarkdown();
    const found = tables(markdown);
    expect(found.map((t) => t.header)).toEqual(['| | |', '| Rule | Resource | Message |', '| Rule | Resource | Message |', '| Rule | Resource | Message |']);
    for (const table of found) {
      for (const row of table.rows) expect(separators(row), row).toBe(separators(table.header));
    }
    expect(found.slice(1).map((t) => t.rows.length)).toEqual([1, 1, 1]);
    // The message's newline stays inside its row.
    const [errorRow] = found[1]!.rows;
    expect(errorRow).toContain('is one-sided:');
    expect(errorRow).toContain('has no \\| peering back.');
    expect(errorRow).toContain('&lt;img src=x onerror=alert(1)&gt; / a\\|b'); // the peering with its VNet
  });

  it('has a heading and a summary table with counts, VNets, peerings and coverage', () => {
    const markdown = renderMarkdown(sampleReport(), sampleExtras({ suppressed: [{ finding: ERROR_FINDING, suppression: { rule: 'rule-error', resource: 'x', reason: 'y', expires: '2099-01-01' } }] }), SAMPLE_RULES);
    expect(markdown.startsWith('# peerguard audit report\n')).toBe(true);
    const summary = tables(markdown)[0]!.rows;
    expect(summary).toEqual([
      '| Errors | 1 |',
      '| Warnings | 1 |',
      '| Info | 1 |',
      '| VNets | 3 |',
      '| Peerings | 2 |',
      '| Subscriptions read | 2 |',
      '| Coverage | complete |',
      '| Suppressed by configuration | 1 |',
    ]);
    expect(markdown).not.toContain('PARTIAL');
  });

  it('says PARTIAL, plainly, when some scope could not be read, and names each scope', () => {
    const markdown = hostileMarkdown();
    expect(markdown).toContain('> **PARTIAL AUDIT:** 2 scope(s) could not be read; findings there are unknown.');
    expect(tables(markdown)[0]!.rows).toContain('| Coverage | **PARTIAL**: 2 scope(s) unreadable |');
    expect(markdown).toContain(`- ${UNREADABLE[0]!.scope}: ${UNREADABLE[0]!.reason}`);
    expect(markdown).toContain('- /providers/Microsoft.Management/managementGroups/&lt;img src=x onerror=alert(1)&gt;: denied \\| \\`x\\`');

    const empty = renderMarkdown(
      { ...partialReport(), findings: [], summary: { vnets: 0, peerings: 0, findings: { error: 0, warning: 0, info: 0 } } },
      sampleExtras(),
      SAMPLE_RULES,
    );
    expect(empty).toContain('PARTIAL AUDIT');
    expect(empty).not.toContain('compliant');
  });

  it('groups findings by severity, each group followed by its fix plans', () => {
    const markdown = hostileMarkdown();
    const order = ['## Errors (1)', '### Fix plans (errors)', '## Warnings (1)', '## Info (1)', '### Fix plans (info)'].map((h) => markdown.indexOf(h));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(markdown).not.toContain('### Fix plans (warnings)'); // the warning has no fix
    expect(markdown).toContain('(**destructive**, 1 ARM operation)');
    expect(markdown).toContain('(safe, 1 ARM operation)');
    expect(markdown).toMatch(/^1\. PUT \/subscriptions\/.*\?api-version=2024-05-01$/m);
  });

  it('shows operation bodies as JSON in a fence that no Azure string can close', () => {
    const markdown = hostileMarkdown();
    const blocks = [...markdown.matchAll(/^```json\n([\s\S]*?)\n^```$/gm)].map((m) => JSON.parse(m[1]!) as unknown);
    expect(blocks).toEqual([ERROR_FINDING.fix!.operations[0]!.body]);
  });

  it('says so when there is nothing to report', () => {
    const clean = renderMarkdown(
      sampleReport({ findings: [], summary: { vnets: 2, peerings: 2, findings: { error: 0, warning: 0, info: 0 } } }),
      sampleExtras(),
      SAMPLE_RULES,
    );
    expect(clean).toContain('No findings: every peering read is compliant.');
    expect(clean).not.toContain('## Errors');
  });

  it('renders a real audit through renderReport as --format markdown', () => {
    const run = realRun();
    const markdown = renderReport(run.report, 'markdown', run.extras, { rules: RULES, colour: false });
    expect(markdown).toBe(renderMarkdown(run.report, run.extras, RULES));
    expect(markdown).toContain('## Errors (1)');
    expect(markdown).toContain('peering-one-sided (Peering exists on one side only)');
    expect(markdown).toContain('vnet-hub / vnet-hub-to-vnet-spoke');
    expect(markdown).toContain('### Fix plans (errors)');
    for (const table of tables(markdown)) for (const row of table.rows) expect(separators(row)).toBe(separators(table.header));
  });
});
