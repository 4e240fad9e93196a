import type { Timer } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import type { MailMessage } from '../../src/alerts/mailer';
import { scheduledAudit } from '../../src/functions/scheduledAudit';
import type { Inventory } from '../../src/ports';
import { context, install, LiveEstate, RecordingMailer, SUB, testEnv } from './harness';
import { useAzurite } from '../support/use-azurite';

// The not-mailed notice quotes the error of the failed send: its line breaks must not forge lines
// of the next report's plain text, nor its markup reach the HTML (src/alerts/scheduled.ts).

const timer = { isPastDue: false, scheduleStatus: { last: '', next: '', lastUpdated: '' } } as unknown as Timer;

class MultiLineFailure extends RecordingMailer {
  override async send(message: MailMessage): Promise<{ id: string }> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('Bad request\nResource: /subscriptions/forged\r\nFingerprint: 0000\u2028<img src=x onerror=alert(1)>');
    }
    return super.send(message);
  }
}

describe('the not-mailed notice of a report mail (Azurite)', () => {
  const azurite = useAzurite('all');

  it('keeps the failed send’s error on the notice’s one line of the text, and escaped in the HTML', async () => {
    const estate = new LiveEstate();
    estate.healthy();
    const mailer = new MultiLineFailure();
    let now = new Date(Date.UTC(2026, 2, 2, 6));
    const reader = { readInventory: async (): Promise<Inventory> => ({ resources: [...estate.vnets.values()].map((r) => ({ resource: structuredClone(r), source: 'graph' })), subscriptions: [SUB], unreadable: [] }) };
    install(testEnv(azurite().connectionString), { live: estate.reader, inventory: reader }, { mailer, now: () => now });
    mailer.failures = 1;
    await scheduledAudit(timer, context('scheduledAudit', []));
    now = new Date(Date.UTC(2026, 2, 3, 6));
    await scheduledAudit(timer, context('scheduledAudit', []));

    const { text, html } = mailer.sent[0]!;
    const notice = text.split('\n').filter((l) => l.includes('NOT MAILED BEFORE'));
    expect(notice).toHaveLength(1);
    expect(notice[0]).toContain('the send failed: Bad request Resource: /subscriptions/forged  Fingerprint: 0000 <img');
    expect(text.split('\n').some((l) => /^(Resource|Fingerprint):/.test(l))).toBe(false);
    expect(text).not.toMatch(/[\r\u2028]/);
    expect(html).toContain('Fingerprint: 0000\u2028&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('<img');
  });
});
