import { describe, expect, it } from 'vitest';
import { generateEstate } from '../../bench/generate';
import { buildTopology } from '../../src/model/build';
import type { Topology } from '../../src/model/types';
import { RULES } from '../../src/rules';
import { fingerprintOf, runAudit } from '../../src/engine/audit';
import { parseAuditConfig } from '../../src/engine/config';
import { auditTopology } from '../../src/engine/pipeline';
import { exitCodeFor, buildReport } from '../../src/report/report';
import { renderReportAsync } from '../../src/report/render';
import { composeReportMail, diffReports } from '../../src/alerts/compose';
import { parseIntent } from '../../src/intent/schema';
import { peeringOneSided } from '../../src/rules/peering-one-sided';
import type { Rule } from '../../src/rules/rule';
import { SUB_A, SUB_B, topologyOf, vnet, vnetId } from '../support/estate';

const hub = vnetId('vnet-hub', SUB_A);
const spokes = ['b', 'a', 'c'].map((n) => vnetId(`spoke-${n}`, SUB_B));
const resources = [
  vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: spokes.map((s) => ({ remote: s, state: 'Initiated' as const })) }),
  ...spokes.map((s, i) => vnet({ id: s, prefixes: [`10.${i + 1}.0.0/16`] })),
];
const now = new Date('2026-11-25T12:00:00Z');
const rules: Rule[] = [peeringOneSided];
const config = (doc: unknown = {}) => parseAuditConfig(doc, rules.map((r) => r.meta.id));

describe('runAudit', () => {
  it('gives findings a severity, a fix and a fingerprint, in a deterministic order', () => {
    const { findings } = runAudit(topologyOf(resources), rules, config(), now);
    expect(findings.map((f) => f.resourceId.split('/').pop())).toEqual(['vnet-hub-to-spoke-a', 'vnet-hub-to-spoke-b', 'vnet-hub-to-spoke-c']);
    expect(findings.every((f) => f.severity === 'error' && f.fix !== null && /^[0-9a-f]{32}$/.test(f.fingerprint))).toBe(true);
  });

  it('is independent of input order and id casing', () => {
    const a = runAudit(topologyOf(resources), rules, config(), now).findings;
    const upper = JSON.parse(JSON.stringify([...resources].reverse()).replaceAll('vnet-hub', 'VNET-HUB')) as typeof resources;
    const b = runAudit(topologyOf(upper), rules, config(), now).findings;
    expect(b.map((f) => f.fingerprint)).toEqual(a.map((f) => f.fingerprint));
  });

  it('fingerprints differ by rule and by resource', () => {
    expect(fingerprintOf('r1', ['/x'])).not.toBe(fingerprintOf('r2', ['/x']));
    expect(fingerprintOf('r1', ['/x'])).not.toBe(fingerprintOf('r1', ['/y']));
    expect(fingerprintOf('r1', ['/X'])).toBe(fingerprintOf('r1', ['/x']));
  });

  it('re-rates and disables rules', () => {
    expect(runAudit(topologyOf(resources), rules, config({ rules: { 'peering-one-sided': 'info' } }), now).findings.map((f) => f.severity)).toEqual(['info', 'info', 'info']);
    expect(runAudit(topologyOf(resources), rules, config({ rules: { 'peering-one-sided': 'off' } }), now).findings).toEqual([]);
    expect(runAudit(topologyOf(resources), rules, config({ rules: { 'peering-one-sided': { enabled: false } } }), now).findings).toEqual([]);
  });

  it('suppresses named resources until the end of the expiry day, then says the suppression expired', () => {
    const target = `${hub}/virtualNetworkPeerings/vnet-hub-to-spoke-a`.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/');
    const doc = (expires: string) => ({ suppressions: [{ rule: 'peering-one-sided', resource: target, reason: 'partner decommissioning', expires }] });

    const active = runAudit(topologyOf(resources), rules, config(doc('2026-11-25')), now);
    expect(active.findings).toHaveLength(2);
    expect(active.suppressed.map((s) => s.suppression.reason)).toEqual(['partner decommissioning']);
    expect(active.notices).toEqual([]);

    const expired = runAudit(topologyOf(resources), rules, config(doc('2026-11-24')), now);
    expect(expired.findings).toHaveLength(3);
    expect(expired.notices[0]?.message).toContain('expired on 2026-11-24');
  });

  it('suppresses the findings whose subject is under a scope with a trailing /*', () => {
    const doc = { suppressions: [{ rule: '*', resource: `${hub}/*`, reason: 'hub rebuild', expires: '2027-01-01' }] };
    const outcome = runAudit(topologyOf(resources), rules, config(doc), now);
    expect(outcome.suppressed).toHaveLength(3);
    expect(outcome.findings).toEqual([]);
  });

  it("never suppresses a finding for a scope that holds only a related resource (the hub's scope hides no spoke's finding)", () => {
    // Spoke A's own peering to the hub is Initiated: its finding is on spoke A, related to the hub.
    const withSpokeSide = [
      vnet({ id: hub, prefixes: ['10.0.0.0/16'] }),
      vnet({ id: spokes[1] as string, prefixes: ['10.2.0.0/16'], peerings: [{ remote: hub, state: 'Initiated' as const }] }),
    ];
    const doc = { suppressions: [{ rule: '*', resource: `${hub.split('/providers/')[0]}/*`, reason: "hub team's group", expires: '2027-01-01' }] };
    const outcome = runAudit(topologyOf(withSpokeSide), rules, config(doc), now);
    expect(outcome.findings.map((f) => [f.resourceId.split('/').pop(), f.relatedResourceIds.some((id) => id.toLowerCase() === hub.toLowerCase())])).toEqual([
      ['spoke-a-to-vnet-hub', true],
    ]);
    expect(outcome.suppressed).toEqual([]);
  });
});

