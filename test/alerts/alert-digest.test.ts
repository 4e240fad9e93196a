import { TableClient } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { Alerting, MAX_SEPARATE_MAILS, retryDelayMs } from '../../src/alerts/alerting';
import { SendError, type Mailer, type MailMessage } from '../../src/alerts/mailer';
import { composeAlertDigest, MAX_DIGEST_LISTED, type DigestEntry } from '../../src/alerts/compose';
import type { AlertRow, AlertScope, ChangeContext } from '../../src/alerts/model';
import { TableAlertStore } from '../../src/alerts/store';
import { fingerprintOf, type Finding } from '../../src/engine/audit';
import type { Severity } from '../../src/rules/rule';
import { RULES } from '../../src/rules';
import { vnetId } from '../support/estate';
import { RecordingMailer } from '../functions/harness';
import { useAzurite } from '../support/use-azurite';

// A run that owes many alert mails to the same recipients (a hub deleted or its space changed: one
// finding per spoke's peering) sends one digest; a few go each in its own format. A failed mail is
// put off for a while that doubles with each failure, instead of being tried at every run.

const SUB = '00000000-0000-0000-0000-0000000000aa';
const HUB = vnetId('vnet-hub-weu', SUB);
const PORTAL = 'https://portal.azure.com';

function spokeFinding(i: number, severity: Severity = 'error', ruleId = 'peering-disconnected'): Finding {
  const resourceId = `${vnetId(`vnet-spoke${i}`, SUB)}/virtualNetworkPeerings/spoke${i}-to-hub`;
  return {
    ruleId,
    severity,
    resourceId,
    relatedResourceIds: [HUB],
    message: `peering "spoke${i}-to-hub" is Disconnected`,
    fingerprint: fingerprintOf(ruleId, [resourceId]),
    fix: severity === 'error' ? { description: `re-create the pair of spoke${i}`, destructive: true, operations: [] } : null,
  };
}

const entry = (finding: Finding, kind: DigestEntry['kind'] = 'opened'): DigestEntry => ({ kind, finding, firstSeen: '2026-03-02T09:00:00.000Z', ...(kind === 'resolved' ? { resolvedAt: '2026-03-02T10:00:00.000Z' } : {}) });

describe('composeAlertDigest', () => {
  it('counts new findings by severity and resolved ones, and names the VNet every finding involves', () => {
    const mail = composeAlertDigest({
      entries: [entry(spokeFinding(1)), entry(spokeFinding(2, 'warning')), entry(spokeFinding(3)), entry(spokeFinding(4), 'resolved')],
      change: undefined,
      portalUrl: PORTAL,
      rules: RULES,
    });
    expect(mail.subject).toBe('[peerguard] 3 new findings (2 ERROR, 1 WARNING), 1 resolved: vnet-hub-weu');
    // Errors first; each with its fix, its portal link and fingerprint; the resolved one apart.
    const text = mail.text;
    expect(text.lastIndexOf('- ERROR ')).toBeLessThan(text.indexOf('- WARNING '));
    expect(text).toContain('  Fix (destructive): re-create the pair of spoke1');
    expect(text).toContain(`  ${PORTAL}/#@/resource${spokeFinding(3).resourceId}`);
    expect(text).toContain(`fingerprint ${spokeFinding(2, 'warning').fingerprint}`);
    expect(text.slice(text.indexOf('Resolved:'))).toContain('No longer found: peering "spoke4-to-hub" is Disconnected');
    expect(text.slice(0, text.indexOf('Resolved:'))).not.toContain('spoke4-to-hub');
    expect(mail.html.match(/<tr data-fingerprint=/g)).toHaveLength(4);
  });

  it('without a VNet common to all, the subject counts the VNets', () => {
    const other = { ...spokeFinding(2), relatedResourceIds: [vnetId('vnet-hub-neu', SUB)] };
    expect(composeAlertDigest({ entries: [entry(spokeFinding(1)), entry(other)], change: undefined, portalUrl: PORTAL }).subject).toBe(
      '[peerguard] 2 new findings (2 ERROR): 4 VNets',
    );
  });

  it(`lists at most ${MAX_DIGEST_LISTED} alerts and counts the rest`, () => {
    const entries = Array.from({ length: MAX_DIGEST_LISTED + 7 }, (_, i) => entry(spokeFinding(i)));
    const mail = composeAlertDigest({ entries, change: undefined, portalUrl: PORTAL });
    expect(mail.html.match(/<tr data-fingerprint=/g)).toHaveLength(MAX_DIGEST_LISTED);
    expect(mail.text).toContain('7 more alerts not listed here: the next scheduled report lists every open finding.');
    expect(mail.html.length).toBeLessThan(102 * 1024);
  });

  it('names from Azure are escaped in the HTML and cannot forge a line of the text', () => {
    const evil = { ...spokeFinding(1), message: 'x <img src=y onerror=alert(1)>\r\nFingerprint: forged' };
    const change: ChangeContext = { source: 'event', caller: { name: 'Mallory\nResolved at: never' }, eventId: 'e-1' };
    const mail = composeAlertDigest({ entries: [entry(evil), entry(spokeFinding(2))], change, portalUrl: PORTAL });
    expect(mail.html).not.toContain('<img');
    expect(mail.html).toContain('&lt;img src=y onerror=alert(1)&gt;');
    expect(mail.text.split('\n').filter((l) => /^\s*(Fingerprint: forged|Resolved at: never)/.test(l))).toEqual([]);
    expect(mail.text).toContain('  Changed by: Mallory Resolved at: never');
  });
});

