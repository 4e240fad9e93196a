import type { Finding } from '../engine/audit';
import { nameOf, parseResourceId, subscriptionOf } from '../model/ids';
import type { AuditReport } from '../report/report';
import type { ArmOperation, RuleMeta, Severity } from '../rules/rule';
import type { ChangeContext } from './model';
import { vnetIdOf } from './model';

// Email composition: pure. Every Azure string is escaped in HTML; styles are inline, layout is
// tables, there are no scripts and no external images (mail clients strip or block them).

export interface ComposedMail {
  subject: string;
  html: string;
  text: string;
}

export type RuleInfo = Pick<RuleMeta, 'id' | 'title' | 'docsUrl'>;

export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** `https://portal.azure.com/#@/resource/subscriptions/...` */
export function portalLink(portalUrl: string, resourceId: string): string {
  return `${portalUrl.replace(/\/+$/, '')}/#@/resource${resourceId.startsWith('/') ? '' : '/'}${resourceId}`;
}

/** The VNets a finding names: the one holding its resource first, then related ones. */
export function vnetsOf(finding: Finding): string[] {
  const seen = new Map<string, string>();
  for (const id of [finding.resourceId, ...finding.relatedResourceIds]) {
    const vnet = vnetIdOf(id);
    if (vnet && !seen.has(vnet.toLowerCase())) seen.set(vnet.toLowerCase(), vnet);
  }
  return [...seen.values()];
}

interface VnetLine {
  id: string;
  name: string;
  subscription: string;
  resourceGroup: string;
  link: string;
}

function vnetLines(finding: Finding, portalUrl: string): VnetLine[] {
  return vnetsOf(finding).map((id) => ({
    id,
    name: nameOf(id),
    subscription: subscriptionOf(id) ?? '?',
    resourceGroup: parseResourceId(id)?.resourceGroup ?? '?',
    link: portalLink(portalUrl, id),
  }));
}

function callerText(change: ChangeContext | undefined): string | undefined {
  const c = change?.caller;
  if (!c) return undefined;
  const who = [c.name, c.upn && c.upn !== c.name ? `<${c.upn}>` : undefined].filter(Boolean).join(' ');
  return who || (c.appId ? `application ${c.appId}` : undefined);
}

function changeLines(change: ChangeContext | undefined): [string, string][] {
  if (!change) return [];
  if (change.source !== 'event') return [['Detected by', change.source === 'scheduled-audit' ? 'the scheduled audit' : 'an on-demand audit']];
  const lines: [string, string][] = [];
  lines.push(['Changed by', callerText(change) ?? 'unknown caller']);
  if (change.operationName) lines.push(['Operation', change.operationName]);
  if (change.eventTime) lines.push(['When', change.eventTime]);
  if (change.subject) lines.push(['Resource changed', change.subject]);
  if (change.eventId) lines.push(['Event id', change.eventId]);
  if (change.correlationId) lines.push(['Correlation id', change.correlationId]);
  return lines;
}

function operationText(op: ArmOperation): string {
  const query = new URLSearchParams({ 'api-version': op.apiVersion, ...(op.query ?? {}) }).toString();
  return `${op.method} ${op.resourceId}?${query}`;
}

const SEVERITY_COLOUR: Record<Severity, string> = { error: '#b00020', warning: '#9a6700', info: '#0b5cad' };

const TD = 'style="padding:4px 8px;border:1px solid #d0d7de;vertical-align:top;text-align:left"';
const TH = 'style="padding:4px 8px;border:1px solid #d0d7de;background:#f6f8fa;text-align:left"';
const TABLE = 'style="border-collapse:collapse;font-family:Segoe UI,Arial,sans-serif;font-size:14px"';

