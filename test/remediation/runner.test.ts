import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArmRemediationWriter } from '../../src/azure/arm-writer';
import { ArmLiveReader } from '../../src/azure/live';
import { RemediationRunner } from '../../src/remediation/runner';
import { remediationSection, withRemediationSection } from '../../src/remediation/summary';
import { REMEDIATION_TABLE, TableRemediationJournal } from '../../src/remediation/table-journal';
import { RULES } from '../../src/rules';
import { startStandIn, type StandIn } from '../azure-stand-in';
import { connectionTo } from '../azure/harness';
import { startAzurite, type AzuriteInstance } from '../support/azurite';
import { configOf, exampleEstate, planLive, writesSeen } from './harness';

// The Functions app's remediation: gated by enabled + onEvent / onSchedule, journalled on Tables
// (Azurite), summarised in the report mail.

describe('RemediationRunner (event path and timer)', () => {
  let standIn: StandIn;
  let azurite: AzuriteInstance;
  beforeAll(async () => {
    standIn = await startStandIn({ resources: await exampleEstate() });
    azurite = await startAzurite();
  }, 30_000);
  afterAll(async () => {
    await standIn?.stop();
    await azurite?.stop();
  });

  const runner = (remediation: Record<string, unknown>) => {
    const connection = { ...connectionTo(standIn), requestTimeoutMs: 5_000 };
    return new RemediationRunner({
      writer: new ArmRemediationWriter({ ...connection, pollIntervalMs: 5 }),
      reader: new ArmLiveReader(connection),
      journal: new TableRemediationJournal(TableClient.fromConnectionString(azurite.connectionString, REMEDIATION_TABLE, { allowInsecureConnection: true })),
      rules: RULES,
      config: configOf(remediation),
      now: () => new Date(),
    });
  };

  it('runs only where configured (onEvent, onSchedule), writes through the guards, and the mail reports it', async () => {
    const since = new Date().toISOString();
    const { findings: all, topology } = await planLive(standIn, configOf({}));
    const trigger = { kind: 'event' as const, eventId: 'evt-1', caller: 'alice@contoso.com' };

    standIn.requests.clear();
    expect(await runner({ apply: true, onSchedule: true }).run({ findings: all, topology, trigger })).toBeUndefined();
    expect(await runner({ enabled: false, apply: true, onEvent: true }).run({ findings: all, topology, trigger })).toBeUndefined();
    expect(writesSeen(standIn)).toEqual([]);

    const result = await runner({ apply: true, onEvent: true, maxWrites: 2 }).run({ findings: all, topology, trigger });
    expect(result?.outcomes.filter((o) => o.result === 'applied')).toHaveLength(2);
    expect(result?.writes).toBe(2);
    expect(writesSeen(standIn)).toHaveLength(2);

    const records = await runner({}).recordsSince(since);
    expect(records.filter((r) => r.status === 'applied')).toHaveLength(2);
    expect(records.every((r) => r.trigger.kind === 'event' && r.trigger.eventId === 'evt-1' && r.trigger.caller === 'alice@contoso.com')).toBe(true);

    const section = remediationSection(records);
    expect(section?.text).toMatch(/Remediation: 2 applied, \d+ skipped, 0 failed, \d+ not attempted/);
    expect(section?.text).toContain('event evt-1 by alice@contoso.com');
    const mail = withRemediationSection({ subject: 's', text: 'report\n', html: '<html><body><p>report</p></body></html>' }, section);
    expect(mail.html).toMatch(/<p>report<\/p><h2[^>]*>Remediation<\/h2>.*<\/body><\/html>$/);
    expect(mail.text.startsWith('report\n\nRemediation: 2 applied')).toBe(true);
    expect(remediationSection([])).toBeUndefined();
  });

  it('passes its deadline on: past it, nothing is written and every planned fix is recorded not attempted', async () => {
    const since = new Date().toISOString();
    const { findings: all, topology } = await planLive(standIn, configOf({}));
    const late = runner({ apply: true, onSchedule: true });
    standIn.requests.clear();
    const result = await late.run({ findings: all, topology, trigger: { kind: 'schedule' }, deadline: new Date(Date.now() - 1) });
    expect(writesSeen(standIn)).toEqual([]);
    const attempted = result?.outcomes.filter((o) => o.item.status === 'planned') ?? [];
    expect(attempted.length).toBeGreaterThan(0);
    expect(attempted.every((o) => o.result === 'not-attempted' && o.reason.startsWith('not attempted: time limit reached'))).toBe(true);
    const records = (await late.recordsSince(since)).filter((r) => r.runId === result?.runId);
    expect(records.filter((r) => r.status === 'not-attempted')).toHaveLength(attempted.flatMap((o) => o.item.operations).length);
  });

  it('journals a run whose fixes are all skipped, and the mail lists them; findings without a fix record nothing', async () => {
    const since = new Date().toISOString();
    const { findings: all, topology } = await planLive(standIn, configOf({}));
    const trigger = { kind: 'schedule' as const };
    // No VNet carries this opt-in tag: the planner skips every fix.
    const skipping = runner({ apply: true, onSchedule: true, optInTag: 'peerguard-remediation=nowhere' });
    standIn.requests.clear();
    const result = await skipping.run({ findings: all, topology, trigger });
    expect(result?.outcomes.length).toBeGreaterThan(0);
    expect(result?.outcomes.every((o) => o.result === 'skipped')).toBe(true);
    expect(writesSeen(standIn)).toEqual([]);

    const records = await skipping.recordsSince(since);
    expect(records.length).toBe(result?.outcomes.flatMap((o) => o.item.operations).length);
    expect(records.every((r) => r.runId === result?.runId && r.status === 'skipped' && r.trigger.kind === 'schedule')).toBe(true);
    expect(records.some((r) => r.reason.includes('lacks the opt-in tag peerguard-remediation=nowhere'))).toBe(true);
    expect(remediationSection(records)?.text).toMatch(/Remediation: 0 applied, [1-9]\d* skipped, 0 failed, 0 not attempted/);

    expect(await skipping.run({ findings: all.filter((f) => !f.fix), topology, trigger })).toBeUndefined();
    expect(await skipping.recordsSince(since)).toHaveLength(records.length);

    // The same skips again (as every event-path run records them): the mail says each once, with how often.
    const once = remediationSection(records)!.text;
    await skipping.run({ findings: all, topology, trigger });
    const twice = remediationSection(await skipping.recordsSince(since))!.text;
    expect(twice.split('\n').length).toBe(once.split('\n').length);
    expect(twice.match(/Remediation: 0 applied, \d+ skipped/)?.[0]).toBe(once.match(/Remediation: 0 applied, \d+ skipped/)?.[0]);
    expect(twice).toContain('(2 times, last schedule');
  });
});
