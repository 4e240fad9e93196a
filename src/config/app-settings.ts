import type * as CommunicationEmail from '@azure/communication-email';
import type * as DataTables from '@azure/data-tables';
import type * as StorageBlob from '@azure/storage-blob';
import type * as StorageQueue from '@azure/storage-queue';
import { z } from 'zod';
import { describeZodError } from '../engine/zod-errors';
import { GUID } from '../model/ids';

// Every app setting the Functions app reads, validated once at start-up. This list is a contract:
// infra/ sets exactly these (test/infra/contract.test.ts), local.settings.sample.json lists them,
// and the table "App settings" in docs/functions.md describes each one (required or default,
// meaning, example). Add a setting here first, then to infra, the sample and that table.

const list = z
  .string()
  .optional()
  .transform((s) => (s ?? '').split(/[,;\s]+/).map((x) => x.trim()).filter(Boolean));

const EMAIL = /^[^@\s<>]+@[^@\s<>]+$/;
/** Communication Services takes at most 50 recipients per email (To, Cc and Bcc together). */
const MAX_RECIPIENTS = 50;
/** Addresses, each once (compared without case): a list past the service's limit would fail every mail. */
const emails = list
  .refine((xs) => xs.every((x) => EMAIL.test(x)), 'expected comma-separated email addresses')
  .transform((xs) => xs.filter((x, i) => xs.findIndex((y) => y.toLowerCase() === x.toLowerCase()) === i))
  .refine((xs) => xs.length <= MAX_RECIPIENTS, `more than ${MAX_RECIPIENTS} addresses, the most Communication Services sends one email to: use a distribution list`);

const guid = z.string().trim().regex(GUID, 'expected a GUID such as 00000000-0000-0000-0000-000000000000');

/** An https URL: the app sends bearer tokens to it, or puts it in mails as a link. */
const httpsUrl = z.url().refine((u) => u.toLowerCase().startsWith('https://'), 'expected an https:// URL');

/**
 * A storage service URI for identity-based access. The clients send the identity's token, and
 * core-rest-pipeline's bearer-token policy refuses any URL that is not https, a loopback one too:
 * a local emulator (Azurite) is reached through the `AzureWebJobsStorage` connection string.
 */
const storageServiceUri = (service: 'blob' | 'queue' | 'table') =>
  z
    .string()
    .refine(
      (u) => URL.canParse(u) && u.toLowerCase().startsWith('https://'),
      `expected an https:// URL such as https://<account>.${service}.core.windows.net (the identity's token is sent over https only; reach a local emulator through AzureWebJobsStorage)`,
    );

/**
 * A management group's ID, which Resource Graph's `managementGroups` takes (not its display name,
 * not its resource id): 1-90 ASCII letters, digits, hyphens, underscores, periods and
 * parentheses, not ending with a period (Azure's naming rules for Microsoft.Management/managementGroups).
 */
const MANAGEMENT_GROUP_ID = /^[A-Za-z0-9_().-]{1,90}$/;
const validManagementGroupId = (id: string): boolean => MANAGEMENT_GROUP_ID.test(id) && !id.endsWith('.');
const MANAGEMENT_GROUP_EXPECTED =
  'expected the management group ID (its name, not its display name): 1-90 letters, digits, hyphens, underscores, periods or parentheses, not ending with a period, e.g. mg-landing-zones';

/**
 * What is wrong with a management group ID, or undefined when it is one. The one check of both
 * entry points: the app's PEERGUARD_MANAGEMENT_GROUP and the CLI's --management-group.
 */
export function managementGroupIdProblem(id: string): string | undefined {
  if (validManagementGroupId(id)) return undefined;
  // A resource id (/providers/Microsoft.Management/managementGroups/<id>): its last segment is the ID.
  const last = id.split('/').filter(Boolean).at(-1) ?? '';
  const hint = id.includes('/') ? `; this is a resource id: give its last segment${validManagementGroupId(last) ? `, ${JSON.stringify(last)}` : ''}` : '';
  return `${MANAGEMENT_GROUP_EXPECTED}${hint}`;
}

