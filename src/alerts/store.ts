import { createOnce } from '../azure/create-once';
import { realSleep } from '../azure/errors';
import { createHash } from 'node:crypto';
import type { TableClient, TableEntityResult, TransactionAction } from '@azure/data-tables';
import type { Finding } from '../engine/audit';
import { keyOf, type ResourceKey } from '../model/ids';
import type { Severity } from '../rules/rule';
import type { AlertRow, ChangeContext } from './model';

// Alert state in Azure Table Storage (Azurite locally). One table, partitions:
//   finding    one row per finding that is open, or resolved and not yet purged; RowKey = fingerprint
//   peering    the neighbourhood index: peering -> its VNet and remote VNet (a deleted peering's
//              remote can no longer be read live, so the event path looks it up here)
//   attachment gateway / route table / firewall / hub -> the VNets it serves
//   run        fan-out bookkeeping of the scheduled audit (removed RUN_HORIZON_DAYS after the run started)
// Writes are conditional: insert-only for new rows (409 = someone else won), If-Match on the
// ETag for updates (412 = someone else won). Whoever wins a write owns the mail that follows.
// The finding partition also holds one read mark per VNet (RowKey `~mark-<hash>`, after every
// fingerprint): when the latest live read that decided all of that VNet's findings began. An
// event's write that opens a finding commits in one table transaction with an If-Match on its
// VNet's mark, so it cannot land once a newer read has marked the VNet (that read may have read
// the rows before it and found nothing to resolve); with no row, nothing else remembers that read.
// Housekeeping (the scheduled audit, StateHousekeeping): index rows of resources its full read no
// longer holds, and read marks no read can still need, are removed, so the table does not grow
// with churn (short-lived VNets and peerings leave nothing behind).

export interface AlertStore {
  rowsFor(anchors: readonly string[] | 'all'): Promise<AlertRow[]>;
  pendingRows(): Promise<AlertRow[]>;
  get(fingerprint: string): Promise<AlertRow | undefined>;
  /** Insert-only. Undefined when a row with this fingerprint already exists. */
  insert(row: AlertRow): Promise<AlertRow | undefined>;
  /** If-Match on `row.etag`. Undefined when the row changed or vanished since it was read. */
  replace(row: AlertRow): Promise<AlertRow | undefined>;
  /** If-Match on `row.etag`. False when the row changed since it was read. */
  remove(row: AlertRow): Promise<boolean>;
  /** Raises the read mark of each VNet (keys) to `at`; never lowers one. */
  raiseReadMarks(vnetKeys: readonly string[], at: string): Promise<void>;
  /**
   * A deciding write (an opening insert, or `replace` If-Match on `row.etag` to open or resolve),
   * committed only while no read begun after `row.observedAt` has marked `row.anchor`: 'stale' when
   * one has, undefined when the row's own write lost (as insert / replace).
   */
  writeUnlessMarked(row: AlertRow, write: 'insert' | 'replace'): Promise<AlertRow | 'stale' | undefined>;
}

export interface IndexEntry {
  kind: 'peering' | 'attachment';
  resourceId: string;
  /** For a peering: its VNet. For an attachment: the VNets it serves. */
  vnetIds: string[];
  /** For a peering: the remote VNet. */
  remoteVnetId?: string;
}

export interface NeighbourhoodIndex {
  record(entries: readonly IndexEntry[]): Promise<void>;
  /** VNets a resource touches, as last seen: a peering's both ends, an attachment's VNets, a VNet's peers. */
  vnetsRelatedTo(resourceId: string): Promise<string[]>;
  /** VNets last seen in a resource group: those at either end of an indexed peering. */
  vnetsInResourceGroup(resourceGroupId: string): Promise<string[]>;
}

export interface RunProgress {
  runId: string;
  batchCount: number;
  completed: number[];
  /** The report is archived and its mail sent (or its failure recorded): nothing is left to do. */
  assembled: boolean;
  /** Who assembles the run, until when (ISO 8601): a lease, so that a crashed assembler's work is taken over. */
  lease?: { owner: string; until: string };
  /** When the assembly was first claimed: the report's time, kept by every takeover. */
  reportAt?: string;
  etag?: string;
}

