import type { JournalRecord, RemediationJournal } from './ports';

// The journal without storage: in memory (tests, and the CLI, which prints the run from it). The
// Functions app journals to Table Storage (table-journal.ts), which its mails read back.

export class MemoryJournal implements RemediationJournal {
  readonly records: JournalRecord[] = [];

  constructor(private readonly onRecord?: (entry: JournalRecord) => void) {}

  record(entry: JournalRecord): Promise<void> {
    this.records.push(entry);
    this.onRecord?.(entry);
    return Promise.resolve();
  }
}
