import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_SETTING_NAMES, DEFAULT_REPORT_SCHEDULE, loadAppSettings, SettingsError } from '../../src/config/app-settings';
import { cloudFrom, validateAtStartup } from '../../src/functions/composition';

// The app settings: values the Functions host accepts are accepted here too, and the table in
// docs/functions.md describes exactly the settings loadAppSettings reads.

const ROOT = join(__dirname, '..', '..');

/** Identity-based storage as infra/main.bicep sets it (with the schedule it sets), with the credential given. */
function identityStorage(credential: string): Record<string, string> {
  return {
    PEERGUARD_REPORT_SCHEDULE: DEFAULT_REPORT_SCHEDULE,
    AzureWebJobsStorage__tableServiceUri: 'https://stpeerguard.table.core.windows.net',
    AzureWebJobsStorage__blobServiceUri: 'https://stpeerguard.blob.core.windows.net',
    AzureWebJobsStorage__queueServiceUri: 'https://stpeerguard.queue.core.windows.net',
    AzureWebJobsStorage__credential: credential,
    AzureWebJobsStorage__clientId: '00000000-0000-0000-0000-0000000000c1',
  };
}

describe('AzureWebJobsStorage__credential', () => {
  // The Functions host (Microsoft.Extensions.Azure) compares it with "managedidentity" ignoring case.
  it.each(['managedidentity', 'ManagedIdentity', 'MANAGEDIDENTITY', 'managedIdentity'])('accepts %s, as the Functions host does', (value) => {
    const env = identityStorage(value);
    expect(loadAppSettings(env).AzureWebJobsStorage__credential).toBe('managedidentity');
    expect(() => validateAtStartup(env)).not.toThrow();
  });

  it.each(['connectionstring', 'managed identity', 'managedidentity2', 'azurecli'])('refuses %s, naming the setting', (value) => {
    expect(() => loadAppSettings(identityStorage(value))).toThrow(SettingsError);
    expect(() => loadAppSettings(identityStorage(value))).toThrow(/^invalid app settings: AzureWebJobsStorage__credential: /);
  });
});

describe('docs/functions.md', () => {
  const doc = readFileSync(join(ROOT, 'docs/functions.md'), 'utf8');
  const start = doc.indexOf('### App settings');
  const section = start < 0 ? '' : doc.slice(start, doc.indexOf('\n### ', start + 1) < 0 ? undefined : doc.indexOf('\n### ', start + 1));
  /** The first cell of each row of the settings table: `| \`NAME\` | ...`. */
  const documented = [...section.matchAll(/^\| `([A-Za-z_]+)` \|/gm)].map((m) => m[1]);

  it('has an App settings section with a table', () => {
    expect(section).not.toBe('');
    expect(documented.length).toBeGreaterThan(0);
  });

  it('describes every setting loadAppSettings reads, once, and no other', () => {
    expect([...documented].sort()).toEqual([...APP_SETTING_NAMES].sort());
  });
});

