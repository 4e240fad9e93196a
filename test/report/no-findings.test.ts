import { describe, expect, it } from 'vitest';
import { renderEmailReportBody } from '../../src/report/email-html';
import { renderReportAsync } from '../../src/report/render';
import type { AuditReport } from '../../src/report/report';
import { SUB_A } from '../support/estate';
import { SAMPLE_RULES, sampleExtras, sampleReport } from './sample-report';

// A report without findings is "compliant" only when every scope was read and something was in it:
// an identity without Reader on its scope reads an empty estate, which audited nothing.

const NONE = { error: 0, warning: 0, info: 0 };
const clean = (vnets: number, unreadable: AuditReport['coverage']['unreadable'] = []): AuditReport =>
  sampleReport({ findings: [], summary: { vnets, peerings: vnets, findings: NONE }, coverage: { subscriptions: [SUB_A], unreadable, outOfScope: [] } });

const renderers: Array<[string, (report: AuditReport) => Promise<string>]> = [
  ['table', (r) => renderReportAsync(r, 'table', sampleExtras(), { rules: SAMPLE_RULES, colour: false })],
  ['markdown', (r) => renderReportAsync(r, 'markdown', sampleExtras(), { rules: SAMPLE_RULES, colour: false })],
  ['html', (r) => renderReportAsync(r, 'html', sampleExtras(), { rules: SAMPLE_RULES, colour: false })],
  ['email', async (r) => renderEmailReportBody(r, sampleExtras(), { rules: SAMPLE_RULES })],
];

describe.each(renderers)('%s report without findings', (_format, render) => {
  it('is compliant when VNets were read, and all scopes', async () => {
    expect(await render(clean(2))).toContain('No findings: every peering read is compliant.');
  });

  it('says nothing was audited when no VNet was read', async () => {
    const text = await render(clean(0));
    expect(text).toContain('no virtual network was read: nothing was audited');
    expect(text).not.toContain('compliant');
  });

  it('names the peerings whose remote subscription was not read, even when their rule is off', async () => {
    const report = clean(2);
    report.coverage.outOfScope = [{ subscription: 'dddddddd-0000-0000-0000-000000000004', reason: 'subscription-not-read', peerings: 3 }];
    expect(await render(report)).toContain('3 peerings to 1 subscription not read, whose pairs are unverified');
  });

  it('says a classic remote is never read, not that its (read) subscription was not', async () => {
    const report = clean(2);
    report.coverage.outOfScope = [{ subscription: SUB_A, reason: 'classic-vnet', peerings: 1 }];
    expect(await render(report)).toContain('1 peering to classic VNets, which are never read, whose pairs are unverified');
    report.coverage.outOfScope.push({ subscription: 'dddddddd-0000-0000-0000-000000000004', reason: 'subscription-not-read', peerings: 2 });
    expect(await render(report)).toContain('2 peerings to 1 subscription not read, and 1 to classic VNets, which are never read, whose pairs are unverified');
  });

  it('is never compliant when a scope could not be read', async () => {
    const text = await render(clean(2, [{ scope: '/subscriptions/dead', reason: 'AuthorizationFailed (403)' }]));
    expect(text).not.toContain('every peering read is compliant');
  });
});
