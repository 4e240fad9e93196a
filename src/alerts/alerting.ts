import { groupBy } from '../collections';
import type { Finding } from '../engine/audit';
import { subscriptionOf } from '../model/ids';
import type { Rule } from '../rules/rule';
import type { JournalRecord } from '../remediation/ports';
import { remediationSection, withRemediationSection } from '../remediation/summary';
import { composeAlertDigest, composeAlertMail, type ComposedMail, type RuleInfo } from './compose';
import { operationIdFor, SendError, type Mailer, type Recipients } from './mailer';
import { placeOf, type AlertRow, type AlertScope, type ChangeContext } from './model';
import { pauseAfterConflict, type AlertStore } from './store';
import { planTransitions, type ClosedByConfig, type ConfigQuiet, type TransitionPlan } from './transitions';
import { untilAborted } from '../azure/errors';
import { redactSecrets } from '../redact';

// Applies a transition plan to the store with conditional writes, then sends the mails it owes.
// The invocation whose write wins owns the mail: a duplicate event, or a concurrent invocation
// that evaluated the same change, loses the insert (409) or the If-Match (412) and sends nothing.
// A write lost to any other write of the row (an older view's touch, a claim, a mail's outcome) is
// decided again on the row read anew (apply's replan), so that such a write cannot undo a decision.
// A failed send leaves the row pending; flushPending (every run) sends it later, under a claim
// (a short lease written with If-Match) so that two flushes never send the same mail, and not before
// its retryAt: a minute after the first failure, doubling to an hour (retryDelayMs), because a sender
// that fails (quota spent, domain unlinked) fails every mail, and each try counts against its quota.
// The mails one run owes to the same recipients go out each in its own format when they are few (a
// peering deleted owes two or three), as one digest when there are more than MAX_SEPARATE_MAILS
// (sendAll), so that a change touching many peerings at once (a hub deleted, its address space
// changed) is one mail, not one per spoke beyond the sender's quota.
// Settling: a new alert of a rule whose finding a routine two-step change passes through
// (RuleMeta.settles: a peering's first link Initiated until the second is written, the survivor of
// a deleted pair Disconnected until it goes too) opened by an event is written owed (pendingOpen)
// with its claim running to the end of the settle period (settleMs), and not mailed then. The claim
// is a hold, not a send in progress: nobody mails it before it lapses. An event that resolves it
// within the period resolves it quietly, as a finding nobody was told of; one still open when the
// hold lapses (lapsedHolds) is read live again by alertFlush (event-path.ts, recheckHeldAlert),
// which decides it as an event would (and runs its deferred fix), then is an owed mail whose claim
// lapsed, which alertFlush's flush sends, or the scheduled audit's, which read it too; an event's
// flush leaves it (flushPending's `lapsedHolds`). A hold is told from a claim by its time: the end of the
// settle period counted from the row's firstSeen, which no flush's claim can equal (a flush claims
// only once the hold has lapsed, until later than that).

export interface Logger {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export interface AlertingDeps {
  store: AlertStore;
  mailer: Mailer | undefined;
  recipients: Recipients;
  portalUrl: string;
  rules: readonly Rule[];
  now: () => Date;
  log: Logger;
  /** How long a claim to send a mail lasts (ms). */
  claimMs?: number;
  /**
   * How long an event's new alert of a rule with `meta.settles` waits before its mail (ms;
   * PEERGUARD_ALERT_SETTLE_SECONDS). 0 or unset: mailed at once, as every other alert.
   */
  settleMs?: number;
  /** Remediation journal records of one finding since a time: the alert mail's Remediation section. */
  remediationRecords?: (fingerprint: string, since: string) => Promise<JournalRecord[]>;
}

export interface SentMail {
  fingerprint: string;
  kind: 'opened' | 'resolved';
  subject: string;
}

/** A new alert held for its rule's settle period: mailed by a flush after `until` if still open. */
export interface HeldMail {
  fingerprint: string;
  ruleId: string;
  until: string;
}

export interface AlertOutcome {
  plan: TransitionPlan;
  /** Writes lost to a concurrent invocation (it owns the mail). */
  lostRaces: number;
  sent: SentMail[];
  /** New alerts written owed but held for their settle period (the event path only). */
  held: HeldMail[];
  failed: { fingerprint: string; kind: 'opened' | 'resolved'; error: string }[];
  /** Mails not sent for lack of time (a SendWindow): left pending and unclaimed, for the next flush. */
  deferred: { fingerprint: string; kind: 'opened' | 'resolved' }[];
}

/**
 * Until when an invocation may wait for mail (`deadline`, Date.now()'s clock; the event path's, so
 * that Event Grid gets its answer in time), and how long a send needs at least (`minMs`).
 */
export interface SendWindow {
  deadline: number;
  minMs: number;
}

const DEFAULT_CLAIM_MS = 120_000;

const FIRST_RETRY_MS = 60_000;
const MAX_RETRY_MS = 3_600_000;

/** How long a mail whose send failed `failures` times in a row waits: 1, 2, 4 ... minutes, at most an hour. */
export function retryDelayMs(failures: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** Math.max(0, failures - 1), MAX_RETRY_MS);
}

