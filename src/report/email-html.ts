import type { Finding } from '../engine/audit';
import type { Rule } from '../rules/rule';
import { escapeHtml, html, raw, type RawHtml } from './escape';
import { SEVERITY_ORDER, SEVERITY_STYLE, operationView, ruleTitles, subjectOf } from './html-shared';
import { firstFew, isPartial, noFindingsText, outOfScopeSentence, plural, type AuditReport, type Coverage, type ReportExtras } from './report';
import { LINK_STYLES, buildTopologyView, hubSpokeTable, type ViewLink, type ViewNode } from './topology-view';

/*
 * Email-safe HTML: what mail clients render. Inline styles only, layout in tables, no <script>,
 * no <style> block, no SVG, no images, no external resources. Every string from Azure is escaped
 * (via `html`/`escapeHtml` from ./escape). The topology is a compact table (hub → peers with
 * link status as symbol + word + colour), since a drawing cannot be embedded reliably.
 *
 * API (pure, synchronous):
 *   renderEmailReport(report, extras, options?) → string
 *       A complete HTML document for the scheduled report mail: PARTIAL banner when
 *       coverage.unreadable is non-empty, summary (with the suppressed count and the notices),
 *       coverage (with the peerings whose remote was not read), topology table (when
 *       extras.topology is set), findings with fix plans (at most options.maxFindings, default
 *       MAX_EMAIL_FINDINGS; the rest are counted).
 *   renderEmailReportBody(report, extras, options?) → string
 *       The same content without <html>/<body>, to place inside another mail.
 *   partialNoticeHtml, summaryHtml, coverageSectionHtml, topologySectionHtml, findingsSectionHtml
 *       Its parts, for a mail that places its own sections between them (the report mail puts
 *       what remediation did before the coverage, and what changed after it).
 *   renderFindingEmailFragment(finding, options?) → string
 *       One finding as a self-contained block (a <table>) for an alert mail body: severity,
 *       rule (with title and docs link when options.rules names it), resource, message, fix plan.
 *   renderTopologyEmailTable(topology-view) → string
 *       The hub → spokes table alone.
 * Options: { rules?: readonly Rule[]; title?: string; reportUrl?: string (a link to the full
 * HTML report, e.g. its stored copy); maxFindings?: number; collapseAbove?: number }.
 */

export interface EmailOptions {
  rules?: readonly Rule[];
  title?: string;
  /** Link to the full HTML report (e.g. the scheduled report's stored copy). */
  reportUrl?: string;
  maxFindings?: number;
  /** Healthy spokes of a hub beyond this are counted, not listed. */
  collapseAbove?: number;
  /** Topology rows beyond this are counted, not listed (a mail must stay within its size limit). */
  maxTopologyRows?: number;
  /** Unreadable scopes (and subscriptions not read) beyond this are counted, not listed in the PARTIAL banner and the coverage (same reason). */
  maxUnreadable?: number;
}

const FONT = 'font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;line-height:1.4;color:#1d2330';
const TABLE = 'border-collapse:collapse;width:100%;max-width:900px';
const TH = 'padding:6px 10px;border:1px solid #d8dde6;background:#f2f5f9;text-align:left;font-size:12px;color:#5f6b7a';
const TD = 'padding:6px 10px;border:1px solid #d8dde6;vertical-align:top;text-align:left';
const MONO = 'font-family:Consolas,Menlo,monospace;font-size:12px';

function severityPill(severity: Finding['severity']): RawHtml {
  const s = SEVERITY_STYLE[severity];
  return html`<span style="display:inline-block;padding:1px 8px;border-radius:9px;background:${s.background};color:${s.colour};font-weight:bold;font-size:12px">${s.label}</span>`;
}

function fixPlanEmail(finding: Finding): RawHtml {
  if (!finding.fix) return html`<span style="color:#5f6b7a">No automatic fix.</span>`;
  const fix = finding.fix;
  const ops = fix.operations.map((op) => {
    const v = operationView(op);
    return html`<li style="margin:4px 0"><b>${v.method}</b> <span style="${MONO};word-break:break-all">${v.resourceId}${v.query}</span>${
      v.body === undefined ? '' : html`<pre style="${MONO};background:#f4f6fa;padding:6px;margin:4px 0 0;white-space:pre-wrap;word-break:break-all">${v.body}</pre>`
    }</li>`;
  });
  return html`<div>${fix.destructive ? html`<b style="color:#b71c1c">Destructive fix:</b> ` : html`<b>Fix:</b> `}${fix.description}<ol style="margin:4px 0 0;padding-left:20px">${ops}</ol></div>`;
}

