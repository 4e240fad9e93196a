import { describe, expect, it } from 'vitest';
import { anchorOf, type AlertRow, type AlertScope } from '../../src/alerts/model';
import { planTransitions } from '../../src/alerts/transitions';
import { HUB, type Logged } from '../functions/harness';
import { useAzurite } from '../support/use-azurite';
import { alertSubjects, disconnected, ERROR_MAIL, HUB_LINK, lifecycleApp, SPOKE_LINK } from './lifecycle-app';

// A suppression added to PEERGUARD_AUDIT_CONFIG while its finding's alert is open (the app restarted
// with it) fixes nothing: the alert is closed without a mail, on the next event or scheduled audit
// that decides it, instead of a "RESOLVED ... No longer found" naming an unrelated change.

const SUPPRESSED = { PEERGUARD_AUDIT_CONFIG: JSON.stringify({ suppressions: [{ rule: 'peering-disconnected', resource: HUB_LINK, reason: 'decommissioning spoke1', expires: '2026-12-31' }] }) };

describe('a suppression added while an alert is open (Azurite)', () => {
  const azurite = useAzurite();

  /** The ERROR mailed by the event path, then the app restarted with the suppression, the link still Disconnected. */
  async function openThenSuppressed() {
    const before = lifecycleApp(azurite().connectionString);
    await before.event(SPOKE_LINK, 'learn');
    before.estate.spokePeeringDeleted();
    before.at(10);
    await before.event(SPOKE_LINK, 'deleted', 'delete');
    expect(alertSubjects(before.mailer.sent)).toEqual([ERROR_MAIL]);
    const after = lifecycleApp(azurite().connectionString, SUPPRESSED);
    after.estate.spokePeeringDeleted();
    return after;
  }

  it("the next unrelated event closes it without a RESOLVED mail (the reviewer's case), and it is alerted again once the suppression goes", async () => {
    const a = await openThenSuppressed();
    a.at(3_600);
    const [tagged] = await a.event(HUB, 'hub-tags-written');
    expect(tagged?.outcome?.plan.resolved).toEqual([]);
    expect(tagged?.outcome?.plan.closedByConfig.map((c) => [c.row.fingerprint, c.reason])).toEqual([[disconnected.fingerprint, 'suppressed']]);
    expect(await a.row()).toMatchObject({ status: 'resolved', pendingOpen: false, pendingResolved: false, resolvedBy: undefined });
    a.at(3_660);
    await a.flush();
    a.at(7_200);
    await a.audit();
    expect(alertSubjects(a.mailer.sent)).toEqual([]);

    // The suppression removed: the link is still Disconnected, a new alert.
    const b = lifecycleApp(azurite().connectionString);
    b.estate.spokePeeringDeleted();
    b.at(7_300);
    await b.event(HUB, 'hub-tags-written-again');
    expect(alertSubjects(b.mailer.sent)).toEqual([ERROR_MAIL]);
  });

  it('the scheduled audit closes it without a RESOLVED mail too', async () => {
    const a = await openThenSuppressed();
    a.at(7_200);
    await a.audit();
    expect(alertSubjects(a.mailer.sent)).toEqual([]);
    expect(await a.row()).toMatchObject({ status: 'resolved', pendingResolved: false });
  });
});

