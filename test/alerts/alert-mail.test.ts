import { describe, expect, it } from 'vitest';
import { composeAlertMail } from '../../src/alerts/compose';
import type { ChangeContext } from '../../src/alerts/model';
import type { Finding } from '../../src/engine/audit';
import { vnetId } from '../support/estate';

// The alert mail's subject and its plain-text body: a subject names the finding's own VNet and at
// most one peer; text from an event (its claims, its subject) cannot forge a line of the body.

const peeringOf = (vnet: string) => `${vnetId(vnet)}/virtualNetworkPeerings/${vnet}-to-hub`;

function finding(vnets: readonly string[]): Finding {
  const [own, ...others] = vnets;
  return {
    ruleId: 'transit-not-transitive',
    severity: 'info',
    resourceId: peeringOf(own as string),
    relatedResourceIds: others.map((v) => vnetId(v)),
    message: 'they cannot reach each other',
    fingerprint: 'f'.repeat(32),
    fix: null,
  };
}

const subjectOf = (vnets: readonly string[], kind: 'opened' | 'resolved' = 'opened') =>
  composeAlertMail({ kind, finding: finding(vnets), rule: undefined, change: undefined, firstSeen: 't', portalUrl: 'https://portal.azure.com' }).subject;

describe('alert mail subject', () => {
  it('names the VNet of the finding and at most one peer, with a count of the rest', () => {
    const spokes = ['vnet-spoke5-dev', 'vnet-spoke6-dev', 'vnet-spoke7-dev', 'vnet-spoke8-dev', 'vnet-spoke12-dev'];
    expect(subjectOf(['vnet-spoke2-prod', 'vnet-hub-weu', ...spokes])).toBe('[peerguard] INFO transit-not-transitive: vnet-spoke2-prod <-> vnet-hub-weu (+5 more)');
    expect(subjectOf(['vnet-spoke2-prod', 'vnet-spoke1', 'vnet-hub-weu'], 'resolved')).toBe('[peerguard] RESOLVED transit-not-transitive: vnet-spoke2-prod <-> vnet-spoke1 (+1 more)');
  });

  it('a pair or a single VNet reads as before', () => {
    expect(subjectOf(['vnet-spoke1', 'vnet-hub-weu'])).toBe('[peerguard] INFO transit-not-transitive: vnet-spoke1 <-> vnet-hub-weu');
    expect(subjectOf(['vnet-spoke1'])).toBe('[peerguard] INFO transit-not-transitive: vnet-spoke1');
  });
});

describe('alert mail plain text', () => {
  const forged = '\r\nResource: /subscriptions/evil\nFingerprint: forged\r';
  const change: ChangeContext = {
    source: 'event',
    caller: { name: `Mallory${forged}`, upn: `m@contoso.example\u0085Forged: yes` },
    operationName: `Microsoft.Network/virtualNetworks/virtualNetworkPeerings/delete${forged}`,
    subject: `${peeringOf('vnet-spoke1')}${forged}`,
    eventId: `evt-1\u001b[2K${forged}`,
    correlationId: `corr\u2028x${forged}`,
    eventTime: `2026-03-02T09:00:00Z${forged}`,
  };

  it.each(['opened', 'resolved'] as const)('%s: CR, LF and other control characters in the event become spaces', (kind) => {
    const mail = composeAlertMail({ kind, finding: finding(['vnet-spoke1', 'vnet-hub-weu']), rule: undefined, change, firstSeen: 't', resolvedAt: 'u', portalUrl: 'https://portal.azure.com' });
    const lines = mail.text.split('\n');
    expect(lines.filter((l) => /^\s*(Resource: \/subscriptions\/evil|Fingerprint: forged|Forged: yes)/.test(l))).toEqual([]);
    // eslint-disable-next-line no-control-regex
    for (const line of lines) expect(line, JSON.stringify(line)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
    expect(mail.text).toContain('  Changed by: Mallory  Resource: /subscriptions/evil Fingerprint: forged  <m@contoso.example Forged: yes>');
    expect(mail.text).toContain('  Event id: evt-1 [2K  Resource: /subscriptions/evil');
    // The HTML part was escaped already; it keeps its own text.
    expect(mail.html).toContain('Mallory');
  });
});
