import { randomUUID } from 'node:crypto';
import { createOnce } from '../azure/create-once';
import type { ContainerClient } from '@azure/storage-blob';
import type { AuditReport } from '../report/report';

// Report history and dead letters in Blob Storage. Reports: reports/YYYY/MM/DD/<timestamp>.json
// (and .csv, .html), plus reports/latest.json, the baseline the next report is compared with: the
// last report that was mailed (or archived with nobody to mail it to). A report whose mail failed
// does not move it, so the next report lists again what that one told nobody; it is remembered
// in reports/undelivered.json, for the next mail to say so, until a report is delivered.

export interface ReportFile {
  extension: 'json' | 'csv' | 'html';
  contentType: string;
  content: string;
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
  latest(): Promise<AuditReport | undefined>;
  /** Stores the files under the dated path; returns the blob names written. The baseline does not move. */
  save(report: AuditReport, files: readonly ReportFile[]): Promise<string[]>;
  /** The report (its files) was delivered: it becomes the baseline, and the undelivered ones are forgotten. */
  delivered(files: readonly ReportFile[]): Promise<void>;
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

async function readText(container: ContainerClient, name: string): Promise<string | undefined> {
  try {
    const buffer = await container.getBlockBlobClient(name).downloadToBuffer();
    return buffer.toString('utf8');
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}

const LATEST = 'reports/latest.json';
const UNDELIVERED = 'reports/undelivered.json';
/** The undelivered reports remembered (the newest): the next mail names the first and the last, and counts them. */
const UNDELIVERED_KEPT = 100;

export class BlobReportArchive implements ReportArchive {
  constructor(private readonly container: ContainerClient) {}

  get location(): string {
    return `blob container ${this.container.containerName}`;
  }

  private readonly ensure = createOnce(() => this.container.createIfNotExists());

  async latest(): Promise<AuditReport | undefined> {
    await this.ensure();
    const text = await readText(this.container, LATEST);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as AuditReport;
    } catch {
      return undefined;
    }
  }

  async save(report: AuditReport, files: readonly ReportFile[]): Promise<string[]> {
    await this.ensure();
    const base = reportBlobBase(report.generatedAt);
    const names: string[] = [];
    for (const file of files) {
      const name = `${base}.${file.extension}`;
      await this.container.getBlockBlobClient(name).upload(file.content, Buffer.byteLength(file.content), {
        blobHTTPHeaders: { blobContentType: file.contentType },
      });
      names.push(name);
    }
    return names;
  }

  async delivered(files: readonly ReportFile[]): Promise<void> {
    await this.ensure();
    const json = files.find((f) => f.extension === 'json');
    if (!json) return;
    await this.container.getBlockBlobClient(LATEST).upload(json.content, Buffer.byteLength(json.content), {
      blobHTTPHeaders: { blobContentType: json.contentType },
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
    const text = await readText(this.container, UNDELIVERED);
    if (text === undefined) return [];
    try {
      const parsed = JSON.parse(text) as unknown;
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
