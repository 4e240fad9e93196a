import type * as CommunicationEmail from '@azure/communication-email';
import type { EmailClient } from '@azure/communication-email';
import type { TokenCredential } from '@azure/core-auth';
import type * as DataTables from '@azure/data-tables';
import type { TableClient } from '@azure/data-tables';
import type { InvocationContext } from '@azure/functions';
import type * as Identity from '@azure/identity';
import type * as StorageBlob from '@azure/storage-blob';
import type { BlobServiceClient } from '@azure/storage-blob';
import type * as StorageQueue from '@azure/storage-queue';
import type { QueueServiceClient } from '@azure/storage-queue';
import { ArmRemediationWriter } from '../azure/arm-writer';
import {
  ArmLiveReader,
  CloudError,
  createCredential,
  listDescendantSubscriptions,
  ResourceGraphInventory,
  resolveCloud,
  type AzureConnection,
  type CloudSettings,
  type RetrySettings,
} from '../azure';
import { Alerting, type Logger } from '../alerts/alerting';
import { BlobDeadLetterStore, BlobReportArchive, type DeadLetterStore, type ReportArchive } from '../alerts/archive';
import type { EventPathDeps } from '../alerts/event-path';
import { BlobBatchInventoryStore, StorageAuditQueue, type AssemblyTiming, type AuditQueue, type BatchInventoryStore, type FanoutDeps } from '../alerts/fanout';
import { REAL_CLOCK, type InvocationClock } from '../alerts/scheduled';
import { CommunicationMailer, type Mailer, type Recipients } from '../alerts/mailer';
import { TableAlertStore, type AlertStore, type NeighbourhoodIndex, type RunStore, type StateHousekeeping } from '../alerts/store';
import { strictlyIncreasing } from '../alerts/transitions';
import { loadAppSettings, SettingsError, type AppSettings } from '../config/app-settings';
import { parseYamlDocument } from '../config/yaml-document';
import { ConfigError, DEFAULT_CONFIG, parseAuditConfig, type AuditConfig } from '../engine/config';
import type { AuditScope, InventoryReader, LiveReader } from '../ports';
import { RemediationRunner } from '../remediation/runner';
import { REMEDIATION_TABLE, TableRemediationJournal } from '../remediation/table-journal';
import { RULES } from '../rules';
import type { Rule } from '../rules/rule';
import { VERSION } from '../version';
import { redactSecrets } from '../redact';

// The composition root of the Functions app: validated settings -> adapters, built once per
// worker process and shared by every function. Function files only wire triggers to use cases.

// The Azure SDKs are required when the adapters are built (first invocation), not when the entry
// point loads: the host's cold start then pays only for settings validation (scripts/bundle.mjs).
/* eslint-disable @typescript-eslint/no-require-imports */
const sdk = {
  email: () => require('@azure/communication-email') as typeof CommunicationEmail,
  tables: () => require('@azure/data-tables') as typeof DataTables,
  identity: () => require('@azure/identity') as typeof Identity,
  blobs: () => require('@azure/storage-blob') as typeof StorageBlob,
  queues: () => require('@azure/storage-queue') as typeof StorageQueue,
};
/* eslint-enable @typescript-eslint/no-require-imports */

export const ALERT_TABLE = 'peerguardalerts';
export const REPORT_CONTAINER = 'peerguard-reports';
export const DEAD_LETTER_CONTAINER = 'peerguard-deadletter';
export const RUN_CONTAINER = 'peerguard-runs';
export const AUDIT_QUEUE = 'peerguard-audit-batches';
/** Where the Functions host moves a batch message after maxDequeueCount failed deliveries: `<queue>-poison`. */
export const AUDIT_POISON_QUEUE = `${AUDIT_QUEUE}-poison`;
/** Subscriptions per fan-out batch (Resource Graph: keep groups well under 300 per query). */
export const FANOUT_BATCH_SIZE = 100;
/** Must equal host.json extensions.queues.maxDequeueCount. */
export const MAX_DEQUEUE_COUNT = 5;