// A statement whose group matches no VNet checks nothing: the Functions app evaluates the intent of
// PEERGUARD_AUDIT_CONFIG and said nothing of it, so "dev and prod are isolated" seemed to hold.
describe('runAudit: an intent statement whose group matches no VNet read is a notice', () => {
  const intentDocument = (prod: string, dev: string) => ({
    groups: { hub: { names: ['vnet-hub'] }, spokes: { names: ['spoke-*'] }, prod: { names: [prod] }, dev: { names: [dev] } },
    statements: [
      { reach: { from: 'spokes', to: 'hub' } },
      { reach: { from: 'prod', to: 'hub' } },
      { name: 'dev and prod are isolated', isolated: { between: ['dev', 'prod'] } },
    ],
  });
  const typo = [
    { kind: 'intent-unchecked', message: 'intent statement "prod reach hub" (statements[1]) checks nothing: group "prod" matches no VNet in the input' },
    { kind: 'intent-unchecked', message: 'intent statement "dev and prod are isolated" (statements[2]) checks nothing: groups "dev" and "prod" match no VNet in the input' },
  ];

  it("from the configuration's intent: section (the Functions app), in the run's notices and every format that shows notices", async () => {
    const run = auditTopology({ topology: topologyOf(resources), rules, config: config({ intent: intentDocument('vnet-prdo-*', 'vnet-dve-*') }), now, version: 'test' });
    expect(run.extras.notices).toEqual(typo);
    const render = (format: 'sarif' | 'table' | 'markdown' | 'html') => renderReportAsync(run.report, format, run.extras, { rules, colour: false });
    const sarif = JSON.parse(await render('sarif')) as { runs: [{ invocations: [{ toolConfigurationNotifications: unknown[] }] }] };
    expect(sarif.runs[0].invocations[0].toolConfigurationNotifications).toEqual(typo.map((n) => ({ level: 'warning', descriptor: { id: n.kind }, message: { text: n.message } })));
    for (const format of ['table', 'markdown'] as const) expect(await render(format)).toContain('checks nothing: groups "dev" and "prod" match no VNet in the input');
    expect(await render('html')).toContain('intent statement &quot;prod reach hub&quot; (statements[1]) checks nothing');
    // The scheduled report mail: text and HTML.
    const mail = composeReportMail({ report: run.report, changes: diffReports(undefined, run.report, new Map(), now), portalUrl: 'https://portal.azure.com', archivedAs: [], attachments: [], extras: run.extras });
    expect(mail.text).toContain(`Notice: ${typo[1]?.message}`);
    expect(mail.html).toContain('intent statement &quot;dev and prod are isolated&quot; (statements[2]) checks nothing');
  });

  it('from the intent given to runAudit (--intent), which overrides the configuration', () => {
    const matching = config({ intent: intentDocument('spoke-a', 'spoke-b') });
    expect(runAudit(topologyOf(resources), rules, matching, now).notices).toEqual([]);
    expect(runAudit(topologyOf(resources), rules, matching, now, parseIntent(intentDocument('vnet-prdo-*', 'vnet-dve-*'))).notices).toEqual(typo);
  });

  it('not when every group a statement names matches a VNet, nor for a group no statement names', () => {
    const document = intentDocument('spoke-a', 'spoke-c');
    const run = auditTopology({ topology: topologyOf(resources), rules, config: config({ intent: { ...document, groups: { ...document.groups, spare: { names: ['vnet-nothing'] } } } }), now, version: 'test' });
    expect(run.extras.notices).toEqual([]);
  });
});