function findingBlock(finding: Finding, rules: readonly Rule[]): RawHtml {
  const meta = ruleTitles(rules).get(finding.ruleId);
  const rule = meta
    ? html`<span style="${MONO}">${finding.ruleId}</span> · <a href="${meta.docsUrl}" style="color:#1a4fa3">${meta.title}</a>`
    : html`<span style="${MONO}">${finding.ruleId}</span>`;
  return html`<table role="presentation" cellpadding="0" cellspacing="0" style="${TABLE};margin:0 0 12px" data-fingerprint="${finding.fingerprint}">
<tr><th style="${TH};width:110px">Severity</th><td style="${TD}">${severityPill(finding.severity)}</td></tr>
<tr><th style="${TH}">Rule</th><td style="${TD}">${rule}</td></tr>
<tr><th style="${TH}">Resource</th><td style="${TD}">${subjectOf(finding.resourceId)}<br><span style="${MONO};color:#5f6b7a;word-break:break-all">${finding.resourceId}</span></td></tr>
<tr><th style="${TH}">Finding</th><td style="${TD}">${finding.message}</td></tr>
<tr><th style="${TH}">Fix plan</th><td style="${TD}">${fixPlanEmail(finding)}</td></tr>
</table>`;
}

/** One finding for an alert mail (see the API note at the top of this file). */
export function renderFindingEmailFragment(finding: Finding, options: Pick<EmailOptions, 'rules'> = {}): string {
  return findingBlock(finding, options.rules ?? []).value;
}

function statusCell(link: ViewLink): RawHtml {
  const st = LINK_STYLES[link.status];
  return html`<span style="color:${st.colour};font-weight:${st.broken ? 'bold' : 'normal'}">${st.symbol} ${st.label}</span>`;
}

function peerName(node: ViewNode): RawHtml {
  const note = node.kind === 'collapsed' ? '' : node.external === 'missing' ? ' (missing)' : node.external === 'out-of-scope' ? ' (not read)' : '';
  return html`${node.name}<span style="color:#5f6b7a">${note}</span>`;
}

/** The topology as a compact table: each hub with its peers and link status; then other links. */
export function renderTopologyEmailTable(view: ReturnType<typeof buildTopologyView>, maxRows = Infinity): string {
  const { hubs, others } = hubSpokeTable(view);
  const rows: RawHtml[] = [];
  for (const { hub, spokes } of hubs) {
    spokes.forEach(({ node, link }, i) => {
      rows.push(
        html`<tr>${
          i === 0
            ? html`<td style="${TD};font-weight:bold" rowspan="${spokes.length}">${hub.name}${hub.badges.length > 0 ? html`<br><span style="font-weight:normal;color:#5f6b7a;font-size:12px">${hub.badges.map((b) => b.code).join(' · ')}</span>` : ''}</td>`
            : ''
        }<td style="${TD}">${peerName(node)}</td><td style="${TD}">${statusCell(link)}</td></tr>`,
      );
    });
  }
  for (const { a, b, link } of others) rows.push(html`<tr><td style="${TD}">${peerName(a)}</td><td style="${TD}">${peerName(b)}</td><td style="${TD}">${statusCell(link)}</td></tr>`);
  if (rows.length === 0) return html`<p style="color:#5f6b7a">No peerings.</p>`.value;
  // Cut only between hubs (or between other links), so that no rowspan reaches past the table.
  let shown = rows.length;
  if (rows.length > maxRows) {
    shown = 0;
    for (const { spokes } of hubs) {
      if (shown + spokes.length > maxRows) break;
      shown += spokes.length;
    }
    const hubRows = hubs.reduce((n, h) => n + h.spokes.length, 0);
    if (shown === hubRows) shown = Math.min(rows.length, Math.max(shown, maxRows));
  }
  const more = rows.length - shown;
  if (shown === 0) return html`<p style="color:#5f6b7a">${rows.length} peering row(s), not listed here (see the full report).</p>`.value;
  return html`<table role="presentation" cellpadding="0" cellspacing="0" style="${TABLE}"><tr><th style="${TH}">Hub</th><th style="${TH}">Peer</th><th style="${TH}">Link</th></tr>${rows.slice(0, shown)}</table>${
    more > 0 ? html`<p style="color:#5f6b7a">…and ${more} more row(s) (see the full report).</p>` : ''
  }`.value;
}