/** Whether the window leaves a send the time it needs. */
function hasTime(window: SendWindow): boolean {
  return window.deadline - Date.now() >= window.minMs;
}

/** More mails than this owed to the same recipients in one run go as one digest. */
export const MAX_SEPARATE_MAILS = 5;

/** A mail a row owes: its opening or its resolution. */
interface OwedMail {
  row: AlertRow;
  kind: 'opened' | 'resolved';
}

/**
 * A mail's Communication Services Operation-Id, from the alerts in it: stable across a crash between
 * the send and recording it (the service de-duplicates), new after a recorded failure (sendAttempts),
 * since the service answers a repeated Operation-Id with the old outcome.
 */
function operationIdOf(owed: readonly OwedMail[]): string {
  return operationIdFor(
    owed
      .map(({ row, kind }) => `${row.fingerprint}|${kind}|${row.firstSeen}|${row.sendAttempts}`)
      .sort()
      .join('\n'),
  );
}

/** One row's transition in a plan: what `apply` writes for one fingerprint. */
type Step =
  | { kind: 'opened'; finding: Finding; previous: AlertRow | undefined }
  | { kind: 'resolved'; row: AlertRow }
  | { kind: 'closedByConfig'; row: AlertRow; reason: ClosedByConfig }
  | { kind: 'reopened' | 'unchanged'; row: AlertRow; finding: Finding };

/** The plan's transitions in the order `apply` writes them. */
function stepsOf(plan: TransitionPlan): Step[] {
  return [
    ...plan.opened.map((o): Step => ({ kind: 'opened', ...o })),
    ...plan.resolved.map((row): Step => ({ kind: 'resolved', row })),
    ...plan.closedByConfig.map((c): Step => ({ kind: 'closedByConfig', ...c })),
    ...plan.reopened.map((r): Step => ({ kind: 'reopened', ...r })),
    ...plan.unchanged.map((u): Step => ({ kind: 'unchanged', ...u })),
  ];
}

function fingerprintOf(step: Step): string {
  return step.kind === 'opened' ? step.finding.fingerprint : step.row.fingerprint;
}

/** What the log says of a row the configuration closed. */
const CLOSED_BECAUSE: Record<ClosedByConfig, string> = {
  suppressed: 'its finding is suppressed by configuration now',
  'rule-off': 'its rule is turned off in configuration',
};

/** How many times `apply` decides a row again after its write lost to another write of it. */
const MAX_REPLANS = 5;

function ruleInfo(rules: readonly Rule[], id: string): RuleInfo | undefined {
  return rules.find((r) => r.meta.id === id)?.meta;
}

function rowFromFinding(finding: Finding, anchor: AlertRow['anchor'], now: string, observedAt: string, change: ChangeContext | undefined): AlertRow {
  return {
    fingerprint: finding.fingerprint,
    status: 'open',
    ruleId: finding.ruleId,
    severity: finding.severity,
    resourceId: finding.resourceId,
    relatedResourceIds: finding.relatedResourceIds,
    message: finding.message,
    anchor,
    subscriptionId: subscriptionOf(finding.resourceId) ?? '',
    firstSeen: now,
    lastSeen: now,
    observedAt,
    finding,
    openedBy: change,
    pendingOpen: false,
    pendingResolved: false,
    sendAttempts: 0,
  };
}

