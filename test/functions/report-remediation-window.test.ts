import { TableClient } from '@azure/data-tables';
import type { Timer } from '@azure/functions';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Mailer, MailMessage } from '../../src/alerts/mailer';
import { auditAndReport } from '../../src/alerts/scheduled';
import { ALERT_TABLE, buildAdapters, fanoutDeps, loggerOf, REPORT_CONTAINER, useAdapters, type Adapters } from '../../src/functions/composition';
import { scheduledAudit } from '../../src/functions/scheduledAudit';
import { REMEDIATION_TABLE, TableRemediationJournal } from '../../src/remediation/table-journal';
import { startStandIn, type StandIn } from '../azure-stand-in';
import { FAST_RETRY } from '../azure/harness';
import { exampleEstate, HUB, SUBS } from '../remediation/harness';
import { startAzurite, type AzuriteInstance } from '../support/azurite';
import { context } from './harness';

// The report mail's Remediation section covers the journal from where the last delivered report's
// section ended to when this one is read (src/alerts/scheduled.ts): each record is in exactly one
// report mail. A run's remediation comes after its report's time, so its own writes, and event-path
// records made meanwhile, must not be told again by the next day's mail; a report that was not
// mailed leaves its records to the next mail; a fan-out takeover of a report whose mail went out
// keeps that mail's window.

const timer = { isPastDue: false, scheduleStatus: { last: '', next: '', lastUpdated: '' } } as unknown as Timer;

/** Communication Services as the report sees it: a repeated Operation-Id is the same operation, not a second mail. */
class MailService implements Mailer {
  readonly delivered: MailMessage[] = [];
  private readonly operations = new Set<string>();
  failures = 0;

  async send(message: MailMessage): Promise<{ id: string }> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('Communication Services: EmailDropped');
    }
    const id = message.operationId ?? `mail-${this.delivered.length}`;
    if (!this.operations.has(id)) this.delivered.push(message);
    this.operations.add(id);
    return { id };
  }
}

/** The mail's lines about writes the scheduled runs applied. */
const scheduledWrites = (mail: MailMessage): string[] => mail.text.split('\n').filter((l) => l.startsWith('- applied:') && l.includes('(schedule'));

