import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_SETTING_NAMES, DEFAULT_REPORT_SCHEDULE, loadAppSettings, SettingsError } from '../../src/config/app-settings';
import { validateAtStartup } from '../../src/functions/composition';
import { testEnv } from '../functions/harness';

// A variable named like a setting (PEERGUARD_*) that the app does not read stops the start: the
// schema would drop it, and the setting meant would be read as unset.

const ROOT = join(__dirname, '..', '..');
const base = { AzureWebJobsStorage: 'UseDevelopmentStorage=true', PEERGUARD_REPORT_SCHEDULE: DEFAULT_REPORT_SCHEDULE };
const SUB = 'aaaaaaaa-0000-0000-0000-000000000001';

function refusal(env: Record<string, string | undefined>): string {
  try {
    validateAtStartup(env);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return (error as Error).message;
  }
  throw new Error('the start was not refused');
}

describe('unknown settings stop the start, naming them and the setting probably meant', () => {
  it('PEERGUARD_SUBSCRIPTION (no S) no longer audits the whole tenant', () => {
    const env = { ...base, PEERGUARD_SUBSCRIPTION: SUB };
    expect(refusal(env)).toBe('invalid app settings: PEERGUARD_SUBSCRIPTION: not a setting the app reads, so it would be ignored (did you mean PEERGUARD_SUBSCRIPTIONS?)');
    // Adapters built outside the host validate through the same function.
    expect(() => loadAppSettings(env)).toThrow(SettingsError);
  });

  it('PEERGUARD_ALERTS_TO_ERROR no longer mails error alerts to nobody', () => {
    const env = {
      ...base,
      PEERGUARD_EMAIL_CONNECTION_STRING: 'endpoint=https://acs.example.communication.azure.com/;accesskey=a2V5',
      PEERGUARD_EMAIL_SENDER: 'peerguard@contoso.example',
      PEERGUARD_ALERTS_TO_ERROR: 'netops@contoso.example',
    };
    expect(refusal(env)).toMatch(/^invalid app settings: PEERGUARD_ALERTS_TO_ERROR: .*\(did you mean PEERGUARD_ALERT_TO_ERROR\?\)$/);
  });

  it('a misspelt schedule is named as such, not reported missing', () => {
    const { PEERGUARD_REPORT_SCHEDULE: _, ...rest } = base;
    expect(refusal({ ...rest, PEERGUARD_REPORT_SCHEDUL: DEFAULT_REPORT_SCHEDULE })).toContain('PEERGUARD_REPORT_SCHEDUL: not a setting the app reads, so it would be ignored (did you mean PEERGUARD_REPORT_SCHEDULE?)');
  });

  it('a setting in the wrong case is refused with its right spelling', () => {
    expect(refusal({ ...base, peerguard_subscriptions: SUB })).toContain('peerguard_subscriptions: not a setting the app reads, so it would be ignored (did you mean PEERGUARD_SUBSCRIPTIONS? names are case-sensitive)');
  });

  it('names with nothing close are refused without a guess', () => {
    expect(refusal({ ...base, PEERGUARD_DRY_RUN: 'true' })).toBe('invalid app settings: PEERGUARD_DRY_RUN: not a setting the app reads, so it would be ignored');
  });

  it('names every unknown one, and never repeats a value', () => {
    const message = refusal({ ...base, PEERGUARD_SUBSCRIPTION: SUB, PEERGUARD_EMAIL_CONECTION_STRING: 'endpoint=https://acs.example/;accesskey=SECRETKEY' });
    expect(message).toContain('PEERGUARD_SUBSCRIPTION:');
    expect(message).toContain('PEERGUARD_EMAIL_CONECTION_STRING: not a setting the app reads, so it would be ignored (did you mean PEERGUARD_EMAIL_CONNECTION_STRING?)');
    expect(message).not.toContain('SECRETKEY');
    expect(message).not.toContain(SUB);
  });

  it('a blank one is unset, as for every setting, and not refused', () => {
    expect(() => validateAtStartup({ ...base, PEERGUARD_SUBSCRIPTION: '', PEERGUARD_ALERTS_TO_ERROR: '  ' })).not.toThrow();
  });
});

describe('what the app legitimately receives still starts', () => {
  it('the settings themselves, the platform\'s and unrelated variables', () => {
    expect(() =>
      validateAtStartup({
        ...base,
        PEERGUARD_SUBSCRIPTIONS: SUB,
        PEERGUARD_TENANT_ID: SUB,
        FUNCTIONS_WORKER_RUNTIME: 'node',
        APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=00000000-0000-0000-0000-000000000000',
        AzureWebJobsFeatureFlags: 'EnableWorkerIndexing',
        AzureWebJobsScriptRoot: '/home/site/wwwroot',
        PATH: '/usr/bin',
      }),
    ).not.toThrow();
  });

  it("the host's own AzureWebJobsStorage__* forms (its namespace, not checked as the app's)", () => {
    const identity = {
      PEERGUARD_REPORT_SCHEDULE: DEFAULT_REPORT_SCHEDULE,
      AzureWebJobsStorage__accountName: 'stpeerguard',
      AzureWebJobsStorage__blobServiceUri: 'https://stpeerguard.blob.core.windows.net',
      AzureWebJobsStorage__queueServiceUri: 'https://stpeerguard.queue.core.windows.net',
      AzureWebJobsStorage__tableServiceUri: 'https://stpeerguard.table.core.windows.net',
      AzureWebJobsStorage__credential: 'managedidentity',
      AzureWebJobsStorage__managedIdentityResourceId: '/subscriptions/aaaaaaaa-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-peerguard',
    };
    expect(() => validateAtStartup(identity)).not.toThrow();
  });

  it('the Functions tests\' environment (testEnv)', () => {
    expect(() => loadAppSettings(testEnv('UseDevelopmentStorage=true', { PEERGUARD_TENANT_ID: SUB }))).not.toThrow();
  });

  it('no file of the project uses a PEERGUARD_* name that is not a setting', () => {
    // Names that are not environment variables: a TypeScript constant.
    const notVariables = new Set(['PEERGUARD_INFORMATION_URI']);
    // This file and the schema's (whose comments quote the misspellings this check refuses) are left out.
    const skipped = [relative(ROOT, __filename), join('src', 'config', 'app-settings.ts')];
    const files = (dir: string): string[] =>
      readdirSync(join(ROOT, dir)).flatMap((name) => {
        const path = join(dir, name);
        if (statSync(join(ROOT, path)).isDirectory()) return files(path);
        return /\.(ts|mts|mjs|js|bicep|json|sh|ps1)$|^run$/.test(name) && !skipped.includes(path) ? [path] : [];
      });
    const found = new Map<string, string>();
    // Where the app's environment is set or read (docs are prose: they quote misspellings as examples).
    for (const file of [...['src', 'test', 'scripts', 'bench', 'infra', 'bin', '.ci'].flatMap(files), 'local.settings.sample.json', 'package.json', 'host.json']) {
      for (const [name] of readFileSync(join(ROOT, file), 'utf8').matchAll(/\bPEERGUARD_[A-Z0-9_]*[A-Z0-9]\b/g)) found.set(name, file);
    }
    const stray = [...found].filter(([name]) => !APP_SETTING_NAMES.includes(name) && !notVariables.has(name));
    expect(stray, 'add a setting to the schema; a test knob takes another prefix').toEqual([]);
  });
});