export interface Adapters {
  settings: AppSettings;
  store: AlertStore & NeighbourhoodIndex & RunStore & StateHousekeeping;
  archive: ReportArchive;
  deadLetters: DeadLetterStore;
  batches: BatchInventoryStore;
  queue: AuditQueue;
  mailer: Mailer | undefined;
  live: LiveReader;
  inventory: InventoryReader;
  locate?: (resourceId: string) => Promise<string[]>;
  /**
   * The subscriptions of the audited management group (PEERGUARD_MANAGEMENT_GROUP), listed again
   * after GROUP_SUBSCRIPTIONS_TTL_MS: the event path judges what the scheduled audit reads.
   */
  groupSubscriptions?: () => Promise<readonly string[]>;
  rules: readonly Rule[];
  config: AuditConfig;
  version: string;
  now: () => Date;
  /** When a live read begins: `now`, strictly increasing in this process (alert rows are ordered by it). */
  observe: () => Date;
  /** Pause between in-invocation retries of an event (ms). */
  retryDelayMs: number;
  /** Opt-in remediation (PEERGUARD_AUDIT_CONFIG's remediation section: enabled and onEvent or onSchedule). */
  remediation?: RemediationRunner;
  /** The fan-out assembly's lease and waits (tests shorten them); default src/alerts/fanout.ts's. */
  assembly?: Partial<AssemblyTiming>;
  /**
   * Elapsed time in an invocation, against host.json's functionTimeout (the scheduled audit and the
   * fan-out: deadlines, waits). Real time (REAL_CLOCK) unless a test injects one; the remediation
   * runner's clock must be the same.
   */
  clock: InvocationClock;
  /** How long the HTTP audit reads the estate (tests shorten it); default src/functions/audit.ts's AUDIT_READ_DEADLINE_MS. */
  auditReadDeadlineMs?: number;
}

/** The readers come from src/azure (Resource Graph, ARM): supplied here by whoever builds the adapters. */
export interface Readers {
  live: LiveReader;
  inventory: InventoryReader;
  locate?: (resourceId: string) => Promise<string[]>;
  /** Every subscription under a management group (the Management Groups API's descendants). */
  groupSubscriptions?: (managementGroupId: string) => Promise<string[]>;
}

/** How long the event path keeps a management group's subscriptions before it lists them again. */
export const GROUP_SUBSCRIPTIONS_TTL_MS = 15 * 60_000;

/** `list`, kept for `ttlMs` of `now` once it succeeds (a failure is asked again next time). */
function cachedFor<T>(list: () => Promise<T>, ttlMs: number, now: () => Date): () => Promise<T> {
  let kept: { value: T; until: number } | undefined;
  return async () => {
    if (kept && now().getTime() < kept.until) return kept.value;
    const value = await list();
    kept = { value, until: now().getTime() + ttlMs };
    return value;
  };
}

/**
 * How the app reaches Azure beyond the settings: normally nothing (the identity comes from
 * DefaultAzureCredential, with AZURE_CLIENT_ID for a user-assigned identity). Tests and the local
 * demo pass the stand-in's credential and CA; `func start` against a stand-in uses
 * NODE_EXTRA_CA_CERTS instead.
 */
export interface AzureAccess {
  credential?: TokenCredential;
  /** Extra trusted CA (PEM) for ARM, Resource Graph and Communication Services. */
  ca?: string;
  retry?: Partial<RetrySettings>;
  requestTimeoutMs?: number;
}

/** The cloud from PEERGUARD_CLOUD and PEERGUARD_ARM_ENDPOINT; errors name the setting. */
export function cloudFrom(settings: AppSettings): CloudSettings {
  try {
    return resolveCloud(settings.PEERGUARD_CLOUD, settings.PEERGUARD_ARM_ENDPOINT);
  } catch (error) {
    if (error instanceof CloudError) throw new SettingsError(`invalid app settings: PEERGUARD_ARM_ENDPOINT: ${error.message}`);
    throw error;
  }
}

/** The credential and cloud every Azure adapter uses (ARM, Resource Graph, identity-based email). */
export function azureConnectionFrom(settings: AppSettings, access: AzureAccess = {}): AzureConnection {
  const cloud = cloudFrom(settings);
  return {
    cloud,
    credential: access.credential ?? createCredential({ cloud, managedIdentityClientId: settings.AZURE_CLIENT_ID }),
    ...(access.ca ? { ca: access.ca } : {}),
    ...(access.retry ? { retry: access.retry } : {}),
    ...(access.requestTimeoutMs ? { requestTimeoutMs: access.requestTimeoutMs } : {}),
  };
}

/** The real readers: live ARM reads for the event path, Resource Graph for the full audit. */
export function readersFrom(connection: AzureConnection): Readers {
  const live = new ArmLiveReader(connection);
  // `locate` finds the VNet of a gateway, firewall, Route Server or route table that the
  // neighbourhood index has not seen yet (a new one), so that its event is not left unmapped.
  return {
    live,
    inventory: new ResourceGraphInventory(connection),
    locate: (id) => live.locate(id),
    groupSubscriptions: async (id) => (await listDescendantSubscriptions(connection, id)).map((s) => s.subscriptionId),
  };
}

