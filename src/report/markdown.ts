import type { Finding } from '../engine/audit';
import { nameOf, parseResourceId } from '../model/ids';
import type { Rule, Severity } from '../rules/rule';
import { operationLine } from './html-shared';
import { isPartial, noFindingsText, outOfScopeText, type AuditReport, type ReportExtras } from './report';

// A Markdown report (GitHub-flavoured: pull-request comments, wikis, job summaries). Every string
// that comes from Azure (names, ids, messages, reasons, bodies) goes through `escapeMarkdown`
// or into a fenced JSON block, so it renders as text and never as HTML, a link or a table cell.

const HEADINGS: Record<Severity, string> = { error: 'Errors', warning: 'Warnings', info: 'Info' };

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/**
 * Inline Markdown text, safe in a paragraph, a list item, a heading and a table cell:
 * line breaks become spaces (a newline would end a table row), control characters go,
 * `&`, `<`, `>` become entities (no HTML, no autolink), and every other character Markdown
 * could read as syntax (`|` of a table, backticks, emphasis, `[`/`]` of a link, `!`, `#`, `\`)
 * is backslash-escaped. GFM also links a bare `www.` (a VNet may be named `www.evil.example`):
 * its dot is escaped, which renders the same text and no link.
 */
export function escapeMarkdown(value: unknown): string {
  return String(value ?? '')
    .replace(/\r\n|[\r\n\u2028\u2029]/g, ' ')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')
    .replace(/[&<>]/g, (c) => ENTITIES[c] as string)
    .replace(/[\\`*_[\]|!~#]/g, (c) => `\\${c}`)
    .replace(/(www)\./gi, '$1\\.');
}

/** Escaped text that starts a line or a list item, where `-`, `+`, `=` or `1.` would open a block. */
function escapeLineStart(value: unknown): string {
  return escapeMarkdown(value)
    .replace(/^([-+=])/, '\\$1')
    .replace(/^(\d+)([.)])/, '$1\\$2');
}

export function renderMarkdown(report: AuditReport, extras: ReportExtras, rules: readonly Rule[]): string {
  const titles = new Map(rules.map((r) => [r.meta.id, r.meta.title]));
  const { summary, coverage } = report;
  const out: string[] = [];

  out.push(`# peerguard audit report`, '');
  out.push(`peerguard ${escapeMarkdown(report.tool.version)} · generated ${escapeMarkdown(report.generatedAt)}`, '');
  if (isPartial(report)) {
    out.push(
      `> **PARTIAL AUDIT:** ${coverage.unreadable.length} scope(s) could not be read; findings there are unknown.`,
      '',
    );
  }

  out.push('## Summary', '', '| | |', '|---|---|');
  out.push(`| Errors | ${summary.findings.error} |`);
  out.push(`| Warnings | ${summary.findings.warning} |`);
  out.push(`| Info | ${summary.findings.info} |`);
  out.push(`| VNets | ${summary.vnets} |`);
  out.push(`| Peerings | ${summary.peerings} |`);
  out.push(`| Subscriptions read | ${coverage.subscriptions.length} |`);
  out.push(
    `| Coverage | ${isPartial(report) ? `**PARTIAL**: ${coverage.unreadable.length} scope(s) unreadable` : 'complete'} |`,
  );
  const unverified = outOfScopeText(coverage);
  if (unverified) out.push(`| Remote VNets not read | ${unverified} |`);
  if (extras.suppressed.length > 0) out.push(`| Suppressed by configuration | ${extras.suppressed.length} |`);
  out.push('');

  if (isPartial(report)) {
    out.push('### Unreadable scopes', '');
    for (const u of coverage.unreadable) out.push(`- ${escapeLineStart(u.scope)}: ${escapeMarkdown(u.reason)}`);
    out.push('');
  }

  if (extras.notices.length > 0) {
    out.push('### Notices', '');
    for (const n of extras.notices) out.push(`- ${escapeLineStart(n.message)}`);
    out.push('');
  }

  if (report.findings.length === 0) out.push(noFindingsText(report), '');

  for (const severity of ['error', 'warning', 'info'] as const) {
    const group = report.findings.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    out.push(`## ${HEADINGS[severity]} (${group.length})`, '');
    out.push('| Rule | Resource | Message |', '|---|---|---|');
    for (const f of group) {
      const title = titles.get(f.ruleId);
      const rule = escapeMarkdown(f.ruleId) + (title ? ` (${escapeMarkdown(title)})` : '');
      out.push(`| ${rule} | ${escapeMarkdown(displayName(f.resourceId))} | ${escapeMarkdown(f.message)} |`);
    }
    out.push('');
    const withFix = group.filter((f) => f.fix);
    if (withFix.length > 0) {
      out.push(`### Fix plans (${HEADINGS[severity].toLowerCase()})`, '');
      for (const f of withFix) out.push(...fixPlan(f), '');
    }
  }

  return out.join('\n').replace(/\n+$/, '') + '\n';
}

/** A child resource (a peering) is shown with its parent: `vnet-hub / vnet-hub-to-spoke`. */
function displayName(resourceId: string): string {
  const parsed = parseResourceId(resourceId);
  if (parsed?.parentId) return `${nameOf(parsed.parentId)} / ${parsed.name}`;
  return nameOf(resourceId);
}

function fixPlan(f: Finding): string[] {
  const fix = f.fix;
  if (!fix) return [];
  const ops = fix.operations.length;
  const kind = fix.destructive ? '**destructive**' : 'safe';
  const lines = [
    `**${escapeMarkdown(f.ruleId)}** on ${escapeMarkdown(displayName(f.resourceId))}: ${escapeMarkdown(fix.description)} ` +
      `(${kind}, ${ops} ARM operation${ops === 1 ? '' : 's'})`,
    '',
  ];
  fix.operations.forEach((op, i) => {
    lines.push(`${i + 1}. ${escapeMarkdown(operationLine(op))}`);
  });
  const bodies = fix.operations.filter((op) => op.body !== undefined);
  if (bodies.length > 0) {
    // JSON.stringify never emits a raw newline inside a value and every line it writes starts
    // with a space or a JSON token, so no text from Azure can close the fence.
    lines.push('', '```json', JSON.stringify(bodies.length === 1 ? bodies[0]?.body : bodies.map((op) => op.body), null, 2), '```');
  }
  return lines;
}