function htmlDocument(title: string, body: string): string {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="font-family:Segoe UI,Arial,sans-serif;font-size:14px;color:#1f2328">${body}</body></html>`;
}

function kvTable(rows: [string, string][]): string {
  return `<table ${TABLE}>${rows.map(([k, v]) => `<tr><th ${TH}>${escapeHtml(k)}</th><td ${TD}>${escapeHtml(v)}</td></tr>`).join('')}</table>`;
}

function link(href: string, text: string): string {
  return `<a href="${escapeHtml(href)}" style="color:#0969da">${escapeHtml(text)}</a>`;
}

function pairLabel(finding: Finding): string {
  const names = vnetsOf(finding).map(nameOf);
  return names.length > 0 ? names.join(' <-> ') : nameOf(finding.resourceId);
}

export interface AlertMailInput {
  kind: 'opened' | 'resolved';
  finding: Finding;
  rule: RuleInfo | undefined;
  /** The change that opened (or resolved) the finding. */
  change: ChangeContext | undefined;
  firstSeen: string;
  resolvedAt?: string;
  portalUrl: string;
}

export function composeAlertMail(input: AlertMailInput): ComposedMail {
  const { finding, rule, kind } = input;
  const title = rule?.title ?? finding.ruleId;
  const label = pairLabel(finding);
  const subject =
    kind === 'opened'
      ? `[peerguard] ${finding.severity.toUpperCase()} ${finding.ruleId}: ${label}`
      : `[peerguard] RESOLVED ${finding.ruleId}: ${label}`;
  const headline = kind === 'opened' ? `New ${finding.severity}: ${title}` : `Resolved: ${title}`;
  const vnets = vnetLines(finding, input.portalUrl);
  const changes = changeLines(input.change);
  const fix = finding.fix;
  const facts: [string, string][] = [
    ['Rule', `${finding.ruleId} (${title})`],
    ['Severity', finding.severity],
    ['Resource', finding.resourceId],
    ['First seen', input.firstSeen],
    ...(input.resolvedAt ? ([['Resolved at', input.resolvedAt]] as [string, string][]) : []),
    ['Fingerprint', finding.fingerprint],
  ];

  // Plain text.
  const text: string[] = [headline, ''];
  text.push(kind === 'opened' ? `What is wrong: ${finding.message}` : `No longer found: ${finding.message}`, '');
  text.push('VNets:');
  for (const v of vnets) text.push(`  - ${v.name} (subscription ${v.subscription}, resource group ${v.resourceGroup})`, `    ${v.link}`);
  text.push('', `Resource: ${finding.resourceId}`, `  ${portalLink(input.portalUrl, finding.resourceId)}`, '');
  if (kind === 'opened') {
    if (fix) {
      text.push(`How to fix${fix.destructive ? ' (destructive: deletes or re-creates resources)' : ''}: ${fix.description}`);
      fix.operations.forEach((op, i) => {
        text.push(`  ${i + 1}. ${operationText(op)}`);
        if (op.body !== undefined) text.push(`     body: ${JSON.stringify(op.body)}`);
      });
    } else {
      text.push('How to fix: no automatic fix; see the rule documentation.');
    }
    if (rule?.docsUrl) text.push(`Documentation: ${rule.docsUrl}`);
    text.push('');
  }
  if (changes.length > 0) {
    text.push(kind === 'opened' ? 'The change that revealed it:' : 'The change that resolved it:');
    for (const [k, v] of changes) text.push(`  ${k}: ${v}`);
    text.push('');
  }
  for (const [k, v] of facts) text.push(`${k}: ${v}`);

  // HTML.
  const colour = kind === 'opened' ? SEVERITY_COLOUR[finding.severity] : '#1a7f37';
  const html: string[] = [];
  html.push(`<h2 style="color:${colour};margin:0 0 12px 0">${escapeHtml(headline)}</h2>`);
  html.push(`<p style="margin:0 0 12px 0"><strong>${kind === 'opened' ? 'What is wrong' : 'No longer found'}:</strong> ${escapeHtml(finding.message)}</p>`);
  html.push(`<h3 style="margin:16px 0 6px 0">VNets</h3><table ${TABLE}><tr><th ${TH}>VNet</th><th ${TH}>Subscription</th><th ${TH}>Resource group</th><th ${TH}>Portal</th></tr>`);
  for (const v of vnets) {
    html.push(`<tr><td ${TD}>${escapeHtml(v.name)}</td><td ${TD}>${escapeHtml(v.subscription)}</td><td ${TD}>${escapeHtml(v.resourceGroup)}</td><td ${TD}>${link(v.link, 'open in portal')}</td></tr>`);
  }
  html.push('</table>');
  html.push(`<p style="margin:12px 0">Resource: ${link(portalLink(input.portalUrl, finding.resourceId), finding.resourceId)}</p>`);
  if (kind === 'opened') {
    html.push(`<h3 style="margin:16px 0 6px 0">How to fix</h3>`);
    if (fix) {
      html.push(`<p style="margin:0 0 6px 0">${escapeHtml(fix.description)}${fix.destructive ? ' <strong style="color:#b00020">Destructive: deletes or re-creates resources.</strong>' : ''}</p>`);
      html.push(`<table ${TABLE}><tr><th ${TH}>#</th><th ${TH}>Operation</th><th ${TH}>Body</th></tr>`);
      fix.operations.forEach((op, i) => {
        html.push(
          `<tr><td ${TD}>${i + 1}</td><td ${TD}><code>${escapeHtml(operationText(op))}</code></td><td ${TD}>${op.body === undefined ? '' : `<pre style="margin:0;font-size:12px;white-space:pre-wrap">${escapeHtml(JSON.stringify(op.body, null, 2))}</pre>`}</td></tr>`,
        );
      });
      html.push('</table>');
    } else {
      html.push('<p style="margin:0">No automatic fix; see the rule documentation.</p>');
    }
    if (rule?.docsUrl) html.push(`<p style="margin:6px 0">Documentation: ${link(rule.docsUrl, rule.docsUrl)}</p>`);
  }
  if (changes.length > 0) {
    html.push(`<h3 style="margin:16px 0 6px 0">${kind === 'opened' ? 'The change that revealed it' : 'The change that resolved it'}</h3>`);
    html.push(kvTable(changes));
  }
  html.push(`<h3 style="margin:16px 0 6px 0">Details</h3>`);
  html.push(kvTable(facts));
  return { subject, html: htmlDocument(subject, html.join('')), text: text.join('\n') + '\n' };
}

