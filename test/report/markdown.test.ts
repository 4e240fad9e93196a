import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/engine/audit';
import { escapeMarkdown, MARKDOWN_MAX_CHARS, renderMarkdown } from '../../src/report/markdown';
import { renderReport } from '../../src/report/render';
import type { Severity } from '../../src/rules/rule';
import { SUB_A, vnetId } from '../support/estate';
import { RULES } from '../../src/rules';
import {
  ERROR_FINDING,
  HOSTILE_VNET,
  INFO_FINDING,
  partialReport,
  PIPE_NAME,
  realRun,
  SAMPLE_RULES,
  sampleExtras,
  sampleReport,
  UNREADABLE,
  WARNING_FINDING,
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

/** A finding of `severity` on the plain-named VNet `vnet-<i>`: an error has ERROR_FINDING's fix plan, the others none. */
function numbered(i: number, severity: Severity, message: string): Finding {
  const base = { error: ERROR_FINDING, warning: WARNING_FINDING, info: INFO_FINDING }[severity];
  return { ...base, resourceId: vnetId(`vnet-${i}`), message, fix: severity === 'error' ? ERROR_FINDING.fix : null };
}

/** The table row a `numbered` finding gets. */
function rowOf(f: Finding): string {
  return `| ${f.ruleId} (Title of ${f.ruleId}) | ${f.resourceId.slice(f.resourceId.lastIndexOf('/') + 1)} | ${escapeMarkdown(f.message)} |`;
}

/** The rows of the findings tables (the summary table left out). */
function findingRows(markdown: string): string[] {
  return tables(markdown).filter((t) => t.header === '| Rule | Resource | Message |').flatMap((t) => t.rows);
}

/** The counts of the closing line of a cut report: `[findings not shown, findings, plans not shown, plans]`. */
function leftOut(markdown: string): number[] {
  const closing = /\n\*\*Cut to fit a pull-request comment \(64000 characters\); not shown: (\d+) of (\d+) findings?(?:, (\d+) of (\d+) fix plans?)?\.\*\* The whole report: `peerguard audit --format json` or `--format sarif`\.\n$/.exec(markdown);
  expect(closing, 'the report ends with the line that counts what it leaves out').not.toBeNull();
  return closing!.slice(1).filter((count) => count !== undefined).map(Number);
}

describe('markdown renderer: the comment budget', () => {
  it('leaves a report that fits as it was, byte for byte, up to exactly the budget; one character more is cut', () => {
    const plain = renderMarkdown(
      sampleReport({
        summary: { vnets: 3, peerings: 2, findings: { error: 1, warning: 0, info: 1 } },
        findings: [
          { ...numbered(1, 'error', 'one-sided'), fix: { description: 'Delete the peering', destructive: true, operations: [{ method: 'DELETE', resourceId: `${vnetId('vnet-1')}/virtualNetworkPeerings/p`, apiVersion: '2024-05-01' }] } },
          numbered(2, 'info', 'not transitive'),
        ],
      }),
      sampleExtras(),
      SAMPLE_RULES,
    );
    expect(plain).toBe(`# peerguard audit report

peerguard 1.2.3 · generated 2026-11-25T08:00:00.000Z

## Summary

| | |
|---|---|
| Errors | 1 |
| Warnings | 0 |
| Info | 1 |
| VNets | 3 |
| Peerings | 2 |
| Subscriptions read | 2 |
| Coverage | complete |

## Errors (1)

| Rule | Resource | Message |
|---|---|---|
| rule-error (Title of rule-error) | vnet-1 | one-sided |

### Fix plans (errors)

**rule-error** on vnet-1: Delete the peering (**destructive**, 1 ARM operation)

1. DELETE /subscriptions/${SUB_A}/resourceGroups/rg-vnet-1/providers/Microsoft.Network/virtualNetworks/vnet-1/virtualNetworkPeerings/p?api-version=2024-05-01

## Info (1)

| Rule | Resource | Message |
|---|---|---|
| rule-info (Title of rule-info) | vnet-2 | not transitive |
`);

    // 100 findings, the last padded with plain letters (escaped as they are) to the budget exactly.
    const findings = (padding: number) => Array.from({ length: 100 }, (_, i) => numbered(i, 'info', `message ${i} ${'x'.repeat(i === 99 ? padding : 200)}`));
    const render = (padding: number) => renderMarkdown(sampleReport({ findings: findings(padding) }), sampleExtras(), SAMPLE_RULES);
    // The budget is in UTF-8 bytes (the report's own text holds a few characters past ASCII).
    const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
    const padding = MARKDOWN_MAX_CHARS - bytes(render(0));
    const full = render(padding);
    expect(bytes(full)).toBe(MARKDOWN_MAX_CHARS);
    expect(findingRows(full)).toEqual(findings(padding).map(rowOf));
    expect(full).not.toContain('Cut to fit');

    const over = render(padding + 1);
    expect(bytes(over)).toBeLessThanOrEqual(MARKDOWN_MAX_CHARS);
    expect(findingRows(over)).toEqual(findings(padding + 1).slice(0, 99).map(rowOf));
    expect(leftOut(over)).toEqual([1, 100]); // no fix plan, so none counted
  });

  it('cuts a report of 5,000 findings to the budget: whole rows, errors first, then a line that counts the rest', () => {
    // Listed info first, errors last: the report still shows errors first. Escaping lengthens the
    // messages; every seventh is short, which a cut must not slip in after a longer row left out.
    const findings = Array.from({ length: 5_000 }, (_, i) => {
      const severity: Severity = i >= 4_950 ? 'error' : i >= 4_850 ? 'warning' : 'info';
      return numbered(i, severity, `Finding ${i} on <vnet-${i}> | ${'peering not in sync, '.repeat(i % 7 === 0 ? 0 : 12)}`);
    });
    const markdown = renderMarkdown(sampleReport({ findings }), sampleExtras(), SAMPLE_RULES);
    expect(markdown.length).toBeLessThanOrEqual(MARKDOWN_MAX_CHARS);

    const rows = findingRows(markdown);
    for (const row of rows) expect(separators(row), row).toBe(4);
    const bySeverity = (s: Severity) => findings.filter((f) => f.severity === s);
    const expected = [...bySeverity('error'), ...bySeverity('warning'), ...bySeverity('info')].map(rowOf);
    expect(rows.length).toBeGreaterThan(150); // every error and warning, then some info
    expect(rows).toEqual(expected.slice(0, rows.length));
    expect(markdown.indexOf('## Errors (50)')).toBeLessThan(markdown.indexOf('## Warnings (100)'));
    expect(markdown.indexOf('## Warnings (100)')).toBeLessThan(markdown.indexOf('## Info (4850)'));

    const plansShown = (markdown.match(/^\*\*rule-error\*\* on /gm) ?? []).length;
    expect(leftOut(markdown)).toEqual([5_000 - rows.length, 5_000, 50 - plansShown, 50]);
  });

  it('a larger budget (--max-chars, e.g. Azure DevOps\' 150,000) keeps whole what 64,000 cuts; a smaller one cuts to it and says so', () => {
    const findings = Array.from({ length: 400 }, (_, i) => numbered(i, 'warning', `message ${i} ${'y'.repeat(250)}`));
    const report = sampleReport({ findings });
    const whole = renderMarkdown(report, sampleExtras(), SAMPLE_RULES, 150_000);
    expect(whole.length).toBeGreaterThan(MARKDOWN_MAX_CHARS);
    expect(whole.length).toBeLessThanOrEqual(150_000);
    expect(findingRows(whole)).toEqual(findings.map(rowOf));
    expect(whole).not.toContain('Cut to fit');
    expect(renderMarkdown(report, sampleExtras(), SAMPLE_RULES)).toContain('Cut to fit a pull-request comment (64000 characters)');

    const small = renderMarkdown(report, sampleExtras(), SAMPLE_RULES, 10_000);
    expect(small.length).toBeLessThanOrEqual(10_000);
    const rows = findingRows(small);
    expect(rows).toEqual(findings.slice(0, rows.length).map(rowOf));
    expect(small).toMatch(new RegExp(`\\n\\*\\*Cut to fit --max-chars \\(10000 characters\\); not shown: ${400 - rows.length} of 400 findings\\.\\*\\* The whole report: `));
  });

  it('counts UTF-8 bytes, so that a budget in bytes (GitHub\'s job summary, 1 MiB) holds for names in Japanese', () => {
    // 3 bytes a character: 400 findings of ~130 characters are ~52,000 characters but ~150,000 bytes.
    const findings = Array.from({ length: 400 }, (_, i) => numbered(i, 'warning', `${'東京リージョンの仮想ネットワーク'.repeat(8)} ${i}`));
    const markdown = renderMarkdown(sampleReport({ findings }), sampleExtras(), SAMPLE_RULES, 100_000);
    expect(Buffer.byteLength(markdown, 'utf8')).toBeLessThanOrEqual(100_000);
    expect(markdown.length).toBeLessThan(100_000 / 2);
    const rows = findingRows(markdown);
    expect(rows.length).toBeGreaterThan(100);
    expect(rows).toEqual(findings.slice(0, rows.length).map(rowOf));
    expect(markdown).toContain(`not shown: ${400 - rows.length} of 400 findings`);
  });

  it('keeps every row and cuts the fix plans after them, each plan whole', () => {
    const body = { properties: { note: 'x'.repeat(1_000) } };
    const findings = Array.from({ length: 200 }, (_, i) => ({
      ...numbered(i, 'error', `one-sided ${i}`),
      fix: { description: 'Create the reverse peering', destructive: false, operations: [{ method: 'PUT' as const, resourceId: vnetId(`back-${i}`), apiVersion: '2024-05-01', body }] },
    }));
    const markdown = renderMarkdown(sampleReport({ findings }), sampleExtras(), SAMPLE_RULES);
    expect(markdown.length).toBeLessThanOrEqual(MARKDOWN_MAX_CHARS);
    expect(findingRows(markdown)).toEqual(findings.map(rowOf));

    const plans = [...markdown.matchAll(/^\*\*rule-error\*\* on (vnet-\d+):/gm)].map((m) => m[1]);
    expect(plans.length).toBeGreaterThan(0);
    expect(plans).toEqual(findings.slice(0, plans.length).map((_, i) => `vnet-${i}`));
    const blocks = [...markdown.matchAll(/^```json\n([\s\S]*?)\n^```$/gm)].map((m) => JSON.parse(m[1]!) as unknown);
    expect(blocks).toEqual(plans.map(() => body));
    expect(leftOut(markdown)).toEqual([0, 200, 200 - plans.length, 200]);
  });

  it('caps huge lists of unreadable scopes and notices with "…and N more", keeping the banner, summary and findings', () => {
    const unreadable = Array.from({ length: 20_000 }, (_, i) => ({ scope: `sub-${i}`, reason: 'AuthorizationFailed: no Reader role' }));
    const notices = Array.from({ length: 5_000 }, (_, i) => ({ kind: 'expired-suppression' as const, message: `suppression ${i} of rule-error expired on 2026-01-01` }));
    const markdown = renderMarkdown(
      sampleReport({ coverage: { subscriptions: [SUB_A], unreadable, outOfScope: [] } }),
      sampleExtras({ notices }),
      SAMPLE_RULES,
    );
    expect(markdown.length).toBeLessThanOrEqual(MARKDOWN_MAX_CHARS);
    expect(markdown).toContain('> **PARTIAL AUDIT:** 20000 scope(s) could not be read; findings there are unknown.');
    expect(tables(markdown)[0]!.rows).toContain('| Coverage | **PARTIAL**: 20000 scope(s) unreadable |');

    const listed = (pattern: RegExp) => prose(markdown).filter((line) => pattern.test(line));
    const scopes = listed(/^- sub-\d+: /);
    expect(scopes.length).toBeGreaterThan(0);
    expect(scopes).toEqual(unreadable.slice(0, scopes.length).map((u) => `- ${u.scope}: ${u.reason}`));
    const shownNotices = listed(/^- suppression \d+ /);
    expect(shownNotices.length).toBeGreaterThan(0);
    expect(shownNotices).toEqual(notices.slice(0, shownNotices.length).map((n) => `- ${n.message}`));
    const more = '(`peerguard audit --format json` or `--format sarif` lists them all)';
    expect(listed(/^- …and /)).toEqual([`- …and ${20_000 - scopes.length} more ${more}`, `- …and ${5_000 - shownNotices.length} more ${more}`]);

    expect(findingRows(markdown)).toHaveLength(3);
    // Every finding and plan is shown: no closing line of "0 of 3 findings" (each list says what it left out).
    expect(markdown).not.toContain('Cut to fit a pull-request comment');
    expect(markdown).toContain('### Fix plans');
  });
});
