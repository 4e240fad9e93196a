import { groupBy } from '../collections';
import { createColors } from 'picocolors';
import type { Rule, Severity } from '../rules/rule';
import { escapeTerminal as t } from './escape';
import { auditedNothing, isPartial, noFindingsText, outOfScopeSentence, plural, type AuditReport, type ReportExtras } from './report';

// The default console report: findings grouped by severity, then rule, in plain sentences. Text
// that comes from the input goes through `t` (escapeTerminal): only our own colours reach the terminal raw.

const HEADINGS: Record<Severity, string> = { error: 'ERRORS', warning: 'WARNINGS', info: 'INFO' };

export function renderTable(report: AuditReport, extras: ReportExtras, rules: readonly Rule[], colour: boolean): string {
  const c = createColors(colour);
  const paint: Record<Severity, (s: string) => string> = { error: c.red, warning: c.yellow, info: c.cyan };
  const titles = new Map(rules.map((r) => [r.meta.id, r.meta.title]));
  const lines: string[] = [];
  const { summary, coverage } = report;
  lines.push(
    c.bold(`peerguard ${report.tool.version}`) +
      ` · ${plural(summary.vnets, 'VNet')}, ${plural(summary.peerings, 'peering')}, ${plural(coverage.subscriptions.length, 'subscription')} · ${report.generatedAt}`,
  );
  for (const severity of ['error', 'warning', 'info'] as const) {
    const group = report.findings.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    lines.push('', paint[severity](c.bold(`${HEADINGS[severity]} (${group.length})`)));
    for (const [ruleId, findings] of groupBy(group, (f) => f.ruleId)) {
      lines.push(`  ${paint[severity](ruleId)} ${c.dim(`— ${titles.get(ruleId) ?? ''}`)}`);
      for (const f of findings) {
        lines.push(`    • ${t(f.message)}`);
        lines.push(c.dim(`      ${t(f.resourceId)}`));
        if (f.fix) {
          const kind = f.fix.destructive ? 'destructive fix' : 'fix';
          lines.push(c.dim(`      ${kind}: ${t(f.fix.description)} (${f.fix.operations.length} ARM operation${f.fix.operations.length === 1 ? '' : 's'})`));
        }
      }
    }
  }
  if (extras.suppressed.length > 0) {
    lines.push('', c.dim(`${extras.suppressed.length} finding(s) suppressed by configuration.`));
  }
  for (const notice of extras.notices) lines.push(c.yellow(`notice: ${t(notice.message)}`));
  lines.push('');
  if (isPartial(report)) {
    lines.push(c.yellow(c.bold(`PARTIAL AUDIT: ${coverage.unreadable.length} scope(s) could not be read; findings there are unknown.`)));
    for (const u of coverage.unreadable) lines.push(c.yellow(`  ${t(u.scope)}: ${t(u.reason)}`));
  }
  const counts = summary.findings;
  const total = counts.error + counts.warning + counts.info;
  if (total === 0 && !isPartial(report)) lines.push((auditedNothing(report) ? c.yellow : c.green)(noFindingsText(report)));
  else {
    const unverified = outOfScopeSentence(coverage);
    lines.push(`${counts.error} error(s), ${counts.warning} warning(s), ${counts.info} info.${unverified ? ` ${unverified}` : ''}`);
  }
  return lines.join('\n') + '\n';
}
