import type { Finding } from '../engine/audit';
import { runAudit } from '../engine/audit';
import type { AuditConfig } from '../engine/config';
import { buildTopology } from '../model/build';
import { keyOf, nameOf, type ResourceKey } from '../model/ids';
import type { Topology } from '../model/types';
import type { LiveReader } from '../ports';
import type { ArmOperation, Rule } from '../rules/rule';
import { operationKey, propsOf, remoteIdOf, scopeRefusal, targetVnetKey, type PlanItem, type RemediationPlan } from './plan';
import { conditionText, type JournalRecord, type JournalStatus, type LiveResource, type RemediationJournal, type RemediationTrigger, type RemediationWriter, type WriteCondition } from './ports';
import { redactSecrets } from '../redact';

// Applying a remediation plan (issue 5), through ports only. The guards, in order:
// - mode 'apply' only: a dry run (or a disabled plan) is journalled and performs no write;
// - never more than maxWrites writes in a run (whole items only), whatever the plan says;
// - right before an item: re-read its neighbourhood live (the VNets it writes and their peers' VNets
//   from ARM, their neighbours from Resource Graph, as the event path reads them) and skip the
//   item when its finding no longer holds or its fix changed, when the scope guards (allow list,
//   opt-in / opt-out tags) refuse it on the live state, or when a resource it writes
//   changed since the audit (ETag differs, or it now exists / no longer exists contrary to the plan);
// - right before each write: read the resource again (a PUT never repoints an existing peering to
//   another remote VNet; every property the fix writes, or re-creates after a delete, still holds
//   its audited value or already the one written, so an operator's change made after the audit,
//   even between two writes of one fix, is never overwritten); write conditionally (If-Match on
//   the ETag just read, If-None-Match: * to create); wait for the long-running operation, at most
//   WRITE_TIMEOUT_MS and never past the run's deadline;
// - verify by reading back: the written properties hold (a delete: gone); a write that threw
//   (a lost answer whose retry met 412, a given-up wait) is read back too, and counts as applied
//   when what it writes holds; after the item, the finding is resolved and a created peering is
//   Connected on both sides;
// - no item and no write starts at or after the deadline (deps.now's clock);
// - the first unexpected failure stops the run; what remains is recorded as not attempted.
// Every planned, applied, skipped or failed operation goes to the journal.

export type ItemResult = 'applied' | 'skipped' | 'failed' | 'not-attempted' | 'deferred' | 'planned';

export interface ItemOutcome {
  item: PlanItem;
  result: ItemResult;
  reason: string;
}

export interface ApplyResult {
  runId: string;
  mode: RemediationPlan['mode'];
  outcomes: ItemOutcome[];
  writes: number;
  /** Why the run stopped early, when it did. */
  stoppedBy?: string;
  records: JournalRecord[];
}

export interface ApplyDeps {
  writer: RemediationWriter;
  reader: LiveReader;
  journal: RemediationJournal;
  rules: readonly Rule[];
  config: AuditConfig;
  trigger: RemediationTrigger;
  runId: string;
  now: () => Date;
  /**
   * The run's time limit, on `now`'s clock: no item and no write starts at or after it (what is
   * left is recorded as not attempted, "time limit reached"), and a write still running at it is
   * given up. None: only each write's own limit applies.
   */
  deadline?: Date | undefined;
  /** How long one write may run, its long-running operation included (default WRITE_TIMEOUT_MS). */
  writeTimeoutMs?: number | undefined;
  /**
   * Called right before each write is sent, before its result is journalled: a shell can say
   * which write was in flight when the run is cut short (the CLI's Ctrl-C).
   */
  onWriteStart?: ((operation: ArmOperation, condition: WriteCondition) => void) | undefined;
}

/**
 * How long one write (a PUT or DELETE and its long-running operation) may run before it is given
 * up. Azure's peering operations normally finish within a minute; an operation still InProgress
 * after three is stuck or throttled, and waiting on would hang the CLI (which has no other limit).
 * A given-up write is read back: it counts as applied when what it writes already holds, else as
 * failed (ARM may still complete it); either way the run stops.
 */
