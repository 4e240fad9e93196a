import { TableClient } from '@azure/data-tables';
import { Alerting } from '../../src/alerts/alerting';
import type { Mailer } from '../../src/alerts/mailer';
import type { AlertScope } from '../../src/alerts/model';
import { TableAlertStore } from '../../src/alerts/store';
import { fingerprintOf, type Finding } from '../../src/engine/audit';
import { alertFlush } from '../../src/functions/alertFlush';
import { eventGridTrigger } from '../../src/functions/eventGridTrigger';
import { scheduledAudit } from '../../src/functions/scheduledAudit';
import type { MailMessage } from '../../src/alerts/mailer';
import type { AuditScope, Inventory } from '../../src/ports';
import { RULES } from '../../src/rules';
import { context, eventAbout, HUB, install, LiveEstate, RecordingMailer, SPOKE1, SUB, testEnv, TIMER_FIRED, type Logged } from '../functions/harness';

// An alert's life cycle over the Functions app (event path, alertFlush, scheduled audit) on one
// Azurite table, with a scripted live estate and a clock the test moves; and the Alerting core on
// its own over the same table, for the races that need a write placed between a read and a write.

export const T0 = Date.parse('2026-03-02T06:00:00.000Z');
export const SPOKE_LINK = `${SPOKE1}/virtualNetworkPeerings/spoke1-to-hub`;
export const HUB_LINK = `${HUB}/virtualNetworkPeerings/hub-to-spoke1`;
export const ERROR_MAIL = '[peerguard] ERROR peering-disconnected: vnet-hub <-> vnet-spoke1';
export const RESOLVED_MAIL = '[peerguard] RESOLVED peering-disconnected: vnet-hub <-> vnet-spoke1';

/** The alert mails sent (not the compliance report's). */
export const alertSubjects = (mails: readonly MailMessage[]): string[] => mails.map((m) => m.subject).filter((s) => !s.includes('Compliance report'));

/** The app's adapters on this Azurite (settings on top of testEnv's); the estate healthy, its neighbourhood not yet learnt. */
export function lifecycleApp(connectionString: string, extra: Record<string, string> = {}) {
  const estate = new LiveEstate();
  estate.healthy();
  const mailer = new RecordingMailer();
  const clock = { at: T0 };
  const inventory = {
    readInventory: async (_scope: AuditScope): Promise<Inventory> => ({
      resources: [...estate.vnets.values()].map((resource) => ({ resource: structuredClone(resource), source: 'graph' })),
      subscriptions: [SUB],
      unreadable: [],
    }),
  };
  const adapters = install(testEnv(connectionString, extra), { live: estate.reader, inventory }, { mailer, now: () => new Date(clock.at) });
  return {
    estate,
    mailer,
    adapters,
    /** Moves the clock to `seconds` after T0. */
    at: (seconds: number) => (clock.at = T0 + seconds * 1000),
    event: (subject: string, id: string, kind: 'write' | 'delete' = 'write', logs: Logged[] = []) => eventGridTrigger(eventAbout(subject, kind, id), context('eventGridTrigger', logs)),
    flush: (logs: Logged[] = []) => alertFlush(TIMER_FIRED, context('alertFlush', logs)),
    audit: (logs: Logged[] = []) => scheduledAudit(TIMER_FIRED, context('scheduledAudit', logs)),
    /** The peering-disconnected alert's row. */
    row: async () => (await adapters.store.rowsFor('all')).find((r) => r.ruleId === 'peering-disconnected'),
  };
}

/** The hub's link Disconnected: one ERROR, as the event path finds it once spoke1's link is deleted. */
export const disconnected: Finding = {
  ruleId: 'peering-disconnected',
  severity: 'error',
  resourceId: HUB_LINK,
  relatedResourceIds: [HUB, SPOKE1],
  message: 'peering "hub-to-spoke1" is Disconnected',
  fingerprint: fingerprintOf('peering-disconnected', [HUB_LINK]),
  fix: null,
};

/** The Alerting core over the alert table alone, at a clock the test moves (ms after T0). */
export function alertingOn(connectionString: string, mailer: Mailer = new RecordingMailer()) {
  const clock = { at: T0 };
  const store = new TableAlertStore(TableClient.fromConnectionString(connectionString, 'peerguardalerts', { allowInsecureConnection: true }));
  const alerting = new Alerting({
    store,
    mailer,
    recipients: { error: ['netops@contoso.example'], warning: [], info: [] },
    portalUrl: 'https://portal.azure.com',
    rules: RULES,
    now: () => new Date(clock.at),
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  const scope: AlertScope = { keys: new Set(), subscriptions: new Set([SUB]) };
  return {
    store,
    alerting,
    /** Moves the clock to `seconds` after T0. */
    at: (seconds: number) => (clock.at = T0 + seconds * 1000),
    /** An event's view read at `seconds` after T0: these findings, and the rows as they were read (`rows`, default: now). */
    apply: async (seconds: number, findings: readonly Finding[], rows?: Awaited<ReturnType<TableAlertStore['rowsFor']>>) =>
      alerting.apply({ findings, scope, rows: rows ?? (await store.rowsFor('all')), observedAt: new Date(T0 + seconds * 1000), change: { source: 'event', eventId: `evt-${seconds}` }, mailOpened: true }),
  };
}