/**
 * A notice across the top of a mail (PARTIAL, shortened, not mailed before): `cellStyle` colours
 * the box; `content` is markup from `html` (text in it is escaped there).
 */
export function noticeBoxHtml(cellStyle: string, content: RawHtml): RawHtml {
  return html`<table role="presentation" cellpadding="0" cellspacing="0" style="${TABLE};margin:0 0 14px"><tr><td style="padding:10px 14px;${cellStyle}">${content}</td></tr></table>`;
}

/** How many findings an email shows with their fix plans unless told otherwise; the rest are counted. */
export const MAX_EMAIL_FINDINGS = 100;

/**
 * The PARTIAL box: the scopes not read (at most `maxUnreadable`, the rest counted), or '' for a
 * complete audit. A mail places it right under its title, where no client clips it away.
 */
export function partialNoticeHtml(report: AuditReport, maxUnreadable = Infinity): RawHtml | '' {
  if (!isPartial(report)) return '';
  const { unreadable } = report.coverage;
  return noticeBoxHtml(
    'background:#fff3cd;border:2px solid #e0a800;color:#6b4e00',
    html`<b>PARTIAL AUDIT: ${unreadable.length} scope(s) could not be read; findings there are unknown.</b>${unreadable
      .slice(0, maxUnreadable)
      .map((u) => html`<br><span style="${MONO}">${u.scope}</span>: ${u.reason}`)}${unreadable.length > maxUnreadable ? html`<br>…and ${unreadable.length - maxUnreadable} more.` : ''}`,
  );
}

/**
 * The tool and time, the counts, then the findings suppressed and the notices (an expired
 * suppression brings findings back): together, before the long parts that a client may clip.
 */
export function summaryHtml(report: AuditReport, extras: ReportExtras): RawHtml {
  const { summary, coverage } = report;
  const counts = summary.findings;
  const cell = (value: number, label: string, colour = '#1d2330') =>
    html`<td style="${TD};text-align:center"><div style="font-size:20px;font-weight:bold;color:${colour}">${value}</div><div style="font-size:11px;color:#5f6b7a;text-transform:uppercase">${label}</div></td>`;
  const summaryTable = html`<table role="presentation" cellpadding="0" cellspacing="0" style="${TABLE};margin:0 0 14px"><tr>${cell(summary.vnets, 'VNets')}${cell(summary.peerings, 'Peerings')}${cell(
    coverage.subscriptions.length,
    'Subscriptions',
  )}${SEVERITY_ORDER.map((s) => cell(counts[s], `${SEVERITY_STYLE[s].label}s`, SEVERITY_STYLE[s].colour))}</tr></table>`;
  const notes = [
    extras.suppressed.length > 0 ? html`<li>${extras.suppressed.length} finding(s) suppressed by configuration.</li>` : '',
    ...extras.notices.map((n) => html`<li>${n.message}</li>`),
  ];
  return html`<p style="margin:0 0 10px;color:#5f6b7a">${report.tool.name} ${report.tool.version} · generated ${report.generatedAt}</p>${summaryTable}${
    notes.some((n) => n !== '') ? html`<ul style="color:#5f6b7a">${notes}</ul>` : ''
  }`;
}

/**
 * The peerings whose remote could not be verified, and the remotes' subscriptions (at most `max`),
 * or '': the human formats say so whether or not the rule peering-remote-out-of-scope is on (README).
 */