/** The assembly of a run, held until `until`; `etag` is the run row's after the holder's last write. */
export interface AssemblyLease {
  runId: string;
  owner: string;
  until: string;
  reportAt: string;
  batchCount: number;
  etag: string;
}

export type AssemblyClaim =
  | { status: 'claimed'; lease: AssemblyLease }
  /** Another invocation holds the assembly until `until`. */
  | { status: 'held'; until: string }
  | { status: 'assembled' | 'incomplete' | 'gone' };

export interface RunStore {
  startRun(runId: string, batchCount: number): Promise<void>;
  /** The run's progress; undefined when there is no such run (never started, or removed after the horizon). */
  progress(runId: string): Promise<RunProgress | undefined>;
  /** Marks a batch done; returns the progress after the write (retries on ETag conflicts); undefined when the run is gone. */
  completeBatch(runId: string, batch: number): Promise<RunProgress | undefined>;
  /**
   * Takes the assembly of a complete run that is not assembled, unless another caller holds it
   * and its lease has not lapsed at `at` (If-Match: of two callers, one wins). The run's report
   * time (`reportAt`) is set by the first claim and kept by every later one.
   */
  claimAssembly(runId: string, owner: string, at: Date, leaseMs: number): Promise<AssemblyClaim>;
  /** Extends the lease (If-Match on its ETag): undefined when another caller took the assembly over, or the run is gone. */
  renewAssembly(lease: AssemblyLease, at: Date, leaseMs: number): Promise<AssemblyLease | undefined>;
  /** Gives the lease up, so that a redelivery takes over at once (If-Match: nothing when it was taken over already). */
  releaseAssembly(lease: AssemblyLease): Promise<void>;
  /** Records the run as assembled: its report archived and mailed, or the failed mail recorded. */
  finishAssembly(runId: string): Promise<void>;
  /** Removes the rows of runs whose id sorts before `runIdBefore` (run ids are timestamps); returns how many. */
  pruneRuns(runIdBefore: string): Promise<number>;
}

export interface IndexPruning {
  /** Resource keys (keyOf) the full read recorded: kept whatever else holds. */
  seen: ReadonlySet<string>;
  /** Whether the full read covered the resource (its subscription read, nothing of it unreadable). */
  covers: (resourceId: string) => boolean;
  /** Rows recorded at or after this (ISO 8601) are kept: they may be newer than the read. */
  recordedBefore: string;
}

/** What the scheduled audit removes from the alert table so that it does not grow without bound. */
export interface StateHousekeeping {
  /** Removes the index rows of resources a full read no longer holds (see IndexPruning); returns how many. */
  pruneIndex(pruning: IndexPruning): Promise<number>;
  /** Removes the read marks raised before `before` (ISO 8601), If-Match on what was read; returns how many. */
  pruneReadMarks(before: string): Promise<number>;
}

const FINDING = 'finding';
const RUN = 'run';
const INDEX_PARTITIONS = ['peering', 'attachment'] as const;
/** A table transaction takes at most 100 entities, all of one partition. */
const TRANSACTION_LIMIT = 100;
/** Read marks sort after every fingerprint (hex), so `RowKey lt '~'` leaves them out. */
const MARK_PREFIX = '~mark-';
const markRowKey = (vnetKey: string): string => `${MARK_PREFIX}${rowKeyOf(vnetKey)}`;
interface ReadMark {
  readAt: string;
  etag: string;
}

/** A short random pause before a write that lost a conditional race looks again (10–50 ms). */
export const pauseAfterConflict = (): Promise<void> => realSleep(10 + Math.random() * 40);

export function rowKeyOf(resourceId: string): string {
  return createHash('sha256').update(keyOf(resourceId)).digest('hex').slice(0, 40);
}

function statusOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'statusCode' in error ? (error as { statusCode?: number }).statusCode : undefined;
}

function compact(entity: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entity).filter(([, v]) => v !== undefined));
}

function parseJson<T>(value: unknown, fallback: T): T {
  if (typeof value !== 'string' || value === '') return fallback;
  try {
    return JSON.parse(value) as T;
  } catch {
    return fallback;
  }
}

type Entity = Record<string, unknown> & { partitionKey: string; rowKey: string };

