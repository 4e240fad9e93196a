import type { Finding } from '../engine/audit';
import { nameOf, parseResourceId } from '../model/ids';
import type { Rule, Severity } from '../rules/rule';
import { operationLine } from './html-shared';
import { isPartial, noFindingsText, outOfScopeText, plural, type AuditReport, type ReportExtras } from './report';

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

/**
 * The most characters a Markdown report holds, so that a CI step can post it as a pull-request
 * comment: GitHub refuses a comment body over 65,536 characters ("Body is too long (maximum is
 * 65536 characters)"), Azure DevOps one over 150,000. The 1,536 kept below GitHub's limit are for
 * what the posting step adds around the report (a sticky-comment marker, a title, a link to the
 * run). The report is measured in UTF-8 bytes (`linesCost`), never fewer than the characters GitHub counts.
 */
export const MARKDOWN_MAX_CHARS = 64_000;

/**
 * The range `--max-chars` takes: below the floor the head and a closing line may not fit; the
 * ceiling is GitHub's limit for a job summary (1 MiB), the largest place a CI step posts one.
 */
export const MARKDOWN_CHARS_RANGE = { min: 4_000, max: 1_048_576 } as const;

/** In a cut report, the unreadable scopes and the notices each take at most a quarter: findings keep the rest. */
const LIST_SHARE = 1 / 4;

/** Where a cut report sends its reader for what it leaves out: both formats hold every finding, plan, scope and notice. */
const WHOLE_REPORT = '`peerguard audit --format json` or `--format sarif`';

/** A finding as the report shows it: its table row, and its fix plan when it has one. */
interface Entry {
  row: string;
  plan?: string[];
}

/** One severity's findings: a table, then their fix plans. `total` is the count its heading gives, shown or not. */
interface Group {
  severity: Severity;
  total: number;
  entries: Entry[];
}

/** The report in parts, so that one over the budget can be cut between lines, never inside one. */
interface Parts {
  head: string[];
  unreadable: string[];
  notices: string[];
  noFindings?: string;
  groups: Group[];
  closing?: string;
}

/** `maxChars`: the most UTF-8 bytes, so characters too, the report holds (MARKDOWN_MAX_CHARS unless a CI step posts it where more fit). */
export function renderMarkdown(report: AuditReport, extras: ReportExtras, rules: readonly Rule[], maxChars = MARKDOWN_MAX_CHARS): string {
  const parts = reportParts(report, extras, rules);
  const whole = assemble(parts);
  return Buffer.byteLength(whole, 'utf8') <= maxChars ? whole : assemble(cutToFit(parts, maxChars));
}

function reportParts(report: AuditReport, extras: ReportExtras, rules: readonly Rule[]): Parts {
  const titles = new Map(rules.map((r) => [r.meta.id, r.meta.title]));
  const entry = (f: Finding): Entry => {
    const title = titles.get(f.ruleId);
    const rule = escapeMarkdown(f.ruleId) + (title ? ` (${escapeMarkdown(title)})` : '');
    const row = `| ${rule} | ${escapeMarkdown(displayName(f.resourceId))} | ${escapeMarkdown(f.message)} |`;
    return f.fix ? { row, plan: fixPlan(f) } : { row };
  };
  const groups = (['error', 'warning', 'info'] as const).map((severity) => {
    const entries = report.findings.filter((f) => f.severity === severity).map(entry);
    return { severity, total: entries.length, entries };
  });
  return {
    head: headLines(report, extras),
    unreadable: report.coverage.unreadable.map((u) => `- ${escapeLineStart(u.scope)}: ${escapeMarkdown(u.reason)}`),
    notices: extras.notices.map((n) => `- ${escapeLineStart(n.message)}`),
    ...(report.findings.length === 0 ? { noFindings: noFindingsText(report) } : {}),
    groups: groups.filter((g) => g.total > 0),
  };
}

/** The title, the PARTIAL banner and the summary table: short, and kept whatever the budget. */
function headLines(report: AuditReport, extras: ReportExtras): string[] {
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
  return out;
}

function assemble(parts: Parts): string {
  const out = [...parts.head, ...listSection('Unreadable scopes', parts.unreadable), ...listSection('Notices', parts.notices)];
  if (parts.noFindings) out.push(parts.noFindings, '');
  for (const group of parts.groups) out.push(...groupLines(group));
  if (parts.closing) out.push(parts.closing);
  return out.join('\n').replace(/\n+$/, '') + '\n';
}

function listSection(heading: string, items: readonly string[]): string[] {
  return items.length > 0 ? [`### ${heading}`, '', ...items, ''] : [];
}

function tableHead(group: Group): string[] {
  return [`## ${HEADINGS[group.severity]} (${group.total})`, '', '| Rule | Resource | Message |', '|---|---|---|'];
}