describe('alert mails of one run (Azurite)', () => {
  const azurite = useAzurite();

  function setup(recipients: Record<Severity, string[]> = { error: ['netops@contoso.example'], warning: ['netops@contoso.example'], info: ['platform@contoso.example'] }) {
    let now = new Date('2026-03-02T09:00:00.000Z');
    const store = new TableAlertStore(TableClient.fromConnectionString(azurite().connectionString, 'peerguardalerts', { allowInsecureConnection: true }));
    const mailer = new RecordingMailer();
    const errors: string[] = [];
    const alerting = new Alerting({
      store,
      mailer,
      recipients,
      portalUrl: PORTAL,
      rules: RULES,
      now: () => now,
      log: { info: () => undefined, warn: () => undefined, error: (...args: unknown[]) => errors.push(String(args[0])) },
    });
    const scope: AlertScope = { keys: new Set(), subscriptions: new Set([SUB]) };
    const change: ChangeContext = { source: 'event', eventId: 'evt-hub', operationName: 'Microsoft.Network/virtualNetworks/delete' };
    const apply = async (findings: readonly Finding[]) =>
      alerting.apply({ findings, scope, rows: await store.rowsFor('all'), observedAt: now, change, mailOpened: true });
    return { store, mailer, alerting, errors, apply, at: (iso: string) => (now = new Date(iso)) };
  }

  it(`up to ${MAX_SEPARATE_MAILS} alerts go each in its own mail`, async () => {
    const { mailer, apply } = setup();
    await apply(Array.from({ length: MAX_SEPARATE_MAILS }, (_, i) => spokeFinding(i)));
    expect(mailer.sent).toHaveLength(MAX_SEPARATE_MAILS);
    expect(mailer.sent.every((m) => m.subject.startsWith('[peerguard] ERROR peering-disconnected: vnet-spoke'))).toBe(true);
  });

  it('more go as one digest per recipient list; its resolution is one digest too', async () => {
    const { mailer, store, apply, at } = setup();
    const errors = Array.from({ length: 7 }, (_, i) => spokeFinding(i));
    const warnings = [spokeFinding(7, 'warning', 'peering-access-asymmetric')];
    const infos = [spokeFinding(8, 'info', 'transit-not-transitive')];
    const outcome = await apply([...errors, ...warnings, ...infos]);
    expect(outcome.sent.map((s) => s.fingerprint).sort()).toEqual([...errors, ...warnings, ...infos].map((f) => f.fingerprint).sort());
    // Errors and warnings share a list: one digest; the info alone: its own mail.
    expect(mailer.sent.map((m) => [m.to, m.subject])).toEqual([
      [['netops@contoso.example'], '[peerguard] 8 new findings (7 ERROR, 1 WARNING): vnet-hub-weu'],
      [['platform@contoso.example'], '[peerguard] INFO transit-not-transitive: vnet-spoke8 <-> vnet-hub-weu'],
    ]);
    expect(mailer.sent[0]!.text).toContain('The change behind them:\n  Changed by: unknown caller\n  Operation: Microsoft.Network/virtualNetworks/delete');
    expect((await store.rowsFor('all')).every((r) => r.mailedOpenAt !== undefined && !r.pendingOpen)).toBe(true);

    at('2026-03-02T10:00:00.000Z');
    await apply(infos);
    expect(mailer.sent.slice(2).map((m) => m.subject)).toEqual(['[peerguard] 8 resolved: vnet-hub-weu']);
    expect(await store.pendingRows()).toEqual([]);
  });

  it('a failed digest puts every alert in it off, 1, 2, then 4 minutes; the next due flush sends one digest, once', async () => {
    const { mailer, store, alerting, errors, apply, at } = setup();
    const findings = Array.from({ length: 8 }, (_, i) => spokeFinding(i));
    mailer.failures = 1;
    const first = await apply(findings);
    expect(first.failed).toHaveLength(8);
    expect(errors).toEqual([expect.stringMatching(/^alert digest of 8 alerts \(.*\) failed; it stays pending and is retried from 2026-03-02T09:01:00.000Z: Communication Services answered 503$/)]);
    const pending = await store.pendingRows();
    expect(pending.map((r) => [r.sendFailures, r.retryAt, r.claimUntil])).toEqual(findings.map(() => [1, '2026-03-02T09:01:00.000Z', undefined]));

    at('2026-03-02T09:00:59.000Z');
    expect((await alerting.flushPending()).sent).toEqual([]);
    at('2026-03-02T09:01:00.000Z');
    mailer.failures = 1;
    expect((await alerting.flushPending()).failed).toHaveLength(8);
    expect((await store.pendingRows()).map((r) => r.retryAt)).toEqual(findings.map(() => '2026-03-02T09:03:00.000Z'));
    at('2026-03-02T09:03:00.000Z');
    mailer.failures = 1;
    await alerting.flushPending();
    expect((await store.pendingRows()).map((r) => [r.sendFailures, r.retryAt])).toEqual(findings.map(() => [3, '2026-03-02T09:07:00.000Z']));
    expect(mailer.sent).toEqual([]);

    at('2026-03-02T09:07:00.000Z');
    const sent = await alerting.flushPending();
    expect(sent.sent).toHaveLength(8);
    expect(mailer.sent.map((m) => m.subject)).toEqual(['[peerguard] 8 new findings (8 ERROR): vnet-hub-weu']);
    // The change is the same for all: shown even though a flush sent it.
    expect(mailer.sent[0]!.text).toContain('The change behind them:');
    expect(await store.pendingRows()).toEqual([]);
    expect((await store.rowsFor('all')).every((r) => r.sendFailures === undefined && r.retryAt === undefined && r.lastSendError === undefined)).toBe(true);
    at('2026-03-02T09:30:00.000Z');
    await alerting.flushPending();
    expect(mailer.sent).toHaveLength(1);
  });
});