export class Alerting {
  constructor(private readonly deps: AlertingDeps) {}

  private iso(offsetMs = 0): string {
    return new Date(this.deps.now().getTime() + offsetMs).toISOString();
  }

  private claimUntil(): string {
    return this.iso(this.deps.claimMs ?? DEFAULT_CLAIM_MS);
  }

  private owesMail(row: Pick<AlertRow, 'severity'>): boolean {
    return this.deps.recipients[row.severity].length > 0;
  }

  /** When the settle period of a finding of this rule first seen at `firstSeen` ends; undefined when it does not settle. */
  private settleEnd(ruleId: string, firstSeen: string): string | undefined {
    const settleMs = this.deps.settleMs ?? 0;
    if (settleMs <= 0 || this.deps.rules.find((r) => r.meta.id === ruleId)?.meta.settles !== true) return undefined;
    return new Date(Date.parse(firstSeen) + settleMs).toISOString();
  }

  /**
   * Whether the row's open mail is (or was, once the period ended) held for its settle period: its
   * claim is the end of that period, counted from when it was first seen, rather than a send's. Never
   * tried: a failed send clears the claim and records the error.
   */
  private held(row: AlertRow): boolean {
    if (!row.pendingOpen || row.mailedOpenAt !== undefined || row.claimUntil === undefined) return false;
    if (row.sendAttempts > 0 || row.lastSendError !== undefined) return false;
    return row.claimUntil === this.settleEnd(row.ruleId, row.firstSeen);
  }

  /** Whether the row's open mail is held for its settle period now (not claimed by a send that may be under way). */
  private settling(row: AlertRow, now: string): boolean {
    return this.held(row) && (row.claimUntil as string) > now;
  }

  /** When the row's hold for its settle period ends (or ended); undefined when its mail is not held. */
  holdEnd(row: AlertRow): string | undefined {
    return this.held(row) ? row.claimUntil : undefined;
  }

  /**
   * Whether the row's open mail may have reached its recipients: sent; handed to the sender with no
   * verdict back (`openOutcomeUnknown`); or claimed by a send that recorded no outcome, still under
   * way or whose invocation crashed or failed to record it (a hold for the settle period is no send).
   * Its resolution is then owed: the recipients may believe it still open.
   */
  private openMayBeMailed(row: AlertRow): boolean {
    return row.mailedOpenAt !== undefined || row.openOutcomeUnknown === true || (row.pendingOpen && row.claimUntil !== undefined && !this.held(row));
  }

  /** Whether the row's hold has ended with the finding still open and its mail not yet sent. */
  private lapsedHold(row: AlertRow, now: string): boolean {
    return row.status === 'open' && this.held(row) && (row.claimUntil as string) <= now;
  }

  /** The rows (of `rows`) whose hold has ended with the finding still open and its mail not yet sent: a flush would mail them. */
  lapsedHolds(rows: readonly AlertRow[]): AlertRow[] {
    const now = this.iso();
    return rows.filter((row) => this.lapsedHold(row, now));
  }

