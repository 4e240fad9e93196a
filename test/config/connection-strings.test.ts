import { EmailClient } from '@azure/communication-email';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueServiceClient } from '@azure/storage-queue';
import { describe, expect, it } from 'vitest';
import { DEFAULT_REPORT_SCHEDULE, loadAppSettings, SettingsError } from '../../src/config/app-settings';
import { validateAtStartup } from '../../src/functions/composition';

// The connection strings the start accepts are exactly those the SDK clients the app builds from
// them read: a string the start passed and a client refused failed every invocation instead, its
// error quoting the value (an access key) in the host's log.

const KEY = 'S3CR3TKEYc2VjcmV0';
const ACCOUNT_KEY = 'QUNDT1VOVFNFQ1JFVEtFWQ==';
const ACS = 'https://acs-peerguard.europe.communication.azure.com/';
const base = { PEERGUARD_REPORT_SCHEDULE: DEFAULT_REPORT_SCHEDULE, AzureWebJobsStorage: 'UseDevelopmentStorage=true' };

/** The start's verdict: undefined when it starts, else the SettingsError's message. */
function refusal(env: Record<string, string>): string | undefined {
  try {
    validateAtStartup({ ...base, ...env });
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return (error as Error).message;
  }
}

const builds = (build: () => unknown): boolean => {
  try {
    build();
    return true;
  } catch {
    return false;
  }
};

describe('PEERGUARD_EMAIL_CONNECTION_STRING: what EmailClient reads, with an https endpoint', () => {
  const email = (connection: string) => ({ PEERGUARD_EMAIL_CONNECTION_STRING: connection, PEERGUARD_EMAIL_SENDER: 'peerguard@contoso.example', PEERGUARD_REPORT_TO: 'netops@contoso.example' });

  it.each([
    [`accesskey=${KEY};endpoint=${ACS}`, false],
    [`endpoint=${ACS}; accesskey=${KEY}`, false],
    [`endpoint=${ACS};\taccesskey=${KEY}`, false],
    [`endpoint=${ACS}peerguard;accesskey=${KEY}`, false],
    [`endpoint=${ACS};region=europe;accesskey=${KEY}`, false],
    [`endpoint=${ACS};accesskey=`, false],
    // EmailClient reads it; the app sends its access key over https only.
    [`endpoint=http://acs-peerguard.europe.communication.azure.com/;accesskey=${KEY}`, true],
  ])('%s: refused at the start, naming the setting and not repeating the value', (connection, sdkReads) => {
    expect(builds(() => new EmailClient(connection))).toBe(sdkReads);
    const message = refusal(email(connection));
    expect(message).toMatch(/^invalid app settings: PEERGUARD_EMAIL_CONNECTION_STRING: expected endpoint=https:\/\/<resource>\.communication\.azure\.com\/;accesskey=<key>/);
    expect(message).not.toContain(KEY);
    expect(message).not.toContain('acs-peerguard');
  });

  it.each([`endpoint=${ACS};accesskey=${KEY}`, `ENDPOINT=${ACS};AccessKey=${KEY}`, `endpoint=${ACS.slice(0, -1)};accesskey=${KEY}==`, `endpoint=${ACS};accesskey=${KEY};`])('%s: accepted, and EmailClient reads it', (connection) => {
    expect(builds(() => new EmailClient(connection))).toBe(true);
    expect(refusal(email(connection))).toBeUndefined();
  });
});

describe('AzureWebJobsStorage: what the Table, Blob and Queue clients all read', () => {
  const clientsRead = (connection: string) =>
    builds(() => TableClient.fromConnectionString(connection, 'peerguardalerts', { allowInsecureConnection: true })) &&
    builds(() => BlobServiceClient.fromConnectionString(connection)) &&
    builds(() => QueueServiceClient.fromConnectionString(connection));

  it.each([
    [`DefaultEndpointsProtocol=https;AccountName=stpeerguard;AccountKey=${ACCOUNT_KEY}`, 'Invalid EndpointSuffix in the provided Connection String'],
    [`DefaultEndpointsProtocol=https;AccountName=stpeerguard;AccountKey=${ACCOUNT_KEY};EndpointSuffix=`, 'Invalid EndpointSuffix in the provided Connection String'],
    [`AccountName=stpeerguard;AccountKey=${ACCOUNT_KEY};BlobEndpoint=https://stpeerguard.blob.core.windows.net`, 'Invalid TableEndpoint in the provided SAS Connection String'],
    [`AccountName=stpeerguard;AccountKey=${ACCOUNT_KEY};EndpointSuffix=core.windows.net`, 'Invalid TableEndpoint in the provided SAS Connection String'],
    [`BlobEndpoint=https://stpeerguard.blob.core.windows.net;SharedAccessSignature=sv=2024&sig=${KEY}`, 'Invalid TableEndpoint in the provided SAS Connection String'],
    [`DefaultEndpointsProtocol=ftp;AccountName=stpeerguard;AccountKey=${ACCOUNT_KEY};EndpointSuffix=core.windows.net`, 'Invalid DefaultEndpointsProtocol in the provided Connection String'],
    ['UseDevelopmentStorage=TRUE', undefined],
    [`DefaultEndpointsProtocol=https;AccountName=stpeerguard;AccountKey=${ACCOUNT_KEY};EndpointSuffix=core.windows.net;BlobEndpoint=https://stpeerguard blob`, undefined],
  ])('%s: refused at the start, naming the setting and the SDK\'s reason, not the value', (connection, reason) => {
    expect(clientsRead(connection)).toBe(false);
    const message = refusal({ AzureWebJobsStorage: connection });
    expect(message).toMatch(/^invalid app settings: AzureWebJobsStorage: expected a storage connection string the Storage SDKs read/);
    if (reason) expect(message).toContain(`(${reason})`);
    for (const secret of [ACCOUNT_KEY, KEY, 'stpeerguard']) expect(message).not.toContain(secret);
  });

  it.each([
    'UseDevelopmentStorage=true',
    'UseDevelopmentStorage=true;DevelopmentStorageProxyUri=http://127.0.0.1:8080',
    `DefaultEndpointsProtocol=https;AccountName=stpeerguard;AccountKey=${ACCOUNT_KEY};EndpointSuffix=core.windows.net`,
    `DefaultEndpointsProtocol=https;AccountName=stpeerguard;AccountKey=${ACCOUNT_KEY};EndpointSuffix=core.usgovcloudapi.net;`,
    // test/support/azurite.ts's: Azurite on its own ports, each endpoint explicit.
    'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:41000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:41001/devstoreaccount1;TableEndpoint=http://127.0.0.1:41002/devstoreaccount1;',
    'BlobEndpoint=https://stpeerguard.blob.core.windows.net;QueueEndpoint=https://stpeerguard.queue.core.windows.net;TableEndpoint=https://stpeerguard.table.core.windows.net;SharedAccessSignature=sv=2024&sig=x',
  ])('%s: accepted, and all three clients read it', (connection) => {
    expect(clientsRead(connection)).toBe(true);
    expect(refusal({ AzureWebJobsStorage: connection })).toBeUndefined();
    expect(loadAppSettings({ AzureWebJobsStorage: connection }).AzureWebJobsStorage).toBe(connection);
  });
});