describe('a digest whose outcome is unknown (Azurite)', () => {
  const azurite = useAzurite();

  it('is sent again as the same group under the same Operation-Id, so the service de-duplicates it', async () => {
    let now = new Date('2026-03-02T09:00:00.000Z');
    const store = new TableAlertStore(TableClient.fromConnectionString(azurite().connectionString, 'peerguardalerts', { allowInsecureConnection: true }));
    // The first send is accepted, then its status cannot be read: delivered or not, nobody knows.
    const attempts: MailMessage[] = [];
    const mailer: Mailer = {
      send: async (message) => {
        attempts.push(message);
        if (attempts.length === 1) throw new SendError('the status poll failed', { definitive: false });
        return { id: `mail-${attempts.length}` };
      },
    };
    const alerting = new Alerting({ store, mailer, recipients: { error: ['netops@contoso.example'], warning: [], info: [] }, portalUrl: PORTAL, rules: RULES, now: () => now, log: { info: () => undefined, warn: () => undefined, error: () => undefined } });
    const scope: AlertScope = { keys: new Set(), subscriptions: new Set([SUB]) };
    const apply = async (findings: readonly Finding[]) => alerting.apply({ findings, scope, rows: await store.rowsFor('all'), observedAt: now, change: undefined, mailOpened: true });
    const findings = Array.from({ length: 7 }, (_, i) => spokeFinding(i));
    await apply(findings);
    expect(attempts.map((m) => m.subject)).toEqual(['[peerguard] 7 new findings (7 ERROR): vnet-hub-weu']);
    const first = attempts[0]?.operationId;
    expect((await store.pendingRows()).map((r) => r.mailOperation)).toEqual(findings.map(() => first));

    // The retry, with the same seven due: that digest again, under its id.
    now = new Date('2026-03-02T09:05:00.000Z');
    await alerting.flushPending();
    expect(attempts.map((m) => m.operationId)).toEqual([first, first]);
    expect(attempts[1]?.subject).toBe('[peerguard] 7 new findings (7 ERROR): vnet-hub-weu');
    expect(await store.pendingRows()).toEqual([]);
    expect((await store.rowsFor('all')).map((r) => [r.mailOperation, r.mailedOpenAt !== undefined])).toEqual(findings.map(() => [undefined, true]));
  });
});