  /**
   * Compares the findings of one evaluated scope with the stored rows in that scope and applies
   * the transitions. `mailOpened` false (the scheduled audit) records new findings without alert
   * mails (the report lists them); resolutions of mailed alerts are always mailed.
   */
  async apply(input: {
    findings: readonly Finding[];
    scope: AlertScope;
    rows: readonly AlertRow[];
    observedAt: Date;
    change: ChangeContext | undefined;
    mailOpened: boolean;
    /**
     * Open, reopen or resolve a finding only while no read begun after `observedAt` has marked its
     * VNet (store.ts, read marks; the event path, which marks the VNets it decides before reading
     * rows): a newer read may have read the row before this write, and its view wins.
     */
    unlessMarked?: boolean;
    /**
     * false: the mails owed are written unclaimed and not sent, for the caller's flushPending to send
     * with the others it owes (alertFlush's re-checks: one digest for the run). Default true.
     */
    sendNow?: boolean;
    /** The time the sends may take (see SendWindow); unbounded by default. */
    sendWindow?: SendWindow;
    /**
     * What the configuration keeps from alerting (transitions.ts, configQuiet): open rows of
     * suppressed findings (still there) or of rules turned off (not looked for) are closed without
     * a resolution mail, not resolved. None by default.
     */
    quiet?: ConfigQuiet;
  }): Promise<AlertOutcome> {
    const { store, log } = this.deps;
    const observedAt = input.observedAt.toISOString();
    const quiet = input.quiet ?? {};
    const plan = planTransitions(input.rows, input.findings, input.scope, observedAt, quiet);
    const outcome: AlertOutcome = { plan, lostRaces: 0, sent: [], held: [], failed: [], deferred: [] };
    const toSend: OwedMail[] = [];
    const now = this.iso();
    const sendNow = input.sendNow ?? true;
    // The claim of a mail this invocation sends at its end; none for one left to the caller's flush.
    const sendClaim = () => (sendNow ? this.claimUntil() : undefined);
    // A replace that decides (opens, resolves or reopens), under the read marks when asked.
    const decide = async (row: AlertRow): Promise<AlertRow | 'stale' | undefined> => (input.unlessMarked ? store.writeUnlessMarked(row, 'replace') : store.replace(row));
    // Closes a row that owes no mail: nobody was told it opened, or the configuration silences it now
    // (its finding suppressed, or its rule turned off: nothing was fixed, so no resolution is told). The row stays (purged with the other resolved rows) so that
    // it remembers when this was seen: an older view, such as a scheduled audit that began reading
    // before, finds it and cannot open the finding again.
    const closeQuietly = (row: AlertRow, resolvedBy: ChangeContext | undefined) =>
      decide({ ...row, status: 'resolved', resolvedAt: now, resolvedBy, observedAt, pendingOpen: false, pendingResolved: false, claimUntil: undefined });
    const staleView = (row: AlertRow, what: string) => {
      outcome.lostRaces += 1;
      log.info(`alert ${row.fingerprint} (${row.ruleId}): a newer read decided ${row.anchor}; this older view ${what} nothing`);
    };

    /** Writes one row's transition. False when its conditional write lost to another write of the row (409, 412). */
    const write = async (step: Step): Promise<boolean> => {
      switch (step.kind) {
        case 'opened': {
          const { finding, previous } = step;
          const base = rowFromFinding(finding, placeOf(input.scope, finding), now, observedAt, input.change);
          const owed = input.mailOpened && this.owesMail(base);
          // Owed, and of a rule that settles: held (claimed) to the end of the settle period, not sent now.
          const holdUntil = owed ? this.settleEnd(finding.ruleId, now) : undefined;
          const row: AlertRow = { ...base, pendingOpen: owed, ...(owed ? { claimUntil: holdUntil ?? sendClaim() } : {}) };
          const written = previous ? await decide({ ...row, etag: previous.etag }) : input.unlessMarked ? await store.writeUnlessMarked(row, 'insert') : await store.insert(row);
          if (written === 'stale') {
            // A newer read decided this VNet and may have read the rows before this write: its view wins.
            staleView(row, 'opens');
            return true;
          }
          if (!written) return false;
          if (holdUntil) {
            outcome.held.push({ fingerprint: finding.fingerprint, ruleId: finding.ruleId, until: holdUntil });
            log.info(`alert opened: ${finding.ruleId} ${finding.resourceId} (${finding.fingerprint}); its mail waits for the settle period, until ${holdUntil}, and goes only if it is still open then`);
          } else {
            log.info(`alert opened: ${finding.ruleId} ${finding.resourceId} (${finding.fingerprint})`);
            if (owed && sendNow) toSend.push({ row: written, kind: 'opened' });
          }
          return true;
        }
        case 'resolved': {
          const { row } = step;
          if (!this.openMayBeMailed(row)) {
            const quiet = await closeQuietly(row, input.change);
            if (quiet === 'stale') staleView(row, 'resolves');
            else if (quiet) log.info(`alert resolved before any mail went out${this.settling(row, now) ? ', within its settle period' : ''}: ${row.ruleId} ${row.resourceId}`);
            return quiet !== undefined;
          }
          // A send of the open mail holds the claim: it keeps it, and the resolution goes out with the next flush.
          const openInFlight = row.pendingOpen && row.claimUntil !== undefined && row.claimUntil > now;
          const updated: AlertRow = {
            ...row,
            status: 'resolved',
            resolvedAt: now,
            resolvedBy: input.change,
            observedAt,
            pendingResolved: true,
            claimUntil: openInFlight ? row.claimUntil : sendClaim(),
          };
          const written = await decide(updated);
          if (written === 'stale') {
            staleView(row, 'resolves');
            return true;
          }
          if (!written) return false;
          log.info(`alert resolved: ${row.ruleId} ${row.resourceId} (${row.fingerprint})`);
          if (!openInFlight && sendNow) toSend.push({ row: written, kind: 'resolved' });
          return true;
        }
        case 'closedByConfig': {
          const { row, reason } = step;
          const closed = await closeQuietly(row, undefined);
          if (closed === 'stale') staleView(row, 'closes');
          else if (closed) log.info(`alert closed without a mail: ${CLOSED_BECAUSE[reason]}: ${row.ruleId} ${row.resourceId} (${row.fingerprint})`);
          return closed !== undefined;
        }
        case 'reopened': {
          const { row, finding } = step;
          const reopened: AlertRow = {
            ...row,
            anchor: placeOf(input.scope, finding),
            status: 'open',
            resolvedAt: undefined,
            resolvedBy: undefined,
            pendingResolved: false,
            severity: finding.severity,
            message: finding.message,
            finding,
            lastSeen: now,
            observedAt,
          };
          // Cancels an owed resolution mail: as much an opening as a new row.
          const written = await decide(reopened);
          if (written === 'stale') staleView(row, 'reopens');
          else if (written) log.info(`alert back before its resolution was mailed: ${row.ruleId} ${row.resourceId}`);
          return written !== undefined;
        }
        case 'unchanged': {
          const { row, finding } = step;
          // The anchor too: rows written before a finding moved to another anchor follow it.
          const written = await store.replace({ ...row, anchor: placeOf(input.scope, finding), severity: finding.severity, message: finding.message, finding, lastSeen: now, observedAt });
          return written !== undefined;
        }
      }
    };

    // Another write landed on the row between this view's read and its write (another invocation's
    // decision, an older view refreshing last-seen, a flush's claim, a mail's outcome): the row is
    // read again and decided again under this same view (observedAt, read marks), unless a view at
    // least as new decided it since, or it already holds this view's decision (open, or resolved).
    const replan = async (fingerprint: string): Promise<Step | undefined> => {
      const row = await store.get(fingerprint);
      if (row && row.observedAt >= observedAt) return undefined;
      const again = planTransitions(row ? [row] : [], input.findings.filter((f) => f.fingerprint === fingerprint), input.scope, observedAt, quiet);
      return stepsOf(again).find((step) => step.kind !== 'unchanged');
    };

    try {
      for (const first of stepsOf(plan)) {
        let step: Step | undefined = first;
        for (let replans = 0; step && !(await write(step)); replans++) {
          const fingerprint = fingerprintOf(step);
          step = replans < MAX_REPLANS ? await replan(fingerprint) : undefined;
          if (!step) {
            outcome.lostRaces += 1;
            log.info(`alert ${fingerprint}: another invocation wrote it first and decided it (or a view as new did)${replans < MAX_REPLANS ? '' : `; ${MAX_REPLANS + 1} writes conflicted`}`);
          }
        }
      }
    } finally {
      // Mails owed by the writes that landed go out even when a later write throws: the retry of the
      // event finds those rows open under this invocation's claim, and would not send them.
      await this.sendAll(toSend, outcome, input.sendWindow);
    }
    return outcome;
  }