function toEntity(row: AlertRow): Entity {
  return compact({
    partitionKey: FINDING,
    rowKey: row.fingerprint,
    status: row.status,
    ruleId: row.ruleId,
    severity: row.severity,
    resourceId: row.resourceId,
    relatedResourceIds: JSON.stringify(row.relatedResourceIds),
    message: row.message,
    anchor: row.anchor,
    subscriptionId: row.subscriptionId,
    firstSeen: row.firstSeen,
    lastSeen: row.lastSeen,
    observedAt: row.observedAt,
    resolvedAt: row.resolvedAt,
    finding: JSON.stringify(row.finding),
    openedBy: row.openedBy ? JSON.stringify(row.openedBy) : undefined,
    resolvedBy: row.resolvedBy ? JSON.stringify(row.resolvedBy) : undefined,
    mailedOpenAt: row.mailedOpenAt,
    mailedResolvedAt: row.mailedResolvedAt,
    pendingOpen: row.pendingOpen,
    pendingResolved: row.pendingResolved,
    openOutcomeUnknown: row.openOutcomeUnknown,
    claimUntil: row.claimUntil,
    sendAttempts: row.sendAttempts,
    lastSendError: row.lastSendError?.slice(0, 2000),
    sendFailures: row.sendFailures,
    retryAt: row.retryAt,
    mailOperation: row.mailOperation,
  }) as Entity;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function fromEntity(e: TableEntityResult<Record<string, unknown>>): AlertRow {
  const finding = parseJson<Finding>(e.finding, {
    ruleId: String(e.ruleId),
    severity: e.severity as Severity,
    resourceId: String(e.resourceId),
    relatedResourceIds: [],
    message: String(e.message),
    fingerprint: e.rowKey ?? '',
    fix: null,
  });
  return {
    fingerprint: e.rowKey ?? '',
    status: e.status === 'resolved' ? 'resolved' : 'open',
    ruleId: String(e.ruleId),
    severity: e.severity as Severity,
    resourceId: String(e.resourceId),
    relatedResourceIds: parseJson<string[]>(e.relatedResourceIds, []),
    message: String(e.message),
    anchor: String(e.anchor) as ResourceKey,
    subscriptionId: String(e.subscriptionId ?? ''),
    firstSeen: String(e.firstSeen),
    lastSeen: String(e.lastSeen),
    observedAt: String(e.observedAt ?? e.lastSeen),
    resolvedAt: str(e.resolvedAt),
    finding,
    openedBy: parseJson<ChangeContext | undefined>(e.openedBy, undefined),
    resolvedBy: parseJson<ChangeContext | undefined>(e.resolvedBy, undefined),
    mailedOpenAt: str(e.mailedOpenAt),
    mailedResolvedAt: str(e.mailedResolvedAt),
    pendingOpen: e.pendingOpen === true,
    pendingResolved: e.pendingResolved === true,
    ...(e.openOutcomeUnknown === true ? { openOutcomeUnknown: true } : {}),
    claimUntil: str(e.claimUntil),
    sendAttempts: typeof e.sendAttempts === 'number' ? e.sendAttempts : 0,
    lastSendError: str(e.lastSendError),
    sendFailures: typeof e.sendFailures === 'number' ? e.sendFailures : undefined,
    retryAt: str(e.retryAt),
    mailOperation: str(e.mailOperation),
    etag: e.etag,
  };
}

function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The Table Storage adapter: alert rows, the neighbourhood index and fan-out runs in one table. */
export class TableAlertStore implements AlertStore, NeighbourhoodIndex, RunStore, StateHousekeeping {
  /** `now` stamps index rows with when they were recorded (`recordedAt`), which pruning compares with a read's start. */
  constructor(
    private readonly table: TableClient,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private readonly ensure = createOnce(() => this.table.createTable());

  private async query(filter: string): Promise<TableEntityResult<Record<string, unknown>>[]> {
    await this.ensure();
    const out: TableEntityResult<Record<string, unknown>>[] = [];
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) out.push(e);
    return out;
  }

  async rowsFor(anchors: readonly string[] | 'all'): Promise<AlertRow[]> {
    if (anchors === 'all') return (await this.query(`PartitionKey eq '${FINDING}' and RowKey lt '~'`)).map(fromEntity);
    const unique = [...new Set(anchors.map((a) => keyOf(a)))];
    const rows: AlertRow[] = [];
    // Keep each filter short (Table filters allow at most 15 comparisons).
    for (let i = 0; i < unique.length; i += 10) {
      const part = unique.slice(i, i + 10).map((a) => `anchor eq ${odataString(a)}`).join(' or ');
      rows.push(...(await this.query(`PartitionKey eq '${FINDING}' and (${part})`)).map(fromEntity));
    }
    return rows;
  }

  async pendingRows(): Promise<AlertRow[]> {
    return (await this.query(`PartitionKey eq '${FINDING}' and (pendingOpen eq true or pendingResolved eq true)`)).map(fromEntity);
  }

  async get(fingerprint: string): Promise<AlertRow | undefined> {
    await this.ensure();
    try {
      return fromEntity(await this.table.getEntity<Record<string, unknown>>(FINDING, fingerprint));
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async insert(row: AlertRow): Promise<AlertRow | undefined> {
    await this.ensure();
    try {
      const response = await this.table.createEntity(toEntity(row));
      return { ...row, etag: response.etag };
    } catch (error) {
      if (statusOf(error) === 409) return undefined;
      throw error;
    }
  }

  async replace(row: AlertRow): Promise<AlertRow | undefined> {
    await this.ensure();
    if (!row.etag) throw new Error(`replace of alert row ${row.fingerprint} without an ETag`);
    try {
      const response = await this.table.updateEntity(toEntity(row), 'Replace', { etag: row.etag });
      return { ...row, etag: response.etag };
    } catch (error) {
      const status = statusOf(error);
      if (status === 412 || status === 404) return undefined;
      throw error;
    }
  }

  async remove(row: AlertRow): Promise<boolean> {
    await this.ensure();
    try {
      await this.table.deleteEntity(FINDING, row.fingerprint, { etag: row.etag ?? '*' });
      return true;
    } catch (error) {
      const status = statusOf(error);
      if (status === 412) return false;
      if (status === 404) return true;
      throw error;
    }
  }

  // ---- read marks ----

  private async readMarks(rowKeys: readonly string[]): Promise<Map<string, ReadMark>> {
    const found = new Map<string, ReadMark>();
    const parts: string[][] = [];
    for (let i = 0; i < rowKeys.length; i += 10) parts.push(rowKeys.slice(i, i + 10));
    const answers = await Promise.all(
      parts.map((part) => this.query(`PartitionKey eq '${FINDING}' and (${part.map((k) => `RowKey eq ${odataString(k)}`).join(' or ')})`)),
    );
    for (const e of answers.flat()) if (e.rowKey && e.etag) found.set(e.rowKey, { readAt: String(e.readAt ?? ''), etag: e.etag });
    return found;
  }

  async raiseReadMarks(vnetKeys: readonly string[], at: string): Promise<void> {
    await this.ensure();
    const all = [...new Map(vnetKeys.map((v) => [markRowKey(keyOf(v)), keyOf(v)])).entries()];
    for (let i = 0; i < all.length; i += TRANSACTION_LIMIT) {
      const group = all.slice(i, i + TRANSACTION_LIMIT);
      for (let attempt = 0; ; attempt++) {
        const marks = await this.readMarks(group.map(([rowKey]) => rowKey));
        // If-Match (or insert-only) on what was read: two reads raising one mark cannot lower it.
        const actions: TransactionAction[] = [];
        for (const [rowKey, vnetKey] of group) {
          const mark = marks.get(rowKey);
          if (!mark) actions.push(['create', { partitionKey: FINDING, rowKey, vnetKey, readAt: at }]);
          else if (mark.readAt < at) actions.push(['update', { partitionKey: FINDING, rowKey, vnetKey, readAt: at }, 'Replace', { etag: mark.etag }]);
        }
        if (actions.length === 0) break;
        try {
          await this.table.submitTransaction(actions);
          break;
        } catch (error) {
          const status = statusOf(error);
          if ((status !== 409 && status !== 412) || attempt >= 20) throw error;
          await pauseAfterConflict();
        }
      }
    }
  }

  async writeUnlessMarked(row: AlertRow, write: 'insert' | 'replace'): Promise<AlertRow | 'stale' | undefined> {
    await this.ensure();
    if (write === 'replace' && !row.etag) throw new Error(`replace of alert row ${row.fingerprint} without an ETag`);
    const rowKey = markRowKey(row.anchor);
    for (let attempt = 0; attempt < 20; attempt++) {
      const mark = (await this.readMarks([rowKey])).get(rowKey);
      if (mark && mark.readAt > row.observedAt) return 'stale';
      // The mark is only the condition: rewritten as it is (or created empty, which marks no read),
      // so the transaction fails if a read marks the VNet between this look and the commit.
      const condition: TransactionAction = mark
        ? ['update', { partitionKey: FINDING, rowKey, vnetKey: row.anchor, readAt: mark.readAt }, 'Replace', { etag: mark.etag }]
        : ['create', { partitionKey: FINDING, rowKey, vnetKey: row.anchor, readAt: '' }];
      const entity = toEntity(row);
      try {
        const response = await this.table.submitTransaction([
          condition,
          write === 'insert' ? ['create', entity] : ['update', entity, 'Replace', { etag: row.etag }],
        ]);
        const etag = response.getResponseForEntity(row.fingerprint)?.etag?.trim();
        return etag ? { ...row, etag } : ((await this.get(row.fingerprint)) ?? { ...row });
      } catch (error) {
        const status = statusOf(error);
        if (status !== 409 && status !== 412 && status !== 404) throw error;
        // Either the mark moved (look again) or the row's own write lost: the caller reads the row
        // again to tell what won (alerting.ts, apply).
        const now = (await this.readMarks([rowKey])).get(rowKey);
        if (now?.etag === mark?.etag) return undefined;
      }
    }
    throw new Error(`alert row ${row.fingerprint}: its VNet's read mark kept changing (20 attempts)`);
  }

  // ---- neighbourhood index ----

  async record(entries: readonly IndexEntry[]): Promise<void> {
    await this.ensure();
    const recordedAt = this.now().toISOString();
    for (let i = 0; i < entries.length; i += 20) {
      await Promise.all(
        entries.slice(i, i + 20).map((entry) =>
          this.table.upsertEntity(
            compact({
              partitionKey: entry.kind,
              rowKey: rowKeyOf(entry.resourceId),
              resourceId: entry.resourceId,
              resourceKey: keyOf(entry.resourceId),
              vnetIds: JSON.stringify(entry.vnetIds),
              vnetKey: entry.vnetIds[0] ? keyOf(entry.vnetIds[0]) : undefined,
              remoteVnetId: entry.remoteVnetId,
              remoteVnetKey: entry.remoteVnetId ? keyOf(entry.remoteVnetId) : undefined,
              recordedAt,
            }) as Entity,
            'Replace',
          ),
        ),
      );
    }
  }

  async vnetsRelatedTo(resourceId: string): Promise<string[]> {
    await this.ensure();
    const key = keyOf(resourceId);
    const found = new Map<string, string>();
    const add = (id: unknown) => {
      if (typeof id === 'string' && id) found.set(keyOf(id), found.get(keyOf(id)) ?? id);
    };
    for (const kind of ['peering', 'attachment'] as const) {
      try {
        const e = await this.table.getEntity<Record<string, unknown>>(kind, rowKeyOf(resourceId));
        for (const id of parseJson<string[]>(e.vnetIds, [])) add(id);
        add(e.remoteVnetId);
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
    }
    // A VNet: the VNets it peers with, and the VNets that peer with it.
    const peerings = await this.query(`PartitionKey eq 'peering' and (vnetKey eq ${odataString(key)} or remoteVnetKey eq ${odataString(key)})`);
    for (const e of peerings) {
      for (const id of parseJson<string[]>(e.vnetIds, [])) add(id);
      add(e.remoteVnetId);
    }
    found.delete(key);
    return [...found.values()];
  }

  async vnetsInResourceGroup(resourceGroupId: string): Promise<string[]> {
    // VNet keys under the group sort between `…/virtualnetworks/` and `…/virtualnetworks0` ('0' follows '/').
    const prefix = `${keyOf(resourceGroupId).replace(/\/+$/, '')}/providers/microsoft.network/virtualnetworks/`;
    const end = `${prefix.slice(0, -1)}0`;
    const inRange = (column: string) => `(${column} ge ${odataString(prefix)} and ${column} lt ${odataString(end)})`;
    const found = new Map<string, string>();
    for (const e of await this.query(`PartitionKey eq 'peering' and (${inRange('vnetKey')} or ${inRange('remoteVnetKey')})`)) {
      for (const id of [...parseJson<string[]>(e.vnetIds, []), e.remoteVnetId]) {
        if (typeof id !== 'string') continue;
        const key = keyOf(id);
        // The VNet itself, not a child (a peering id has the VNet's as its prefix).
        if (key.startsWith(prefix) && !key.includes('/', prefix.length) && !found.has(key)) found.set(key, id);
      }
    }
    return [...found.values()];
  }

  // ---- housekeeping ----

  /**
   * Deletes rows of one partition, at most 100 per transaction. A transaction's delete cannot be
   * conditional (the SDK sends If-Match: *): for rows whose loss in a race costs nothing (an index
   * row is rewritten by the next read of its resource; a run past the horizon is over). A
   * transaction that fails (a row already gone) is retried row by row. Returns how many were deleted.
   */
  private async deleteRows(partitionKey: string, rowKeys: readonly string[]): Promise<number> {
    let deleted = 0;
    for (let i = 0; i < rowKeys.length; i += TRANSACTION_LIMIT) {
      const group = rowKeys.slice(i, i + TRANSACTION_LIMIT);
      try {
        await this.table.submitTransaction(group.map((rowKey): TransactionAction => ['delete', { partitionKey, rowKey }]));
        deleted += group.length;
        continue;
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
      for (const rowKey of group) if (await this.deleteIfMatch(partitionKey, rowKey, '*')) deleted += 1;
    }
    return deleted;
  }

  /** Deletes one row If-Match `etag`: false when it changed since (412) or is gone (404). */
  private async deleteIfMatch(partitionKey: string, rowKey: string, etag: string): Promise<boolean> {
    try {
      await this.table.deleteEntity(partitionKey, rowKey, { etag });
      return true;
    } catch (error) {
      const status = statusOf(error);
      if (status === 404 || status === 412) return false;
      throw error;
    }
  }

  async pruneIndex(pruning: IndexPruning): Promise<number> {
    let deleted = 0;
    for (const kind of INDEX_PARTITIONS) {
      const stale = (await this.query(`PartitionKey eq '${kind}'`)).filter((e) => {
        const resourceId = str(e.resourceId);
        if (!resourceId || !e.rowKey) return false;
        // A row without `recordedAt` was written before rows were stamped: before this read began.
        return !pruning.seen.has(keyOf(resourceId)) && pruning.covers(resourceId) && (str(e.recordedAt) ?? '') < pruning.recordedBefore;
      });
      deleted += await this.deleteRows(
        kind,
        stale.map((e) => e.rowKey as string),
      );
    }
    return deleted;
  }

  async pruneReadMarks(before: string): Promise<number> {
    // Marks sort between `~mark-` and `~mark.` ('.' follows '-'); an empty readAt (a mark created
    // only as a write's condition) marks no read and goes too.
    const marks = await this.query(
      `PartitionKey eq '${FINDING}' and RowKey ge ${odataString(MARK_PREFIX)} and RowKey lt ${odataString(`${MARK_PREFIX.slice(0, -1)}.`)} and readAt lt ${odataString(before)}`,
    );
    // One by one, If-Match on the ETag read: a mark raised since (an event right now) must stay, and
    // a transaction cannot delete conditionally. Marks to remove are as many as the VNets events
    // touched a day before, not the estate; 20 at a time.
    let deleted = 0;
    const due = marks.filter((e) => e.rowKey && e.etag);
    for (let i = 0; i < due.length; i += 20) {
      const done = await Promise.all(due.slice(i, i + 20).map((e) => this.deleteIfMatch(FINDING, e.rowKey as string, e.etag)));
      deleted += done.filter(Boolean).length;
    }
    return deleted;
  }

  // ---- fan-out runs ----

  async startRun(runId: string, batchCount: number): Promise<void> {
    await this.ensure();
    await this.table.upsertEntity({ partitionKey: RUN, rowKey: runId, batchCount, completed: '[]', assembled: false }, 'Replace');
  }

  private async readRun(runId: string): Promise<RunProgress | undefined> {
    await this.ensure();
    let e: TableEntityResult<Record<string, unknown>>;
    try {
      e = await this.table.getEntity<Record<string, unknown>>(RUN, runId);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
    const owner = str(e.leaseOwner);
    const until = str(e.leaseUntil);
    const reportAt = str(e.reportAt);
    return {
      runId,
      batchCount: Number(e.batchCount),
      completed: parseJson<number[]>(e.completed, []),
      assembled: e.assembled === true,
      ...(owner && until ? { lease: { owner, until } } : {}),
      ...(reportAt ? { reportAt } : {}),
      etag: e.etag,
    };
  }

  progress(runId: string): Promise<RunProgress | undefined> {
    return this.readRun(runId);
  }

  async completeBatch(runId: string, batch: number): Promise<RunProgress | undefined> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const run = await this.readRun(runId);
      if (!run) return undefined;
      if (run.completed.includes(batch)) return run;
      const completed = [...run.completed, batch].sort((a, b) => a - b);
      try {
        // Merge: the row's other columns (the assembly's lease) stay as they are.
        const response = await this.table.updateEntity({ partitionKey: RUN, rowKey: runId, completed: JSON.stringify(completed) }, 'Merge', { etag: run.etag });
        return { ...run, completed, etag: response.etag };
      } catch (error) {
        const status = statusOf(error);
        if (status === 404) return undefined;
        if (status !== 412) throw error;
        await pauseAfterConflict();
      }
    }
    throw new Error(`run ${runId}: could not record batch ${batch} after 50 conflicting attempts`);
  }

  async claimAssembly(runId: string, owner: string, at: Date, leaseMs: number): Promise<AssemblyClaim> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const run = await this.readRun(runId);
      if (!run) return { status: 'gone' };
      if (run.assembled) return { status: 'assembled' };
      if (run.completed.length < run.batchCount) return { status: 'incomplete' };
      if (run.lease && run.lease.owner !== owner && run.lease.until > at.toISOString()) return { status: 'held', until: run.lease.until };
      const until = new Date(at.getTime() + leaseMs).toISOString();
      const reportAt = run.reportAt ?? at.toISOString();
      try {
        const response = await this.table.updateEntity({ partitionKey: RUN, rowKey: runId, leaseOwner: owner, leaseUntil: until, reportAt }, 'Merge', { etag: run.etag });
        return { status: 'claimed', lease: { runId, owner, until, reportAt, batchCount: run.batchCount, etag: response.etag ?? '' } };
      } catch (error) {
        const status = statusOf(error);
        if (status === 404) return { status: 'gone' };
        if (status !== 412) throw error;
        // Someone wrote the row since it was read (another claim, a renewal): look again.
      }
    }
    throw new Error(`run ${runId}: the assembly's claim kept conflicting (20 attempts)`);
  }

  async renewAssembly(lease: AssemblyLease, at: Date, leaseMs: number): Promise<AssemblyLease | undefined> {
    await this.ensure();
    const until = new Date(at.getTime() + leaseMs).toISOString();
    try {
      const response = await this.table.updateEntity({ partitionKey: RUN, rowKey: lease.runId, leaseOwner: lease.owner, leaseUntil: until }, 'Merge', { etag: lease.etag });
      return { ...lease, until, etag: response.etag ?? '' };
    } catch (error) {
      const status = statusOf(error);
      if (status === 404 || status === 412) return undefined;
      throw error;
    }
  }

  async releaseAssembly(lease: AssemblyLease): Promise<void> {
    await this.ensure();
    try {
      await this.table.updateEntity({ partitionKey: RUN, rowKey: lease.runId, leaseOwner: '', leaseUntil: '' }, 'Merge', { etag: lease.etag });
    } catch (error) {
      const status = statusOf(error);
      if (status !== 404 && status !== 412) throw error;
    }
  }

  async finishAssembly(runId: string): Promise<void> {
    await this.ensure();
    try {
      await this.table.updateEntity({ partitionKey: RUN, rowKey: runId, assembled: true, leaseOwner: '', leaseUntil: '' }, 'Merge', { etag: '*' });
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  }

  async pruneRuns(runIdBefore: string): Promise<number> {
    const runs = await this.query(`PartitionKey eq '${RUN}' and RowKey lt ${odataString(runIdBefore)}`);
    return this.deleteRows(
      RUN,
      runs.flatMap((e) => (e.rowKey ? [e.rowKey] : [])),
    );
  }
}
