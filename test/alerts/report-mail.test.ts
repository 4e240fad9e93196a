import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { composeReportMail, diffReports, type ReportMailInput } from '../../src/alerts/compose';
import type { Finding } from '../../src/engine/audit';
import { DEFAULT_CONFIG, parseAuditConfig } from '../../src/engine/config';
import { auditResources, type AuditRun } from '../../src/engine/pipeline';
import { readSnapshot } from '../../src/io/snapshot-files';
import type { RawResource } from '../../src/model/snapshot';
import type { JournalRecord } from '../../src/remediation/ports';
import { MAX_EMAIL_REMEDIATION, remediationSection } from '../../src/remediation/summary';
import { renderEmailReport } from '../../src/report/email-html';
import { escapeHtml } from '../../src/report/escape';
import { outOfScopeSentence, type AuditReport } from '../../src/report/report';
import { RULES } from '../../src/rules';
import { SUB_A, vnet, vnetId } from '../support/estate';

// The scheduled report mail of the example estate (16 VNets) with one scope it could not read: the
// PARTIAL and shortened notices follow the title, the summary and coverage come before the long
// parts (Gmail clips an HTML body after about 102 KB, and what follows is seen only on request), a
// first report lists each finding once, and the coverage names the peerings whose remote was not read.

const root = resolve(__dirname, '../..');
const now = new Date('2026-11-25T08:00:00Z');
const UNREADABLE = [{ scope: '/subscriptions/eeeeeeee-0000-0000-0000-00000000000e', reason: '403 AuthorizationFailed: no Reader role' }];
/** Gmail shows an HTML body up to about 102 KB, then "[Message clipped] View entire message". */
const GMAIL_CLIPS_AT = 102 * 1024;

async function exampleRun(rules: Record<string, string> = {}): Promise<AuditRun> {
  const path = resolve(root, 'examples/peerguard.yaml');
  const document = parseYaml(readFileSync(path, 'utf8')) as { rules: Record<string, string> };
  const config = parseAuditConfig({ ...document, rules: { ...document.rules, ...rules } }, RULES.map((r) => r.meta.id), path);
  const resources = await readSnapshot([resolve(root, 'examples/estate')]);
  return auditResources({ resources, rules: RULES, config, now, version: 'test', unreadable: UNREADABLE });
}

function mailOf(run: AuditRun, previous?: AuditReport, more: Partial<ReportMailInput> = {}) {
  return composeReportMail({
    report: run.report,
    changes: diffReports(previous, run.report, new Map(), now),
    portalUrl: 'https://portal.azure.com',
    archivedAs: ['reports/2026/11/25/2026-11-25T08-00-00-000Z.json', 'reports/2026/11/25/2026-11-25T08-00-00-000Z.html'],
    archiveLocation: 'blob container peerguard-reports',
    attachments: ['peerguard-report-2026-11-25.json', 'peerguard-report-2026-11-25.csv'],
    extras: run.extras,
    rules: RULES,
    ...more,
  });
}

/** Where `needle` starts in `body`, in bytes (what Gmail counts), or -1. */
function byteAt(body: string, needle: string): number {
  const at = body.indexOf(needle);
  return at < 0 ? -1 : Buffer.byteLength(body.slice(0, at));
}

const occurrences = (body: string, needle: string) => body.split(needle).length - 1;

/** What the HTML holds between the title and `needle`. */
const afterTitle = (body: string, needle: string) => body.slice(body.indexOf('</h1>') + 5, body.indexOf(needle));

describe('the report mail puts what must be seen first', () => {
  it('the PARTIAL notice follows the title, in HTML and text', async () => {
    const mail = mailOf(await exampleRun());
    expect(mail.html.indexOf('PARTIAL AUDIT: 1 scope(s) could not be read')).toBeGreaterThan(0);
    expect(afterTitle(mail.html, 'PARTIAL AUDIT')).not.toMatch(/<h[23]/);
    expect(mail.text.split('\n').slice(0, 3)).toEqual([mail.subject, '', 'PARTIAL: some scopes could not be read; this report is not a statement of compliance for them.']);
  });

  it('the shortened notice follows the title (after PARTIAL), in HTML and text', async () => {
    const mail = mailOf(await exampleRun(), undefined, { attachments: [], shortened: { maxListed: 10, fullBytes: 9_000_000, budgetBytes: 7_000_000 } });
    expect(afterTitle(mail.html, 'Shortened:')).toContain('PARTIAL AUDIT');
    expect(afterTitle(mail.html, 'Shortened:')).not.toMatch(/<h[23]/);
    expect(mail.text.split('\n')[4]).toMatch(/^SHORTENED: This report is too large to mail whole/);
  });

  it('the summary, the coverage, the notices and the changes come before Gmail clips the HTML', async () => {
    const run = await exampleRun();
    const mail = mailOf(run);
    const essentials = [
      'PARTIAL AUDIT',
      '>VNets</div>', // the counts
      '1 finding(s) suppressed by configuration.',
      'expired on 2026-01-31',
      '>Coverage</h2>',
      escapeHtml(outOfScopeSentence(run.report.coverage)),
      '>Changes since the last report',
    ];
    for (const needle of essentials) {
      const at = byteAt(mail.html, needle);
      expect(at, needle).toBeGreaterThanOrEqual(0);
      expect(at, needle).toBeLessThan(GMAIL_CLIPS_AT / 2);
    }
  });
});

