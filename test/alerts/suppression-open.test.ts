import { describe, expect, it } from 'vitest';
import { anchorOf, type AlertRow, type AlertScope } from '../../src/alerts/model';
import { planTransitions } from '../../src/alerts/transitions';
import { HUB, type Logged } from '../functions/harness';
import { useAzurite } from '../support/use-azurite';
import { alertSubjects, disconnected, ERROR_MAIL, HUB_LINK, lifecycleApp, SPOKE_LINK } from './lifecycle-app';

// A suppression added to PEERGUARD_AUDIT_CONFIG while its finding's alert is open (the app restarted
// with it), or its rule turned off there (`off`, or `enabled: false`), fixes nothing: the alert is
// closed without a mail, on the next event or scheduled audit that decides it, instead of a
// "RESOLVED ... No longer found" naming an unrelated change. Once the configuration lets the
// finding back, it alerts anew.

const CLOSED_BY_CONFIG = [
  [
    'a suppression added',
    'suppressed',
    { PEERGUARD_AUDIT_CONFIG: JSON.stringify({ suppressions: [{ rule: 'peering-disconnected', resource: HUB_LINK, reason: 'decommissioning spoke1', expires: '2026-12-31' }] }) },
    'alert closed without a mail: its finding is suppressed by configuration now',
  ],
  ['its rule turned off', 'rule-off', { PEERGUARD_AUDIT_CONFIG: JSON.stringify({ rules: { 'peering-disconnected': 'off' } }) }, 'alert closed without a mail: its rule is turned off in configuration'],
  [
    'its rule turned enabled: false',
    'rule-off',
    { PEERGUARD_AUDIT_CONFIG: JSON.stringify({ rules: { 'peering-disconnected': { enabled: false } } }) },
    'alert closed without a mail: its rule is turned off in configuration',
  ],
] as const;

describe.each(CLOSED_BY_CONFIG)('%s while an alert is open (Azurite)', (_how, reason, settings, logLine) => {
  const azurite = useAzurite();

  /** The ERROR mailed by the event path, then the app restarted with the configuration, the link still Disconnected. */
  async function openThenConfigured() {
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

  it('the next unrelated event closes it without a RESOLVED mail, and it is alerted again once the configuration lets it back', async () => {
    const a = await openThenConfigured();
    a.at(3_600);
    const logs: Logged[] = [];
    const [tagged] = await a.event(HUB, 'hub-tags-written', 'write', logs);
    expect(tagged?.outcome?.plan.resolved).toEqual([]);
    expect(tagged?.outcome?.plan.closedByConfig.map((c) => [c.row.fingerprint, c.reason])).toEqual([[disconnected.fingerprint, reason]]);
    expect(logs.map((l) => l.text).join('\n')).toContain(logLine);
    expect(await a.row()).toMatchObject({ status: 'resolved', pendingOpen: false, pendingResolved: false, resolvedBy: undefined });
    a.at(3_660);
    await a.flush();
    a.at(7_200);
    await a.audit();
    expect(alertSubjects(a.mailer.sent)).toEqual([]);

    // The configuration as before: the link is still Disconnected, a new alert.
    const b = lifecycleApp(azurite().connectionString);
    b.estate.spokePeeringDeleted();
    b.at(7_300);
    await b.event(HUB, 'hub-tags-written-again');
    expect(alertSubjects(b.mailer.sent)).toEqual([ERROR_MAIL]);
  });

  it('the scheduled audit closes it without a RESOLVED mail too', async () => {
    const a = await openThenConfigured();
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