/** Cross-setting checks the schema cannot express; messages name the settings. */
export function checkSettings(settings: AppSettings): void {
  const wantsMail =
    settings.PEERGUARD_ALERT_TO_ERROR.length + settings.PEERGUARD_ALERT_TO_WARNING.length + settings.PEERGUARD_ALERT_TO_INFO.length + settings.PEERGUARD_REPORT_TO.length > 0;
  const hasEmail = Boolean(settings.PEERGUARD_EMAIL_CONNECTION_STRING || settings.PEERGUARD_EMAIL_ENDPOINT);
  if (wantsMail && !hasEmail) {
    throw new SettingsError('invalid app settings: PEERGUARD_ALERT_TO_* or PEERGUARD_REPORT_TO is set, but neither PEERGUARD_EMAIL_ENDPOINT nor PEERGUARD_EMAIL_CONNECTION_STRING');
  }
  if (hasEmail && !settings.PEERGUARD_EMAIL_SENDER) {
    throw new SettingsError('invalid app settings: PEERGUARD_EMAIL_SENDER: required when email is configured');
  }
  const identityStorage = settings.AzureWebJobsStorage__tableServiceUri && settings.AzureWebJobsStorage__blobServiceUri && settings.AzureWebJobsStorage__queueServiceUri;
  if (!settings.AzureWebJobsStorage && !identityStorage) {
    throw new SettingsError(
      'invalid app settings: AzureWebJobsStorage: set a connection string, or AzureWebJobsStorage__tableServiceUri, __blobServiceUri and __queueServiceUri',
    );
  }
}

export function auditConfigFrom(settings: AppSettings): AuditConfig {
  const text = settings.PEERGUARD_AUDIT_CONFIG;
  // Empty (or blank) counts as unset, as for every setting: the defaults.
  if (!text?.trim()) return DEFAULT_CONFIG;
  const document = parseYamlDocument(text, 'PEERGUARD_AUDIT_CONFIG', ConfigError);
  // Comments alone (a configuration commented out, or cut short) are refused, as an empty file is by the CLI:
  // read as the defaults, it would drop the suppressions, severities and intent the operator believes set.
  if (document === null || document === undefined) {
    throw new ConfigError('PEERGUARD_AUDIT_CONFIG: holds no configuration (only comments, or null); leave it empty for the defaults');
  }
  return parseAuditConfig(document, RULES.map((r) => r.meta.id), 'PEERGUARD_AUDIT_CONFIG');
}

export function auditScopeFrom(settings: AppSettings): AuditScope {
  if (settings.PEERGUARD_SUBSCRIPTIONS.length > 0) return { kind: 'subscriptions', subscriptionIds: settings.PEERGUARD_SUBSCRIPTIONS };
  if (settings.PEERGUARD_MANAGEMENT_GROUP) return { kind: 'managementGroup', managementGroupId: settings.PEERGUARD_MANAGEMENT_GROUP };
  return { kind: 'tenant' };
}

export function recipientsFrom(settings: AppSettings): Recipients {
  return { error: settings.PEERGUARD_ALERT_TO_ERROR, warning: settings.PEERGUARD_ALERT_TO_WARNING, info: settings.PEERGUARD_ALERT_TO_INFO };
}

function storageCredential(settings: AppSettings): TokenCredential {
  return settings.AzureWebJobsStorage__credential === 'managedidentity' && settings.AzureWebJobsStorage__clientId
    ? new (sdk.identity().ManagedIdentityCredential)({ clientId: settings.AzureWebJobsStorage__clientId })
    : new (sdk.identity().DefaultAzureCredential)();
}

function storageClients(settings: AppSettings): { table: TableClient; remediationTable: TableClient; blobs: BlobServiceClient; queues: QueueServiceClient } {
  const connection = settings.AzureWebJobsStorage;
  if (connection) {
    const insecure = /UseDevelopmentStorage=true|DefaultEndpointsProtocol=http;|=http:\/\//i.test(connection);
    return {
      table: sdk.tables().TableClient.fromConnectionString(connection, ALERT_TABLE, { allowInsecureConnection: insecure }),
      remediationTable: sdk.tables().TableClient.fromConnectionString(connection, REMEDIATION_TABLE, { allowInsecureConnection: insecure }),
      blobs: sdk.blobs().BlobServiceClient.fromConnectionString(connection),
      queues: sdk.queues().QueueServiceClient.fromConnectionString(connection),
    };
  }
  const credential = storageCredential(settings);
  return {
    table: new (sdk.tables().TableClient)(settings.AzureWebJobsStorage__tableServiceUri ?? '', ALERT_TABLE, credential),
    remediationTable: new (sdk.tables().TableClient)(settings.AzureWebJobsStorage__tableServiceUri ?? '', REMEDIATION_TABLE, credential),
    blobs: new (sdk.blobs().BlobServiceClient)(settings.AzureWebJobsStorage__blobServiceUri ?? '', credential),
    queues: new (sdk.queues().QueueServiceClient)(settings.AzureWebJobsStorage__queueServiceUri ?? '', credential),
  };
}

