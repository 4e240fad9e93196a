import { noticeBoxHtml } from '../report/email-html';
import { html, spaceOutControls } from '../report/escape';
import { describeTrigger, type JournalRecord } from './ports';

// The "Remediation" section of the report mail (and of an alert mail): what was applied, skipped or
// failed since the last report, with reasons, each distinct record once, failures first. Plan
// records (planned/deferred) are left out unless nothing was tried. The text and the HTML part are
// two renderings of one digest (remediationDigest): the same entries, in the same order, capped alike.

const SHOWN = new Set(['applied', 'skipped', 'failed', 'not-attempted']);

/**
 * How many entries the section lists (failures first); the rest are counted and named where they
 * are. A report mail places the section before its long lists: it must stay short.
 */
export const MAX_EMAIL_REMEDIATION = 10;

/** Where every record is, for the entries a mail leaves out. */
const JOURNAL = "the remediation journal (table peerguardremediation in the Functions app's storage account)";

export interface MailSection {
  /** Lines, without a line break at the end. */
  text: string;
  html: string;
}

interface Entry {
  record: JournalRecord;
  times: number;
}

const what = (r: JournalRecord): string => (r.operation ? `${r.operation.method} ${r.operation.resourceId}` : r.findingResourceId);

/**
 * Records that say the same thing once each, the latest kept, with how many there were: a fix that
 * every event-path run skips for the same reason (not allow-listed, say) is one line, not one per event.
 */
function collapse(records: readonly JournalRecord[]): Entry[] {
  const byText = new Map<string, Entry>();
  for (const record of records) {
    const key = `${record.status}\n${record.ruleId}\n${what(record)}\n${record.reason}`;
    const seen = byText.get(key);
    if (seen) {
      seen.times += 1;
      if (record.at >= seen.record.at) seen.record = record;
    } else byText.set(key, { record, times: 1 });
  }
  return [...byText.values()];
}

/** The order of the outcomes: a failed write first (it may have left a peering half-changed), then what was written. */
const RANK: Record<string, number> = { failed: 0, applied: 1, 'not-attempted': 2, skipped: 3 };

function line({ record: r, times }: Entry): string {
  const when = times > 1 ? `${times} times, last ${describeTrigger(r.trigger)}, ${r.at}` : `${describeTrigger(r.trigger)}, ${r.at}`;
  return `${r.status === 'failed' ? 'FAILED' : r.status}: ${r.ruleId}: ${what(r)}: ${r.reason} (${when})`;
}

/** What both parts of the section say. */
interface RemediationDigest {
  /** The counts. */
  head: string;
  /** How many distinct failed records there are (listed first, whether or not all are listed). */
  failed: number;
  /** The entries listed (at most `max`), failures first. */
  listed: { failed: boolean; text: string }[];
  /** `… and N more (...)` for those left out, or undefined. */
  more: string | undefined;
}

function remediationDigest(records: readonly JournalRecord[], max: number): RemediationDigest | undefined {
  // Plan records restate what a dry run would do; an apply run's outcomes say what happened.
  const outcomes = collapse(records.filter((r) => SHOWN.has(r.status) && (r.mode === 'apply' || r.status !== 'skipped')));
  const dryRun = collapse(records.filter((r) => r.mode === 'dry-run' && r.status === 'planned'));
  if (outcomes.length === 0 && dryRun.length === 0) return undefined;
  const count = (s: string) => outcomes.filter((o) => o.record.status === s).length;
  const head =
    `Remediation: ${count('applied')} applied, ${count('skipped')} skipped, ${count('failed')} failed, ${count('not-attempted')} not attempted` +
    (dryRun.length > 0 ? `; ${dryRun.length} operation(s) planned in dry runs (not written)` : '');
  // A stable sort: within a status, the journal's order.
  const entries = [...[...outcomes].sort((a, b) => (RANK[a.record.status] ?? 9) - (RANK[b.record.status] ?? 9)), ...dryRun];
  const left = Math.max(0, entries.length - max);
  return {
    head,
    failed: count('failed'),
    listed: entries.slice(0, max).map((e) => ({ failed: e.record.status === 'failed', text: line(e) })),
    more: left > 0 ? `… and ${left} more, in ${JOURNAL}` : undefined,
  };
}

const SECTION_FONT = 'font-family:Segoe UI,Arial,sans-serif';
const FAILED_BOX = 'background:#fdecea;border:2px solid #b71c1c;color:#7f1212';

/** Undefined when there is nothing to say. At most `maxLines` entries are listed (failures first); the rest are counted. */
export function remediationSection(records: readonly JournalRecord[], maxLines = MAX_EMAIL_REMEDIATION): MailSection | undefined {
  const digest = remediationDigest(records, maxLines);
  if (!digest) return undefined;
  const { head, failed, listed, more } = digest;
  // Plain text: each line spaced out of control characters (a reason is Azure's text: a line break in it would forge a line).
  const text = [head, ...listed.map((l) => `- ${l.text}`), ...(more ? [`- ${more}`] : [])].map((l) => spaceOutControls(l)).join('\n');
  const items = (list: readonly { text: string }[]) => list.map((l) => html`<li>${l.text}</li>`);
  const failures = listed.filter((l) => l.failed);
  const others = listed.filter((l) => !l.failed);
  const body = html`<h2 style="${SECTION_FONT};font-size:16px;margin:16px 0 8px">Remediation</h2><p style="${SECTION_FONT};font-size:14px;margin:0 0 8px">${head}</p>${
    failures.length > 0
      ? noticeBoxHtml(
          FAILED_BOX,
          html`<b style="${SECTION_FONT}">${failed} remediation operation(s) FAILED</b><ul style="${SECTION_FONT};font-size:13px;margin:4px 0 0;padding-left:20px">${items(failures)}</ul>`,
        )
      : ''
  }${
    others.length > 0 || more ? html`<ul style="${SECTION_FONT};font-size:13px;margin:0;padding-left:20px">${items(others)}${more ? html`<li>${more}</li>` : ''}</ul>` : ''
  }`;
  return { text, html: body.value };
}

/** An alert mail with the section added at its end (a report mail takes it as composeReportMail's `remediation`). */
export function withRemediationSection<T extends MailSection>(mail: T, section: MailSection | undefined): T {
  if (!section) return mail;
  const at = mail.html.lastIndexOf('</body>');
  const html = at >= 0 ? `${mail.html.slice(0, at)}${section.html}${mail.html.slice(at)}` : `${mail.html}${section.html}`;
  return { ...mail, text: `${mail.text}\n${section.text}\n`, html };
}