// ---- the scheduled report ----

export interface ReportChanges {
  previousGeneratedAt: string | undefined;
  new: Finding[];
  resolved: Finding[];
  stillOpen: { finding: Finding; firstSeen: string; ageDays: number }[];
}

/** What changed since the previous report (by fingerprint), with the age of what is still open. */
export function diffReports(
  previous: AuditReport | undefined,
  current: AuditReport,
  firstSeen: ReadonlyMap<string, string>,
  now: Date,
): ReportChanges {
  const before = new Map((previous?.findings ?? []).map((f) => [f.fingerprint, f]));
  const after = new Set(current.findings.map((f) => f.fingerprint));
  const changes: ReportChanges = { previousGeneratedAt: previous?.generatedAt, new: [], resolved: [], stillOpen: [] };
  for (const f of current.findings) {
    if (!previous || !before.has(f.fingerprint)) {
      changes.new.push(f);
      continue;
    }
    const since = firstSeen.get(f.fingerprint) ?? previous.generatedAt;
    changes.stillOpen.push({ finding: f, firstSeen: since, ageDays: Math.max(0, Math.floor((now.getTime() - Date.parse(since)) / 86_400_000)) });
  }
  for (const f of previous?.findings ?? []) if (!after.has(f.fingerprint)) changes.resolved.push(f);
  return changes;
}

export interface ReportMailInput {
  report: AuditReport;
  changes: ReportChanges;
  portalUrl: string;
  /** Where the report was archived (blob paths), for the footer. */
  archivedAs: string[];
  attachments: string[];
}

function findingsTableHtml(findings: readonly Finding[], portalUrl: string, extra?: (f: Finding) => string, extraHeader?: string): string {
  if (findings.length === 0) return '<p style="margin:0 0 8px 0;color:#57606a">None.</p>';
  const rows = findings
    .map(
      (f) =>
        `<tr><td ${TD}><span style="color:${SEVERITY_COLOUR[f.severity]}">${escapeHtml(f.severity)}</span></td><td ${TD}>${escapeHtml(f.ruleId)}</td><td ${TD}>${link(portalLink(portalUrl, f.resourceId), nameOf(f.resourceId))}</td><td ${TD}>${escapeHtml(f.message)}</td>${extra ? `<td ${TD}>${escapeHtml(extra(f))}</td>` : ''}</tr>`,
    )
    .join('');
  return `<table ${TABLE}><tr><th ${TH}>Severity</th><th ${TH}>Rule</th><th ${TH}>Resource</th><th ${TH}>Message</th>${extraHeader ? `<th ${TH}>${escapeHtml(extraHeader)}</th>` : ''}</tr>${rows}</table>`;
}

