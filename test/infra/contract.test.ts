// Keeps code and infra/ honest: the app settings the code reads, the Event Grid filter the handler
// accepts, the timer's schedule and the opt-in remediation role. Parses the Bicep text with
// test/infra/bicep-text.ts (the Bicep CLI can't run here; `az bicep build` validates the files).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_SETTING_NAMES, DEFAULT_REPORT_SCHEDULE, loadAppSettings } from '../../src/config/app-settings';
import { ACCEPTED_EVENT_TYPES, RESOURCE_GROUP_DELETE, WATCHED_RESOURCE_TYPES } from '../../src/config/event-filter';
import type { Body } from './bicep-text';
import { declarations, objectKeys, objectValue, paramDefault, stringArray, varBody } from './bicep-text';

const ROOT = join(__dirname, '..', '..');
const INFRA = join(ROOT, 'infra');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/**
 * Settings the code reads that Azure does not set, and why. Each must still be in the schema and
 * in local.settings.sample.json; none may also be set by the Bicep.
 */
export const LOCAL_ONLY: Readonly<Record<string, string>> = {
  AzureWebJobsStorage: 'a connection string (Azurite locally); Azure uses the identity-based AzureWebJobsStorage__* settings',
  PEERGUARD_EMAIL_CONNECTION_STRING: 'an access key; Azure sends with the identity through PEERGUARD_EMAIL_ENDPOINT',
  PEERGUARD_ARM_ENDPOINT: 'the local Azure stand-in or a private cloud; in Azure PEERGUARD_CLOUD selects the endpoint',
};

/**
 * Settings the Bicep sets that the code never reads: the platform's own. Flex Consumption sets
 * the runtime in functionAppConfig, so FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION
 * are absent on purpose (the plan rejects them).
 */
export const PLATFORM_SETTINGS: Readonly<Record<string, string>> = {
  APPLICATIONINSIGHTS_CONNECTION_STRING: 'the Functions host sends telemetry to Application Insights',
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Entra ID auth for that telemetry (local auth is disabled on the component)',
};

/** Settings local.settings.sample.json may hold beyond the code's: the local Functions host's own. */
export const LOCAL_HOST_SETTINGS: Readonly<Record<string, string>> = {
  FUNCTIONS_WORKER_RUNTIME: '`func start` needs it locally; Flex Consumption sets the runtime in functionAppConfig',
};

const FORBIDDEN_ON_FLEX = ['FUNCTIONS_WORKER_RUNTIME', 'FUNCTIONS_EXTENSION_VERSION', 'WEBSITE_RUN_FROM_PACKAGE', 'WEBSITE_NODE_DEFAULT_VERSION'];

function bicepFiles(dir = INFRA): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return bicepFiles(path);
    return name.endsWith('.bicep') ? [path] : [];
  });
}

const sorted = (xs: Iterable<string>) => [...xs].sort();
const mainBicep = read('infra/main.bicep');
const appSettings: Body = varBody(mainBicep, 'appSettings');
const bicepSettings = objectKeys(appSettings);
const sample = JSON.parse(read('local.settings.sample.json')) as { Values?: Record<string, string> };
const sampleSettings = Object.keys(sample.Values ?? {});