describe('planTransitions with suppressed findings', () => {
  const row = (fingerprint: string): AlertRow => ({
    ...disconnected,
    fingerprint,
    finding: { ...disconnected, fingerprint },
    status: 'open',
    anchor: anchorOf(HUB_LINK),
    subscriptionId: 's',
    firstSeen: 't0',
    lastSeen: 't0',
    observedAt: '2026-01-01T00:00:00.000Z',
    mailedOpenAt: 't0',
    pendingOpen: false,
    pendingResolved: false,
    sendAttempts: 0,
  });
  const scope: AlertScope = { keys: new Set([anchorOf(HUB)]), subscriptions: new Set() };

  it('an open row whose finding is suppressed is closed, not resolved; one whose finding is gone is resolved', () => {
    const plan = planTransitions([row('kept-quiet'), row('gone')], [], scope, '2026-01-02T00:00:00.000Z', { suppressed: new Set(['kept-quiet']) });
    expect(plan.closedByConfig.map((c) => [c.row.fingerprint, c.reason])).toEqual([['kept-quiet', 'suppressed']]);
    expect(plan.resolved.map((r) => r.fingerprint)).toEqual(['gone']);
  });

  it('a view older than the row is stale for a suppressed finding too', () => {
    const plan = planTransitions([row('kept-quiet')], [], scope, '2025-12-31T00:00:00.000Z', { suppressed: new Set(['kept-quiet']) });
    expect(plan.closedByConfig).toEqual([]);
    expect(plan.stale).toHaveLength(1);
  });

  it("an open row of a rule turned off is closed, not resolved; a row of another rule the audit did not find is resolved", () => {
    const other: AlertRow = { ...row('other-rule'), ruleId: 'peering-remote-vnet-missing' };
    const plan = planTransitions([row('rule-off'), other], [], scope, '2026-01-02T00:00:00.000Z', { rulesOff: new Set(['peering-disconnected']) });
    expect(plan.closedByConfig.map((c) => [c.row.fingerprint, c.reason])).toEqual([['rule-off', 'rule-off']]);
    expect(plan.resolved.map((r) => r.fingerprint)).toEqual(['other-rule']);
  });
});

// A rule turned off in PEERGUARD_AUDIT_CONFIG (`off`, or `enabled: false`) while one of its alerts is
// open fixes nothing either: its findings are no longer looked for, and its open alerts are closed
// without a mail by the next event or scheduled audit that decides them; turned back on, it alerts anew.

const RULE_OFF = [
  ['off', { PEERGUARD_AUDIT_CONFIG: JSON.stringify({ rules: { 'peering-disconnected': 'off' } }) }],
  ['enabled: false', { PEERGUARD_AUDIT_CONFIG: JSON.stringify({ rules: { 'peering-disconnected': { enabled: false } } }) }],
] as const;

describe.each(RULE_OFF)('a rule turned %s while its alert is open (Azurite)', (_how, settings) => {
  const azurite = useAzurite();

  /** The ERROR mailed by the event path, then the app restarted with the rule off, the link still Disconnected. */
  async function openThenRuleOff() {
    const before = lifecycleApp(azurite().connectionString);
    await before.event(SPOKE_LINK, 'learn');
    before.estate.spokePeeringDeleted();
    before.at(10);
    await before.event(SPOKE_LINK, 'deleted', 'delete');
    expect(alertSubjects(before.mailer.sent)).toEqual([ERROR_MAIL]);
    const after = lifecycleApp(azurite().connectionString, settings);
    after.estate.spokePeeringDeleted();
    return after;
  }

  it('the next unrelated event closes it without a RESOLVED mail, and it is alerted again once the rule is back on', async () => {
    const a = await openThenRuleOff();
    a.at(3_600);
    const logs: Logged[] = [];
    const [tagged] = await a.event(HUB, 'hub-tags-written', 'write', logs);
    expect(tagged?.outcome?.plan.resolved).toEqual([]);
    expect(tagged?.outcome?.plan.closedByConfig).toEqual([expect.objectContaining({ reason: 'rule-off', row: expect.objectContaining({ fingerprint: disconnected.fingerprint }) })]);
    expect(logs.map((l) => l.text).join('\n')).toContain('alert closed without a mail: its rule is turned off in configuration');
    expect(await a.row()).toMatchObject({ status: 'resolved', pendingOpen: false, pendingResolved: false, resolvedBy: undefined });
    a.at(3_660);
    await a.flush();
    a.at(7_200);
    await a.audit();
    expect(alertSubjects(a.mailer.sent)).toEqual([]);

    // The rule back on: the link is still Disconnected, a new alert.
    const b = lifecycleApp(azurite().connectionString);
    b.estate.spokePeeringDeleted();
    b.at(7_300);
    await b.event(HUB, 'hub-tags-written-again');
    expect(alertSubjects(b.mailer.sent)).toEqual([ERROR_MAIL]);
  });

  it('the scheduled audit closes it without a RESOLVED mail too', async () => {
    const a = await openThenRuleOff();
    a.at(7_200);
    await a.audit();
    expect(alertSubjects(a.mailer.sent)).toEqual([]);
    expect(await a.row()).toMatchObject({ status: 'resolved', pendingResolved: false });
  });
});
