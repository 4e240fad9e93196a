import type { JournalRecord, RemediationJournal } from './ports';

// Journals without storage: in memory (tests, the CLI, which prints the run from it), and a
// journal that forwards every record to several others (the Functions app: Tables plus the mail).

export class MemoryJournal implements RemediationJournal {
  readonly records: JournalRecord[] = [];

  constructor(private readonly onRecord?: (entry: JournalRecord) => void) {}

  record(entry: JournalRecord): Promise<void> {
    this.records.push(entry);
    this.onRecord?.(entry);
    return Promise.resolve();
  }
}

export class TeeJournal implements RemediationJournal {
  private readonly journals: RemediationJournal[];

  constructor(...journals: RemediationJournal[]) {
    this.journals = journals;
  }

  async record(entry: JournalRecord): Promise<void> {
    for (const j of this.journals) await j.record(entry);
  }
}