describe('exit codes', () => {
  const report = (severity: 'error' | 'warning' | 'info' | null) =>
    buildReport({
      version: '0',
      now,
      topology: topologyOf([]),
      findings: severity ? [{ ruleId: 'r', severity, resourceId: '/x', relatedResourceIds: [], message: 'm', fingerprint: 'f', fix: null }] : [],
    });
  it.each([
    ['error', 'error', 1],
    ['warning', 'error', 0],
    ['warning', 'warning', 1],
    ['info', 'warning', 0],
    ['info', 'info', 1],
    ['error', 'none', 0],
    [null, 'info', 0],
  ] as const)('a %s finding with --fail-on %s exits %i', (severity, failOn, code) => {
    expect(exitCodeFor(report(severity), failOn)).toBe(code);
  });
});

describe('per-peering rules', () => {
  it('run in one pass over the peerings, with the findings each gives alone', () => {
    const { subscriptions } = generateEstate({ vnets: 400, seed: 7, faultShare: 0.1 });
    const estate = buildTopology(subscriptions.flatMap((s) => s.resources.map((resource) => ({ resource, source: s.subscriptionId }))));
    let passes = 0;
    const peerings = Object.assign(Object.create(estate.peerings) as Topology['peerings'], {
      values: () => {
        passes += 1;
        return estate.peerings.values();
      },
    });
    const counted: Topology = { ...estate, peerings };
    const perPeering = RULES.filter((rule) => rule.checkPeering);
    const all = parseAuditConfig({}, RULES.map((r) => r.meta.id));
    const together = runAudit(counted, perPeering, all, now).findings;
    expect(passes).toBe(1);
    const alone = perPeering.flatMap((rule) => runAudit(estate, [rule], all, now).findings);
    expect(perPeering.length).toBeGreaterThanOrEqual(10);
    expect(new Set(together.map((f) => f.ruleId)).size).toBeGreaterThanOrEqual(6); // the estate has faults for most of them
    expect(together).toEqual(runAudit(estate, perPeering, all, now).findings);
    expect(new Set(together.map((f) => JSON.stringify(f)))).toEqual(new Set(alone.map((f) => JSON.stringify(f))));
    expect(together).toHaveLength(alone.length);
  });
});