export const WRITE_TIMEOUT_MS = 3 * 60_000;

const seconds = (ms: number) => `${ms < 10_000 ? (ms / 1000).toFixed(1) : Math.round(ms / 1000)} s`;

/**
 * The time a fix that deletes before it re-creates must have left per write to start: Azure's
 * peering operations normally take seconds to tens of seconds. Stopped at the deadline after its
 * deletes, such a fix leaves the pair with neither link, and no finding for the next audit to
 * report: the event path's 25 s never start one; the scheduled run's 4 minutes do.
 */
export const RECREATE_TIME_PER_WRITE_MS = 30_000;

/** Why an item that deletes before it re-creates must not start with `left` ms of the run, or undefined when it may (or is no such item). */
function recreateTimeRefusal(item: PlanItem, left: number): string | undefined {
  const needs = item.operations.length * RECREATE_TIME_PER_WRITE_MS;
  if (!item.operations.some((op) => op.method === 'DELETE') || !item.operations.some((op) => op.method === 'PUT') || left >= needs) return undefined;
  return (
    `not attempted: it deletes before it re-creates, and the ${seconds(left)} left of this run cannot be counted on for its ${item.operations.length} writes ` +
    `(${seconds(needs)} allowed): stopped after its deletes, it would leave the pair with neither link; left for a run with the time (a scheduled run with remediation.onSchedule, or "peerguard fix --live --apply")`
  );
}

/** The first line of an error's message (SDK errors carry the ARM code and text there). */
function reasonOf(error: unknown): string {
  const e = error as { statusCode?: number; code?: string; message?: string };
  const text = (e?.message ?? String(error)).split('\n')[0] ?? '';
  return [e?.statusCode, e?.code].filter(Boolean).join(' ') + (e?.statusCode || e?.code ? ': ' : '') + redactSecrets(text);
}

const sameId = (a: unknown, b: unknown) => typeof a === 'string' && typeof b === 'string' && keyOf(a) === keyOf(b);

/** Whether `actual` holds `expected` (ids compared case-insensitively, arrays in any order). */
function holds(expected: unknown, actual: unknown): boolean {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return false;
    const norm = (v: unknown[]) => v.map((x) => JSON.stringify(x).toLowerCase()).sort();
    return JSON.stringify(norm(expected)) === JSON.stringify(norm(actual));
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null) return false;
    return Object.entries(expected).every(([k, v]) => (k === 'id' ? sameId(v, (actual as Record<string, unknown>)[k]) : holds(v, (actual as Record<string, unknown>)[k])));
  }
  return expected === actual;
}

/** Why a written resource does not show what was written, or undefined when it does. */
function verifyWrite(operation: ArmOperation, after: LiveResource | undefined): string | undefined {
  if (operation.method === 'DELETE') return after ? 'the resource still exists after the delete' : undefined;
  if (!after) return 'the resource does not exist after the write';
  const written = propsOf(operation);
  const differing = Object.entries(written).filter(([k, v]) => !holds(v, after.properties[k])).map(([k]) => k);
  if (differing.length > 0) return `read back, the written properties do not hold: ${differing.join(', ')}`;
  // A synced link holds the remote's current space: FullyInSync, or RemoteNotInSync while the
  // reverse link's copy of this VNet's space is still stale (the fix syncs that link next, and the
  // finding's re-check after the item wants both). Local…NotInSync would mean the sync did not take.
  const level = after.properties.peeringSyncLevel;
  if (operation.query?.syncRemoteAddressSpace === 'true' && level !== 'FullyInSync' && level !== 'RemoteNotInSync') {
    return `read back, the sync level is ${String(level)}: the link's copy of the remote address space is still stale`;
  }
  return undefined;
}