function plansHead(group: Group): string[] {
  return [`### Fix plans (${HEADINGS[group.severity].toLowerCase()})`, ''];
}

function groupLines(group: Group): string[] {
  const plans = group.entries.flatMap((e) => (e.plan ? [...e.plan, ''] : []));
  return [...tableHead(group), ...group.entries.map((e) => e.row), '', ...(plans.length > 0 ? [...plansHead(group), ...plans] : [])];
}

/**
 * The report cut to the budget: the head whole; each list up to its share, then `…and N more`; as
 * many finding rows as fit, in order (severity first); then as many of their fix plans as fit; and
 * a closing line that counts what is left out and says where the rest is.
 */
function cutToFit(parts: Parts, maxChars: number): Parts {
  const findings = parts.groups.flatMap((g) => g.entries);
  const plans = findings.filter((e) => e.plan).length;
  const unreadable = capList(parts.unreadable, maxChars * LIST_SHARE);
  const notices = capList(parts.notices, maxChars * LIST_SHARE);
  const always = [...parts.head, ...listSection('Unreadable scopes', unreadable), ...listSection('Notices', notices), ...(parts.noFindings ? [parts.noFindings, ''] : [])];
  // The closing line is reserved at its longest: the counts it gives never have more digits than the totals.
  const budget = new Budget(maxChars - linesCost([...always, closingLine(maxChars, findings.length, 0, plans, 0)]));
  const withRows = keepRows(parts.groups, budget);
  const groups = keepPlans(withRows, new Budget(budget.left));
  const shown = groups.flatMap((g) => g.entries);
  const plansShown = shown.filter((e) => e.plan).length;
  // Cut only in its lists (each ends with its own "…and N more"): no findings line to add.
  if (shown.length === findings.length && plansShown === plans) return { ...parts, unreadable, notices, groups };
  return { ...parts, unreadable, notices, groups, closing: closingLine(maxChars, findings.length, shown.length, plans, plansShown) };
}

/** Each group's first rows that fit; a group with none is left out, heading and all. */
function keepRows(groups: readonly Group[], budget: Budget): Group[] {
  return groups
    .map((g) => ({ ...g, entries: g.entries.filter((e, i) => budget.take(i === 0 ? [...tableHead(g), '', e.row] : [e.row])) }))
    .filter((g) => g.entries.length > 0);
}

/** The fix plans of the rows shown, as many as fit; a row whose plan does not fit stays, without it. */
function keepPlans(groups: readonly Group[], budget: Budget): Group[] {
  return groups.map((g) => {
    let first = true;
    const entries = g.entries.map((e) => {
      if (!e.plan) return e;
      if (!budget.take([...(first ? plansHead(g) : []), ...e.plan, ''])) return { row: e.row };
      first = false;
      return e;
    });
    return { ...g, entries };
  });
}

/** The items that fit in `share` characters, then `…and N more`; the whole list when it fits. */
function capList(items: readonly string[], share: number): string[] {
  if (linesCost(items) <= share) return [...items];
  const budget = new Budget(share - linesCost([moreLine(items.length)]));
  const kept = items.filter((item) => budget.take([item]));
  return [...kept, moreLine(items.length - kept.length)];
}

function moreLine(count: number): string {
  return `- …and ${count} more (${WHOLE_REPORT} lists them all)`;
}

function closingLine(maxChars: number, findings: number, findingsShown: number, plans: number, plansShown: number): string {
  const left = [`${findings - findingsShown} of ${plural(findings, 'finding')}`, ...(plans > 0 ? [`${plans - plansShown} of ${plural(plans, 'fix plan')}`] : [])];
  const where = maxChars === MARKDOWN_MAX_CHARS ? 'a pull-request comment' : '--max-chars';
  return `**Cut to fit ${where} (${maxChars} characters); not shown: ${left.join(', ')}.** The whole report: ${WHOLE_REPORT}.`;
}

/**
 * What lines add to the report: each its UTF-8 bytes and a newline (the last one's newline
 * included). Bytes, never fewer than characters (UTF-16 code units) in any text, so that a limit
 * in characters (a pull-request comment) and one in bytes (GitHub's job summary, 1 MiB) both hold:
 * names in Japanese take 3 bytes a character.
 */
function linesCost(lines: readonly string[]): number {
  return lines.reduce((sum, line) => sum + Buffer.byteLength(line, 'utf8') + 1, 0);
}

/**
 * Characters left for lines taken in order. Once some lines do not fit, nothing after them is
 * taken, so a reader sees the first findings in order and never a gap in the middle.
 */
class Budget {
  private closed = false;

  constructor(public left: number) {}

  take(lines: readonly string[]): boolean {
    const cost = linesCost(lines);
    if (this.closed || cost > this.left) {
      this.closed = true;
      return false;
    }
    this.left -= cost;
    return true;
  }
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