describe('a first report lists each finding once', () => {
  it('with its fix plan under Findings, not again under Changes; the text lists it under All findings only', async () => {
    const run = await exampleRun();
    const mail = mailOf(run);
    expect(mail.text).toContain('Changes since the last report (none: this is the first): 36 new, 0 resolved, 0 still open.');
    for (const f of run.report.findings) {
      expect(occurrences(mail.html, escapeHtml(f.message)), f.message).toBe(1);
      expect(occurrences(mail.html, `data-fingerprint="${f.fingerprint}"`)).toBe(1);
      expect(occurrences(mail.text, f.message), f.message).toBe(1);
    }
  });

  it('a first report with more findings than the mail shows with fix plans lists the others under Changes', () => {
    const resources: RawResource[] = [];
    for (let i = 0; i < 120; i++) {
      const a = vnetId(`vnet-a-${String(i).padStart(3, '0')}`, SUB_A);
      resources.push(vnet({ id: a, prefixes: [`10.${i}.0.0/24`], peerings: [{ remote: vnetId(`vnet-b-${i}`, SUB_A), state: 'Initiated' }] }));
      resources.push(vnet({ id: vnetId(`vnet-b-${i}`, SUB_A), prefixes: [`11.${i}.0.0/24`] }));
    }
    const run = auditResources({ resources: resources.map((resource, i) => ({ resource, source: `t[${i}]` })), rules: RULES, config: DEFAULT_CONFIG, now, version: 'test' });
    expect(run.report.findings).toHaveLength(120);
    const mail = mailOf(run);
    for (const f of run.report.findings) expect(occurrences(mail.html, escapeHtml(f.message)), f.message).toBe(1);
    expect(occurrences(mail.html, 'data-fingerprint=')).toBe(100);
  });

  it('a later report still lists what is new', async () => {
    const run = await exampleRun();
    const added = run.report.findings[1] as Finding;
    const previous: AuditReport = { ...run.report, generatedAt: '2026-11-24T08:00:00.000Z', findings: run.report.findings.filter((f) => f !== added) };
    const mail = mailOf(run, previous);
    expect(mail.text).toMatch(/^ {2}NEW +\[\w+\] [\w-]+: /m);
    expect(mail.text).toContain(`NEW       [${added.severity}] ${added.ruleId}: ${added.message}`);
    expect(mail.html).toContain('>New (1)</h3>');
    expect(occurrences(mail.html, escapeHtml(added.message))).toBe(2);
  });
});

describe('the report mail names the peerings whose remote was not read', () => {
  it.each([
    ['with the rule on', {}],
    ['with peering-remote-out-of-scope off', { 'peering-remote-out-of-scope': 'off' }],
  ])('%s: its Coverage says they are unverified, in text and HTML', async (_, rules) => {
    const run = await exampleRun(rules);
    const sentence = outOfScopeSentence(run.report.coverage);
    expect(sentence).toBe('1 peering to 1 subscription not read, whose pairs are unverified.');
    const mail = mailOf(run);
    const coverage = mail.text.slice(mail.text.indexOf('\nCoverage:'));
    expect(coverage).toContain(`  ${sentence} Their subscriptions: ffffffff-0000-0000-0000-00000000000f.`);
    expect(mail.html.slice(mail.html.indexOf('>Coverage</h2>'))).toContain(escapeHtml(sentence));
    // The email report on its own (renderEmailReport, whose parts the mail uses) says so too.
    expect(renderEmailReport(run.report, run.extras, { rules: RULES })).toContain(escapeHtml(sentence));
  });
});