  /**
   * Sends every owed mail whose claim has lapsed and whose retry time has come (failed sends, crashed
   * invocations, settle periods ended). `lapsedHolds`: held alerts whose period has ended too, for
   * the callers that have just read them (alertFlush after its re-reads, the scheduled audit); an
   * event's flush leaves them to alertFlush, whose re-read may resolve them and runs their deferred
   * fix, within a minute. `skip`: alerts not to send now. `sendWindow`: the time the sends may take;
   * with less left than a send needs, nothing is claimed (the next flush sends it).
   */
  async flushPending(outcome?: AlertOutcome, options: { lapsedHolds?: boolean; skip?: ReadonlySet<string>; sendWindow?: SendWindow } = {}): Promise<AlertOutcome> {
    const result: AlertOutcome = outcome ?? {
      plan: { opened: [], resolved: [], reopened: [], unchanged: [], stale: [], closedByConfig: [] },
      lostRaces: 0,
      sent: [],
      held: [],
      failed: [],
      deferred: [],
    };
    if (options.sendWindow && !hasTime(options.sendWindow)) return result;
    const now = this.iso();
    // A mail that just failed in this invocation waits for its retry time, even if recording it failed.
    const failedHere = new Set(result.failed.map((f) => f.fingerprint));
    const due: OwedMail[] = [];
    for (const row of await this.deps.store.pendingRows()) {
      // `skip`: held alerts alertFlush has not yet read again (over its budget): the next run does.
      if (failedHere.has(row.fingerprint) || options.skip?.has(row.fingerprint)) continue;
      if (row.claimUntil !== undefined && row.claimUntil > now) continue;
      if (!options.lapsedHolds && this.lapsedHold(row, now)) continue;
      if (row.retryAt !== undefined && row.retryAt > now) continue;
      let kind: 'opened' | 'resolved' | undefined;
      if (row.status === 'open' && row.pendingOpen) kind = 'opened';
      else if (row.status === 'resolved' && row.pendingResolved && this.openMayBeMailed(row)) kind = 'resolved';
      if (!kind) {
        // Resolved before its open mail could go out (its send failed or was put off): nothing to tell.
        if (row.status === 'resolved') await this.deps.store.remove(row);
        continue;
      }
      if (!this.owesMail(row)) {
        await this.deps.store.replace({ ...row, pendingOpen: false, pendingResolved: false, claimUntil: undefined });
        continue;
      }
      const claimed = await this.deps.store.replace({ ...row, claimUntil: this.claimUntil() });
      if (!claimed) {
        result.lostRaces += 1;
        continue;
      }
      due.push({ row: claimed, kind });
    }
    await this.sendAll(due, result, options.sendWindow);
    return result;
  }