const managementGroupId = z
  .string()
  .trim()
  .superRefine((id, ctx) => {
    const problem = id === '' ? undefined : managementGroupIdProblem(id);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/**
 * The report schedule infra/main.bicep sets unless REPORT_SCHEDULE says otherwise, and
 * local.settings.sample.json sets: the example in the message that asks for one.
 */
export const DEFAULT_REPORT_SCHEDULE = '0 0 6 * * *';

/**
 * NCRONTAB fields in order (second, minute, hour, day, month, day of week), each a list of `*`,
 * values or ranges with an optional step; months and days of the week may be named.
 */
const NCRONTAB_FIELDS: ReadonlyArray<{ max: number; min: number; names?: readonly string[] }> = [
  { min: 0, max: 59 },
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'] },
  { min: 0, max: 6, names: ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'] },
];

/** Whether one NCRONTAB field holds only values its position allows (`*`, `0/5`, `1-5`, `Mon-Friday`, `0,30`). */
function validCronField(text: string, { min, max, names }: (typeof NCRONTAB_FIELDS)[number]): boolean {
  // A name may be any prefix of the full name, in any case, as NCrontab (the host's parser) reads it: MON, Tues, Sept.
  const named = (v: string) => /^[A-Za-z]+$/.test(v) && (names?.some((name) => name.startsWith(v.toUpperCase())) ?? false);
  const value = (v: string) => named(v) || (/^\d+$/.test(v) && Number(v) >= min && Number(v) <= max);
  return text.split(',').every((part) => {
    const [range, step, extra] = part.split('/');
    if (extra !== undefined || (step !== undefined && !/^[1-9]\d*$/.test(step))) return false;
    if (range === '*') return true;
    const bounds = (range ?? '').split('-');
    return bounds.length <= 2 && bounds.every(value);
  });
}

function validNcrontab(schedule: string): boolean {
  const fields = schedule.trim().split(/\s+/);
  return fields.length === NCRONTAB_FIELDS.length && fields.every((field, i) => validCronField(field, NCRONTAB_FIELDS[i] as (typeof NCRONTAB_FIELDS)[number]));
}

const STORAGE_KEYS = [
  'DefaultEndpointsProtocol',
  'AccountName',
  'AccountKey',
  'EndpointSuffix',
  'SharedAccessSignature',
  'UseDevelopmentStorage',
  'DevelopmentStorageProxyUri',
  ...['Blob', 'Queue', 'Table', 'File'].flatMap((service) => [`${service}Endpoint`, `${service}SecondaryEndpoint`]),
];

/** Whether a part is no `key=value` of a key the Storage SDKs read, spelt as they spell it: they ignore any other key, a misspelt one too. */
function unknownStorageKey(connection: string): boolean {
  return connection
    .split(';')
    .filter((p) => p.trim() !== '')
    .some((pair) => {
      const at = pair.indexOf('=');
      return at <= 0 || !STORAGE_KEYS.includes(pair.slice(0, at).trim());
    });
}

// The SDKs that parse the connection strings, required only when one is set (local runs): the
// start with identity-based settings loads none (scripts/bundle.mjs keeps them out of the bundle).
/* eslint-disable @typescript-eslint/no-require-imports */
const sdk = {
  email: () => require('@azure/communication-email') as typeof CommunicationEmail,
  tables: () => require('@azure/data-tables') as typeof DataTables,
  blobs: () => require('@azure/storage-blob') as typeof StorageBlob,
  queues: () => require('@azure/storage-queue') as typeof StorageQueue,
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** Azurite's connection string, which all three Storage SDKs read (test/config checks it): no SDK loaded at the start for it. */
const DEVELOPMENT_STORAGE = 'UseDevelopmentStorage=true';

const STORAGE_EXPECTED =
  'expected a storage connection string the Storage SDKs read: UseDevelopmentStorage=true; DefaultEndpointsProtocol, AccountName, AccountKey and EndpointSuffix (or BlobEndpoint, QueueEndpoint and TableEndpoint); or SharedAccessSignature with BlobEndpoint, QueueEndpoint and TableEndpoint';

/**
 * What is wrong with a storage connection string, or undefined. The app's Table, Blob and Queue
 * clients are built from it exactly as composition.ts builds them: each SDK parses it its own way
 * (one takes `usedevelopmentstorage=true`, the others do not), so only building them shows that
 * all three read it. Otherwise every invocation would fail at its first storage call. The SDK's
 * reason is repeated only when it is one of their fixed texts: others may quote the value.
 */
function storageConnectionProblem(connection: string): string | undefined {
  if (unknownStorageKey(connection)) return `${STORAGE_EXPECTED} (keys spelt as the SDKs spell them, each key=value)`;
  if (connection === DEVELOPMENT_STORAGE) return undefined;
  const clients: Array<[string, () => unknown]> = [
    ['Table', () => sdk.tables().TableClient.fromConnectionString(connection, 'peerguard', { allowInsecureConnection: true })],
    ['Blob', () => sdk.blobs().BlobServiceClient.fromConnectionString(connection)],
    ['Queue', () => sdk.queues().QueueServiceClient.fromConnectionString(connection)],
  ];
  for (const [service, build] of clients) {
    try {
      build();
    } catch (error) {
      const fixed = /^Invalid \w+ in the provided (?:SAS )?Connection String/.exec(error instanceof Error ? error.message : '')?.[0];
      return `${STORAGE_EXPECTED}; the ${service} SDK refuses it${fixed ? ` (${fixed})` : ''}`;
    }
  }
  return undefined;
}

/** How EmailClient (@azure/communication-common's parseConnectionString) splits a connection string: greedy, in this order. */
const EMAIL_CONNECTION = /endpoint=(.*);accesskey=(.*)/i;

/**
 * Whether a Communication Services connection string is one EmailClient reads, with an https
 * endpoint. The client is built as composition.ts builds it: its parse is strict (endpoint first,
 * no space after the `;`) and its error quotes the access key, so a string it refuses must stop
 * the start here rather than fail every invocation.
 */
function validEmailConnection(connection: string): boolean {
  try {
    new (sdk.email().EmailClient)(connection);
  } catch {
    return false;
  }
  const endpoint = EMAIL_CONNECTION.exec(connection)?.[1]?.trim() ?? '';
  return endpoint.toLowerCase().startsWith('https://');
}

export const appSettingsSchema = z.object({
  /** Subscriptions to audit (comma-separated). Empty with no management group: all the identity can read. */
  PEERGUARD_SUBSCRIPTIONS: list.refine((ids) => ids.every((id) => GUID.test(id)), 'expected comma-separated subscription ids (GUIDs such as 00000000-0000-0000-0000-000000000000)'),
  /** Management group to audit instead of a subscription list: its ID, as Resource Graph takes it. */
  PEERGUARD_MANAGEMENT_GROUP: managementGroupId.optional(),
  /** The tenant whose events are accepted; events from others are ignored. */
  PEERGUARD_TENANT_ID: guid.optional(),
  /** Azure cloud: AzurePublicCloud, AzureUSGovernment or AzureChinaCloud. */
  PEERGUARD_CLOUD: z.enum(['AzurePublicCloud', 'AzureUSGovernment', 'AzureChinaCloud']).default('AzurePublicCloud'),
  /** Overrides the cloud's Resource Manager endpoint (private clouds, the local stand-in). */
  PEERGUARD_ARM_ENDPOINT: z.url().optional(),
  /** Client id of the user-assigned managed identity (DefaultAzureCredential reads it). */
  AZURE_CLIENT_ID: guid.optional(),
  /**
   * NCRONTAB schedule of the compliance report: {second} {minute} {hour} {day} {month} {day-of-week}.
   * The Functions host reads it itself (the timer's `%PEERGUARD_REPORT_SCHEDULE%`) and has no
   * default: loadAppSettings with `functionsHost` refuses it missing. The default here only fills
   * the field for adapters built outside the host (tests, the demo), which never read it.
   */
  PEERGUARD_REPORT_SCHEDULE: z
    .string()
    .default(DEFAULT_REPORT_SCHEDULE)
    .refine(validNcrontab, `expected six NCRONTAB fields (second minute hour day month day-of-week), each within its range, e.g. "${DEFAULT_REPORT_SCHEDULE}"`),
  /** Audit configuration (rules, suppressions) as inline JSON or YAML. */
  PEERGUARD_AUDIT_CONFIG: z.string().optional(),
  /** Communication Services endpoint (identity auth), e.g. https://acs-peerguard.europe.communication.azure.com */
  PEERGUARD_EMAIL_ENDPOINT: httpsUrl.optional(),
  /** Communication Services connection string (local runs; prefer the endpoint with identity in Azure). */
  PEERGUARD_EMAIL_CONNECTION_STRING: z
    .string()
    .refine(validEmailConnection, 'expected endpoint=https://<resource>.communication.azure.com/;accesskey=<key>, endpoint first and nothing between the ";" and accesskey, as the Communication Services SDK reads it')
    .optional(),
  /** Sender address on the Communication Services email domain. */
  PEERGUARD_EMAIL_SENDER: z.string().trim().regex(EMAIL, 'expected an email address').optional(),
  /** Alert recipients per severity. */
  PEERGUARD_ALERT_TO_ERROR: emails,
  PEERGUARD_ALERT_TO_WARNING: emails,
  PEERGUARD_ALERT_TO_INFO: emails,
  /**
   * Seconds an event's new alert of a rule that settles (RuleMeta.settles: peering-one-sided,
   * peering-disconnected, states a routine two-step change passes through) waits before its mail,
   * which goes only if the finding is still open then (alertFlush). 0: mailed at once.
   */
  PEERGUARD_ALERT_SETTLE_SECONDS: z
    .string()
    .trim()
    .regex(/^\d{1,4}$/, 'expected a whole number of seconds from 0 to 3600 (0: alerts are mailed at once)')
    .transform(Number)
    .refine((seconds) => seconds <= 3600, 'expected a whole number of seconds from 0 to 3600 (0: alerts are mailed at once)')
    .default(300),
  /** Recipients of the scheduled compliance report. */
  PEERGUARD_REPORT_TO: emails,
  /** Azure portal base URL for links in mails. */
  PEERGUARD_PORTAL_URL: httpsUrl.default('https://portal.azure.com'),
  /** Storage for alert state (tables), reports (blobs) and fan-out (queues): a connection string. */
  AzureWebJobsStorage: z
    .string()
    .superRefine((connection, ctx) => {
      const problem = storageConnectionProblem(connection);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  /** Identity-based storage connection (Azure): service URIs, as the Functions runtime reads them. */
  AzureWebJobsStorage__tableServiceUri: storageServiceUri('table').optional(),
  AzureWebJobsStorage__blobServiceUri: storageServiceUri('blob').optional(),
  AzureWebJobsStorage__queueServiceUri: storageServiceUri('queue').optional(),
  /**
   * `managedidentity` (the Functions host compares it case-insensitively, so `ManagedIdentity` is
   * the same value): with `__clientId`, the app's own storage clients use that user-assigned
   * identity. Normalised to lower case, so code compares with `'managedidentity'`.
   */
  AzureWebJobsStorage__credential: z
    .string()
    .refine((s) => s.toLowerCase() === 'managedidentity', 'expected "managedidentity" (any casing)')
    .transform(() => 'managedidentity' as const)
    .optional(),
  /** Client id of the user-assigned identity for storage (with `__credential=managedidentity`). */
  AzureWebJobsStorage__clientId: guid.optional(),
});

export type AppSettings = z.infer<typeof appSettingsSchema>;

export const APP_SETTING_NAMES: readonly string[] = Object.keys(appSettingsSchema.shape);

/**
 * The prefix of the app's own settings: an environment variable named with it (in any casing) must
 * be a setting the app reads, or the start is refused. A misspelt name would otherwise be dropped by
 * the schema and its setting read as unset: `PEERGUARD_SUBSCRIPTION` audits the whole tenant,
 * `PEERGUARD_ALERTS_TO_ERROR` mails error alerts to nobody. `AzureWebJobsStorage__*` is the host's
 * namespace (it also reads `__accountName`, `__managedIdentityResourceId`...), so it is not checked
 * here; the three service URIs the app's own clients need are required below.
 */
export const SETTING_PREFIX = 'PEERGUARD_';

/** Edit distance (insertions, deletions, substitutions) between two strings. */
function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const row = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min((previous[j] as number) + 1, (row[j - 1] as number) + 1, substitution));
    }
    previous = row;
  }
  return previous[b.length] as number;
}

/** How far a name may be from a setting's (case aside) to be suggested as a misspelling of it. */
const SUGGEST_DISTANCE = 2;

/** The setting an unknown name probably meant: the closest within SUGGEST_DISTANCE edits, ignoring case. */
function probablyMeant(name: string): string | undefined {
  const lower = name.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const known of APP_SETTING_NAMES) {
    const distance = levenshtein(lower, known.toLowerCase());
    if (distance <= SUGGEST_DISTANCE && (!best || distance < best.distance)) best = { name: known, distance };
  }
  return best?.name;
}

/**
 * What is wrong with each variable of `env` named with SETTING_PREFIX that is not a setting the app
 * reads; empty when there is none. Blank ones are left out: blank is unset, for every setting. The
 * value is never repeated (it may be a secret).
 */
export function unknownSettingProblems(env: Record<string, string | undefined>): string[] {
  const prefix = SETTING_PREFIX.toLowerCase();
  return Object.entries(env)
    .filter(([name, value]) => value !== undefined && value.trim() !== '' && name.toLowerCase().startsWith(prefix))
    .filter(([name]) => !APP_SETTING_NAMES.includes(name))
    .map(([name]) => {
      const meant = probablyMeant(name);
      const hint = meant === undefined ? '' : meant.toLowerCase() === name.toLowerCase() ? ` (did you mean ${meant}? names are case-sensitive)` : ` (did you mean ${meant}?)`;
      return `${name}: not a setting the app reads, so it would be ignored${hint}`;
    });
}

export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

export interface LoadOptions {
  /**
   * Validating the settings of the Functions app as the Functions host runs it (validateAtStartup):
   * a setting the host resolves itself, as a binding expression, must be set, or the host fails to
   * index the function while the app's own check passed. Adapters built outside the host (tests,
   * the demo) leave it out.
   */
  functionsHost?: boolean;
}

/** Validates the environment; the message names each bad setting. */
export function loadAppSettings(env: Record<string, string | undefined>, options: LoadOptions = {}): AppSettings {
  // First: a misspelt PEERGUARD_REPORT_SCHEDULE is better named as such than reported missing.
  const unknown = unknownSettingProblems(env);
  if (unknown.length > 0) throw new SettingsError(`invalid app settings: ${unknown.join('; ')}`);
  // The host reads the schedule itself (%PEERGUARD_REPORT_SCHEDULE%): a blank one is no default.
  const schedule = env.PEERGUARD_REPORT_SCHEDULE;
  if (schedule !== undefined && schedule.trim() === '') {
    throw new SettingsError(`invalid app settings: PEERGUARD_REPORT_SCHEDULE: blank; the Functions host reads it for the timer: set a schedule such as "${DEFAULT_REPORT_SCHEDULE}"`);
  }
  if (options.functionsHost && schedule === undefined) {
    throw new SettingsError(
      `invalid app settings: PEERGUARD_REPORT_SCHEDULE: not set; the Functions host reads it for the scheduledAudit timer (%PEERGUARD_REPORT_SCHEDULE%) and has no default: set a schedule such as "${DEFAULT_REPORT_SCHEDULE}"`,
    );
  }
  // Any other empty or blank value is unset, as the portal leaves a cleared setting.
  const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const result = appSettingsSchema.safeParse(defined);
  if (!result.success) throw new SettingsError(`invalid app settings: ${describeZodError(result.error)}`);
  const settings = result.data;
  if (settings.PEERGUARD_MANAGEMENT_GROUP && settings.PEERGUARD_SUBSCRIPTIONS.length > 0) {
    throw new SettingsError('invalid app settings: set PEERGUARD_SUBSCRIPTIONS or PEERGUARD_MANAGEMENT_GROUP, not both');
  }
  return settings;
}