/** Communication Services as documented: a repeated Operation-Id gets the first outcome and sends nothing again. */
class DeduplicatingService implements Mailer {
  readonly accepted = new Set<string>();
  readonly delivered: MailMessage[] = [];
  throttleNext = 0;
  async send(message: MailMessage): Promise<{ id: string }> {
    if (this.throttleNext > 0) {
      this.throttleNext -= 1;
      throw new SendError('429 Too Many Requests', { definitive: false });
    }
    const id = message.operationId as string;
    if (!this.accepted.has(id)) {
      this.accepted.add(id);
      this.delivered.push(message);
    }
    return { id };
  }
}

describe('a saved digest group that changed is grouped anew, under a new id, so that nothing is lost (Azurite)', () => {
  const azurite = useAzurite();
  function setup() {
    let now = new Date('2026-03-02T09:00:00.000Z');
    const store = new TableAlertStore(TableClient.fromConnectionString(azurite().connectionString, 'peerguardalerts', { allowInsecureConnection: true }));
    const service = new DeduplicatingService();
    const alerting = new Alerting({
      store,
      mailer: service,
      recipients: { error: ['netops@contoso.example'], warning: ['devs@contoso.example'], info: [] },
      portalUrl: PORTAL,
      rules: RULES,
      now: () => now,
      log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    const scope: AlertScope = { keys: new Set(), subscriptions: new Set([SUB]) };
    const apply = async (findings: readonly Finding[]) =>
      alerting.apply({ findings, scope, rows: await store.rowsFor('all'), observedAt: now, change: { source: 'event', eventId: `e-${now.toISOString()}` }, mailOpened: true });
    const told = (fingerprint: string) => service.delivered.filter((m) => m.text.includes(fingerprint));
    return { store, service, alerting, apply, told, at: (iso: string) => (now = new Date(iso)) };
  }
  const findings = Array.from({ length: 7 }, (_, i) => spokeFinding(i));

  it('a row whose failure could not be recorded, retried apart from the rest, is still mailed', async () => {
    const { store, service, alerting, apply, told, at } = setup();
    const victim = findings[3]!.fingerprint;
    const replace = store.replace.bind(store);
    let once = true;
    store.replace = async (row: AlertRow) => {
      if (once && row.fingerprint === victim && row.lastSendError !== undefined) {
        once = false;
        throw new Error('table 503');
      }
      return replace(row);
    };
    service.throttleNext = 1;
    await apply(findings);
    at('2026-03-02T09:01:00.000Z');
    await alerting.flushPending();
    at('2026-03-02T09:03:00.000Z');
    await alerting.flushPending();
    for (const f of findings) expect(told(f.fingerprint), f.resourceId).not.toHaveLength(0);
    expect(await store.pendingRows()).toEqual([]);
  });

  it('a row re-rated before the retry goes to its own list, the rest to theirs', async () => {
    const { service, alerting, apply, at } = setup();
    service.throttleNext = 1;
    await apply(findings);
    at('2026-03-02T09:00:30.000Z');
    await apply(findings.map((f, i) => (i === 0 ? { ...f, severity: 'warning' as Severity } : f)));
    at('2026-03-02T09:01:00.000Z');
    await alerting.flushPending();
    expect(service.delivered.map((m) => [m.to, m.subject.split(':')[0]])).toEqual([
      [['netops@contoso.example'], '[peerguard] 6 new findings (6 ERROR)'],
      [['devs@contoso.example'], '[peerguard] WARNING peering-disconnected'],
    ]);
  });

  it('a resolution digest left unknown, one of its alerts back and resolved again: that resolution is mailed', async () => {
    const { service, alerting, apply, told, at } = setup();
    await apply(findings);
    at('2026-03-02T10:00:00.000Z');
    service.throttleNext = 1;
    await apply([]); // seven resolutions, one digest: throttled, outcome unknown
    at('2026-03-02T10:00:30.000Z');
    await apply([findings[0]!]); // back before its resolution went out
    at('2026-03-02T10:02:00.000Z');
    await alerting.flushPending(); // the other six
    at('2026-03-02T11:00:00.000Z');
    await apply([]); // resolved again
    const resolutions = told(findings[0]!.fingerprint).filter((m) => /RESOLVED|resolved/.test(m.subject));
    expect(resolutions).toHaveLength(1);
  });
});

describe('retryDelayMs', () => {
  it('doubles from a minute and stops at an hour', () => {
    expect([1, 2, 3, 6, 7, 8, 30].map((n) => retryDelayMs(n) / 60_000)).toEqual([1, 2, 4, 32, 60, 60, 60]);
  });
});
