import { realSleep } from '../azure/errors';
import type { AuditConfig } from '../engine/config';
import { auditResources } from '../engine/pipeline';
import { keyOf, subscriptionOf } from '../model/ids';
import type { Inventory } from '../ports';
import { redactSecrets } from '../redact';
import { noticeBoxHtml } from '../report/email-html';
import { html, spaceOutControls } from '../report/escape';
import { renderReportAsync } from '../report/render';
import type { AuditReport, ReportExtras } from '../report/report';
import { SCHEDULED_REMEDIATION_BUDGET_MS, type RemediationRunner } from '../remediation/runner';
import { remediationSection, type MailSection } from '../remediation/summary';
import type { Rule } from '../rules/rule';
import type { AlertOutcome, Alerting, Logger } from './alerting';
import type { Baseline, ReportArchive, ReportFile, UndeliveredReport } from './archive';
import { composeReportMail, diffReports, type ComposedMail, type ReportMailInput } from './compose';
import { indexEntriesOf } from './event-path';
import { operationIdFor, type MailAttachment, type Mailer } from './mailer';
import { estateScope } from './scope';
import type { AlertStore, NeighbourhoodIndex, StateHousekeeping } from './store';
import { configQuiet } from './transitions';

// The scheduled audit: the whole estate, the alert state reconciled (new findings recorded without
// alert mails, the report lists them; resolutions of mailed alerts mailed), the report archived
// as blobs (JSON, CSV and the HTML report) and mailed with JSON and CSV attached. The changes are
// counted since the last report that was mailed: a report whose mail failed does not become the
// baseline, so what it would have told is listed again by the next one, which says so. Being a
// full read, it also prunes the alert table (index rows of resources gone, read marks no read needs).

/**
 * host.json's functionTimeout (a test checks that they agree). At it the host gives up on the
 * invocation and restarts its Node worker, killing whatever that worker was running.
 */
export const FUNCTION_TIMEOUT_MS = 10 * 60_000;
/** Left unused at the end of an invocation: a slow last storage call, the host recording the result. */
export const INVOCATION_END_MARGIN_MS = 30_000;
/** Kept before the invocation's deadline for archiving, composing and mailing the report (after remediation). */
export const REPORT_MARGIN_MS = 2 * 60_000;
/**
 * What an audit needs after its read, remediation aside (which takes only what is left): evaluating,
 * recording the alert state and flushing its mails, then REPORT_MARGIN_MS for the report. A read
 * that has not finished by the deadline less this is given up; an assembly is not begun with less.
 */
export const AUDIT_TIME_NEEDED_MS = 3 * 60_000;

/** Elapsed time within an invocation (real time: not the app clock `now`, which tests pin), for its deadline and waits. */
export interface InvocationClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** A signal that aborts `ms` from now. */
  timeout(ms: number): AbortSignal;
}

export const REAL_CLOCK: InvocationClock = {
  now: () => Date.now(),
  sleep: realSleep,
  timeout: (ms) => AbortSignal.timeout(Math.max(0, ms)),
};

/** When an invocation started and when it must be done (on an InvocationClock). */
export interface InvocationTime {
  startedAt: number;
  deadline: number;
}

/** The time of an invocation that started at `startedAt`: host.json's functionTimeout less INVOCATION_END_MARGIN_MS. */
export function invocationTime(startedAt: number): InvocationTime {
  return { startedAt, deadline: startedAt + FUNCTION_TIMEOUT_MS - INVOCATION_END_MARGIN_MS };
}

export interface ScheduledDeps {
  store: AlertStore;
  index: NeighbourhoodIndex;
  housekeeping: StateHousekeeping;
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
  /** The invocation's elapsed time (default REAL_CLOCK, the remediation runner's clock too). */
  clock?: InvocationClock;
}

export interface ScheduledResult {
  report: AuditReport;
  archived: string[];
  mail: ComposedMail;
  mailed: boolean;
  outcome: AlertOutcome;
  /** Another invocation took the report over before it was mailed: this one sent and recorded nothing. */
  superseded?: boolean;
}

export interface ReportOptions {
  /** The report's time (default `deps.now()`): a fan-out takeover makes the same report, blob names and Operation-Id. */
  at?: Date;
  /**
   * Asked right before the report is delivered (mailed, the baseline moved): false when this
   * invocation no longer owns the report (a fan-out assembly taken over), which then sends nothing.
   */
  beforeDelivery?: () => Promise<boolean>;
  /** The invocation's deadline (deps.clock): remediation ends REPORT_MARGIN_MS before it, so that the report still goes out. */
  deadline?: number;
}

