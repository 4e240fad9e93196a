import { TableClient } from '@azure/data-tables';
import type { Timer } from '@azure/functions';
import { BlobServiceClient } from '@azure/storage-blob';
import { beforeEach, describe, expect, it } from 'vitest';
import { ALERT_TABLE, REPORT_CONTAINER } from '../../src/functions/composition';
import { scheduledAudit } from '../../src/functions/scheduledAudit';
import type { Inventory } from '../../src/ports';
import { context, install, LiveEstate, type Logged, RecordingMailer, SUB, testEnv } from './harness';
import { useAzurite } from '../support/use-azurite';

// A report mail that fails must not lose what that report would have told: the baseline of the
// changes (reports/latest.json) moves only when a report is delivered, and the next mail says
// which reports were not mailed (src/alerts/scheduled.ts, archive.ts).

const timer = { isPastDue: false, scheduleStatus: { last: '', next: '', lastUpdated: '' } } as unknown as Timer;
const day = (d: number) => new Date(Date.UTC(2026, 2, d, 6));

describe('the scheduled report when its mail fails (Azurite)', () => {
  const azurite = useAzurite('all');
  let now: Date;
  let estate: LiveEstate;
  let mailer: RecordingMailer;
  beforeEach(async () => {
    // Each test starts with no report baseline and no alert state.
    await BlobServiceClient.fromConnectionString(azurite().connectionString).getContainerClient(REPORT_CONTAINER).deleteIfExists();
    await TableClient.fromConnectionString(azurite().connectionString, ALERT_TABLE, { allowInsecureConnection: true }).deleteTable();
    estate = new LiveEstate();
    estate.healthy();
    mailer = new RecordingMailer();
  });

  function app(extra: Record<string, string> = {}): void {
    const reader = { readInventory: async (): Promise<Inventory> => ({ resources: [...estate.vnets.values()].map((r) => ({ resource: structuredClone(r), source: 'graph' })), subscriptions: [SUB], unreadable: [] }) };
    install(testEnv(azurite().connectionString, extra), { live: estate.reader, inventory: reader }, { mailer, now: () => now });
  }

  async function run(d: number, logs: Logged[] = []): Promise<void> {
    now = day(d);
    await scheduledAudit(timer, context('scheduledAudit', logs));
  }

  async function baseline(): Promise<string | undefined> {
    const blob = BlobServiceClient.fromConnectionString(azurite().connectionString).getContainerClient(REPORT_CONTAINER).getBlockBlobClient('reports/latest.json');
    if (!(await blob.exists())) return undefined;
    return (JSON.parse((await blob.downloadToBuffer()).toString('utf8')) as { generatedAt: string }).generatedAt;
  }

  it('the next report lists again, as NEW, what a report whose mail failed would have told, and says that report was not mailed', async () => {
    app();
    await run(2);
    expect(mailer.sent).toHaveLength(1);

    // Day 3: a peering broke without an event reaching peerguard; the report mail fails.
    estate.spokePeeringDeleted();
    mailer.failures = 1;
    const logs: Logged[] = [];
    await run(3, logs);
    expect(mailer.sent).toHaveLength(1);
    expect(logs.some((l) => l.level === 'error' && /report mail failed/.test(l.text))).toBe(true);
    // Archived, but not the baseline.
    expect(await baseline()).toBe('2026-03-02T06:00:00.000Z');

    // Day 4: nothing changed; this report tells what day 3's could not.
    await run(4);
    const day4 = mailer.sent[1]!;
    expect(day4.text).toMatch(/NEW +\[error\] peering-disconnected/);
    expect(day4.text).toContain('Changes since the last report (2026-03-02T06:00:00.000Z): 1 new, 0 resolved, 0 still open');
    expect(day4.text).toContain('NOT MAILED BEFORE: The previous report (2026-03-03T06:00:00.000Z) was not mailed: the send failed: Communication Services answered 503');
    expect(day4.html).toContain('Not mailed before:');
    expect(await baseline()).toBe('2026-03-04T06:00:00.000Z');

    // Day 5: mailed reports only: no notice, the finding still open.
    await run(5);
    const day5 = mailer.sent[2]!;
    expect(day5.text).not.toContain('NOT MAILED BEFORE');
    expect(day5.text).toContain('0 new, 0 resolved, 1 still open');
  });

  it('several failed mails in a row: the first mailed report after them counts since the last one mailed and names them all', async () => {
    app();
    await run(2);
    estate.spokePeeringDeleted();
    mailer.failures = 2;
    await run(3);
    await run(4);
    await run(5);
    expect(mailer.sent).toHaveLength(2);
    const day5 = mailer.sent[1]!;
    expect(day5.text).toContain('2 previous reports (2026-03-03T06:00:00.000Z to 2026-03-04T06:00:00.000Z) were not mailed');
    expect(day5.text).toMatch(/NEW +\[error\] peering-disconnected/);
  });

  it('with nobody to mail it to (no PEERGUARD_REPORT_TO), each archived report is the next one’s baseline', async () => {
    app({ PEERGUARD_REPORT_TO: '' });
    await run(2);
    expect(await baseline()).toBe('2026-03-02T06:00:00.000Z');
    await run(3);
    expect(await baseline()).toBe('2026-03-03T06:00:00.000Z');
    expect(mailer.sent).toHaveLength(0);
  });
});