export function unverifiedText(coverage: Coverage, max = Infinity): string {
  const sentence = outOfScopeSentence(coverage);
  if (!sentence) return '';
  const subscriptions = [...new Set(coverage.outOfScope.map((o) => o.subscription))];
  // A shortened mail may list none: a count, not "Their subscriptions:  and 2 more".
  if (max <= 0) return `${sentence} Their remote VNets are in ${plural(subscriptions.length, 'subscription')}, not listed here.`;
  return `${sentence} Their subscriptions: ${firstFew(subscriptions, max)}.`;
}

/**
 * What was read, and what could not be verified. The scopes not read are listed once, in the
 * PARTIAL notice (partialNoticeHtml), which a mail places at its top.
 */
export function coverageSectionHtml(coverage: Coverage, maxListed = Infinity): RawHtml {
  const unverified = unverifiedText(coverage, maxListed);
  const rows: [string, string][] = [
    ['Subscriptions read', coverage.subscriptions.join(', ') || 'none'],
    ['Unreadable', coverage.unreadable.length === 0 ? 'none' : `${coverage.unreadable.length} scope(s), listed in the PARTIAL notice above`],
    ...(unverified ? ([['Not verified', unverified]] as [string, string][]) : []),
  ];
  return html`<h2 style="font-size:16px;margin:18px 0 8px">Coverage</h2><table role="presentation" cellpadding="0" cellspacing="0" style="${TABLE};margin:0 0 12px">${rows.map(
    ([k, v]) => html`<tr><th style="${TH};width:160px">${k}</th><td style="${TD}">${v}</td></tr>`,
  )}</table>`;
}

/** The hub → peer table under its heading (at most `maxTopologyRows` rows), or '' without a topology. */
export function topologySectionHtml(report: AuditReport, extras: ReportExtras, options: Pick<EmailOptions, 'collapseAbove' | 'maxTopologyRows'> = {}): RawHtml | '' {
  if (!extras.topology) return '';
  const view = buildTopologyView(extras.topology, report.findings, { collapseAbove: options.collapseAbove ?? 10 });
  return html`<h2 style="font-size:16px;margin:18px 0 8px">Topology</h2>${raw(renderTopologyEmailTable(view, options.maxTopologyRows))}`;
}

/** Every finding with its fix plan, at most `maxFindings` (MAX_EMAIL_FINDINGS unless told); the rest are counted. */
export function findingsSectionHtml(report: AuditReport, options: Pick<EmailOptions, 'rules' | 'maxFindings' | 'reportUrl'> = {}): RawHtml {
  const shown = report.findings.slice(0, options.maxFindings ?? MAX_EMAIL_FINDINGS);
  const rest = report.findings.length - shown.length;
  return html`<h2 style="font-size:16px;margin:18px 0 8px">Findings (${report.findings.length})</h2>${
    report.findings.length === 0 ? html`<p>${noFindingsText(report)}</p>` : ''
  }${shown.map((f) => findingBlock(f, options.rules ?? []))}${rest > 0 ? html`<p>…and ${rest} more finding(s)${options.reportUrl ? '' : ' (see the full report)'}.</p>` : ''}`;
}

/** The scheduled report's content, without the document around it. */
export function renderEmailReportBody(report: AuditReport, extras: ReportExtras, options: EmailOptions = {}): string {
  const link = options.reportUrl ? html`<p><a href="${options.reportUrl}" style="color:#1a4fa3">Open the full HTML report</a></p>` : '';
  return html`<div style="${FONT}">${partialNoticeHtml(report, options.maxUnreadable)}${summaryHtml(report, extras)}${link}${coverageSectionHtml(report.coverage, options.maxUnreadable)}${topologySectionHtml(
    report,
    extras,
    options,
  )}${findingsSectionHtml(report, options)}</div>`.value;
}

/** The scheduled report mail: a whole HTML document (see the API note at the top of this file). */
export function renderEmailReport(report: AuditReport, extras: ReportExtras, options: EmailOptions = {}): string {
  const title = options.title ?? `peerguard report · ${report.generatedAt}`;
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title></head><body style="margin:0;padding:16px;background:#ffffff">${html`<h1 style="${FONT};font-size:20px;margin:0 0 8px">${title}</h1>`.value}${renderEmailReportBody(report, extras, options)}</body></html>`;
}