/**
 * Index rows are pruned only when recorded this long before the full read began: Resource Graph
 * trails ARM by seconds (at times minutes), and the clocks of the app's instances differ by
 * seconds, so an event's row for a resource the read had not caught up with stays (until the next
 * audit, which sees it or prunes it).
 */
export const INDEX_PRUNE_MARGIN_MS = 60 * 60_000;

/**
 * The scheduled audit's alert decisions count as this much older than the start of its Resource
 * Graph read (AlertRow.observedAt orders them against the event path's fresh ARM reads). Resource
 * Graph is updated when Resource Manager notifies it of a change, plus regular full scans for
 * notifications it missed, with no delay promised (Learn: "What is Azure Resource Graph?", How
 * Resource Graph is kept current); its change records "should be available in less than five
 * minutes" (Learn: "Get resource configuration changes"). So an event's read minutes before the
 * audit's may be newer than what the audit reads: three times those five minutes, which also covers
 * the instances' clocks, keeps such a decision from being overruled (a RESOLVED mail owed cancelled,
 * a fixed link reopened). The audit passes over only the rows an event decided within the margin,
 * and loses no change: a later change to them has its own event, and one whose event was missed is
 * decided by the next audit.
 */
export const GRAPH_LAG_MARGIN_MS = 15 * 60_000;

/**
 * Read marks raised longer ago than this are removed. A mark only matters while a live read that
 * began before it can still write (store.writeUnlessMarked refuses such a write). An event's read
 * and its writes happen within one invocation, which the host ends at host.json's functionTimeout
 * (10 minutes; Event Grid's redelivery is a new invocation with a new read), so no read begun a day
 * ago is still writing: a day is ample, with room for a worker the host has given up on.
 */
export const READ_MARK_HORIZON_MS = 86_400_000;

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

/** Whether a full read covered a resource: its subscription read, and no scope it lies in unreadable. */
export function coveredBy(inventory: Pick<Inventory, 'subscriptions' | 'unreadable'>): (resourceId: string) => boolean {
  const blind = new Set<string>(inventory.unreadable.map((u) => keyOf(u.scope)));
  const read = new Set(inventory.subscriptions.map((s) => s.toLowerCase()).filter((s) => !blind.has(s)));
  return (resourceId) => {
    const key = keyOf(resourceId);
    if (!read.has(subscriptionOf(key) ?? '')) return false;
    // A resource scope that could not be read (a VNet, a resource group): nothing under it is known gone.
    for (let end = key.indexOf('/', 1); end > 0; end = key.indexOf('/', end + 1)) if (blind.has(key.slice(0, end))) return false;
    return !blind.has(key);
  };
}

/**
 * The alert table's housekeeping after a full read: index rows of resources that the read no
 * longer holds (only in subscriptions it read, only rows recorded before the read began, less
 * INDEX_PRUNE_MARGIN_MS), and read marks older than READ_MARK_HORIZON_MS. A failure is logged: it
 * costs rows, not the report.
 */
async function pruneState(deps: ScheduledDeps, inventory: Inventory, recorded: readonly { resourceId: string }[], readAt: Date, now: Date): Promise<void> {
  try {
    const index = await deps.housekeeping.pruneIndex({
      seen: new Set(recorded.map((e) => keyOf(e.resourceId))),
      covers: coveredBy(inventory),
      recordedBefore: new Date(readAt.getTime() - INDEX_PRUNE_MARGIN_MS).toISOString(),
    });
    const marks = await deps.housekeeping.pruneReadMarks(new Date(now.getTime() - READ_MARK_HORIZON_MS).toISOString());
    if (index + marks > 0) deps.log.info(`scheduled audit: removed ${index} index rows of resources no longer read and ${marks} read marks older than a day`);
  } catch (error) {
    deps.log.warn(`scheduled audit: pruning the alert table failed (tried again at the next audit): ${(error as Error).message}`);
  }
}

/** The notice at the top of a report mail when earlier reports were not mailed. */
export function undeliveredNotice(undelivered: readonly UndeliveredReport[], baselineAt: string | undefined): string | undefined {
  if (undelivered.length === 0) return undefined;
  const last = undelivered[undelivered.length - 1] as UndeliveredReport;
  const which =
    undelivered.length === 1
      ? `The previous report (${last.generatedAt}) was not mailed`
      : `${undelivered.length} previous reports (${(undelivered[0] as UndeliveredReport).generatedAt} to ${last.generatedAt}) were not mailed`;
  const since = baselineAt ? `since the last report that was mailed (${baselineAt})` : 'since no report was ever mailed';
  return `${which}: ${last.reason.slice(0, 300).replace(/[.\s]+$/, '')}. ${undelivered.length === 1 ? 'It is' : 'They are'} archived (${last.archivedAs.find((n) => n.endsWith('.json')) ?? last.archivedAs[0] ?? 'reports/'}${undelivered.length > 1 ? ' and before' : ''}). The changes below are counted ${since}, so nothing ${undelivered.length === 1 ? 'it' : 'they'} would have told is left out.`;
}

