import type { AuditConfig } from '../engine/config';
import { auditResources } from '../engine/pipeline';
import type { Inventory } from '../ports';
import { renderReportAsync } from '../report/render';
import type { AuditReport, ReportExtras } from '../report/report';
import type { RemediationRunner } from '../remediation/runner';
import { remediationSection, withRemediationSection, type MailSection } from '../remediation/summary';
import type { Rule } from '../rules/rule';
import type { AlertOutcome, Alerting, Logger } from './alerting';
import type { ReportArchive, ReportFile } from './archive';
import { composeReportMail, diffReports, type ComposedMail, type ReportMailInput } from './compose';
import { indexEntriesOf } from './event-path';
import { operationIdFor, type MailAttachment, type Mailer } from './mailer';
import { estateScope } from './scope';
import type { AlertStore, NeighbourhoodIndex } from './store';

// The scheduled audit: the whole estate, the alert state reconciled (new findings recorded without
// alert mails, the report lists them; resolutions of mailed alerts mailed), the report archived
// as blobs (JSON, CSV and the HTML report) and mailed with JSON and CSV attached.

export interface ScheduledDeps {
  store: AlertStore;
  index: NeighbourhoodIndex;
  alerting: Alerting;
  archive: ReportArchive;
  mailer: Mailer | undefined;
  reportRecipients: string[];
  portalUrl: string;
  rules: readonly Rule[];
  config: AuditConfig;
  version: string;
  now: () => Date;
  log: Logger;
  /** Resolved rows are kept this long after their mail (days), then purged. */
  keepResolvedDays?: number;
  /** The report mail's size budget (bytes, as Communication Services counts them); default REPORT_MAIL_BUDGET_BYTES. */
  mailBudgetBytes?: number;
  /** Remediation after the audit (runs when remediation.enabled and onSchedule); the mail reports the journal since the last report. */
  remediation?: RemediationRunner;
}

export interface ScheduledResult {
  report: AuditReport;
  archived: string[];
  mail: ComposedMail;
  mailed: boolean;
  outcome: AlertOutcome;
}

/** The report files: JSON and CSV (mailed and stored), and the HTML report (stored: the full view with the topology). */
export async function reportFiles(report: AuditReport, extras: ReportExtras, rules: readonly Rule[]): Promise<ReportFile[]> {
  const render = (format: 'json' | 'csv' | 'html') => renderReportAsync(report, format, extras, { rules, colour: false });
  return [
    { extension: 'json', contentType: 'application/json', content: await render('json') },
    { extension: 'csv', contentType: 'text/csv; charset=utf-8', content: await render('csv') },
    { extension: 'html', contentType: 'text/html; charset=utf-8', content: await render('html') },
  ];
}

/**
 * Communication Services refuses an email request over 10 MB, attachments counted base64-encoded
 * (Learn: "Service limits for Azure Communication Services", email size limits). The report mail
 * is kept well under it, leaving room for the JSON envelope and headers the estimate leaves out.
 */
export const REPORT_MAIL_BUDGET_BYTES = 7 * 1024 * 1024;

/** About what Communication Services counts for a mail: its content, recipients, and attachments in base64. */
export function mailRequestBytes(mail: ComposedMail, attachments: readonly MailAttachment[], to: readonly string[]): number {
  const content = Buffer.byteLength(JSON.stringify({ subject: mail.subject, plainText: mail.text, html: mail.html, to }));
  return attachments.reduce((n, a) => n + 4 * Math.ceil(Buffer.byteLength(a.content) / 3) + Buffer.byteLength(a.name) + a.contentType.length + 64, content);
}

type Shortening = NonNullable<ReportMailInput['shortened']>;

/**
 * The report mail within the budget: whole with its attachments when it fits; else without the
 * attachments, the findings list and the topology, the changes listed up to a cap that is lowered
 * until it fits (the counts always stay). A mail that cannot shrink further goes out as small as it gets.
 */
export function fitReportMail(
  compose: (shortened: Shortening | undefined) => ComposedMail,
  attachments: readonly MailAttachment[],
  to: readonly string[],
  budgetBytes: number,
): { mail: ComposedMail; attachments: MailAttachment[]; shortened?: Shortening } {
  const whole = compose(undefined);
  const fullBytes = mailRequestBytes(whole, attachments, to);
  if (fullBytes <= budgetBytes) return { mail: whole, attachments: [...attachments] };
  for (const maxListed of [500, 200, 50, 10]) {
    const shortened = { maxListed, fullBytes, budgetBytes };
    const mail = compose(shortened);
    if (mailRequestBytes(mail, [], to) <= budgetBytes) return { mail, attachments: [], shortened };
  }
  const shortened = { maxListed: 0, fullBytes, budgetBytes };
  return { mail: compose(shortened), attachments: [], shortened };
}

/** The files attached to the report mail (the HTML report is stored, not attached: the mail body is its email-safe form). */
export const ATTACHED_EXTENSIONS: readonly ReportFile['extension'][] = ['json', 'csv'];

export function mergeInventories(parts: readonly Inventory[]): Inventory {
  const subscriptions = new Set<string>();
  for (const p of parts) for (const s of p.subscriptions) subscriptions.add(s.toLowerCase());
  const stamps = parts.flatMap((p) => (p.observedAt ? [p.observedAt] : []));
  return {
    resources: parts.flatMap((p) => p.resources),
    subscriptions: [...subscriptions].sort(),
    unreadable: parts.flatMap((p) => p.unreadable),
    // As old as the oldest part that was read (ISO 8601 strings sort by time).
    ...(stamps.length > 0 ? { observedAt: stamps.sort()[0] } : {}),
  };
}