  /** The recipient list of a row's severity, as a key: the same addresses in any order or case. */
  private recipientKey(row: AlertRow): string {
    return [...new Set(this.deps.recipients[row.severity].map((a) => a.toLowerCase()))].sort().join(',');
  }

  /**
   * The owed mails of one run, one mail per recipient list (see the header). A digest whose outcome
   * is not known yet (its rows carry its `mailOperation`) goes again as that group, and so under
   * that id, only when exactly its rows are due, as they were, for one recipient list: anything
   * else (a row resolved, reopened, re-rated or claimed elsewhere) is grouped anew under a new id,
   * since the service would answer the old id with the old outcome and the changed part would be
   * lost; a possible duplicate is better than a lost alert.
   */
  private async sendAll(owed: readonly OwedMail[], outcome: AlertOutcome, window: SendWindow | undefined): Promise<void> {
    const again = new Set<OwedMail>();
    for (const [saved, group] of groupBy(owed, (mail) => mail.row.mailOperation)) {
      if (group.length < 2 || operationIdOf(group) !== saved || new Set(group.map(({ row }) => this.recipientKey(row))).size !== 1) continue;
      for (const mail of group) again.add(mail);
      await this.send(group, outcome, window);
    }
    for (const group of groupBy(owed, (mail) => (again.has(mail) ? undefined : this.recipientKey(mail.row))).values()) {
      if (group.length > MAX_SEPARATE_MAILS) await this.send(group, outcome, window);
      else for (const mail of group) await this.send([mail], outcome, window);
    }
  }

