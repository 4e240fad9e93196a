import { describe, expect, it } from 'vitest';
import { composeReportMail, diffReports, type ComposedMail } from '../../src/alerts/compose';
import type { MailAttachment } from '../../src/alerts/mailer';
import { fitReportMail, REPORT_MAIL_BUDGET_BYTES, reportFiles } from '../../src/alerts/scheduled';
import { DEFAULT_CONFIG } from '../../src/engine/config';
import { auditResources } from '../../src/engine/pipeline';
import type { RawResource } from '../../src/model/snapshot';
import type { UnreadableScope } from '../../src/report/report';
import { RULES } from '../../src/rules';
import { SUB_A, vnet, vnetId } from '../support/estate';

// Communication Services refuses an email request over 10 MB, attachments counted in base64. The
// report mail of a large estate (its findings list, topology, JSON and CSV) grew past it and failed
// every day; it is now kept under REPORT_MAIL_BUDGET_BYTES and says where the whole report is.

/** The request body Communication Services receives (EmailMessage JSON), measured independently of peerguard's estimate. */
function requestBytes(mail: ComposedMail, attachments: readonly MailAttachment[]): number {
  return Buffer.byteLength(
    JSON.stringify({
      senderAddress: 'peerguard@contoso.example',
      content: { subject: mail.subject, plainText: mail.text, html: mail.html },
      recipients: { to: [{ address: 'reports@contoso.example' }] },
      attachments: attachments.map((a) => ({ name: a.name, contentType: a.contentType, contentInBase64: Buffer.from(a.content).toString('base64') })),
    }),
  );
}

/** `pairs` VNet pairs, each peered one way only: a peering-one-sided error per pair. */
function estate(pairs: number): RawResource[] {
  const id = (i: number) => vnetId(`vnet-app-${String(i).padStart(5, '0')}`, SUB_A, `rg-app-${i}`);
  const resources: RawResource[] = [];
  for (let i = 0; i < pairs; i++) {
    const a = 2 * i;
    const b = a + 1;
    resources.push(vnet({ id: id(a), prefixes: [`10.${(a >> 8) & 255}.${a & 255}.0/24`], peerings: [{ remote: id(b), state: 'Initiated' }] }));
    resources.push(vnet({ id: id(b), prefixes: [`11.${(b >> 8) & 255}.${b & 255}.0/24`] }));
  }
  return resources;
}

async function reportMail(pairs: number, unreadable: UnreadableScope[] = []) {
  const now = new Date('2026-03-02T06:00:00.000Z');
  const run = auditResources({ resources: estate(pairs).map((resource, i) => ({ resource, source: `t[${i}]` })), rules: RULES, config: DEFAULT_CONFIG, now, version: 'test', extraSubscriptions: [SUB_A], unreadable });
  const { report, extras } = run;
  const files = await reportFiles(report, extras, RULES);
  const attached = files.filter((f) => f.extension !== 'html').map((f) => ({ name: `peerguard-report-2026-03-02.${f.extension}`, contentType: f.contentType, content: f.content }));
  const archivedAs = files.map((f) => `reports/2026/03/02/2026-03-02T06-00-00-000Z.${f.extension}`);
  const changes = diffReports(undefined, report, new Map(), now);
  const fitted = fitReportMail(
    (shortened) =>
      composeReportMail({ report, changes, portalUrl: 'https://portal.azure.com', archivedAs, archiveLocation: 'blob container peerguard-reports', attachments: shortened ? [] : attached.map((a) => a.name), extras, rules: RULES, ...(shortened ? { shortened } : {}) }),
    attached,
    ['reports@contoso.example'],
    REPORT_MAIL_BUDGET_BYTES,
  );
  return { report, attached, fitted };
}

describe('the report mail stays within Communication Services’ size limit', () => {
  it('a report too large to mail whole goes without attachments and findings list, with the counts, the changes capped, and where the whole report is', async () => {
    const { report, attached, fitted } = await reportMail(2_000);
    expect(report.findings.length).toBe(2_000);
    // The whole report would not fit (it used to be sent like this, and refused).
    const whole = composeReportMail({ report, changes: diffReports(undefined, report, new Map(), new Date()), portalUrl: 'https://portal.azure.com', archivedAs: [], attachments: attached.map((a) => a.name), extras: { suppressed: [], notices: [] }, rules: RULES });
    expect(requestBytes(whole, attached)).toBeGreaterThan(REPORT_MAIL_BUDGET_BYTES);

    const { mail, attachments, shortened } = fitted;
    expect(requestBytes(mail, attachments)).toBeLessThanOrEqual(REPORT_MAIL_BUDGET_BYTES);
    expect(attachments).toEqual([]);
    expect(shortened?.maxListed).toBeGreaterThan(0);
    // The counts stay, in the subject and the text.
    expect(mail.subject).toBe('[peerguard] Compliance report 2026-03-02: 2000 errors, 0 warnings, 0 info');
    expect(mail.text).toContain('Changes since the last report (none: this is the first): 2000 new, 0 resolved, 0 still open.');
    // What was left out, and where the whole report is: the archived blobs and the HTTP audit.
    for (const body of [mail.text, mail.html]) {
      expect(body).toContain('too large to mail whole');
      expect(body).toContain('the JSON and CSV attachments, the list of all findings and the topology are left out');
      expect(body).toContain('reports/2026/03/02/2026-03-02T06-00-00-000Z.html');
      expect(body).toContain('blob container peerguard-reports');
      expect(body).toContain('GET /api/audit');
    }
    expect(mail.text).not.toContain('All findings:');
    expect(mail.text).toContain(`...and ${2_000 - (shortened?.maxListed ?? 0)} more new`);
    expect(mail.text.match(/^ {2}NEW /gm)).toHaveLength(shortened?.maxListed ?? -1);
  }, 120_000);

  it('a tenant with tens of thousands of unreadable scopes gets a mail within the limit that counts them and lists the first', async () => {
    const subscription = (i: number) => `/subscriptions/${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`;
    const reason = 'access denied by Resource Graph (403 AuthorizationFailed: the client has no authorization to perform action Microsoft.ResourceGraph/resources/read)';
    const unreadable = Array.from({ length: 40_000 }, (_, i) => ({ scope: subscription(i), reason }));
    const { fitted } = await reportMail(20, unreadable);
    const { mail, attachments, shortened } = fitted;
    expect(requestBytes(mail, attachments)).toBeLessThanOrEqual(REPORT_MAIL_BUDGET_BYTES);
    expect(shortened?.maxListed).toBeGreaterThan(0);
    const listed = shortened?.maxListed ?? 0;
    expect(mail.subject).toContain('(PARTIAL)');
    expect(mail.text.match(/^ {2}UNREADABLE /gm)).toHaveLength(listed);
    expect(mail.text).toContain(`  UNREADABLE ${subscription(0)}: ${reason}`);
    expect(mail.text).toContain(`...and ${40_000 - listed} more unreadable`);
    expect(mail.html).toContain('PARTIAL AUDIT: 40000 scope(s) could not be read');
    expect(mail.html).toContain(`…and ${40_000 - listed} more.`);
    expect(mail.html).not.toContain(subscription(listed));
  }, 120_000);

  it('a report that fits goes whole, with its attachments', async () => {
    const { fitted, attached } = await reportMail(20);
    expect(fitted.shortened).toBeUndefined();
    expect(fitted.attachments.map((a) => a.name)).toEqual(attached.map((a) => a.name));
    expect(fitted.mail.text).toContain('All findings:');
    expect(fitted.mail.text).not.toContain('too large');
  });
});
