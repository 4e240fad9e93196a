import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_SETTING_NAMES, loadAppSettings, SettingsError } from '../../src/config/app-settings';
import { validateAtStartup } from '../../src/functions/composition';

// The app settings: values the Functions host accepts are accepted here too, and the table in
// docs/functions.md describes exactly the settings loadAppSettings reads.

const ROOT = join(__dirname, '..', '..');

/** Identity-based storage as infra/main.bicep sets it, with the credential given. */
function identityStorage(credential: string): Record<string, string> {
  return {
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