/**
 * Why a write that threw did not take effect, as read back, or undefined when what it writes holds
 * (verifyWrite), the resource was written since the read before it (an existing one's ETag moved:
 * a write that never arrived leaves it, and a sync's properties would hold without it), and ARM
 * has finished with it (provisioningState Succeeded, where given).
 */
function verifyAfterError(operation: ArmOperation, before: LiveResource | undefined, after: LiveResource | undefined): string | undefined {
  const wrong = verifyWrite(operation, after);
  if (wrong) return wrong;
  if (operation.method === 'PUT' && before && after && after.etag === before.etag) return `read back, the resource is unchanged (ETag ${String(after.etag)})`;
  const state = after?.properties.provisioningState;
  if (after && state !== undefined && state !== 'Succeeded') return `read back, its provisioningState is ${String(state)}`;
  return undefined;
}

/** Equal values: ids case-insensitively, arrays in any order. */
const same = (a: unknown, b: unknown) => holds(a, b) && holds(b, a);

const PEERING_TYPE = 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings';

/** A live peering's writable properties as the model reads them (defaults filled in as for the audit), or undefined when it is no peering. */
function liveWritable(live: LiveResource): Record<string, unknown> | undefined {
  try {
    const resource = { id: live.id, name: nameOf(live.id), type: PEERING_TYPE, ...(live.etag ? { etag: live.etag } : {}), properties: live.properties };
    const topology = buildTopology([{ resource, source: `live read of ${live.id}` }]);
    return topology.peerings.get(keyOf(live.id))?.writable as Record<string, unknown> | undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why an existing resource changed since the plan was made, judged on the properties the fix writes
 * (`written`): each must still hold its audited value, or already the value the fix writes (an
 * earlier write of this run, or a rebased fix); undefined when they all do. An ETag alone cannot
 * tell once this run wrote the resource's pair, which moves the ETag of both links.
 */
function changedProperties(resourceId: string, written: Record<string, unknown>, live: LiveResource, audited: Record<string, unknown> | undefined): string | undefined {
  const current = liveWritable(live);
  if (!current) return `${resourceId} cannot be read as a peering`;
  const show = (v: unknown) => (v === undefined ? 'unset' : JSON.stringify(v));
  const changed = Object.entries(written)
    .filter(([k, v]) => !same(v, current[k]) && !(audited && same(audited[k], current[k])))
    .map(([k, v]) => `${k} is ${show(current[k])}${audited ? `, audited ${show(audited[k])}` : ''}, the fix writes ${show(v)}`);
  if (changed.length === 0) return undefined;
  return `${resourceId} changed since the audit (${changed.join('; ')}): the fix would overwrite that change`;
}

/**
 * The VNets an item touches: the ones it writes and the remotes of the peerings it writes. A
 * delete names no remote, so the deleted peering's is taken from the audit: whether that VNet
 * exists must come from ARM too (an orphan delete decided on Resource Graph's lag would delete a
 * live peering).
 */
function vnetsOf(item: PlanItem, auditTopology: Topology): string[] {
  const ids = new Map<string, string>();
  for (const op of item.operations) {
    const target = targetVnetKey(op.resourceId);
    ids.set(target, op.resourceId.slice(0, target.length));
    const remote = op.method === 'DELETE' ? auditTopology.peerings.get(keyOf(op.resourceId))?.remoteVnetId : remoteIdOf(op);
    if (remote) ids.set(keyOf(remote), remote);
  }
  return [...ids.values()];
}

/**
 * Whether a planned operation is the one recomputed on the live state: the same method, resource
 * and body, its query holding every entry of the fresh one's. Extra entries are allowed because
 * a PUT rebased on an earlier fix's PUT of the same peering keeps that fix's query (a sync).
 */
function sameWrite(planned: ArmOperation, fresh: ArmOperation): boolean {
  if (operationKey({ ...planned, query: {} }) !== operationKey({ ...fresh, query: {} })) return false;
  return Object.entries(fresh.query ?? {}).every(([k, v]) => planned.query?.[k] === v);
}

/** Why a PUT would repoint the existing peering `live` to another remote VNet, or undefined when it names the same one. */
function repointing(operation: ArmOperation, live: LiveResource): string | undefined {
  const current = (live.properties.remoteVirtualNetwork as { id?: unknown } | undefined)?.id;
  const written = remoteIdOf(operation);
  if (sameId(current, written)) return undefined;
  return `${operation.resourceId} peers with ${String(current ?? 'no remote VNet')}; the fix would point it at ${written ?? 'no remote VNet'}: a write never repoints an existing peering`;
}

class StopRun extends Error {
  /** Whether the failure was already journalled against its operation. */
  recorded = false;
}

export async function applyPlan(plan: RemediationPlan, auditTopology: Topology, deps: ApplyDeps): Promise<ApplyResult> {
  const { writer, reader, journal, config } = deps;
  const maxWrites = config.remediation.maxWrites;
  const allowed = new Set(config.remediation.subscriptions.map((s) => s.toLowerCase()));
  const records: JournalRecord[] = [];
  const outcomes: ItemOutcome[] = [];
  let seq = 0;
  let writes = 0;
  let stoppedBy: string | undefined;
  /** ETags (null: absent) of the resources this run wrote, and of their peerings back, after the write. */
  const runKnown = new Map<ResourceKey, string | null>();
  const writeTimeoutMs = deps.writeTimeoutMs ?? WRITE_TIMEOUT_MS;
  /** Milliseconds left before the deadline, on deps.now's clock (Infinity without one). */
  const timeLeft = () => (deps.deadline ? deps.deadline.getTime() - deps.now().getTime() : Infinity);
  const timeLimitReason = () => `not attempted: time limit reached (${deps.deadline?.toISOString() ?? 'none'})`;
  let timeUp = false;

  const record = async (item: PlanItem, status: JournalStatus, reason: string, extra: Partial<JournalRecord> = {}) => {
    const entry: JournalRecord = {
      runId: deps.runId,
      seq: seq++,
      at: deps.now().toISOString(),
      trigger: deps.trigger,
      mode: plan.mode,
      ruleId: item.ruleId,
      fingerprint: item.fingerprint,
      findingResourceId: item.findingResourceId,
      status,
      reason,
      ...extra,
    };
    records.push(entry);
    await journal.record(entry);
  };
  const recordAll = async (item: PlanItem, status: JournalStatus, reason: string) => {
    for (const operation of item.operations) await record(item, status, reason, { operation });
  };

  // What was planned, skipped and deferred, before any write.
  for (const item of plan.items) await recordAll(item, item.status, item.reason);

  /** Re-reads the neighbourhood of an item live and evaluates it like the audit did. */
  const reevaluate = async (item: PlanItem): Promise<{ finding?: Finding; topology: Topology; unreadable: string[] }> => {
    const inventory = await reader.readNeighbourhood(vnetsOf(item, auditTopology));
    const topology = buildTopology(inventory.resources, { extraSubscriptions: inventory.subscriptions });
    const rules = deps.rules.filter((r) => r.meta.id === item.ruleId);
    const { findings } = runAudit(topology, rules, deps.config, deps.now());
    const finding = findings.find((f) => f.fingerprint === item.fingerprint);
    // Only blind spots over the VNets the item writes or peers with matter (a hub's partner in another tenant does not).
    const touched = vnetsOf(item, auditTopology).map((id) => keyOf(id) as string);
    const covers = (scope: string) => {
      const k = scope.toLowerCase();
      return touched.some((v) => v === k || v.startsWith(`/subscriptions/${k}/`) || k.startsWith(`${v}/`));
    };
    const unreadable = inventory.unreadable.filter((u) => covers(u.scope)).map((u) => `${u.scope}: ${u.reason}`);
    return { ...(finding ? { finding } : {}), topology, unreadable };
  };

  const applyItem = async (item: PlanItem): Promise<ItemOutcome> => {
    // 1. Does the finding still hold, with the same fix, on the live state?
    const live = await reevaluate(item);
    if (live.unreadable.length > 0) return { item, result: 'skipped', reason: `could not re-read the live state: ${live.unreadable.join('; ')}` };
    if (!live.finding) return { item, result: 'skipped', reason: 'the finding no longer holds on the live state' };
    // Both ways: a fix grown since the audit (a sync that now needs both links) is never written in
    // part. A live operation left out of this item because an earlier one writes it still matches.
    const freshOps = live.finding.fix?.operations ?? [];
    const sameFix =
      item.operations.every((op) => freshOps.some((fresh) => sameWrite(op, fresh))) && freshOps.every((fresh) => (item.fixOperations ?? item.operations).some((op) => sameWrite(op, fresh)));
    if (!sameFix) {
      return { item, result: 'skipped', reason: 'the fix differs on the live state (the resources changed since the audit)' };
    }
    // The allow list and the tags as ARM has them now: Resource Graph, which the plan read, lags
    // (an opt-out tag set a minute ago must hold).
    const refusal = item.operations.map((op) => scopeRefusal(op, live.topology, config.remediation, allowed)).find((r) => r !== undefined);
    if (refusal) return { item, result: 'skipped', reason: `on the live state: ${refusal}` };

    // 2. Has any resource it writes changed since the audit? (ETag, or existence.)
    /** Expected state per resource key: undefined = absent, else the ETag (or '*' when any will do). */
    const expected = new Map<ResourceKey, string | undefined>();
    for (const op of item.operations) {
      const key = keyOf(op.resourceId);
      if (expected.has(key)) continue;
      // A resource an earlier item of this run wrote (or whose pair it wrote) is expected as that write left it.
      if (runKnown.has(key)) {
        expected.set(key, runKnown.get(key) ?? undefined);
        continue;
      }
      const audited = auditTopology.peerings.get(key);
      expected.set(key, audited ? (audited.etag ?? '*') : undefined);
    }
    let wrote = false;
    const writtenKeys = new Set<ResourceKey>();
    const created: string[] = [];

    for (const operation of item.operations) {
      const key = keyOf(operation.resourceId);
      // Right before the write: read it again and compare with what the plan (and our own writes) left.
      const before = await writer.read(operation.resourceId);
      const want = expected.get(key);
      let change: string | undefined;
      if (want === undefined && before) change = `${operation.resourceId} now exists (the plan expected it absent)`;
      else if (want !== undefined && !before) change = `${operation.resourceId} no longer exists`;
      else if (want !== undefined && want !== '*' && before && before.etag !== want) {
        change = `${operation.resourceId} changed since the audit (ETag ${before.etag ?? 'none'}, audited ${want})`;
      }
      if (operation.method === 'DELETE' && !before) change ??= `${operation.resourceId} no longer exists`;
      // Once this fix has deleted the other link of the pair, the link left is Disconnected: if it is
      // Connected, another writer (an invocation fixing the other side's finding, an operator) has
      // re-created the pair meanwhile, and deleting it would break a healthy pair.
      if (operation.method === 'DELETE' && wrote && before?.properties.peeringState === 'Connected') {
        change ??= `${operation.resourceId} is Connected: another writer re-created its pair after this fix began`;
      }
      if (operation.method === 'PUT' && before) change ??= repointing(operation, before);
      // The properties the fix writes (a delete: those its re-create writes back) must hold what the
      // plan was built on. After this run's first write the ETag says nothing (writing one link
      // moves its pair's ETag too), so this is what catches an operator's change between two writes.
      const recreate = operation.method === 'DELETE' ? item.operations.find((op) => op.method === 'PUT' && keyOf(op.resourceId) === key) : operation;
      if (before && recreate) change ??= changedProperties(operation.resourceId, propsOf(recreate), before, auditTopology.peerings.get(key)?.writable as Record<string, unknown> | undefined);
      if (change) {
        if (!wrote) return { item, result: 'skipped', reason: change };
        throw new StopRun(`after a partial write of this fix: ${change}`);
      }
      if (before && !before.etag) {
        if (!wrote) return { item, result: 'skipped', reason: `${operation.resourceId} has no ETag to write conditionally` };
        throw new StopRun(`${operation.resourceId} has no ETag to write conditionally`);
      }
      const condition: WriteCondition = before ? { ifMatch: before.etag as string } : { ifNoneMatch: '*' };
      // No write starts at or after the deadline; one that runs gets what is left of it, at most its own limit.
      const left = timeLeft();
      if (left <= 0) {
        timeUp = true;
        if (!wrote) return { item, result: 'not-attempted', reason: timeLimitReason() };
        throw new StopRun(`after a partial write of this fix: time limit reached (${deps.deadline?.toISOString() ?? ''})`);
      }
      // A re-create's time, asked again before its first write: the live re-reads since are not bounded by the deadline.
      const tooShort = wrote ? undefined : recreateTimeRefusal(item, left);
      if (tooShort) return { item, result: 'not-attempted', reason: tooShort };
      const limitMs = Math.min(writeTimeoutMs, left);
      const atDeadline = left < writeTimeoutMs;
      const giveUp = new AbortController();
      const timer = setTimeout(() => giveUp.abort(), limitMs);
      let writeError: unknown;
      let threw = false;
      deps.onWriteStart?.(operation, condition);
      try {
        await writer.write(operation, condition, giveUp.signal);
      } catch (error) {
        threw = true;
        writeError = error;
      } finally {
        clearTimeout(timer);
      }
      const givenUp = threw && giveUp.signal.aborted ? `given up after ${seconds(limitMs)}${atDeadline ? ' at the time limit of the run' : ''}` : undefined;
      const stopWith = async (reason: string, status: JournalStatus, after: LiveResource | undefined, stop: string, cause?: unknown) => {
        await record(item, status, reason, { operation, before, after });
        const error = new StopRun(stop, cause === undefined ? undefined : { cause });
        error.recorded = true;
        return error;
      };
      // Read back, whether the write answered or threw: an answer lost after ARM applied the write
      // (its retry then meets 412), or a wait given up, may still have left the written state.
      let after: LiveResource | undefined;
      try {
        after = await writer.read(operation.resourceId);
      } catch (readError) {
        if (!threw) writes += 1;
        const reason = threw
          ? `${givenUp ? `${givenUp}; ARM had not finished, the write may still complete` : reasonOf(writeError)}; reading it back failed: ${reasonOf(readError)}`
          : `written, but reading it back failed: ${reasonOf(readError)}`;
        throw await stopWith(reason, 'failed', undefined, `${operation.method} ${operation.resourceId} failed: ${reason}`, threw ? writeError : readError);
      }
      if (threw) {
        const wrong = verifyAfterError(operation, before, after);
        if (wrong) {
          const reason = givenUp ? `${givenUp}; ARM had not finished, the write may still complete (${wrong})` : `${reasonOf(writeError)} (${wrong})`;
          throw await stopWith(reason, 'failed', after, `${operation.method} ${operation.resourceId} failed: ${reason}`, writeError);
        }
        // The write took effect: one write, however many HTTP attempts it took.
        writes += 1;
        wrote = true;
        const what = givenUp ? `${givenUp} (ARM had not finished)` : `failed with ${reasonOf(writeError)}`;
        const reason = `${operation.method} (${conditionText(condition)}) ${what}, but verified by reading it back: the written state holds`;
        if (givenUp) {
          // Slow enough to give up on: the run goes no further (the finding is checked by the next run).
          throw await stopWith(reason, 'applied', after, `${operation.method} ${operation.resourceId} was ${givenUp}: ARM had not finished (read back, the write holds); the run stops`);
        }
        await record(item, 'applied', reason, { operation, before, after });
      } else {
        writes += 1;
        wrote = true;
        const wrong = verifyWrite(operation, after);
        if (wrong) throw await stopWith(wrong, 'failed', after, `${operation.method} ${operation.resourceId}: ${wrong}`);
        await record(item, 'applied', `${operation.method} done (${conditionText(condition)}) and verified`, { operation, before, after });
      }
      writtenKeys.add(key);
      if (operation.method === 'PUT' && !before) created.push(operation.resourceId);
      // Our own write settles this resource; a peering write also touches the other side's ETag.
      expected.set(key, operation.method === 'DELETE' ? undefined : (after?.etag ?? '*'));
      for (const [k, v] of expected) if (!writtenKeys.has(k) && v !== undefined) expected.set(k, '*');
    }

    // 3. The finding is resolved, and a created peering is Connected on both sides.
    const check = await reevaluate(item);
    if (check.finding) throw new StopRun(`the finding still holds after its fix was written`);
    for (const id of created) {
      const peering = check.topology.peerings.get(keyOf(id));
      const reverse = peering ? check.topology.reverseOf(peering) : undefined;
      if (peering?.peeringState !== 'Connected' || reverse?.peeringState !== 'Connected') {
        throw new StopRun(`created ${id}, but the pair is not Connected on both sides (${peering?.peeringState ?? 'absent'} / ${reverse?.peeringState ?? 'absent'})`);
      }
    }
    for (const key of writtenKeys) {
      const peering = check.topology.peerings.get(key);
      runKnown.set(key, peering?.etag ?? null);
      const reverse = peering ? check.topology.reverseOf(peering) : undefined;
      if (reverse) runKnown.set(reverse.key, reverse.etag ?? null);
    }
    return { item, result: 'applied', reason: `${item.operations.length} operation(s) written and verified; the finding is resolved` };
  };

  for (const item of plan.items) {
    if (plan.mode !== 'apply' || item.status !== 'planned') {
      const dryRun = plan.mode === 'dry-run' && item.status === 'planned';
      outcomes.push({ item, result: item.status, reason: dryRun ? `dry run (no write): ${item.reason}` : item.reason });
      continue;
    }
    if (stoppedBy) {
      const reason = `not attempted: the run stopped (${stoppedBy})`;
      await recordAll(item, 'not-attempted', reason);
      outcomes.push({ item, result: 'not-attempted', reason });
      continue;
    }
    if (timeUp || timeLeft() <= 0) {
      timeUp = true;
      const reason = timeLimitReason();
      await recordAll(item, 'not-attempted', reason);
      outcomes.push({ item, result: 'not-attempted', reason });
      continue;
    }
    const tooShort = recreateTimeRefusal(item, timeLeft());
    if (tooShort) {
      await recordAll(item, 'not-attempted', tooShort);
      outcomes.push({ item, result: 'not-attempted', reason: tooShort });
      continue;
    }
    if (writes + item.operations.length > maxWrites) {
      const reason = `not attempted: write limit of ${maxWrites} per run reached`;
      await recordAll(item, 'not-attempted', reason);
      outcomes.push({ item, result: 'not-attempted', reason });
      continue;
    }
    try {
      const outcome = await applyItem(item);
      if (outcome.result === 'skipped' || outcome.result === 'not-attempted') await recordAll(item, outcome.result, outcome.reason);
      outcomes.push(outcome);
    } catch (error) {
      const reason = error instanceof StopRun ? error.message : `unexpected error: ${reasonOf(error)}`;
      if (!(error instanceof StopRun && error.recorded)) await record(item, 'failed', reason);
      outcomes.push({ item, result: 'failed', reason });
      stoppedBy = `${item.ruleId} on ${item.findingResourceId}: ${reason}`;
    }
  }
  stoppedBy ??= timeUp ? `time limit reached (${deps.deadline?.toISOString() ?? ''})` : undefined;
  return { runId: deps.runId, mode: plan.mode, outcomes, writes, ...(stoppedBy ? { stoppedBy } : {}), records };
}