function withNotice(mail: ComposedMail, notice: string | undefined): ComposedMail {
  if (!notice) return mail;
  const lines = mail.text.split('\n');
  // Spaced out as the rest of the text body was: the reason quotes an error, whose line breaks would forge lines.
  const text = [...lines.slice(0, 2), spaceOutControls(`NOT MAILED BEFORE: ${notice}`), '', ...lines.slice(2)].join('\n');
  const box = noticeBoxHtml('background:#fff4e5;border:2px solid #b35c00', html`<b>Not mailed before:</b> ${notice}`).value;
  const at = mail.html.indexOf('</h1>');
  return { ...mail, text, html: at >= 0 ? `${mail.html.slice(0, at + 5)}${box}${mail.html.slice(at + 5)}` : mail.html };
}

/**
 * The report mail's Remediation section: the journal's records in [since, until). `since` is where
 * the baseline's section ended (its generatedAt for a report archived before that was kept; a day
 * back with no baseline), so that an unmailed report's records are in the next mail. `until` is
 * taken now, after this run's remediation (which comes after the report's time), on the runner's
 * clock, which stamps the records: this run's writes are in this mail, and the next one begins
 * where it ends, so that none is told twice. A takeover of the same report (fan-out) keeps the
 * `until` an earlier attempt saved, whose mail may have gone out under the same Operation-Id.
 * Returns the `until` to save and deliver the report with: `since` when the journal could not be
 * read, so that the next mail tells those records.
 */
async function remediationWindow(
  deps: ScheduledDeps,
  runner: RemediationRunner,
  baseline: Baseline | undefined,
  report: AuditReport,
  now: Date,
): Promise<{ section: MailSection | undefined; until: string }> {
  const since = baseline ? (baseline.remediationUntil ?? baseline.report.generatedAt) : new Date(now.getTime() - 86_400_000).toISOString();
  try {
    const taken = (await deps.archive.savedRemediationUntil(report.generatedAt)) ?? new Date((deps.clock ?? REAL_CLOCK).now()).toISOString();
    // A clock behind the baseline's (another instance's) must not move the window back over told records.
    const until = taken > since ? taken : since;
    return { section: remediationSection(await runner.recordsSince(since, until)), until };
  } catch (error) {
    deps.log.warn(`report mail: the remediation journal could not be read: ${(error as Error).message}`);
    return { section: undefined, until: since };
  }
}

