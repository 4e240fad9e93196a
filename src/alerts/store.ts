import { createOnce } from '../azure/create-once';
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
//   run        fan-out bookkeeping of the scheduled audit
// Writes are conditional: insert-only for new rows (409 = someone else won), If-Match on the
// ETag for updates (412 = someone else won). Whoever wins a write owns the mail that follows.
// The finding partition also holds one read mark per VNet (RowKey `~mark-<hash>`, after every
// fingerprint): when the latest live read that decided all of that VNet's findings began. An
// event's write that opens a finding commits in one table transaction with an If-Match on its
// VNet's mark, so it cannot land once a newer read has marked the VNet (that read may have read
// the rows before it and found nothing to resolve); with no row, nothing else remembers that read.

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
  assembled: boolean;
  etag?: string;
}

export interface RunStore {
  startRun(runId: string, batchCount: number): Promise<void>;
  /** Marks a batch done; returns the progress after the write (retries on ETag conflicts). */
  completeBatch(runId: string, batch: number): Promise<RunProgress>;
  /** Claims the assembly of a finished run: true for exactly one caller. */
  claimAssembly(runId: string): Promise<boolean>;
}

const FINDING = 'finding';
/** Read marks sort after every fingerprint (hex), so `RowKey lt '~'` leaves them out. */
const MARK_PREFIX = '~mark-';
const markRowKey = (vnetKey: string): string => `${MARK_PREFIX}${rowKeyOf(vnetKey)}`;
interface ReadMark {
  readAt: string;
  etag: string;
}

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
    claimUntil: row.claimUntil,
    sendAttempts: row.sendAttempts,
    lastSendError: row.lastSendError?.slice(0, 2000),
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
    claimUntil: str(e.claimUntil),
    sendAttempts: typeof e.sendAttempts === 'number' ? e.sendAttempts : 0,
    lastSendError: str(e.lastSendError),
    etag: e.etag,
  };
}

function odataString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The Table Storage adapter: alert rows, the neighbourhood index and fan-out runs in one table. */
export class TableAlertStore implements AlertStore, NeighbourhoodIndex, RunStore {
  constructor(private readonly table: TableClient) {}

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
    // A table transaction takes at most 100 entities of one partition.
    for (let i = 0; i < all.length; i += 100) {
      const group = all.slice(i, i + 100);
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
          await new Promise((r) => setTimeout(r, 10 + Math.random() * 40));
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
        // Either the mark moved (look again) or the row's own write lost (someone else owns it).
        const now = (await this.readMarks([rowKey])).get(rowKey);
        if (now?.etag === mark?.etag) return undefined;
      }
    }
    throw new Error(`alert row ${row.fingerprint}: its VNet's read mark kept changing (20 attempts)`);
  }

  // ---- neighbourhood index ----

  async record(entries: readonly IndexEntry[]): Promise<void> {
    await this.ensure();
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

  // ---- fan-out runs ----

  async startRun(runId: string, batchCount: number): Promise<void> {
    await this.ensure();
    await this.table.upsertEntity({ partitionKey: 'run', rowKey: runId, batchCount, completed: '[]', assembled: false }, 'Replace');
  }

  private async readRun(runId: string): Promise<RunProgress> {
    const e = await this.table.getEntity<Record<string, unknown>>('run', runId);
    return {
      runId,
      batchCount: Number(e.batchCount),
      completed: parseJson<number[]>(e.completed, []),
      assembled: e.assembled === true,
      etag: e.etag,
    };
  }

  async completeBatch(runId: string, batch: number): Promise<RunProgress> {
    await this.ensure();
    for (let attempt = 0; attempt < 50; attempt++) {
      const run = await this.readRun(runId);
      if (run.completed.includes(batch)) return run;
      const completed = [...run.completed, batch].sort((a, b) => a - b);
      try {
        const response = await this.table.updateEntity(
          { partitionKey: 'run', rowKey: runId, batchCount: run.batchCount, completed: JSON.stringify(completed), assembled: run.assembled },
          'Replace',
          { etag: run.etag },
        );
        return { ...run, completed, etag: response.etag };
      } catch (error) {
        if (statusOf(error) !== 412) throw error;
        await new Promise((r) => setTimeout(r, 10 + Math.random() * 40));
      }
    }
    throw new Error(`run ${runId}: could not record batch ${batch} after 50 conflicting attempts`);
  }

  async claimAssembly(runId: string): Promise<boolean> {
    await this.ensure();
    const run = await this.readRun(runId);
    if (run.assembled || run.completed.length < run.batchCount) return false;
    try {
      await this.table.updateEntity(
        { partitionKey: 'run', rowKey: runId, batchCount: run.batchCount, completed: JSON.stringify(run.completed), assembled: true },
        'Replace',
        { etag: run.etag },
      );
      return true;
    } catch (error) {
      if (statusOf(error) === 412) return false;
      throw error;
    }
  }
}