  /** The mail of `owed` (one alert, or a digest of several), then each row's outcome: sent, or failed and put off. */
  private async send(owed: readonly OwedMail[], outcome: AlertOutcome, window: SendWindow | undefined): Promise<void> {
    const { mailer, log } = this.deps;
    const [single] = owed;
    if (!single) return;
    const isDigest = owed.length > 1;
    if (window && !hasTime(window)) {
      // Unclaimed at once, so that the next flush (alertFlush, within a minute) sends it rather than waiting for the claim to lapse.
      log.info(`${owed.length} alert mail${owed.length === 1 ? '' : 's'} (${owed.map(({ row }) => row.fingerprint).join(', ')}) left pending for the next flush: less than ${window.minMs / 1000} s of this invocation's time left`);
      for (const { row, kind } of owed) {
        outcome.deferred.push({ fingerprint: row.fingerprint, kind });
        await this.record(row.fingerprint, (r) => ({ ...r, claimUntil: undefined }));
      }
      return;
    }
    const operationId = operationIdOf(owed);
    // A digest's group is saved on its rows before the send, so that a retry after a crash or an
    // unknown outcome can send exactly this group again, under this id (sendAll, mailOperation).
    if (isDigest && owed.some(({ row }) => row.mailOperation !== operationId)) {
      let unsaved: string | undefined;
      try {
        for (const { row } of owed) if (!(await this.update(row.fingerprint, (r) => ({ ...r, mailOperation: operationId })))) unsaved ??= `row ${row.fingerprint} not written`;
      } catch (error) {
        unsaved = (error as Error).message;
      }
      if (unsaved !== undefined) {
        log.error(`alert digest of ${owed.length} alerts: its group could not be saved on every row before the send (${unsaved}), so it is not sent now (the claims lapse and a later run sends it)`);
        return;
      }
    }
    let mail = isDigest ? this.composeDigest(owed) : this.composeOne(single);
    if (this.deps.remediationRecords) {
      try {
        const records = await Promise.all(owed.map(({ row }) => this.deps.remediationRecords?.(row.fingerprint, row.firstSeen) ?? []));
        mail = withRemediationSection(mail, remediationSection(records.flat()));
      } catch (error) {
        log.warn(`alert mail for ${owed.map(({ row }) => row.fingerprint).join(', ')}: the remediation journal could not be read: ${(error as Error).message}`);
      }
    }
    const what = !isDigest ? `alert mail (${single.kind}) for ${single.row.fingerprint}` : `alert digest of ${owed.length} alerts (${owed.map(({ row }) => row.fingerprint).join(', ')})`;
    // Aborted at the window's deadline: the send and its status polls stop, and so does the wait for a mailer that ignores the signal.
    const signal = window ? AbortSignal.timeout(Math.max(0, window.deadline - Date.now())) : undefined;
    try {
      if (!mailer) throw new Error('email is not configured (PEERGUARD_EMAIL_ENDPOINT or PEERGUARD_EMAIL_CONNECTION_STRING)');
      await untilAborted(() => mailer.send({ to: this.deps.recipients[single.row.severity], ...mail, operationId }, signal ? { signal } : undefined), signal);
    } catch (error) {
      const message = redactSecrets((error as Error).message);
      // Handed to the sender with no verdict back: an open mail that may have gone out, whose resolution is owed too.
      const unknown = mailer !== undefined && (signal?.aborted === true || !(error instanceof SendError && error.definitive));
      const mayHaveGone = (kind: OwedMail['kind']) => (unknown && kind === 'opened' ? { openOutcomeUnknown: true } : {});
      if (signal?.aborted) {
        // It may have been accepted: an unknown outcome, not the sender's failure. Kept pending under the
        // same Operation-Id (sendAttempts and the digest's mailOperation unchanged), so that the service
        // recognises the next flush's send if this one went out; no retry delay, as the sender did not fail.
        log.warn(`${what} not finished by this invocation's deadline (its outcome unknown); it stays pending and the next flush sends it under the same Operation-Id: ${message}`);
        for (const { row, kind } of owed) {
          outcome.failed.push({ fingerprint: row.fingerprint, kind, error: message });
          await this.record(row.fingerprint, (r) => ({ ...r, ...mayHaveGone(kind), claimUntil: undefined, lastSendError: `not finished by the invocation's deadline (outcome unknown): ${message}` }));
        }
        return;
      }
      // Only a reported outcome moves to a new Operation-Id; after an unknown one the retry reuses it.
      const attempts = error instanceof SendError && error.definitive ? 1 : 0;
      const failures = Math.max(...owed.map(({ row }) => row.sendFailures ?? 0)) + 1;
      const retryAt = this.iso(retryDelayMs(failures));
      log.error(`${what} failed; it stays pending and is retried from ${retryAt}: ${message}`);
      for (const { row, kind } of owed) {
        outcome.failed.push({ fingerprint: row.fingerprint, kind, error: message });
        // A reported failure ends the digest (a new grouping, a new id, next time); an unknown outcome keeps it.
        await this.record(row.fingerprint, (r) => ({
          ...r,
          ...mayHaveGone(kind),
          sendAttempts: r.sendAttempts + attempts,
          lastSendError: message,
          claimUntil: undefined,
          sendFailures: failures,
          retryAt,
          ...(attempts > 0 ? { mailOperation: undefined } : {}),
        }));
      }
      return;
    }
    log.info(`alert mail sent (${isDigest ? `digest of ${owed.length}` : single.kind}): ${mail.subject}`);
    const at = this.iso();
    for (const { row, kind } of owed) {
      outcome.sent.push({ fingerprint: row.fingerprint, kind, subject: mail.subject });
      await this.record(row.fingerprint, (r) => {
        const sent = { ...r, claimUntil: undefined, lastSendError: undefined, sendFailures: undefined, retryAt: undefined, mailOperation: undefined, openOutcomeUnknown: undefined };
        if (kind === 'opened') return { ...sent, mailedOpenAt: at, pendingOpen: false };
        // The resolution told, an open mail of unknown outcome is owed no more.
        if (r.status === 'resolved') return { ...sent, mailedResolvedAt: at, pendingResolved: false, pendingOpen: false };
        // Back open while its resolution was being mailed: recipients now believe it fixed, so it is a new alert.
        return { ...sent, mailedOpenAt: undefined, mailedResolvedAt: undefined, pendingOpen: true, pendingResolved: false, firstSeen: at };
      });
    }
  }

