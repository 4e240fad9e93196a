import { createOnce } from '../azure/create-once';
import { odata, type TableClient } from '@azure/data-tables';
import type { JournalRecord, JournalStatus, RemediationJournal } from './ports';

// The remediation journal on Azure Table Storage (table `peerguardremediation`): one row per
// planned, applied, skipped or failed operation, partitioned by run, rows in run order. Before
// and after states and the operation are JSON columns (bounded: a Table property holds 64 KiB).

export const REMEDIATION_TABLE = 'peerguardremediation';
const MAX_JSON = 30_000;

const json = (v: unknown): string | undefined => {
  if (v === undefined) return undefined;
  const text = JSON.stringify(v);
  return text.length > MAX_JSON ? `${text.slice(0, MAX_JSON)}…(truncated)` : text;
};
const parse = (v: unknown): unknown => {
  if (typeof v !== 'string') return undefined;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
};

export class TableRemediationJournal implements RemediationJournal {
  constructor(private readonly table: TableClient) {}

  private readonly ensure = createOnce(() => this.table.createTable());

  async record(entry: JournalRecord): Promise<void> {
    await this.ensure();
    const entity = {
      partitionKey: entry.runId,
      rowKey: String(entry.seq).padStart(6, '0'),
      at: entry.at,
      triggerKind: entry.trigger.kind,
      trigger: JSON.stringify(entry.trigger),
      mode: entry.mode,
      ruleId: entry.ruleId,
      fingerprint: entry.fingerprint,
      findingResourceId: entry.findingResourceId,
      status: entry.status,
      reason: entry.reason.slice(0, MAX_JSON),
      ...(entry.operation ? { method: entry.operation.method, resourceId: entry.operation.resourceId, operation: json(entry.operation) } : {}),
      ...(entry.before !== undefined ? { before: json(entry.before) } : {}),
      ...(entry.after !== undefined ? { after: json(entry.after) } : {}),
    };
    await this.table.upsertEntity(entity, 'Replace');
  }

  private async list(filter: string): Promise<JournalRecord[]> {
    await this.ensure();
    const out: JournalRecord[] = [];
    for await (const e of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      out.push({
        runId: String(e.partitionKey),
        seq: Number(e.rowKey),
        at: String(e.at),
        trigger: parse(e.trigger) as JournalRecord['trigger'],
        mode: e.mode as JournalRecord['mode'],
        ruleId: String(e.ruleId),
        fingerprint: String(e.fingerprint),
        findingResourceId: String(e.findingResourceId),
        status: e.status as JournalStatus,
        reason: String(e.reason),
        ...(e.operation !== undefined ? { operation: parse(e.operation) as JournalRecord['operation'] } : {}),
        ...(e.before !== undefined ? { before: parse(e.before) as JournalRecord['before'] } : {}),
        ...(e.after !== undefined ? { after: parse(e.after) as JournalRecord['after'] } : {}),
      });
    }
    return out.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : a.seq - b.seq));
  }

  /** One finding's records written at or after `since` (ISO time): what its next alert mail reports. */
  listForFinding(fingerprint: string, since: string): Promise<JournalRecord[]> {
    return this.list(odata`fingerprint eq ${fingerprint} and at ge ${since}`);
  }

  /** Records written at or after `since` and, given `until`, before it (ISO times): what the next alert or report mail reports. */
  listSince(since: string, until?: string): Promise<JournalRecord[]> {
    return this.list(until === undefined ? odata`at ge ${since}` : odata`at ge ${since} and at lt ${until}`);
  }
}