export async function auditAndReport(deps: ScheduledDeps, inventory: Inventory, options: ReportOptions = {}): Promise<ScheduledResult> {
  const now = options.at ?? deps.now();
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
  const entries = indexEntriesOf(run.extras.topology);
  await deps.index.record(entries);
  // When the read began (the oldest batch's, when fanned out): index pruning has its own margin.
  const readAt = inventory.observedAt ? new Date(inventory.observedAt) : now;
  const rows = await deps.store.rowsFor('all');
  const outcome = await deps.alerting.apply({
    findings: report.findings,
    scope,
    rows,
    // What Resource Graph showed may be older than an event's ARM read shortly before: it does not overrule that.
    observedAt: new Date(readAt.getTime() - GRAPH_LAG_MARGIN_MS),
    change: { source: 'scheduled-audit' },
    mailOpened: false,
    quiet: configQuiet(deps.config, run.extras.suppressed),
  });
  // The audit decided every held alert in its scope that no event decided within the margin: those
  // whose period has ended go out with the rest. One it passed over is alertFlush's to read again.
  const passedOver = new Set(deps.alerting.lapsedHolds(outcome.plan.stale).map((r) => r.fingerprint));
  await deps.alerting.flushPending(outcome, { lapsedHolds: true, skip: passedOver });
  await pruneState(deps, inventory, entries, readAt, now);
  if (deps.remediation) {
    try {
      // Its budget (runner.ts), cut to leave the report its margin before the invocation's deadline:
      // the read (and an assembly's wait) may have used much of functionTimeout already. On the
      // runner's clock, which is the invocation clock's (Date.now()'s).
      const budgetEnd = (deps.clock ?? REAL_CLOCK).now() + SCHEDULED_REMEDIATION_BUDGET_MS;
      const deadline = new Date(options.deadline === undefined ? budgetEnd : Math.min(budgetEnd, options.deadline - REPORT_MARGIN_MS));
      const fixed = await deps.remediation.run({ findings: report.findings, topology: run.extras.topology, trigger: { kind: 'schedule', scheduledAt: now.toISOString() }, deadline });
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

  // The baseline is the last report delivered: what an unmailed report found is listed again.
  const baseline = await deps.archive.latest();
  const previous = baseline?.report;
  let undelivered: UndeliveredReport[] = [];
  try {
    undelivered = await deps.archive.undelivered(previous?.generatedAt);
  } catch (error) {
    deps.log.warn(`report mail: the list of reports not mailed could not be read: ${(error as Error).message}`);
  }
  const notice = undeliveredNotice(undelivered, previous?.generatedAt);
  const alerted = new Set(after.map((r) => r.fingerprint));
  const changes = diffReports(previous, report, firstSeen, now, scope.decides, (fingerprint) => alerted.has(fingerprint));
  const files = await reportFiles(report, run.extras, deps.rules);
  // What remediation did since the last report's section (event path and this run), as a short section.
  const window = deps.remediation ? await remediationWindow(deps, deps.remediation, baseline, report, now) : undefined;
  const remediation = window?.section;
  const archived = await deps.archive.save(report, files, window?.until);
  const attached: MailAttachment[] = files.filter((f) => ATTACHED_EXTENSIONS.includes(f.extension)).map((f) => ({
    name: `peerguard-report-${report.generatedAt.slice(0, 10)}.${f.extension}`,
    contentType: f.contentType,
    content: f.content,
  }));
  const fitted = fitReportMail(
    (shortened) =>
      withNotice(
        composeReportMail({ report, changes, portalUrl: deps.portalUrl, archivedAs: archived, archiveLocation: deps.archive.location,
          attachments: shortened ? [] : attached.map((a) => a.name),
          extras: run.extras,
          rules: deps.rules,
          ...(shortened ? { shortened } : {}),
          ...(remediation ? { remediation } : {}),
        }),
        notice,
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
  if (previous?.generatedAt === report.generatedAt) {
    // A fan-out takeover of a report that was mailed and became the baseline, whose run was not
    // recorded as assembled: it is delivered already.
    deps.log.info(`scheduled audit: the report of ${report.generatedAt} was delivered already`);
    return { report, archived, mail, mailed: deps.reportRecipients.length > 0 && deps.mailer !== undefined, outcome };
  }
  if (options.beforeDelivery && !(await options.beforeDelivery())) {
    deps.log.warn(`scheduled audit: the report of ${report.generatedAt} was taken over by another invocation before its mail: this one sends nothing`);
    return { report, archived, mail, mailed: false, outcome, superseded: true };
  }
  let mailed = false;
  let failure: string | undefined;
  if (deps.reportRecipients.length === 0) {
    deps.log.info('no PEERGUARD_REPORT_TO: the report is archived, not mailed');
  } else if (!deps.mailer) {
    failure = 'PEERGUARD_REPORT_TO is set but email is not configured';
    deps.log.error(`${failure}: the report is archived, not mailed`);
  } else {
    try {
      // The same report (a fan-out takeover keeps its time) is sent under the same Operation-Id.
      await deps.mailer.send({ to: deps.reportRecipients, ...mail, attachments, operationId: operationIdFor(`report|${report.generatedAt}`) });
      mailed = true;
    } catch (error) {
      failure = `the send failed: ${redactSecrets((error as Error).message)}`;
      deps.log.error(
        `report mail failed (the report is archived as ${archived.join(', ')}; the next report counts its changes since the last report mailed${previous ? `, ${previous.generatedAt}` : ''}, and says so): ${(error as Error).message}`,
      );
    }
  }
  if (failure === undefined) {
    // Mailed, or nobody to mail it to: this report is the next one's baseline. Should this write
    // fail, the next report lists again what this one told: a repeat, never a loss.
    await deps.archive.delivered(files, window?.until);
  } else {
    try {
      await deps.archive.notDelivered({ generatedAt: report.generatedAt, archivedAs: archived, reason: failure });
    } catch (error) {
      // The baseline did not move, so nothing is lost; only the next mail's notice is.
      deps.log.error(`report mail: recording that the report was not mailed failed: ${(error as Error).message}`);
    }
  }
  deps.log.info(
    `scheduled audit: ${report.findings.length} findings (${changes.new.length} new, ${changes.resolved.length} resolved), ${report.coverage.unreadable.length} unreadable scopes, archived as ${archived.join(', ')}`,
  );
  return { report, archived, mail, mailed, outcome };
}