  private composeOne({ row, kind }: OwedMail): ComposedMail {
    return composeAlertMail({
      kind,
      finding: { ...row.finding, severity: row.severity, message: row.message },
      rule: ruleInfo(this.deps.rules, row.ruleId),
      change: kind === 'opened' ? row.openedBy : row.resolvedBy,
      firstSeen: row.firstSeen,
      ...(row.resolvedAt ? { resolvedAt: row.resolvedAt } : {}),
      portalUrl: this.deps.portalUrl,
      rules: this.deps.rules,
    });
  }

  private composeDigest(owed: readonly OwedMail[]): ComposedMail {
    const changes = owed.map(({ row, kind }) => (kind === 'opened' ? row.openedBy : row.resolvedBy));
    // The change is shown only when it is one for all (an event's run); a flush gathers several.
    const [first] = changes;
    const shared = changes.every((c) => c?.source === first?.source && c?.eventId === first?.eventId) ? first : undefined;
    return composeAlertDigest({
      entries: owed.map(({ row, kind }) => ({
        kind,
        finding: { ...row.finding, severity: row.severity, message: row.message },
        firstSeen: row.firstSeen,
        ...(row.resolvedAt ? { resolvedAt: row.resolvedAt } : {}),
      })),
      change: shared,
      portalUrl: this.deps.portalUrl,
      rules: this.deps.rules,
    });
  }

  /**
   * A mail's outcome on its row (update), each row on its own: one that cannot be written is logged
   * and left pending (its claim lapses; a digest's retry is de-duplicated by its saved id), and the
   * others are still recorded.
   */
  private async record(fingerprint: string, change: (row: AlertRow) => AlertRow): Promise<void> {
    try {
      await this.update(fingerprint, change);
    } catch (error) {
      this.deps.log.error(`alert ${fingerprint}: the mail's outcome could not be recorded; it stays pending: ${(error as Error).message}`);
    }
  }

  /** Read-modify-write with If-Match, retried on conflicts. Whether it wrote: false when the row is gone or 20 writes conflicted. */
  private async update(fingerprint: string, change: (row: AlertRow) => AlertRow): Promise<boolean> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const row = await this.deps.store.get(fingerprint);
      if (!row) return false;
      if (await this.deps.store.replace(change(row))) return true;
      await pauseAfterConflict();
    }
    this.deps.log.error(`alert ${fingerprint}: could not record the mail's outcome after 20 conflicting writes`);
    return false;
  }
}
