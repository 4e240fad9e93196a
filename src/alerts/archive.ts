import { randomUUID } from 'node:crypto';
import { createOnce } from '../azure/create-once';
import type { ContainerClient } from '@azure/storage-blob';
import type { AuditReport } from '../report/report';

// Report history and dead letters in Blob Storage. Reports: reports/YYYY/MM/DD/<timestamp>.json
// (and .csv, .html), plus reports/latest.json, the baseline the next report is compared with: the
// last report that was mailed (or archived with nobody to mail it to). A report whose mail failed
// does not move it, so the next report lists again what that one told nobody; it is remembered
// in reports/undelivered.json, for the next mail to say so, until a report is delivered.
// The end of the remediation journal window a report's mail told is kept as metadata of its JSON
// blob and of reports/latest.json: the next mail's window begins there.

export interface ReportFile {
  extension: 'json' | 'csv' | 'html';
  contentType: string;
  content: string;
}

/** The baseline: the last report delivered, and where its mail's Remediation section ended. */
export interface Baseline {
  report: AuditReport;
  /**
   * The end (exclusive) of the remediation journal window its mail told: the next mail's begins
   * there. Absent for a report archived before it was recorded, or with remediation off.
   */
  remediationUntil?: string;
}

/** A report that was archived but whose mail did not go out. */
export interface UndeliveredReport {
  generatedAt: string;
  archivedAs: string[];
  reason: string;
}

export interface ReportArchive {
  /** Where the blobs are, for a reader of the report mail (`container peerguard-reports`): no URL, which could carry a SAS. */
  readonly location?: string;
  /** The baseline: the last report delivered (mailed, or archived with nobody to mail it to). */
  latest(): Promise<Baseline | undefined>;
  /**
   * Stores the files under the dated path, `remediationUntil` with them; returns the blob names
   * written. The baseline does not move.
   */
  save(report: AuditReport, files: readonly ReportFile[], remediationUntil?: string): Promise<string[]>;
  /** The remediationUntil an earlier attempt at the report of `generatedAt` saved with it (a fan-out takeover makes the same report). */
  savedRemediationUntil(generatedAt: string): Promise<string | undefined>;
  /** The report (its files) was delivered: it becomes the baseline, and the undelivered ones are forgotten. */
  delivered(files: readonly ReportFile[], remediationUntil?: string): Promise<void>;
  /** Its mail did not go out: the baseline stays, and the report is remembered for the next mail. */
  notDelivered(report: UndeliveredReport): Promise<void>;
  /** The reports not delivered, generated after `after` (the baseline's generatedAt), oldest first. */
  undelivered(after: string | undefined): Promise<UndeliveredReport[]>;
}

export interface DeadLetter {
  reason: string;
  attempts: number;
  failedAt: string;
  eventId: string | undefined;
  event: unknown;
}

export interface DeadLetterStore {
  put(letter: DeadLetter): Promise<string>;
}

/** `reports/2026/01/02/2026-01-02T06-00-00-000Z` (no colons: friendly to every tool). */
export function reportBlobBase(generatedAt: string): string {
  const stamp = generatedAt.replace(/:/g, '-').replace(/\./g, '-');
  return `reports/${generatedAt.slice(0, 4)}/${generatedAt.slice(5, 7)}/${generatedAt.slice(8, 10)}/${stamp}`;
}

const isNotFound = (error: unknown): boolean => (error as { statusCode?: number }).statusCode === 404;