/**
 * Communication Services email: the connection string (local runs, the stand-in) wins; otherwise
 * the endpoint with the app's identity (Azure). Undefined when no sender is configured.
 */
export function mailerFrom(
  settings: AppSettings,
  options: { emailClient?: EmailClient; pollIntervalMs?: number; credential?: TokenCredential; ca?: string } = {},
): Mailer | undefined {
  const sender = settings.PEERGUARD_EMAIL_SENDER;
  if (!sender) return undefined;
  const clientOptions = options.ca ? { tlsOptions: { ca: options.ca } } : {};
  let client = options.emailClient;
  if (!client && settings.PEERGUARD_EMAIL_CONNECTION_STRING) client = new (sdk.email().EmailClient)(settings.PEERGUARD_EMAIL_CONNECTION_STRING, clientOptions);
  if (!client && settings.PEERGUARD_EMAIL_ENDPOINT) {
    const credential = options.credential ?? new (sdk.identity().DefaultAzureCredential)(settings.AZURE_CLIENT_ID ? { managedIdentityClientId: settings.AZURE_CLIENT_ID } : {});
    client = new (sdk.email().EmailClient)(settings.PEERGUARD_EMAIL_ENDPOINT, credential, clientOptions);
  }
  return client ? new CommunicationMailer(client, sender, options.pollIntervalMs) : undefined;
}

export interface AdapterOverrides extends Partial<Adapters> {
  /** Replace the real readers (tests with an in-memory estate). */
  readers?: Partial<Readers>;
  emailClient?: EmailClient;
  /** Credential, CA, retries for the Azure clients (the stand-in). */
  azure?: AzureAccess;
  /** Poll interval of Communication Services' send operation (ms). */
  emailPollMs?: number;
}

/** Builds every adapter from the environment; `overrides` replace individual ones (tests, the demo). */
export function buildAdapters(env: Record<string, string | undefined>, overrides: AdapterOverrides = {}): Adapters {
  const settings = overrides.settings ?? loadAppSettings(env);
  checkSettings(settings);
  const { readers: given = {}, emailClient, azure = {}, emailPollMs, ...rest } = overrides;
  const connection = azureConnectionFrom(settings, azure);
  const { locate: realLocate, groupSubscriptions: realGroupSubscriptions, ...real } = given.live && given.inventory ? (given as Readers) : readersFrom(connection);
  // `locate` reads the estate `live` reads: a replaced live reader (an in-memory estate) does not
  // keep the real one, which would reach Azure.
  const locate = given.locate ?? (given.live ? undefined : realLocate);
  const readers: Readers = { ...real, ...given, ...(locate ? { locate } : {}) };
  const clients = storageClients(settings);
  const config = auditConfigFrom(settings);
  const fixes = config.remediation;
  const now = rest.now ?? (() => new Date());
  const group = settings.PEERGUARD_MANAGEMENT_GROUP;
  // As `locate`: a replaced live reader's estate is not Azure's, whose management group is not listed.
  const listGroup = given.groupSubscriptions ?? (given.live ? undefined : realGroupSubscriptions);
  return {
    settings,
    // The store stamps index rows with the app's clock, which the scheduled audit's pruning compares with its read's start.
    store: new TableAlertStore(clients.table, now),
    archive: new BlobReportArchive(clients.blobs.getContainerClient(REPORT_CONTAINER)),
    deadLetters: new BlobDeadLetterStore(clients.blobs.getContainerClient(DEAD_LETTER_CONTAINER)),
    batches: new BlobBatchInventoryStore(clients.blobs.getContainerClient(RUN_CONTAINER)),
    queue: new StorageAuditQueue(clients.queues.getQueueClient(AUDIT_QUEUE)),
    mailer: mailerFrom(settings, {
      credential: connection.credential,
      ...(emailClient ? { emailClient } : {}),
      ...(azure.ca ? { ca: azure.ca } : {}),
      ...(emailPollMs !== undefined ? { pollIntervalMs: emailPollMs } : {}),
    }),
    live: readers.live,
    inventory: readers.inventory,
    ...(readers.locate ? { locate: readers.locate } : {}),
    ...(group && listGroup ? { groupSubscriptions: cachedFor(() => listGroup(group), GROUP_SUBSCRIPTIONS_TTL_MS, now) } : {}),
    rules: RULES,
    config,
    version: VERSION,
    now,
    observe: strictlyIncreasing(now),
    retryDelayMs: 1_000,
    clock: REAL_CLOCK,
    ...(fixes.enabled && (fixes.onEvent || fixes.onSchedule)
      ? {
          remediation: new RemediationRunner({
            writer: new ArmRemediationWriter(connection),
            reader: readers.live,
            journal: new TableRemediationJournal(clients.remediationTable),
            rules: RULES,
            config,
            now: () => new Date(),
          }),
        }
      : {}),
    ...rest,
  };
}