describe('values the app could not use stop the start, naming the setting', () => {
  const base = { AzureWebJobsStorage: 'UseDevelopmentStorage=true' };
  const GUID_A = 'aaaaaaaa-0000-0000-0000-000000000001';

  it.each([
    ['PEERGUARD_SUBSCRIPTIONS', `/subscriptions/${GUID_A}`, 'expected comma-separated subscription ids'],
    ['PEERGUARD_SUBSCRIPTIONS', `${GUID_A},prod-subscription`, 'expected comma-separated subscription ids'],
    ['PEERGUARD_TENANT_ID', 'contoso.onmicrosoft.com', 'expected a GUID'],
    ['AZURE_CLIENT_ID', 'my-identity', 'expected a GUID'],
    ['AzureWebJobsStorage__clientId', 'my-identity', 'expected a GUID'],
    ['PEERGUARD_REPORT_SCHEDULE', 'a b c d e f', 'expected six NCRONTAB fields'],
    ['PEERGUARD_REPORT_SCHEDULE', '99 99 99 * * *', 'expected six NCRONTAB fields'],
    ['PEERGUARD_REPORT_SCHEDULE', '0 0 6 * * * *', 'expected six NCRONTAB fields'],
    ['PEERGUARD_REPORT_SCHEDULE', '0 0 6 * * FUNDAY', 'expected six NCRONTAB fields'],
    ['PEERGUARD_REPORT_SCHEDULE', '0 0 6 * Mondays *', 'expected six NCRONTAB fields'],
    ['PEERGUARD_REPORT_SCHEDULE', '   ', 'blank; the Functions host reads it for the timer'],
    ['AzureWebJobsStorage', 'AccountName=st;AccountKey=a2V5', 'expected a storage connection string'],
    ['AzureWebJobsStorage', 'defaultendpointsprotocol=https;accountname=st;accountkey=a2V5', 'expected a storage connection string'],
    ['PEERGUARD_EMAIL_SENDER', 'not an email', 'expected an email address'],
    ['PEERGUARD_EMAIL_ENDPOINT', 'http://acs.example.com', 'expected an https:// URL'],
    ['PEERGUARD_PORTAL_URL', 'javascript:alert(1)', 'expected an https:// URL'],
    ['PEERGUARD_ALERT_TO_ERROR', '<netops@contoso.com>', 'expected comma-separated email addresses'],
    ['PEERGUARD_REPORT_TO', Array.from({ length: 51 }, (_, i) => `user${i}@contoso.com`).join(';'), 'more than 50 addresses'],
    // The storage clients send the identity's token, which core-rest-pipeline sends over https only (loopback too).
    ['AzureWebJobsStorage__tableServiceUri', 'http://stpeerguard.table.core.windows.net', 'expected an https:// URL such as https://<account>.table.core.windows.net'],
    ['AzureWebJobsStorage__blobServiceUri', 'http://127.0.0.1:10000/devstoreaccount1', 'expected an https:// URL such as https://<account>.blob.core.windows.net'],
    ['AzureWebJobsStorage__queueServiceUri', 'ftp://stpeerguard.queue.core.windows.net', 'expected an https:// URL such as https://<account>.queue.core.windows.net'],
    ['AzureWebJobsStorage__queueServiceUri', 'stpeerguard.queue.core.windows.net', 'expected an https:// URL'],
    // Resource Graph's managementGroups takes the group's ID (its name), not a resource id or a display name.
    ['PEERGUARD_MANAGEMENT_GROUP', '/providers/Microsoft.Management/managementGroups/mg-landing-zones', 'expected the management group ID (its name, not its display name): 1-90 letters, digits, hyphens, underscores, periods or parentheses, not ending with a period, e.g. mg-landing-zones; this is a resource id: give its last segment, "mg-landing-zones"'],
    ['PEERGUARD_MANAGEMENT_GROUP', '/providers/Microsoft.Management/managementGroups/mg one', 'expected the management group ID (its name, not its display name)'],
    ['PEERGUARD_MANAGEMENT_GROUP', 'Landing Zones', 'expected the management group ID (its name, not its display name)'],
    ['PEERGUARD_MANAGEMENT_GROUP', 'mg-landing-zones.', 'expected the management group ID'],
    ['PEERGUARD_MANAGEMENT_GROUP', 'm'.repeat(91), 'expected the management group ID'],
    ['PEERGUARD_MANAGEMENT_GROUP', 'mg-landing-zones,mg-corp', 'expected the management group ID'],
  ])('%s = %j', (name, value, message) => {
    expect(() => loadAppSettings({ ...base, [name]: value })).toThrow(`invalid app settings: ${name}: ${message}`);
  });

  it.each([
    ['PEERGUARD_EMAIL_CONNECTION_STRING', 'accesskey=TOPSECRETKEY==', 'expected endpoint=https://<resource>.communication.azure.com/;accesskey=<key>'],
    ['PEERGUARD_EMAIL_CONNECTION_STRING', 'endpoint=acs.example.com;accesskey=TOPSECRETKEY==', 'expected endpoint=https://'],
    ['AzureWebJobsStorage', 'AccountName=x;AccountKey=TOPSECRETKEY==;garbage', 'expected a storage connection string'],
    ['AzureWebJobsStorage', 'AccountName=x', 'expected a storage connection string'],
  ])('secret %s: refused without its value in the message', (name, value, message) => {
    let error: unknown;
    try {
      loadAppSettings({ ...base, [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SettingsError);
    expect((error as Error).message).toContain(`${name}: ${message}`);
    expect((error as Error).message).not.toContain('TOPSECRETKEY');
  });

  it('reads recipient lists with any separator, each address once whatever its case, up to 50', () => {
    const fifty = Array.from({ length: 50 }, (_, i) => `user${i}@contoso.com`);
    const settings = loadAppSettings({ ...base, PEERGUARD_ALERT_TO_ERROR: `netops@contoso.com; NetOps@Contoso.com,\nsoc@contoso.com`, PEERGUARD_REPORT_TO: [...fifty, 'USER0@contoso.com'].join(' ') });
    expect(settings.PEERGUARD_ALERT_TO_ERROR).toEqual(['netops@contoso.com', 'soc@contoso.com']);
    expect(settings.PEERGUARD_REPORT_TO).toEqual(fifty);
  });

  it.each(['0 30 9 * * Monday-Friday', '0 30 9 * * Tues', '0 0 9 * Sept *', '0 0 9 * January *', '0 0 */2 * * *', '0 0 6 1,15 * *', '5/15 * * * * *'])(
    'accepts the schedule %j, as NCrontab reads it',
    (schedule) => {
      expect(loadAppSettings({ ...base, PEERGUARD_REPORT_SCHEDULE: schedule }).PEERGUARD_REPORT_SCHEDULE).toBe(schedule);
    },
  );

  it('accepts what Azure and the Functions host accept', () => {
    const settings = loadAppSettings({
      ...base,
      PEERGUARD_SUBSCRIPTIONS: `${GUID_A}, ${GUID_A.toUpperCase().replace('A', 'B')}`,
      PEERGUARD_TENANT_ID: ` ${GUID_A} `,
      PEERGUARD_REPORT_SCHEDULE: '0 */30 9-17 * JAN-DEC MON-FRI',
      PEERGUARD_EMAIL_CONNECTION_STRING: 'endpoint=https://acs-peerguard.europe.communication.azure.com/;accesskey=abc==',
      PEERGUARD_EMAIL_SENDER: 'DoNotReply@contoso.com',
    });
    expect(settings.PEERGUARD_TENANT_ID).toBe(GUID_A);
    expect(settings.PEERGUARD_SUBSCRIPTIONS).toHaveLength(2);
    for (const storage of [
      'UseDevelopmentStorage=true',
      'DefaultEndpointsProtocol=https;AccountName=st;AccountKey=a2V5;EndpointSuffix=core.windows.net',
      'BlobEndpoint=https://st.blob.core.windows.net;QueueEndpoint=https://st.queue.core.windows.net;TableEndpoint=https://st.table.core.windows.net;SharedAccessSignature=sv=2024&sig=x',
      'DefaultEndpointsProtocol=https;AccountName=st;AccountKey=a2V5;EndpointSuffix=core.windows.net;BlobSecondaryEndpoint=https://st-secondary.blob.core.windows.net',
    ]) {
      expect(loadAppSettings({ AzureWebJobsStorage: storage }).AzureWebJobsStorage).toBe(storage);
    }
  });

  it('names an insecure Resource Manager endpoint without its password', () => {
    const settings = loadAppSettings({ ...base, PEERGUARD_ARM_ENDPOINT: 'http://user:SECRETPW@localhost:8443' });
    expect(() => cloudFrom(settings)).toThrow('invalid app settings: PEERGUARD_ARM_ENDPOINT: the Resource Manager endpoint must use https (access tokens are never sent over http): "http://***@localhost:8443/"');
    expect(() => cloudFrom(loadAppSettings({ ...base, PEERGUARD_ARM_ENDPOINT: 'https://user:SECRETPW@localhost:8443' }))).not.toThrow();
  });

  it.each(['mg-landing-zones', 'Contoso_(Prod).v2', 'aaaaaaaa-0000-0000-0000-00000000000a', ' mg-corp ', 'm'.repeat(90)])(
    'accepts the management group ID %j, as Azure names one',
    (id) => {
      expect(loadAppSettings({ ...base, PEERGUARD_MANAGEMENT_GROUP: id }).PEERGUARD_MANAGEMENT_GROUP).toBe(id.trim());
    },
  );

  it('reads a blank value as unset, as an empty one', () => {
    const settings = loadAppSettings({ ...base, PEERGUARD_TENANT_ID: '  ', PEERGUARD_MANAGEMENT_GROUP: ' ', PEERGUARD_SUBSCRIPTIONS: GUID_A });
    expect([settings.PEERGUARD_TENANT_ID, settings.PEERGUARD_MANAGEMENT_GROUP]).toEqual([undefined, undefined]);
  });
});

describe('PEERGUARD_REPORT_SCHEDULE: the Functions host resolves the timer\'s %PEERGUARD_REPORT_SCHEDULE% itself, with no default', () => {
  const base = { AzureWebJobsStorage: 'UseDevelopmentStorage=true' };

  it('is required when validating for the host, the message naming the setting and an example', () => {
    expect(() => loadAppSettings(base, { functionsHost: true })).toThrow(SettingsError);
    expect(() => loadAppSettings(base, { functionsHost: true })).toThrow(
      'invalid app settings: PEERGUARD_REPORT_SCHEDULE: not set; the Functions host reads it for the scheduledAudit timer (%PEERGUARD_REPORT_SCHEDULE%) and has no default: set a schedule such as "0 0 6 * * *"',
    );
    expect(() => loadAppSettings({ ...base, PEERGUARD_REPORT_SCHEDULE: ' ' }, { functionsHost: true })).toThrow('invalid app settings: PEERGUARD_REPORT_SCHEDULE: blank');
    expect(loadAppSettings({ ...base, PEERGUARD_REPORT_SCHEDULE: '0 30 5 * * 1-5' }, { functionsHost: true }).PEERGUARD_REPORT_SCHEDULE).toBe('0 30 5 * * 1-5');
  });

  it('the example in the message is a schedule the check accepts', () => {
    expect(loadAppSettings({ ...base, PEERGUARD_REPORT_SCHEDULE: DEFAULT_REPORT_SCHEDULE }, { functionsHost: true }).PEERGUARD_REPORT_SCHEDULE).toBe(DEFAULT_REPORT_SCHEDULE);
  });

  it('may be left out by adapters built outside the host (tests, the demo), which never read it', () => {
    expect(() => loadAppSettings(base)).not.toThrow();
  });

  it('is set in local.settings.sample.json, whose values pass the host\'s validation as they are', () => {
    const sample = JSON.parse(readFileSync(join(ROOT, 'local.settings.sample.json'), 'utf8')) as { Values: Record<string, string> };
    expect(sample.Values.PEERGUARD_REPORT_SCHEDULE).toBe(DEFAULT_REPORT_SCHEDULE);
    expect(() => loadAppSettings(sample.Values, { functionsHost: true })).not.toThrow();
  });
});
