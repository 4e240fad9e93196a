import { sortFindings, type Finding } from '../engine/audit';
import { nameOf, parseResourceId, subscriptionOf } from '../model/ids';
import {
  coverageSectionHtml,
  findingsSectionHtml,
  MAX_EMAIL_FINDINGS,
  noticeBoxHtml,
  partialNoticeHtml,
  renderFindingEmailFragment,
  summaryHtml,
  topologySectionHtml,
  unverifiedText,
} from '../report/email-html';
import { escapeHtml, html, raw, spaceOutControls, type RawHtml } from '../report/escape';
import { ruleTitles, SEVERITY_ORDER, SEVERITY_STYLE } from '../report/html-shared';
import { isPartial, plural, type AuditReport, type Coverage, type ReportExtras } from '../report/report';
import type { MailSection } from '../remediation/summary';
import type { ArmOperation, Rule, RuleMeta } from '../rules/rule';
import type { ChangeContext } from './model';
import { vnetIdOf } from './model';
import { touchesUnread } from './scope';

// Email composition: pure. The HTML is email-safe (src/report/email-html.ts: inline styles, tables,
// no scripts, no images) and shares that renderer with the HTML report: a finding is
// renderFindingEmailFragment, the report's parts partialNoticeHtml, summaryHtml, coverageSectionHtml,
// topologySectionHtml and findingsSectionHtml. Escaping is src/report/escape.ts.

export interface ComposedMail {
  subject: string;
  html: string;
  text: string;
}

export type RuleInfo = Pick<RuleMeta, 'id' | 'title' | 'docsUrl'>;

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

const DETECTED_BY: Record<Exclude<ChangeContext['source'], 'event'>, string> = {
  'scheduled-audit': 'the scheduled audit',
  'on-demand-audit': 'an on-demand audit',
  'settle-recheck': "a live read at the end of another alert's settle period",
};