/** A blob's text and metadata, read in one request (so that the two agree). */
async function readBlob(container: ContainerClient, name: string): Promise<{ text: string; metadata: Record<string, string> } | undefined> {
  try {
    const response = await container.getBlockBlobClient(name).download();
    const chunks: Buffer[] = [];
    if (response.readableStreamBody) for await (const chunk of response.readableStreamBody) chunks.push(Buffer.from(chunk as Buffer));
    return { text: Buffer.concat(chunks).toString('utf8'), metadata: response.metadata ?? {} };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

const LATEST = 'reports/latest.json';
const UNDELIVERED = 'reports/undelivered.json';
/** Blob metadata: Baseline.remediationUntil (metadata names are case-insensitive; the service answers in lower case). */
const REMEDIATION_UNTIL = 'remediationuntil';
const untilMetadata = (remediationUntil: string | undefined) => (remediationUntil ? { metadata: { [REMEDIATION_UNTIL]: remediationUntil } } : {});
/** The undelivered reports remembered (the newest): the next mail names the first and the last, and counts them. */
const UNDELIVERED_KEPT = 100;

export class BlobReportArchive implements ReportArchive {
  constructor(private readonly container: ContainerClient) {}

  get location(): string {
    return `blob container ${this.container.containerName}`;
  }

  private readonly ensure = createOnce(() => this.container.createIfNotExists());

  async latest(): Promise<Baseline | undefined> {
    await this.ensure();
    const blob = await readBlob(this.container, LATEST);
    if (blob === undefined) return undefined;
    let report: AuditReport;
    try {
      report = JSON.parse(blob.text) as AuditReport;
    } catch {
      return undefined;
    }
    const until = blob.metadata[REMEDIATION_UNTIL];
    return { report, ...(until ? { remediationUntil: until } : {}) };
  }

  async save(report: AuditReport, files: readonly ReportFile[], remediationUntil?: string): Promise<string[]> {
    await this.ensure();
    const base = reportBlobBase(report.generatedAt);
    const names: string[] = [];
    for (const file of files) {
      const name = `${base}.${file.extension}`;
      await this.container.getBlockBlobClient(name).upload(file.content, Buffer.byteLength(file.content), {
        blobHTTPHeaders: { blobContentType: file.contentType },
        ...(file.extension === 'json' ? untilMetadata(remediationUntil) : {}),
      });
      names.push(name);
    }
    return names;
  }

  async savedRemediationUntil(generatedAt: string): Promise<string | undefined> {
    await this.ensure();
    try {
      return (await this.container.getBlockBlobClient(`${reportBlobBase(generatedAt)}.json`).getProperties()).metadata?.[REMEDIATION_UNTIL];
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async delivered(files: readonly ReportFile[], remediationUntil?: string): Promise<void> {
    await this.ensure();
    const json = files.find((f) => f.extension === 'json');
    if (!json) return;
    // The report and its window in one write: the baseline never pairs one report with another's window.
    await this.container.getBlockBlobClient(LATEST).upload(json.content, Buffer.byteLength(json.content), {
      blobHTTPHeaders: { blobContentType: json.contentType },
      ...untilMetadata(remediationUntil),
    });
    // Should this fail, the list still reads right: undelivered(baseline) leaves out what the baseline covers.
    await this.container.getBlockBlobClient(UNDELIVERED).deleteIfExists();
  }

  async notDelivered(report: UndeliveredReport): Promise<void> {
    await this.ensure();
    const kept = (await this.readUndelivered()).filter((r) => r.generatedAt !== report.generatedAt);
    const body = JSON.stringify([...kept, report].sort((a, b) => a.generatedAt.localeCompare(b.generatedAt)).slice(-UNDELIVERED_KEPT), null, 2);
    await this.container.getBlockBlobClient(UNDELIVERED).upload(body, Buffer.byteLength(body), { blobHTTPHeaders: { blobContentType: 'application/json' } });
  }

  async undelivered(after: string | undefined): Promise<UndeliveredReport[]> {
    await this.ensure();
    return (await this.readUndelivered()).filter((r) => after === undefined || r.generatedAt > after);
  }

  private async readUndelivered(): Promise<UndeliveredReport[]> {
    const blob = await readBlob(this.container, UNDELIVERED);
    if (blob === undefined) return [];
    try {
      const parsed = JSON.parse(blob.text) as unknown;
      return Array.isArray(parsed) ? (parsed as UndeliveredReport[]).filter((r) => typeof r?.generatedAt === 'string') : [];
    } catch {
      return [];
    }
  }
}

export class BlobDeadLetterStore implements DeadLetterStore {
  constructor(private readonly container: ContainerClient) {}

  // Not remembered after a failure: the dead-letter store must recover once storage is back.
  private readonly ensure = createOnce(() => this.container.createIfNotExists());

  async put(letter: DeadLetter): Promise<string> {
    await this.ensure();
    const day = letter.failedAt.slice(0, 10).replace(/-/g, '/');
    // Event ids are the sender's: at most 100 characters of one go into the name (blob names end at
    // 1,024), and a random suffix keeps two letters of one moment and id (no id, say) apart.
    const id = (letter.eventId ?? 'no-id').replace(/[^A-Za-z0-9-]/g, '_').slice(0, 100);
    const name = `events/${day}/${letter.failedAt.replace(/[:.]/g, '-')}-${id}-${randomUUID().slice(0, 8)}.json`;
    const body = JSON.stringify(letter, null, 2);
    await this.container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body), {
      blobHTTPHeaders: { blobContentType: 'application/json' },
    });
    return name;
  }
}
