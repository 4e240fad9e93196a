import { escapeHtml } from '../report/escape';
import { describeTrigger, type JournalRecord } from './ports';

// The short "Remediation" section of the report mail: what was applied, skipped or failed since the
// last report, with reasons, each distinct record once. Plan records (planned/deferred) are left
// out unless nothing was tried.

const SHOWN = new Set(['applied', 'skipped', 'failed', 'not-attempted']);

export interface MailSection {
  text: string;
  html: string;
}

const what = (r: JournalRecord): string => (r.operation ? `${r.operation.method} ${r.operation.resourceId}` : r.findingResourceId);

/**
 * Records that say the same thing once each, the latest kept, with how many there were: a fix that
 * every event-path run skips for the same reason (not allow-listed, say) is one line, not one per event.
 */
function collapse(records: readonly JournalRecord[]): Array<{ record: JournalRecord; times: number }> {
  const byText = new Map<string, { record: JournalRecord; times: number }>();
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

function line({ record: r, times }: { record: JournalRecord; times: number }): string {
  const when = times > 1 ? `${times} times, last ${describeTrigger(r.trigger)}, ${r.at}` : `${describeTrigger(r.trigger)}, ${r.at}`;
  return `${r.status}: ${r.ruleId}: ${what(r)}: ${r.reason} (${when})`;
}

/** Undefined when there is nothing to say. */
export function remediationSection(records: readonly JournalRecord[], maxLines = 50): MailSection | undefined {
  // Plan records restate what a dry run would do; an apply run's outcomes say what happened.
  const outcomes = collapse(records.filter((r) => SHOWN.has(r.status) && (r.mode === 'apply' || r.status !== 'skipped')));
  const dryRun = collapse(records.filter((r) => r.mode === 'dry-run' && r.status === 'planned'));
  if (outcomes.length === 0 && dryRun.length === 0) return undefined;
  const count = (s: string) => outcomes.filter((o) => o.record.status === s).length;
  const head =
    `Remediation: ${count('applied')} applied, ${count('skipped')} skipped, ${count('failed')} failed, ${count('not-attempted')} not attempted` +
    (dryRun.length > 0 ? `; ${dryRun.length} operation(s) planned in dry runs (not written)` : '');
  const lines = [...outcomes, ...dryRun].map(line);
  const shown = lines.slice(0, maxLines);
  const more = lines.length > maxLines ? [`… and ${lines.length - maxLines} more (see the peerguardremediation table)`] : [];
  return {
    text: `\n${head}\n${[...shown, ...more].map((l) => `- ${l}`).join('\n')}\n`,
    html:
      `<h2 style="font-family:Segoe UI,Arial,sans-serif;font-size:16px;margin:16px 0 8px">Remediation</h2>` +
      `<p style="font-family:Segoe UI,Arial,sans-serif;font-size:14px;margin:0 0 8px">${escapeHtml(head)}</p>` +
      `<ul style="font-family:Segoe UI,Arial,sans-serif;font-size:13px;margin:0;padding-left:20px">${[...shown, ...more].map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`,
  };
}

/** The mail with the section added at the end (before `</body>` in the HTML). */
export function withRemediationSection<T extends MailSection>(mail: T, section: MailSection | undefined): T {
  if (!section) return mail;
  const at = mail.html.lastIndexOf('</body>');
  const html = at >= 0 ? `${mail.html.slice(0, at)}${section.html}${mail.html.slice(at)}` : `${mail.html}${section.html}`;
  return { ...mail, text: `${mail.text}${section.text}`, html };
}