function changeLines(change: ChangeContext | undefined): [string, string][] {
  if (!change) return [];
  if (change.source !== 'event') return [['Detected by', DETECTED_BY[change.source]]];
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

// The same look as src/report/email-html.ts (its tables, cells and font).
const FONT = 'font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;line-height:1.4;color:#1d2330';
const TABLE = 'border-collapse:collapse;width:100%;max-width:900px;margin:0 0 12px';
const TH = 'padding:6px 10px;border:1px solid #d8dde6;background:#f2f5f9;text-align:left;font-size:12px;color:#5f6b7a';
const TD = 'padding:6px 10px;border:1px solid #d8dde6;vertical-align:top;text-align:left';
const H = 'font-size:16px;margin:18px 0 8px';
const RESOLVED_COLOUR = '#1a7f37';

function htmlDocument(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title></head><body style="margin:0;padding:16px;background:#ffffff"><div style="${FONT}">${body}</div></body></html>`;
}

function kvTable(rows: [string, string | RawHtml][]): RawHtml {
  return html`<table role="presentation" cellpadding="0" cellspacing="0" style="${TABLE}">${rows.map(([k, v]) => html`<tr><th style="${TH};width:160px">${k}</th><td style="${TD}">${v}</td></tr>`)}</table>`;
}

function link(href: string, text: string): RawHtml {
  return html`<a href="${href}" style="color:#1a4fa3">${text}</a>`;
}

/**
 * The finding's own VNet and at most one peer, with a count of the rest (`a <-> b (+5 more)`): a
 * transit finding names every spoke of a hub, and all of them joined would read as a chain.
 */
function pairLabel(finding: Finding): string {
  const names = vnetsOf(finding).map(nameOf);
  if (names.length === 0) return nameOf(finding.resourceId);
  const rest = names.length - 2;
  return `${names.slice(0, 2).join(' <-> ')}${rest > 0 ? ` (+${rest} more)` : ''}`;
}

/**
 * A plain-text body from its lines. Each line quotes text from Azure and from events (a caller's
 * name, an operation, an error's reason): a line break in it would forge a line of the mail
 * (`Resource: ...`), so every control character becomes a space. The HTML part is escaped instead.
 */
function textBody(lines: readonly string[]): string {
  return lines.map((line) => spaceOutControls(line)).join('\n') + '\n';
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
  /** The catalog, for the rule's title and documentation link in the finding block. */
  rules?: readonly Rule[];
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

  // HTML: the finding block is the report's (renderFindingEmailFragment), around it what only an alert has.
  const colour = kind === 'opened' ? SEVERITY_STYLE[finding.severity].colour : RESOLVED_COLOUR;
  const rules = input.rules ?? [];
  const body = html`<h2 style="color:${colour};font-size:18px;margin:0 0 12px">${headline}</h2>
<p style="margin:0 0 12px"><b>${kind === 'opened' ? 'What is wrong' : 'No longer found'}:</b> ${finding.message}</p>
<h3 style="${H}">VNets</h3>
<table role="presentation" cellpadding="0" cellspacing="0" style="${TABLE}"><tr><th style="${TH}">VNet</th><th style="${TH}">Subscription</th><th style="${TH}">Resource group</th><th style="${TH}">Portal</th></tr>${vnets.map(
    (v) => html`<tr><td style="${TD}">${v.name}</td><td style="${TD}">${v.subscription}</td><td style="${TD}">${v.resourceGroup}</td><td style="${TD}">${link(v.link, 'open in portal')}</td></tr>`,
  )}</table>
<p style="margin:0 0 12px">Resource: ${link(portalLink(input.portalUrl, finding.resourceId), finding.resourceId)}</p>
${
    kind === 'opened'
      ? html`<h3 style="${H}">The finding and how to fix it</h3>${raw(renderFindingEmailFragment(finding, { rules }))}`
      : kvTable([
          ['Rule', `${finding.ruleId} (${title})`],
          ['Severity', finding.severity],
        ])
  }
${changes.length > 0 ? html`<h3 style="${H}">${kind === 'opened' ? 'The change that revealed it' : 'The change that resolved it'}</h3>${kvTable(changes)}` : ''}
<h3 style="${H}">Details</h3>${kvTable(facts)}`;
  return { subject, html: htmlDocument(subject, body.value), text: textBody(text) };
}

/** One alert of a digest: a finding opened or resolved. */
export interface DigestEntry {
  kind: 'opened' | 'resolved';
  finding: Finding;
  firstSeen: string;
  resolvedAt?: string;
}

export interface AlertDigestInput {
  entries: readonly DigestEntry[];
  /** The change behind every entry, when they share one (an event's run); else none is shown. */
  change: ChangeContext | undefined;
  portalUrl: string;
  rules?: readonly Rule[];
}

/**
 * Entries a digest lists (new ones first, by severity); the rest are counted. At ~600 bytes a row the
 * HTML stays under the 102 KB at which Gmail clips a message.
 */
export const MAX_DIGEST_LISTED = 100;

/** The VNet every entry names, if one does (a hub whose spokes' peerings all changed). */
function sharedVnet(entries: readonly DigestEntry[]): string | undefined {
  const [first, ...rest] = entries.map((e) => new Set(vnetsOf(e.finding).map((id) => id.toLowerCase())));
  const shared = [...(first ?? [])].find((id) => rest.every((ids) => ids.has(id)));
  return shared === undefined ? undefined : nameOf(shared);
}

/**
 * Several alerts owed to the same recipients in one run, as one mail: a change that opens or resolves
 * many findings at once (a hub's address space changed, a hub deleted: one finding per spoke's
 * peering) would otherwise mail each, beyond a sender's quota (Communication Services: 30 a minute,
 * 100 an hour by default) and past anyone's attention. Each finding is one row: severity, rule, VNets,
 * what is wrong and its fix; the single-alert mail (composeAlertMail) keeps the full detail.
 */
export function composeAlertDigest(input: AlertDigestInput): ComposedMail {
  // In the order every report lists findings (severity, rule, resource).
  const opened = input.entries.filter((e) => e.kind === 'opened');
  sortFindings(opened, (e) => e.finding);
  const resolved = input.entries.filter((e) => e.kind === 'resolved');
  const bySeverity = SEVERITY_ORDER.map((s) => [s, opened.filter((e) => e.finding.severity === s).length] as const).filter(([, n]) => n > 0);
  const counts = [
    ...(opened.length > 0 ? [`${plural(opened.length, 'new finding')} (${bySeverity.map(([s, n]) => `${n} ${s.toUpperCase()}`).join(', ')})`] : []),
    ...(resolved.length > 0 ? [`${resolved.length} resolved`] : []),
  ].join(', ');
  const shared = sharedVnet(input.entries);
  const vnetCount = new Set(input.entries.flatMap((e) => vnetsOf(e.finding).map((id) => id.toLowerCase()))).size;
  const headline = `${counts}: ${shared ?? plural(vnetCount, 'VNet')}`;
  const subject = `[peerguard] ${headline}`;
  const listedOpened = opened.slice(0, MAX_DIGEST_LISTED);
  const listedResolved = resolved.slice(0, MAX_DIGEST_LISTED - listedOpened.length);
  const unlisted = opened.length + resolved.length - listedOpened.length - listedResolved.length;
  const rest = unlisted > 0 ? `${plural(unlisted, 'more alert')} not listed here: the next scheduled report lists every open finding.` : undefined;
  const titles = ruleTitles(input.rules ?? []);
  const ruleText = (f: Finding) => {
    const title = titles.get(f.ruleId)?.title;
    return title === undefined ? f.ruleId : `${f.ruleId} (${title})`;
  };
  const changes = changeLines(input.change);
  const changeHeading = 'The change behind them';

  // Plain text.
  const text: string[] = [headline, ''];
  if (listedOpened.length > 0) {
    text.push('New:');
    for (const { finding: f, firstSeen } of listedOpened) {
      text.push(`- ${f.severity.toUpperCase()} ${ruleText(f)}: ${pairLabel(f)}`, `  ${f.message}`);
      if (f.fix) text.push(`  Fix${f.fix.destructive ? ' (destructive)' : ''}: ${f.fix.description}`);
      text.push(`  ${portalLink(input.portalUrl, f.resourceId)}`, `  First seen ${firstSeen}; fingerprint ${f.fingerprint}`);
    }
    text.push('');
  }
  if (listedResolved.length > 0) {
    text.push('Resolved:');
    for (const { finding: f, resolvedAt } of listedResolved) text.push(`- ${ruleText(f)}: ${pairLabel(f)}`, `  No longer found: ${f.message}`, `  Resolved at ${resolvedAt ?? '?'}; fingerprint ${f.fingerprint}`);
    text.push('');
  }
  if (rest) text.push(rest, '');
  if (changes.length > 0) {
    text.push(`${changeHeading}:`);
    for (const [k, v] of changes) text.push(`  ${k}: ${v}`);
  }

  // HTML.
  const where = (f: Finding) => html`${pairLabel(f)}<br>${link(portalLink(input.portalUrl, f.resourceId), 'open in portal')}`;
  const openedRows = listedOpened.map(({ finding: f }) => {
    const style = SEVERITY_STYLE[f.severity];
    const fix = f.fix ? html`<br><b>Fix${f.fix.destructive ? ' (destructive)' : ''}:</b> ${f.fix.description}` : '';
    return html`<tr data-fingerprint="${f.fingerprint}"><td style="${TD};color:${style.colour};font-weight:bold">${style.label}</td><td style="${TD}">${ruleText(f)}</td><td style="${TD}">${where(f)}</td><td style="${TD}">${f.message}${fix}</td></tr>`;
  });
  const resolvedRows = listedResolved.map(
    ({ finding: f, resolvedAt }) =>
      html`<tr data-fingerprint="${f.fingerprint}"><td style="${TD}">${ruleText(f)}</td><td style="${TD}">${where(f)}</td><td style="${TD}">${f.message}</td><td style="${TD}">${resolvedAt ?? ''}</td></tr>`,
  );
  const table = (heads: readonly string[], rows: readonly RawHtml[]) =>
    html`<table role="presentation" cellpadding="0" cellspacing="0" style="${TABLE}"><tr>${heads.map((h) => html`<th style="${TH}">${h}</th>`)}</tr>${rows}</table>`;
  const colour = opened.length > 0 ? SEVERITY_STYLE[(opened[0] as DigestEntry).finding.severity].colour : RESOLVED_COLOUR;
  const body = html`<h2 style="color:${colour};font-size:18px;margin:0 0 12px">${headline}</h2>
${openedRows.length > 0 ? html`<h3 style="${H}">New</h3>${table(['Severity', 'Rule', 'VNets', 'What is wrong'], openedRows)}` : ''}
${resolvedRows.length > 0 ? html`<h3 style="${H}">Resolved</h3>${table(['Rule', 'VNets', 'No longer found', 'Resolved at'], resolvedRows)}` : ''}
${rest ? html`<p style="margin:0 0 12px">${rest}</p>` : ''}
${changes.length > 0 ? html`<h3 style="${H}">${changeHeading}</h3>${kvTable(changes)}` : ''}`;
  return { subject, html: htmlDocument(subject, body.value), text: textBody(text) };
}

// ---- the scheduled report ----

export interface ReportChanges {
  previousGeneratedAt: string | undefined;
  new: Finding[];
  resolved: Finding[];
  stillOpen: { finding: Finding; firstSeen: string; ageDays: number }[];
  /**
   * Findings this report could not check (in, or depending on, a scope it could not read): those of
   * the previous report it could not see again, and those it saw only through the gap. Neither new
   * nor resolved: they keep their state until a report reads them.
   */
  unchecked: Finding[];
}

/**
 * What changed since the previous report (by fingerprint), with the age of what is still open.
 * `decided` says which current findings this report's read covered (the alert state's scope); by
 * default those that name nothing in `coverage.unreadable`. A finding outside it is neither new nor
 * resolved. A finding the previous report could not read, and this one can, is still open (not new)
 * when the alert state saw it before that report. A finding of the previous report that it could not
 * read, and that this one no longer finds, is resolved only when the alert state knows it
 * (`alerted`): otherwise only the blind read produced it (a remote "out of scope" because its
 * subscription was unreadable), and it goes without a word.
 */
export function diffReports(
  previous: AuditReport | undefined,
  current: AuditReport,
  firstSeen: ReadonlyMap<string, string>,
  now: Date,
  decided: (finding: Finding) => boolean = (f) => !touchesUnread(f, current.coverage.unreadable),
  alerted: (fingerprint: string) => boolean = (fingerprint) => firstSeen.has(fingerprint),
): ReportChanges {
  const before = new Map((previous?.findings ?? []).map((f) => [f.fingerprint, f]));
  const after = new Set(current.findings.map((f) => f.fingerprint));
  const changes: ReportChanges = { previousGeneratedAt: previous?.generatedAt, new: [], resolved: [], stillOpen: [], unchecked: [] };
  const seenBefore = (f: Finding) => !touchesUnread(f, previous?.coverage.unreadable ?? []);
  const open = (f: Finding, since: string) =>
    changes.stillOpen.push({ finding: f, firstSeen: since, ageDays: Math.max(0, Math.floor((now.getTime() - Date.parse(since)) / 86_400_000)) });
  for (const f of current.findings) {
    if (previous && before.has(f.fingerprint)) {
      open(f, firstSeen.get(f.fingerprint) ?? previous.generatedAt);
      continue;
    }
    if (!decided(f)) {
      changes.unchecked.push(f);
      continue;
    }
    // Absent from a previous report that could not read it: open since the alert state first saw it.
    const since = firstSeen.get(f.fingerprint);
    if (previous && !seenBefore(f) && since !== undefined && since < previous.generatedAt) open(f, since);
    else changes.new.push(f);
  }
  for (const f of previous?.findings ?? []) {
    if (after.has(f.fingerprint)) continue;
    if (!decided(f)) changes.unchecked.push(f);
    else if (seenBefore(f) || alerted(f.fingerprint)) changes.resolved.push(f);
  }
  return changes;
}

export interface ReportMailInput {
  report: AuditReport;
  changes: ReportChanges;
  portalUrl: string;
  /** Where the report was archived (blob paths), for the footer. */
  archivedAs: string[];
  attachments: string[];
  /** The audit's extras (topology, suppressed, notices) for the report body. */
  extras: ReportExtras;
  rules?: readonly Rule[];
  /** Where the archived blobs are (e.g. `container peerguard-reports`), said when the mail cannot hold the report. */
  archiveLocation?: string;
  /**
   * The whole report would make the mail too large (Communication Services refuses a request over
   * 10 MB, attachments counted in base64): the mail carries the counts and at most `maxListed`
   * entries per list of changes, and says where the whole report is.
   */
  shortened?: { maxListed: number; fullBytes: number; budgetBytes: number };
  /** What remediation did since the last report (src/remediation/summary.ts): placed right after the summary. */
  remediation?: MailSection;
}

function findingsTableHtml(findings: readonly Finding[], portalUrl: string, age?: (f: Finding) => string): RawHtml {
  if (findings.length === 0) return html`<p style="margin:0 0 8px;color:#5f6b7a">None.</p>`;
  return html`<table role="presentation" cellpadding="0" cellspacing="0" style="${TABLE}"><tr><th style="${TH}">Severity</th><th style="${TH}">Rule</th><th style="${TH}">Resource</th><th style="${TH}">Message</th>${age ? html`<th style="${TH}">Age</th>` : ''}</tr>${findings.map(
    (f) =>
      html`<tr><td style="${TD}"><span style="color:${SEVERITY_STYLE[f.severity].colour};font-weight:bold">${SEVERITY_STYLE[f.severity].label}</span></td><td style="${TD}">${f.ruleId}</td><td style="${TD}">${link(portalLink(portalUrl, f.resourceId), nameOf(f.resourceId))}</td><td style="${TD}">${f.message}</td>${age ? html`<td style="${TD}">${age(f)}</td>` : ''}</tr>`,
  )}</table>`;
}

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** The first `max` entries of a list; `beyond`: how many it leaves out. */
const capped = <T>(list: readonly T[], max: number): T[] => list.slice(0, max);
const beyond = (list: readonly unknown[], max: number): number => Math.max(0, list.length - max);

/** What the text and the HTML body of a report mail share. */
interface ReportMailParts {
  date: string;
  /** `since the last report (...)`. */
  since: string;
  /** Entries shown per list of changes, of unreadable scopes and of subscriptions not read: all, unless the mail is shortened. */
  max: number;
  shortenedText: string | undefined;
}

function shortenedNotice(input: ReportMailInput, shortened: NonNullable<ReportMailInput['shortened']>): string {
  const where = [
    input.archivedAs.length > 0 ? `the archived blobs ${input.archivedAs.join(', ')}${input.archiveLocation ? ` (${input.archiveLocation})` : ''}` : undefined,
    'GET /api/audit on the peerguard Functions app (the same audit, any format)',
  ].filter((w): w is string => w !== undefined);
  return `This report is too large to mail whole (${megabytes(shortened.fullBytes)} as a Communication Services request; a mail is kept under ${megabytes(shortened.budgetBytes)}): the JSON and CSV attachments, the list of all findings and the topology are left out, and each list of changes and of unreadable scopes shows at most ${shortened.maxListed}. The whole report: ${where.join('; or ')}.`;
}

/**
 * The new findings that Changes lists. On a first report every finding is new, and the mail's own
 * list of findings (its first `listedBelow`) holds them already: Changes names only those it leaves
 * out, so that none is listed twice. A later report lists what is new in full: that is its news.
 */
function newToList({ report, changes }: ReportMailInput, listedBelow: number): Finding[] {
  if (changes.previousGeneratedAt !== undefined) return changes.new;
  const below = new Set(report.findings.slice(0, listedBelow).map((f) => f.fingerprint));
  return changes.new.filter((f) => !below.has(f.fingerprint));
}

export function composeReportMail(input: ReportMailInput): ComposedMail {
  const { report, changes, shortened } = input;
  const counts = report.summary.findings;
  const date = report.generatedAt.slice(0, 10);
  const subject = `[peerguard] Compliance report ${date}: ${counts.error} errors, ${counts.warning} warnings, ${counts.info} info${isPartial(report) ? ' (PARTIAL)' : ''}`;
  const parts: ReportMailParts = {
    date,
    since: changes.previousGeneratedAt ? `since the last report (${changes.previousGeneratedAt})` : 'since the last report (none: this is the first)',
    max: shortened?.maxListed ?? Infinity,
    shortenedText: shortened ? shortenedNotice(input, shortened) : undefined,
  };
  return { subject, html: htmlDocument(subject, reportHtml(input, parts).value), text: textBody(reportText(input, subject, parts)) };
}

// ---- the report mail's plain text ----

function reportText(input: ReportMailInput, subject: string, parts: ReportMailParts): string[] {
  const { report, extras } = input;
  const counts = report.summary.findings;
  // The notices right under the subject line (scheduled.ts adds "not mailed before" there too).
  const text: string[] = [subject, ''];
  if (isPartial(report)) text.push('PARTIAL: some scopes could not be read; this report is not a statement of compliance for them.', '');
  if (parts.shortenedText) text.push(`SHORTENED: ${parts.shortenedText}`, '');
  text.push(
    `Summary: ${plural(report.summary.vnets, 'VNet')}, ${plural(report.summary.peerings, 'peering')}, ${plural(report.coverage.subscriptions.length, 'subscription')} read.`,
    `Findings: ${counts.error} error, ${counts.warning} warning, ${counts.info} info.`,
  );
  if (extras.suppressed.length > 0) text.push(`${extras.suppressed.length} finding(s) suppressed by configuration.`);
  for (const notice of extras.notices) text.push(`Notice: ${notice.message}`);
  if (input.remediation) text.push('', ...input.remediation.text.split('\n'));
  text.push('', ...coverageText(report.coverage, parts.max), '', ...changesText(input, parts));
  if (!input.shortened) {
    text.push('', 'All findings:');
    if (report.findings.length === 0) text.push('  none');
    for (const f of report.findings) text.push(`  [${f.severity}] ${f.ruleId} ${f.resourceId}`, `      ${f.message}`);
  }
  const footer = [
    ...(input.attachments.length > 0 ? [`Attached: ${input.attachments.join(', ')}`] : []),
    ...(input.archivedAs.length > 0 ? [`Archived as: ${input.archivedAs.join(', ')}`] : []),
  ];
  if (footer.length > 0) text.push('', ...footer);
  return text;
}

function coverageText(coverage: Coverage, max: number): string[] {
  const lines = ['Coverage:', `  subscriptions read: ${coverage.subscriptions.join(', ') || 'none'}`];
  if (coverage.unreadable.length === 0) lines.push('  unreadable: none');
  for (const u of capped(coverage.unreadable, max)) lines.push(`  UNREADABLE ${u.scope}: ${u.reason}`);
  if (beyond(coverage.unreadable, max) > 0) lines.push(`  ...and ${beyond(coverage.unreadable, max)} more unreadable`);
  const unverified = unverifiedText(coverage, max);
  if (unverified) lines.push(`  ${unverified}`);
  return lines;
}

function changesText(input: ReportMailInput, { since, max }: ReportMailParts): string[] {
  const { changes } = input;
  const unchecked = changes.unchecked.length > 0 ? `, ${changes.unchecked.length} not checked (scopes not read)` : '';
  const lines = [`Changes ${since}: ${changes.new.length} new, ${changes.resolved.length} resolved, ${changes.stillOpen.length} still open${unchecked}.`];
  const listed = (label: string, list: readonly Finding[]) => {
    for (const f of capped(list, max)) lines.push(`  ${label.padEnd(9)} [${f.severity}] ${f.ruleId}: ${f.message}`);
    if (beyond(list, max) > 0) lines.push(`  ...and ${beyond(list, max)} more ${label.toLowerCase()}`);
  };
  // The text lists every finding under All findings, unless the mail is shortened.
  const fresh = newToList(input, input.shortened ? 0 : Infinity);
  if (fresh.length < changes.new.length) lines.push('  This is the first report: its new findings are listed once, under All findings below.');
  listed('NEW', fresh);
  listed('RESOLVED', changes.resolved);
  for (const s of capped(changes.stillOpen, max)) lines.push(`  OPEN ${String(s.ageDays).padStart(3)}d [${s.finding.severity}] ${s.finding.ruleId}: ${s.finding.message}`);
  if (beyond(changes.stillOpen, max) > 0) lines.push(`  ...and ${beyond(changes.stillOpen, max)} more still open`);
  listed('UNCHECKED', changes.unchecked);
  return lines;
}

// ---- the report mail's HTML ----

/**
 * What must be seen comes first: the PARTIAL and shortened notices under the title, then the
 * summary, what remediation changed in the estate, the coverage and what changed (only the mail
 * knows the previous report); the topology and the findings with their fix plans, the long parts,
 * last. Gmail shows an HTML body up to about 102 KB and the rest only on request. The
 * report's parts are those of the HTML report's email renderer (src/report/email-html.ts).
 */
function reportHtml(input: ReportMailInput, parts: ReportMailParts): RawHtml {
  const { report, extras, shortened } = input;
  const listedBelow = shortened ? 0 : MAX_EMAIL_FINDINGS;
  return html`<h1 style="font-size:20px;margin:0 0 8px">peerguard compliance report ${parts.date}</h1>${[
    partialNoticeHtml(report, parts.max),
    parts.shortenedText ? noticeBoxHtml('background:#eef3fb;border:2px solid #1a4fa3', html`<b>Shortened:</b> ${parts.shortenedText}`) : '',
    summaryHtml(report, extras),
    input.remediation ? raw(input.remediation.html) : '',
    coverageSectionHtml(report.coverage, parts.max),
    changesHtml(input, parts, listedBelow),
    topologySectionHtml(report, extras, shortened ? { maxTopologyRows: 0 } : {}),
    findingsSectionHtml(report, { rules: input.rules ?? [], maxFindings: listedBelow }),
    footerHtml(input),
  ]}`;
}

function changesHtml(input: ReportMailInput, { since, max }: ReportMailParts, listedBelow: number): RawHtml {
  const { changes, portalUrl } = input;
  const ageOf = new Map(changes.stillOpen.map((s) => [s.finding.fingerprint, s.ageDays]));
  const table = (list: readonly Finding[], age?: (f: Finding) => string) =>
    html`${findingsTableHtml(capped(list, max), portalUrl, age)}${beyond(list, max) > 0 ? html`<p style="margin:0 0 8px;color:#5f6b7a">…and ${beyond(list, max)} more.</p>` : ''}`;
  const fresh = newToList(input, listedBelow);
  const notRepeated = changes.new.length - fresh.length;
  const newList =
    notRepeated === 0
      ? table(changes.new)
      : fresh.length === 0
        ? html`<p style="margin:0 0 8px;color:#5f6b7a">This is the first report: each new finding is listed once, under Findings below, with its fix plan.</p>`
        : html`<p style="margin:0 0 8px;color:#5f6b7a">This is the first report: ${notRepeated} of them are listed under Findings below, with their fix plans; the other ${fresh.length}:</p>${table(fresh)}`;
  return html`<h2 style="font-size:16px;margin:18px 0 8px">Changes ${since}</h2>
<h3 style="${H}">New (${changes.new.length})</h3>${newList}
<h3 style="${H}">Resolved (${changes.resolved.length})</h3>${table(changes.resolved)}
<h3 style="${H}">Still open (${changes.stillOpen.length})</h3>${table(
    changes.stillOpen.map((s) => s.finding),
    (f) => `${ageOf.get(f.fingerprint) ?? 0} days`,
  )}${
    changes.unchecked.length > 0
      ? html`<h3 style="${H}">Not checked (${changes.unchecked.length})</h3><p style="margin:0 0 8px;color:#5f6b7a">In, or depending on, a scope this report could not read: neither new nor resolved until a report reads it.</p>${table(changes.unchecked)}`
      : ''
  }`;
}

function footerHtml(input: ReportMailInput): RawHtml {
  return html`${input.attachments.length > 0 ? html`<p style="margin:12px 0 0;color:#5f6b7a">Attached: ${input.attachments.join(', ')}</p>` : ''}${
    input.archivedAs.length > 0 ? html`<p style="margin:4px 0 0;color:#5f6b7a">Archived as: ${input.archivedAs.join(', ')}</p>` : ''
  }`;
}