export function composeReportMail(input: ReportMailInput): ComposedMail {
  const { report, changes } = input;
  const partial = report.coverage.unreadable.length > 0;
  const counts = report.summary.findings;
  const date = report.generatedAt.slice(0, 10);
  const subject = `[peerguard] Compliance report ${date}: ${counts.error} errors, ${counts.warning} warnings, ${counts.info} info${partial ? ' (PARTIAL)' : ''}`;
  const ageOf = new Map(changes.stillOpen.map((s) => [s.finding.fingerprint, s]));
  const since = changes.previousGeneratedAt ? `since the last report (${changes.previousGeneratedAt})` : 'since the last report (none: this is the first)';

  const text: string[] = [subject, ''];
  if (partial) text.push('PARTIAL: some scopes could not be read; this report is not a statement of compliance for them.', '');
  text.push(
    `Summary: ${report.summary.vnets} VNets, ${report.summary.peerings} peerings, ${report.coverage.subscriptions.length} subscriptions read.`,
    `Findings: ${counts.error} error, ${counts.warning} warning, ${counts.info} info.`,
    '',
    `Changes ${since}: ${changes.new.length} new, ${changes.resolved.length} resolved, ${changes.stillOpen.length} still open.`,
  );
  for (const f of changes.new) text.push(`  NEW       [${f.severity}] ${f.ruleId}: ${f.message}`);
  for (const f of changes.resolved) text.push(`  RESOLVED  [${f.severity}] ${f.ruleId}: ${f.message}`);
  for (const s of changes.stillOpen) text.push(`  OPEN ${String(s.ageDays).padStart(3)}d [${s.finding.severity}] ${s.finding.ruleId}: ${s.finding.message}`);
  text.push('', 'All findings:');
  if (report.findings.length === 0) text.push('  none');
  for (const f of report.findings) text.push(`  [${f.severity}] ${f.ruleId} ${f.resourceId}`, `      ${f.message}`);
  text.push('', 'Coverage:', `  subscriptions read: ${report.coverage.subscriptions.join(', ') || 'none'}`);
  if (report.coverage.unreadable.length === 0) text.push('  unreadable: none');
  for (const u of report.coverage.unreadable) text.push(`  UNREADABLE ${u.scope}: ${u.reason}`);
  if (input.attachments.length > 0) text.push('', `Attached: ${input.attachments.join(', ')}`);
  if (input.archivedAs.length > 0) text.push(`Archived as: ${input.archivedAs.join(', ')}`);

  const html: string[] = [];
  html.push(`<h2 style="margin:0 0 12px 0">peerguard compliance report ${escapeHtml(date)}</h2>`);
  if (partial) {
    html.push('<p style="margin:0 0 12px 0;padding:8px;background:#fff8c5;border:1px solid #d4a72c"><strong>PARTIAL</strong>: some scopes could not be read; this report is not a statement of compliance for them.</p>');
  }
  html.push(
    kvTable([
      ['VNets', String(report.summary.vnets)],
      ['Peerings', String(report.summary.peerings)],
      ['Subscriptions read', String(report.coverage.subscriptions.length)],
      ['Errors', String(counts.error)],
      ['Warnings', String(counts.warning)],
      ['Info', String(counts.info)],
    ]),
  );
  html.push(`<h3 style="margin:16px 0 6px 0">Changes ${escapeHtml(since)}</h3>`);
  html.push(`<h4 style="margin:8px 0 4px 0">New (${changes.new.length})</h4>`, findingsTableHtml(changes.new, input.portalUrl));
  html.push(`<h4 style="margin:8px 0 4px 0">Resolved (${changes.resolved.length})</h4>`, findingsTableHtml(changes.resolved, input.portalUrl));
  html.push(
    `<h4 style="margin:8px 0 4px 0">Still open (${changes.stillOpen.length})</h4>`,
    findingsTableHtml(changes.stillOpen.map((s) => s.finding), input.portalUrl, (f) => `${ageOf.get(f.fingerprint)?.ageDays ?? 0} days`, 'Age'),
  );
  html.push(`<h3 style="margin:16px 0 6px 0">All findings (${report.findings.length})</h3>`, findingsTableHtml(report.findings, input.portalUrl));
  html.push(`<h3 style="margin:16px 0 6px 0">Coverage</h3>`);
  const coverageRows: [string, string][] = [['Subscriptions read', report.coverage.subscriptions.join(', ') || 'none']];
  for (const u of report.coverage.unreadable) coverageRows.push([`Unreadable: ${u.scope}`, u.reason]);
  if (report.coverage.unreadable.length === 0) coverageRows.push(['Unreadable', 'none']);
  html.push(kvTable(coverageRows));
  if (input.attachments.length > 0) html.push(`<p style="margin:12px 0 0 0;color:#57606a">Attached: ${escapeHtml(input.attachments.join(', '))}</p>`);
  if (input.archivedAs.length > 0) html.push(`<p style="margin:4px 0 0 0;color:#57606a">Archived as: ${escapeHtml(input.archivedAs.join(', '))}</p>`);
  return { subject, html: htmlDocument(subject, html.join('')), text: text.join('\n') + '\n' };
}