describe('app settings: src/config/app-settings.ts <-> infra/main.bicep <-> local.settings.sample.json', () => {
  it('finds the settings object in main.bicep', () => {
    expect(bicepSettings.length).toBeGreaterThan(5);
    expect(new Set(bicepSettings).size).toBe(bicepSettings.length);
  });

  it('sets every setting the code reads, unless it is documented as local-only', () => {
    const missing = APP_SETTING_NAMES.filter((name) => !bicepSettings.includes(name) && !(name in LOCAL_ONLY));
    expect(missing, 'read by the code but set neither by infra/main.bicep nor listed in LOCAL_ONLY').toEqual([]);
  });

  it('sets nothing the code never reads, beyond the platform allow-list', () => {
    const unknown = bicepSettings.filter((name) => !APP_SETTING_NAMES.includes(name) && !(name in PLATFORM_SETTINGS));
    expect(unknown, 'set by infra/main.bicep but read by no code (add to app-settings.ts or remove)').toEqual([]);
  });

  it('keeps the allow-lists exact: no stale entries, no contradictions', () => {
    for (const name of Object.keys(LOCAL_ONLY)) {
      expect(APP_SETTING_NAMES, `LOCAL_ONLY lists ${name}, which the code no longer reads`).toContain(name);
      expect(bicepSettings, `${name} is LOCAL_ONLY yet set by the Bicep`).not.toContain(name);
    }
    for (const name of Object.keys(PLATFORM_SETTINGS)) {
      expect(bicepSettings, `PLATFORM_SETTINGS lists ${name}, which the Bicep does not set`).toContain(name);
      expect(APP_SETTING_NAMES).not.toContain(name);
    }
  });

  it('sets no runtime setting that Flex Consumption rejects', () => {
    for (const name of FORBIDDEN_ON_FLEX) expect(bicepSettings).not.toContain(name);
  });

  it('is the only place infra/ sets app settings, and the function app applies it', () => {
    const elsewhere = bicepFiles()
      .filter((file) => /\bappSettings\s*:\s*\[/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(ROOT, file));
    expect(elsewhere, 'siteConfig.appSettings arrays bypass the contract').toEqual([]);
    const functionApp = read('infra/modules/function-app.bicep');
    expect(functionApp).toMatch(/name:\s*'appsettings'\s*\n\s*properties:\s*appSettings\b/);
    expect(mainBicep).toMatch(/\bappSettings:\s*appSettings\b/);
  });

  it('lists every setting the code reads in local.settings.sample.json', () => {
    const missing = APP_SETTING_NAMES.filter((name) => !sampleSettings.includes(name));
    expect(missing, 'add them to local.settings.sample.json').toEqual([]);
  });

  it('lists nothing in local.settings.sample.json that neither the code nor the local host reads', () => {
    const unknown = sampleSettings.filter((name) => !APP_SETTING_NAMES.includes(name) && !(name in LOCAL_HOST_SETTINGS));
    expect(unknown).toEqual([]);
  });
});

describe('the report timer schedule', () => {
  const defaultSchedule = DEFAULT_REPORT_SCHEDULE;

  // The Functions host resolves %PEERGUARD_REPORT_SCHEDULE% itself, with no default: infra/ and the sample must set it.
  it('PEERGUARD_REPORT_SCHEDULE is set from a parameter whose default is the code\'s, and is in the sample', () => {
    expect(objectValue(appSettings, 'PEERGUARD_REPORT_SCHEDULE')).toBe('reportSchedule');
    expect(paramDefault(mainBicep, 'reportSchedule')).toBe(`'${defaultSchedule}'`);
    expect(loadAppSettings({ PEERGUARD_REPORT_SCHEDULE: defaultSchedule }, { functionsHost: true }).PEERGUARD_REPORT_SCHEDULE).toBe(defaultSchedule);
    expect(sample.Values?.PEERGUARD_REPORT_SCHEDULE).toBe(defaultSchedule);
    const parameters = JSON.parse(read('infra/main.parameters.json')) as { parameters: Record<string, { value: unknown }> };
    expect(parameters.parameters.reportSchedule?.value).toBe(`\${REPORT_SCHEDULE=${defaultSchedule}}`);
  });
});

describe('Event Grid filter: src/config/event-filter.ts <-> infra/modules/eventgrid-subscription.bicep', () => {
  const eventGrid = read('infra/modules/eventgrid-subscription.bicep');
  const systemTopic = read('infra/modules/eventgrid-system-topic.bicep');
  const eventTypes = stringArray(varBody(eventGrid, 'includedEventTypes'));
  const resourceTypes = stringArray(varBody(eventGrid, 'watchedResourceTypes'));

  it('includes exactly the event types the handler accepts', () => {
    expect(sorted(eventTypes)).toEqual(sorted(ACCEPTED_EVENT_TYPES));
  });

  it('watches exactly the resource types the handler accepts', () => {
    expect(sorted(resourceTypes)).toEqual(sorted(WATCHED_RESOURCE_TYPES));
  });

  it('derives the subject filter from those types and passes both lists to the event subscription', () => {
    expect(eventGrid).toMatch(/var topLevelTypePaths = map\(watchedResourceTypes,/);
    expect(eventGrid).toMatch(/includedEventTypes:\s*includedEventTypes\b/);
    expect(eventGrid).toMatch(/subjectContains:\s*subjectContains\b/);
    const filters = varBody(systemTopic, 'filters').text;
    expect(filters).toMatch(/includedEventTypes:\s*includedEventTypes\b/);
    expect(filters).toMatch(/operatorType:\s*'StringContains'\s*\n\s*key:\s*'subject'\s*\n\s*values:\s*subjectContains\b/);
  });

  it("subscribes to a resource group's deletion, as the handler accepts it, in an event subscription of its own", () => {
    const groupDelete = varBody(eventGrid, 'resourceGroupDelete');
    expect(objectValue(groupDelete, 'eventType')).toBe(`'${RESOURCE_GROUP_DELETE.eventType}'`);
    expect(objectValue(groupDelete, 'operationName')).toBe(`'${RESOURCE_GROUP_DELETE.operationName}'`);
    expect(eventGrid).toMatch(/resourceGroupDelete:\s*resourceGroupDelete\b/);
    const filters = varBody(systemTopic, 'filters').text;
    expect(filters).toMatch(/includedEventTypes:\s*\[resourceGroupDelete\.eventType\]/);
    expect(filters).toMatch(/operatorType:\s*'StringIn'\s*\n\s*key:\s*'data\.operationName'\s*\n\s*values:\s*\[resourceGroupDelete\.operationName\]/);
    // One event subscription per filter, each with the filter's own lists.
    expect(systemTopic).toMatch(/@batchSize\(1\)\s*\nresource toFunction [^\n]*= \[for f in \(createEventSubscription \? filters : \[\]\): \{/);
    expect(systemTopic).toMatch(/includedEventTypes:\s*f\.includedEventTypes\s*\n\s*advancedFilters:\s*f\.advancedFilters\b/);
  });

  it('the derived subject values catch every watched type within Event Grid\'s limits', () => {
    // What the Bicep computes: '/providers/<namespace>/<top-level type>/', de-duplicated.
    const values = [...new Set(resourceTypes.map((t) => `/providers/${t.split('/').slice(0, 2).join('/')}/`))];
    expect(values.length).toBeLessThanOrEqual(25);
    for (const type of WATCHED_RESOURCE_TYPES) {
      const [namespace, ...types] = type.split('/');
      const id = `/subscriptions/0/resourceGroups/rg/providers/${namespace}/${types.map((t, i) => `${t}/n${i}`).join('/')}`;
      // Event Grid string comparisons are case-insensitive.
      expect(values.some((v) => id.toLowerCase().includes(v.toLowerCase())), `${type} (${id})`).toBe(true);
    }
  });

  it('delivers to the function with retries for a day and identity-based dead-lettering', () => {
    expect(systemTopic).toMatch(/topicType:\s*'Microsoft\.Resources\.Subscriptions'/);
    expect(systemTopic).toMatch(/location:\s*'global'/);
    expect(systemTopic).toMatch(/endpointType:\s*'AzureFunction'/);
    expect(systemTopic).toMatch(/eventTimeToLiveInMinutes:\s*1440\b/);
    expect(systemTopic).toMatch(/maxDeliveryAttempts:\s*maxDeliveryAttempts\b/);
    expect(systemTopic).toMatch(/deadLetterWithResourceIdentity:\s*\{/);
    expect(mainBicep).toMatch(/var deadLetterContainerName = 'deadletter'/);
  });

  it('targets the function the code registers', () => {
    const functions = join(ROOT, 'src', 'functions');
    const sources = readdirSync(functions).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(join(functions, f), 'utf8'));
    const registered = sources.flatMap((s) => [...s.matchAll(/app\.eventGrid\(\s*['"`]([^'"`]+)['"`]/g)].map((m) => m[1]!));
    const inMain = paramDefault(mainBicep, 'eventGridFunctionName');
    expect(paramDefault(eventGrid, 'functionName')).toBe(inMain);
    // src/functions registers exactly one Event Grid function, and the Bicep targets it by name.
    expect(registered).toHaveLength(1);
    expect(`'${registered[0]}'`).toBe(inMain);
  });
});

describe('permissions', () => {
  const mgBicep = read('infra/management-group.bicep');

  it('assigns Reader on each audited subscription, and at a management group from its own deployment', () => {
    const reader = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
    expect(mainBicep).toContain(`var reader = '${reader}'`);
    expect(mgBicep).toContain(`var reader = '${reader}'`);
    const readerModule = declarations(mainBicep).find((d) => d.symbol === 'readerAssignments');
    expect(readerModule?.target).toBe('modules/role-assignment-subscription.bicep');
    expect(readFileSync(join(INFRA, 'modules/role-assignment-management-group.bicep'), 'utf8')).toMatch(/targetScope = 'managementGroup'/);
  });

  it('remediation is off by default, in the templates and in the azd parameters', () => {
    expect(paramDefault(mainBicep, 'remediationEnabled')).toBe('false');
    expect(paramDefault(mgBicep, 'remediationEnabled')).toBe('false');
    const parameters = JSON.parse(read('infra/main.parameters.json')) as { parameters: Record<string, { value: unknown }> };
    expect(parameters.parameters.remediationEnabled?.value).toBe('${REMEDIATION_ENABLED=false}');
  });

  it('every remediation role definition and assignment is conditioned on remediationEnabled', () => {
    const isRemediation = (d: { symbol: string; target: string }) =>
      /remediat/i.test(d.symbol) || /remediation-role|roleDefinitions/i.test(d.target);
    for (const [file, source] of [['main.bicep', mainBicep], ['management-group.bicep', mgBicep]] as const) {
      const found = declarations(source).filter(isRemediation);
      expect(found.length, file).toBeGreaterThanOrEqual(2);
      for (const d of found) expect(d.header, `${file}: ${d.kind} ${d.symbol}`).toMatch(/\bremediationEnabled\b/);
    }
  });

  it('the custom remediation role grants only the peering actions and the reads to verify them', () => {
    const actions = JSON.parse(read('infra/modules/remediation-actions.json')) as string[];
    expect(actions).toEqual(expect.arrayContaining([
      'Microsoft.Network/virtualNetworks/virtualNetworkPeerings/write',
      'Microsoft.Network/virtualNetworks/virtualNetworkPeerings/delete',
      'Microsoft.Network/virtualNetworks/peer/action',
    ]));
    for (const action of actions) {
      expect(action).not.toContain('*');
      expect(action).toMatch(/^Microsoft\.Network\/(virtualNetworks\/(read|peer\/action|virtualNetworkPeerings\/(read|write|delete))|locations\/(operations|operationResults)\/read)$/);
    }
  });
});