describe('the plain-text report mail has what the HTML has', () => {
  it('the number of findings suppressed and the expired suppressions', async () => {
    const run = await exampleRun();
    expect(run.extras.suppressed).toHaveLength(1);
    const mail = mailOf(run);
    expect(mail.text).toContain('1 finding(s) suppressed by configuration.');
    for (const notice of run.extras.notices) expect(mail.text).toContain(`Notice: ${notice.message}`);
    expect(run.extras.notices.map((n) => n.message).join()).toContain('expired on 2026-01-31');
  });
});

// What peerguard itself wrote to the estate since the last report: the mail must not let a client
// clip it away. The report mail of a large estate runs to megabytes (the changes and the findings);
// the Remediation section comes right after the summary, before the coverage and those lists, in
// both parts, and a failed write comes first in it. scheduled.ts passes it to composeReportMail.
describe('the report mail says what remediation did before the long lists', () => {
  /** `pairs` VNet pairs, each peered one way only: a first report with a peering-one-sided error per pair. */
  function largeRun(pairs: number): AuditRun {
    const resources: RawResource[] = [];
    for (let i = 0; i < pairs; i++) {
      const a = vnetId(`vnet-a-${String(i).padStart(4, '0')}`, SUB_A);
      const b = vnetId(`vnet-b-${String(i).padStart(4, '0')}`, SUB_A);
      resources.push(vnet({ id: a, prefixes: [`10.${i >> 8}.${i & 255}.0/24`], peerings: [{ remote: b, state: 'Initiated' }] }));
      resources.push(vnet({ id: b, prefixes: [`11.${i >> 8}.${i & 255}.0/24`] }));
    }
    return auditResources({ resources: resources.map((resource, i) => ({ resource, source: `t[${i}]` })), rules: RULES, config: DEFAULT_CONFIG, now, version: 'test' });
  }

  let seq = 0;
  function record(status: JournalRecord['status'], mode: JournalRecord['mode'] = 'apply', name?: string): JournalRecord {
    seq += 1;
    const at = new Date(now.getTime() - 3_600_000 + seq * 1000).toISOString();
    return {
      runId: 'run-1',
      seq,
      at,
      trigger: { kind: 'schedule', scheduledAt: '2026-11-24T08:00:00.000Z' },
      mode,
      ruleId: 'peering-one-sided',
      fingerprint: `fp-${seq}`,
      findingResourceId: vnetId('vnet-a-0000', SUB_A),
      status,
      reason: status === 'failed' ? '412 PreconditionFailed: the peering changed since it was read' : `${status} by peerguard`,
      operation: { method: 'PUT', resourceId: `${vnetId('vnet-b-0000', SUB_A)}/virtualNetworkPeerings/${name ?? `p-${seq}`}`, apiVersion: '2024-05-01' },
    };
  }

  /** The report mail with the section of these journal records, as scheduled.ts composes it. */
  const mailWithRemediation = (run: AuditRun, records: readonly JournalRecord[]) => {
    const remediation = remediationSection(records);
    return mailOf(run, undefined, remediation ? { remediation } : {});
  };

  // In the journal's order: writes applied, then one that failed, then what a dry run planned (p-1 to p-5).
  const journal = () => [(seq = 0, record('applied')), record('applied'), record('failed', 'apply', 'the-failed-one'), record('applied'), record('planned', 'dry-run')];
  const FAILED = 'PUT /subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-vnet-b-0000/providers/Microsoft.Network/virtualNetworks/vnet-b-0000/virtualNetworkPeerings/the-failed-one';

  it('comes right after the summary, before the coverage and the first findings table, within what Gmail shows, in HTML and text', () => {
    const run = largeRun(1_000);
    const mail = mailWithRemediation(run, journal());
    // A mail that Gmail clips.
    expect(Buffer.byteLength(mail.html)).toBeGreaterThan(4 * GMAIL_CLIPS_AT);

    const section = byteAt(mail.html, '>Remediation</h2>');
    expect(section).toBeGreaterThan(byteAt(mail.html, '>VNets</div>')); // after the summary's counts
    for (const later of ['>Coverage</h2>', '>Changes since the last report', '<th style="padding:6px 10px;border:1px solid #d8dde6;background:#f2f5f9;text-align:left;font-size:12px;color:#5f6b7a">Severity</th>', 'data-fingerprint=']) {
      expect(byteAt(mail.html, later), later).toBeGreaterThan(section);
    }
    // The whole section, its last entry included, is within the first 100 KB.
    expect(byteAt(mail.html, 'Remediation: 3 applied, 0 skipped, 1 failed, 0 not attempted; 1 operation(s) planned in dry runs (not written)')).toBeGreaterThan(section);
    expect(byteAt(mail.html, '/virtualNetworkPeerings/p-5')).toBeLessThan(100 * 1024);

    // The text: after the summary lines, before the coverage, the changes and All findings.
    const lines = mail.text.split('\n');
    const head = lines.indexOf('Remediation: 3 applied, 0 skipped, 1 failed, 0 not attempted; 1 operation(s) planned in dry runs (not written)');
    expect(head).toBeGreaterThan(lines.findIndex((l) => l.startsWith('Findings: ')));
    expect(lines.slice(head + 1, head + 6).every((l) => l.startsWith('- '))).toBe(true);
    expect(lines.slice(head + 6, head + 8)).toEqual(['', 'Coverage:']);
    expect(head).toBeLessThan(lines.findIndex((l) => l.startsWith('Changes since the last report')));
    expect(head).toBeLessThan(lines.indexOf('All findings:'));
    expect(byteAt(mail.text, '/virtualNetworkPeerings/p-5')).toBeLessThan(100 * 1024);
  });

  it('lists a failed write first, in HTML and text, and the HTML puts it in a box of its own', () => {
    const mail = mailWithRemediation(largeRun(150), journal());
    const lines = mail.text.split('\n');
    const head = lines.findIndex((l) => l.startsWith('Remediation: '));
    expect(lines[head + 1]).toMatch(new RegExp(`^- FAILED: peering-one-sided: ${FAILED}: 412 PreconditionFailed: `));
    expect(lines.slice(head + 2, head + 6).map((l) => l.slice(0, 11))).toEqual(['- applied: ', '- applied: ', '- applied: ', '- planned: ']);

    const failedAt = byteAt(mail.html, FAILED);
    expect(failedAt).toBeGreaterThan(byteAt(mail.html, '>Remediation</h2>'));
    for (const other of ['p-1:', 'p-2:', 'p-4:', 'p-5:']) expect(byteAt(mail.html, `virtualNetworkPeerings/${other}`), other).toBeGreaterThan(failedAt);
    const box = mail.html.slice(byteAt(mail.html, '>Remediation</h2>'), failedAt);
    expect(box).toContain('border:2px solid #b71c1c');
    expect(box).toContain('1 remediation operation(s) FAILED');
  });

  it('a long list is capped at MAX_EMAIL_REMEDIATION, failures first, with a count of the rest and where they are', () => {
    seq = 0;
    const records = [...Array.from({ length: 40 }, () => record('applied')), record('failed', 'apply', 'the-failed-one'), ...Array.from({ length: 19 }, () => record('planned', 'dry-run'))];
    const mail = mailWithRemediation(largeRun(150), records);
    expect(MAX_EMAIL_REMEDIATION).toBeLessThanOrEqual(20);
    const more = `… and ${60 - MAX_EMAIL_REMEDIATION} more, in the remediation journal (table peerguardremediation in the Functions app's storage account)`;

    const lines = mail.text.split('\n');
    const head = lines.indexOf('Remediation: 40 applied, 0 skipped, 1 failed, 0 not attempted; 19 operation(s) planned in dry runs (not written)');
    expect(head).toBeGreaterThan(0);
    const listed = lines.slice(head + 1, lines.indexOf('', head));
    expect(listed).toHaveLength(MAX_EMAIL_REMEDIATION + 1);
    expect(listed[0]).toContain(FAILED);
    expect(listed.at(-1)).toBe(`- ${more}`);
    expect(lines[lines.indexOf('', head) + 1]).toBe('Coverage:');

    const html = mail.html.slice(mail.html.indexOf('>Remediation</h2>'), mail.html.indexOf('>Coverage</h2>'));
    expect(occurrences(html, '<li>')).toBe(MAX_EMAIL_REMEDIATION + 1);
    expect(html).toContain(`<li>${escapeHtml(more)}</li>`);
    // The same entries in both parts.
    for (const entry of listed) expect(html).toContain(`<li>${escapeHtml(entry.slice(2))}</li>`);
  });

  it('a report without remediation is unchanged', async () => {
    // The mails as they were before the section moved (sha-256 of the HTML and the text).
    const digest = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);
    const example = mailOf(await exampleRun());
    const large = mailOf(largeRun(150));
    expect(remediationSection([])).toBeUndefined();
    expect([digest(example.html), digest(example.text), digest(large.html), digest(large.text)]).toEqual(['6c91a07d8a4ccc15', '0b721c71bd4b597d', '62ede20c86265f1d', '809a8afb58069c24']);
  });
});