let current: Adapters | undefined;

/** The adapters of this worker process, built on first use from process.env. */
export function adapters(): Adapters {
  current ??= buildAdapters(process.env);
  return current;
}

/** Replaces the adapters (tests and the local demo); undefined rebuilds from process.env next time. */
export function useAdapters(next: Adapters | undefined): void {
  current = next;
}

/** Validates the settings when the app loads, so a bad setting fails the start with its name. */
export function validateAtStartup(env: Record<string, string | undefined> = process.env): void {
  const settings = loadAppSettings(env, { functionsHost: true });
  checkSettings(settings);
  cloudFrom(settings);
  auditConfigFrom(settings);
}

/** A log argument with its secrets redacted: text, or an error's stack. */
const redacted = (arg: unknown): unknown => (typeof arg === 'string' ? redactSecrets(arg) : arg instanceof Error ? redactSecrets(arg.stack ?? arg.message) : arg);

export function loggerOf(context: InvocationContext): Logger {
  return {
    info: (...args) => context.log(...args.map(redacted)),
    warn: (...args) => context.warn(...args.map(redacted)),
    error: (...args) => context.error(...args.map(redacted)),
  };
}

/** The alerting every function shares: the event path, the scheduled audit and alertFlush hold and mail alerts alike. */
export function alertingOf(a: Adapters, log: Logger): Alerting {
  return new Alerting({
    store: a.store,
    mailer: a.mailer,
    recipients: recipientsFrom(a.settings),
    portalUrl: a.settings.PEERGUARD_PORTAL_URL,
    rules: a.rules,
    now: a.now,
    log,
    settleMs: a.settings.PEERGUARD_ALERT_SETTLE_SECONDS * 1000,
    ...(a.remediation ? { remediationRecords: (fingerprint: string, since: string) => (a.remediation as RemediationRunner).recordsFor(fingerprint, since) } : {}),
  });
}

export function eventPathDeps(a: Adapters, log: Logger): EventPathDeps {
  return {
    live: a.live,
    index: a.store,
    store: a.store,
    alerting: alertingOf(a, log),
    deadLetters: a.deadLetters,
    rules: a.rules,
    config: a.config,
    version: a.version,
    filter: { tenantId: a.settings.PEERGUARD_TENANT_ID, subscriptions: a.settings.PEERGUARD_SUBSCRIPTIONS },
    now: a.now,
    observe: a.observe,
    log,
    ...(a.locate ? { locate: a.locate } : {}),
    ...(a.groupSubscriptions ? { scopeSubscriptions: a.groupSubscriptions } : {}),
    retryDelayMs: a.retryDelayMs,
    ...(a.remediation ? { remediation: a.remediation } : {}),
  };
}

export function fanoutDeps(a: Adapters, log: Logger): FanoutDeps {
  return {
    store: a.store,
    index: a.store,
    housekeeping: a.store,
    runs: a.store,
    alerting: alertingOf(a, log),
    archive: a.archive,
    batches: a.batches,
    queue: a.queue,
    inventory: a.inventory,
    mailer: a.mailer,
    reportRecipients: a.settings.PEERGUARD_REPORT_TO,
    portalUrl: a.settings.PEERGUARD_PORTAL_URL,
    rules: a.rules,
    config: a.config,
    version: a.version,
    now: a.now,
    observe: a.observe,
    log,
    ...(a.remediation ? { remediation: a.remediation } : {}),
    ...(a.assembly ? { assembly: a.assembly } : {}),
    clock: a.clock,
  };
}