describe('the report mail lists each remediation record once (stand-in, Azurite)', () => {
  let standIn: StandIn;
  let azurite: AzuriteInstance;
  let service: MailService;
  beforeAll(async () => {
    [standIn, azurite] = await Promise.all([startStandIn({ resources: await exampleEstate() }), startAzurite()]);
    standIn.options.lroInProgressPolls = 0;
  }, 60_000);
  afterAll(async () => {
    useAdapters(undefined);
    await standIn?.stop();
    await azurite?.stop();
  });
  beforeEach(async () => {
    // No report baseline, alert state or journal from an earlier test.
    await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(REPORT_CONTAINER).deleteIfExists();
    for (const table of [ALERT_TABLE, REMEDIATION_TABLE]) await TableClient.fromConnectionString(azurite.connectionString, table, { allowInsecureConnection: true }).deleteTable();
    service = new MailService();
  });

  function adapters(apply: boolean): Adapters {
    const env = {
      AzureWebJobsStorage: azurite.connectionString,
      PEERGUARD_ARM_ENDPOINT: standIn.endpoint,
      PEERGUARD_EMAIL_CONNECTION_STRING: standIn.email.connectionString,
      PEERGUARD_EMAIL_SENDER: 'peerguard@contoso.example',
      PEERGUARD_REPORT_TO: 'reports@contoso.example',
      PEERGUARD_SUBSCRIPTIONS: SUBS.join(','),
      PEERGUARD_AUDIT_CONFIG: JSON.stringify({ remediation: { enabled: true, apply, subscriptions: SUBS, onSchedule: true, maxWrites: 3 } }),
    };
    return buildAdapters(env, { azure: { credential: standIn.credential, ca: standIn.ca, retry: FAST_RETRY, requestTimeoutMs: 5_000 }, retryDelayMs: 5, mailer: service });
  }

  /** An event-path record stamped now: a failed write, listed first in the section (never among those left out), named by `marker`. */
  async function eventRecord(marker: string): Promise<void> {
    const journal = new TableRemediationJournal(TableClient.fromConnectionString(azurite.connectionString, REMEDIATION_TABLE, { allowInsecureConnection: true }));
    await journal.record({
      runId: `event-${marker}`,
      seq: 0,
      at: new Date().toISOString(),
      trigger: { kind: 'event', eventId: marker },
      mode: 'apply',
      ruleId: 'peering-one-sided',
      fingerprint: `fp-${marker}`,
      findingResourceId: HUB,
      status: 'failed',
      reason: `marker ${marker}`,
    });
  }

  /** Which of the mails delivered tell `marker`'s record. */
  const mailsWith = (marker: string): number[] => service.delivered.flatMap((m, i) => (m.text.includes(`marker ${marker}`) ? [i] : []));

  /** The scheduled audit, with an event-path record `during` its remediation (after the report's time, before its mail). */
  async function scheduledRun(apply: boolean, during: string): Promise<void> {
    const a = adapters(apply);
    const runner = a.remediation!;
    const run = runner.run.bind(runner);
    runner.run = async (input) => {
      const result = await run(input);
      await eventRecord(during);
      return result;
    };
    useAdapters(a);
    await scheduledAudit(timer, context('scheduledAudit'));
  }

  it("a run's writes are in its own mail only; an unmailed report's records are in the next mail", async () => {
    await scheduledRun(true, 'during-1');
    expect(service.delivered).toHaveLength(1);
    const written = scheduledWrites(service.delivered[0]!);
    expect(written.length).toBeGreaterThan(0);

    // The next day writes nothing (a dry run): its mail lists no write.
    await eventRecord('between-1-2');
    await scheduledRun(false, 'during-2');
    expect(service.delivered).toHaveLength(2);
    expect(scheduledWrites(service.delivered[1]!)).toEqual([]);
    expect(service.delivered[1]!.text).toContain('Remediation: 0 applied');

    // The third report's mail fails: what its section would have told goes into the fourth's.
    await eventRecord('between-2-3');
    service.failures = 1;
    await scheduledRun(false, 'during-3');
    expect(service.delivered).toHaveLength(2);
    await eventRecord('between-3-4');
    await scheduledRun(false, 'during-4');
    expect(service.delivered).toHaveLength(3);
    expect(service.delivered[2]!.text).toContain('NOT MAILED BEFORE');

    // Every record in exactly one mail.
    for (const line of written) expect(service.delivered.filter((m) => m.text.includes(line))).toHaveLength(1);
    expect(mailsWith('during-1')).toEqual([0]);
    expect(mailsWith('between-1-2')).toEqual([1]);
    expect(mailsWith('during-2')).toEqual([1]);
    for (const marker of ['between-2-3', 'during-3', 'between-3-4', 'during-4']) expect(mailsWith(marker)).toEqual([2]);
  }, 120_000);

  it("a fan-out takeover of a report whose mail went out keeps that mail's window: what came after it is in the next mail", async () => {
    const a = adapters(false);
    const deps = fanoutDeps(a, loggerOf(context('auditBatch')));
    const inventory = await a.inventory.readInventory({ kind: 'subscriptions', subscriptionIds: SUBS });
    const at = new Date();
    await eventRecord('before-first-mail');

    // The first assembler mails the report, and the host kills its worker before the report is recorded as delivered.
    const delivered = a.archive.delivered.bind(a.archive);
    a.archive.delivered = () => Promise.reject(new Error('the worker process was recycled'));
    await expect(auditAndReport(deps, inventory, { at })).rejects.toThrow(/recycled/);
    a.archive.delivered = delivered;
    expect(service.delivered).toHaveLength(1);

    // The takeover makes the same report under the same Operation-Id: the service keeps the first mail.
    await eventRecord('after-first-mail');
    await auditAndReport(deps, inventory, { at });
    expect(service.delivered).toHaveLength(1);

    await auditAndReport(deps, inventory, { at: new Date() });
    expect(service.delivered).toHaveLength(2);
    expect(mailsWith('before-first-mail')).toEqual([0]);
    expect(mailsWith('after-first-mail')).toEqual([1]);
  }, 120_000);
});
