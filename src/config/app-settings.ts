import { z } from 'zod';
import { describeZodError } from '../engine/zod-errors';

// Every app setting the Functions app reads, validated once at start-up. This list is a contract:
// infra/ sets exactly these (test/infra/contract.test.ts), local.settings.sample.json lists them,
// and the table "App settings" in docs/functions.md describes each one (required or default,
// meaning, example). Add a setting here first, then to infra, the sample and that table.

const list = z
  .string()
  .optional()
  .transform((s) => (s ?? '').split(/[,;\s]+/).map((x) => x.trim()).filter(Boolean));

const emails = list.refine((xs) => xs.every((x) => /^[^@\s]+@[^@\s]+$/.test(x)), 'expected comma-separated email addresses');

export const appSettingsSchema = z.object({
  /** Subscriptions to audit (comma-separated). Empty with no management group: all the identity can read. */
  PEERGUARD_SUBSCRIPTIONS: list,
  /** Management group to audit instead of a subscription list. */
  PEERGUARD_MANAGEMENT_GROUP: z.string().optional(),
  /** The tenant whose events are accepted; events from others are ignored. */
  PEERGUARD_TENANT_ID: z.string().optional(),
  /** Azure cloud: AzurePublicCloud, AzureUSGovernment or AzureChinaCloud. */
  PEERGUARD_CLOUD: z.enum(['AzurePublicCloud', 'AzureUSGovernment', 'AzureChinaCloud']).default('AzurePublicCloud'),
  /** Overrides the cloud's Resource Manager endpoint (private clouds, the local stand-in). */
  PEERGUARD_ARM_ENDPOINT: z.url().optional(),
  /** Client id of the user-assigned managed identity (DefaultAzureCredential reads it). */
  AZURE_CLIENT_ID: z.string().optional(),
  /** NCRONTAB schedule of the compliance report: {second} {minute} {hour} {day} {month} {day-of-week}. */
  PEERGUARD_REPORT_SCHEDULE: z
    .string()
    .default('0 0 6 * * *')
    .refine((s) => s.trim().split(/\s+/).length === 6, 'expected six NCRONTAB fields, e.g. "0 0 6 * * *"'),
  /** Audit configuration (rules, suppressions) as inline JSON or YAML. */
  PEERGUARD_AUDIT_CONFIG: z.string().optional(),
  /** Communication Services endpoint (identity auth), e.g. https://acs-peerguard.europe.communication.azure.com */
  PEERGUARD_EMAIL_ENDPOINT: z.url().optional(),
  /** Communication Services connection string (local runs; prefer the endpoint with identity in Azure). */
  PEERGUARD_EMAIL_CONNECTION_STRING: z.string().optional(),
  /** Sender address on the Communication Services email domain. */
  PEERGUARD_EMAIL_SENDER: z.string().optional(),
  /** Alert recipients per severity. */
  PEERGUARD_ALERT_TO_ERROR: emails,
  PEERGUARD_ALERT_TO_WARNING: emails,
  PEERGUARD_ALERT_TO_INFO: emails,
  /** Recipients of the scheduled compliance report. */
  PEERGUARD_REPORT_TO: emails,
  /** Azure portal base URL for links in mails. */
  PEERGUARD_PORTAL_URL: z.url().default('https://portal.azure.com'),
  /** Storage for alert state (tables), reports (blobs) and fan-out (queues): a connection string. */
  AzureWebJobsStorage: z.string().optional(),
  /** Identity-based storage connection (Azure): service URIs, as the Functions runtime reads them. */
  AzureWebJobsStorage__tableServiceUri: z.url().optional(),
  AzureWebJobsStorage__blobServiceUri: z.url().optional(),
  AzureWebJobsStorage__queueServiceUri: z.url().optional(),
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
  AzureWebJobsStorage__clientId: z.string().optional(),
});

export type AppSettings = z.infer<typeof appSettingsSchema>;

export const APP_SETTING_NAMES: readonly string[] = Object.keys(appSettingsSchema.shape);

export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

/** Validates the environment; the message names each bad setting. */
export function loadAppSettings(env: Record<string, string | undefined>): AppSettings {
  const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = appSettingsSchema.safeParse(defined);
  if (!result.success) throw new SettingsError(`invalid app settings: ${describeZodError(result.error)}`);
  const settings = result.data;
  if (settings.PEERGUARD_MANAGEMENT_GROUP && settings.PEERGUARD_SUBSCRIPTIONS.length > 0) {
    throw new SettingsError('invalid app settings: set PEERGUARD_SUBSCRIPTIONS or PEERGUARD_MANAGEMENT_GROUP, not both');
  }
  return settings;
}