export async function auditAndReport(deps: ScheduledDeps, inventory: Inventory): Promise<ScheduledResult> {
  const now = deps.now();
  const run = auditResources({
    resources: inventory.resources,
    rules: deps.rules,
    config: deps.config,
    now,
    version: deps.version,
    extraSubscriptions: inventory.subscriptions,
    unreadable: inventory.unreadable,
  });
  const report = run.report;
  // Decides only the findings whose every input was read: a partial read resolves nothing it could
  // not see, not even a finding of a read subscription that depends on an unread one (scope.ts).
  const scope = estateScope({ topology: run.extras.topology, inventory: { unreadable: inventory.unreadable, subscriptions: report.coverage.subscriptions } }, deps.rules);
  await deps.index.record(indexEntriesOf(run.extras.topology));
  const rows = await deps.store.rowsFor('all');
  const outcome = await deps.alerting.apply({
    findings: report.findings,
    scope,
    rows,
    observedAt: inventory.observedAt ? new Date(inventory.observedAt) : now,
    change: { source: 'scheduled-audit' },
    mailOpened: false,
  });
  await deps.alerting.flushPending(outcome);
  if (deps.remediation) {
    try {
      const fixed = await deps.remediation.run({ findings: report.findings, topology: run.extras.topology, trigger: { kind: 'schedule', scheduledAt: now.toISOString() } });
      if (fixed) deps.log.info(`scheduled audit: remediation run ${fixed.runId}: ${fixed.writes} writes${fixed.stoppedBy ? `; stopped: ${fixed.stoppedBy}` : ''}`);
    } catch (error) {
      deps.log.error(`scheduled audit: remediation failed: ${(error as Error).message}`);
    }
  }

  // Purge resolved rows whose story is told.
  const cutoff = new Date(now.getTime() - (deps.keepResolvedDays ?? 30) * 86_400_000).toISOString();
  const after = await deps.store.rowsFor('all');
  for (const row of after) {
    if (row.status === 'resolved' && !row.pendingResolved && (row.resolvedAt ?? '') < cutoff) await deps.store.remove(row);
  }
  const firstSeen = new Map(after.filter((r) => r.status === 'open').map((r) => [r.fingerprint, r.firstSeen]));

  const previous = await deps.archive.latest();
  const alerted = new Set(after.map((r) => r.fingerprint));
  const changes = diffReports(previous, report, firstSeen, now, scope.decides, (fingerprint) => alerted.has(fingerprint));
  const files = await reportFiles(report, run.extras, deps.rules);
  const archived = await deps.archive.save(report, files);
  const attached: MailAttachment[] = files.filter((f) => ATTACHED_EXTENSIONS.includes(f.extension)).map((f) => ({
    name: `peerguard-report-${report.generatedAt.slice(0, 10)}.${f.extension}`,
    contentType: f.contentType,
    content: f.content,
  }));
  // What remediation did since the last report (event path and this run), as a short section.
  let remediation: MailSection | undefined;
  if (deps.remediation) {
    const since = previous?.generatedAt ?? new Date(now.getTime() - 86_400_000).toISOString();
    try {
      remediation = remediationSection(await deps.remediation.recordsSince(since));
    } catch (error) {
      deps.log.warn(`report mail: the remediation journal could not be read: ${(error as Error).message}`);
    }
  }
  const fitted = fitReportMail(
    (shortened) =>
      withRemediationSection(
        composeReportMail({ report, changes, portalUrl: deps.portalUrl, archivedAs: archived, archiveLocation: deps.archive.location,
          attachments: shortened ? [] : attached.map((a) => a.name),
          extras: run.extras,
          rules: deps.rules,
          ...(shortened ? { shortened } : {}),
        }),
        remediation,
      ),
    attached,
    deps.reportRecipients,
    deps.mailBudgetBytes ?? REPORT_MAIL_BUDGET_BYTES,
  );
  const { mail, attachments } = fitted;
  if (fitted.shortened) {
    deps.log.warn(
      `report mail: the whole report (${fitted.shortened.fullBytes} bytes as a request) is over the mail budget (${fitted.shortened.budgetBytes}): mailed without attachments, findings list and topology, changes capped at ${fitted.shortened.maxListed} per list`,
    );
  }
  let mailed = false;
  if (deps.reportRecipients.length === 0) {
    deps.log.info('no PEERGUARD_REPORT_TO: the report is archived, not mailed');
  } else if (!deps.mailer) {
    deps.log.error('PEERGUARD_REPORT_TO is set but email is not configured: the report is archived, not mailed');
  } else {
    try {
      await deps.mailer.send({ to: deps.reportRecipients, ...mail, attachments, operationId: operationIdFor(`report|${report.generatedAt}`) });
      mailed = true;
    } catch (error) {
      deps.log.error(`report mail failed (the report is archived as ${archived.join(', ')}): ${(error as Error).message}`);
    }
  }
  deps.log.info(
    `scheduled audit: ${report.findings.length} findings (${changes.new.length} new, ${changes.resolved.length} resolved), ${report.coverage.unreadable.length} unreadable scopes, archived as ${archived.join(', ')}`,
  );
  return { report, archived, mail, mailed, outcome };
}
