// Several azd environments may audit one subscription (staging and production, two teams). What an
// environment deploys outside its own resource group must carry its name, or the second one takes
// over the first's nested deployments and event subscriptions; and what they must share (Azure allows
// one Azure Subscription system topic per subscription) must be written the same by each, owned by
// none. Reads the Bicep text with test/infra/bicep-text.ts (`az bicep build` validates the files).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { declarationBody, declarations, objectKeys, objectProperty, objectValue, paramDefault, varBody } from './bicep-text';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const mainBicep = read('infra/main.bicep');
const mgBicep = read('infra/management-group.bicep');
const eventGrid = read('infra/modules/eventgrid-subscription.bicep');
const systemTopic = read('infra/modules/eventgrid-system-topic.bicep');
const deadLetterWriter = read('infra/modules/deadletter-writer.bicep');
const storage = read('infra/modules/storage.bicep');
const remediationRole = read('infra/modules/remediation-role.bicep');
const predownHook = read('infra/hooks/predown.mjs');
const parameters = (JSON.parse(read('infra/main.parameters.json')) as { parameters: Record<string, { value: string }> }).parameters;

/** Module declarations of a file with their name and scope expressions. */
function modules(source: string) {
  return declarations(source)
    .filter((d) => d.kind === 'module')
    .map((d) => {
      const body = declarationBody(source, d.symbol);
      return { symbol: d.symbol, name: objectValue(body, 'name') ?? '', scope: objectValue(body, 'scope') };
    });
}

describe('names outside the environment\'s resource group carry the environment', () => {
  it('main.bicep: every nested deployment in an audited subscription is named with the token (from the environment name)', () => {
    expect(mainBicep).toMatch(/var token = toLower\(uniqueString\(subscription\(\)\.id, environmentName, location\)\)/);
    const elsewhere = modules(mainBicep).filter((m) => m.scope?.startsWith('subscription('));
    expect(elsewhere.map((m) => m.symbol).sort()).toEqual(['eventGrid', 'readerAssignments', 'remediationAssignments', 'remediationRole']);
    for (const m of elsewhere) expect(m.name, m.symbol).toContain('${token}');
    // The rest deploy into the environment's own resource group.
    for (const m of modules(mainBicep).filter((x) => !x.scope?.startsWith('subscription('))) expect(m.scope, m.symbol).toBe('rg');
  });

  it('the remediation role definition carries the token: environments of one name from other subscriptions or regions, sharing the first audited subscription, get one each', () => {
    // The definition lives in the first audited subscription, which such environments share.
    expect(objectValue(declarationBody(mainBicep, 'remediationRole'), 'scope')).toMatch(/auditedSubscriptions\[0\]/);
    expect(objectValue(objectProperty(declarationBody(mainBicep, 'remediationRole'), 'params'), 'token')).toBe('token');
    expect(paramDefault(remediationRole, 'token')).toBeUndefined();
    const definition = declarationBody(remediationRole, 'definition');
    const seed = /^guid\((.*)\)$/.exec(objectValue(definition, 'name') ?? '')?.[1]?.split(',').map((s) => s.trim());
    expect(seed).toEqual(expect.arrayContaining(['subscription().id', 'environmentName', 'token']));
    // Role names are unique in the tenant: the name a second definition would take must differ too.
    expect(objectValue(objectProperty(definition, 'properties'), 'roleName')).toContain('${token}');
  });

  it('the Event Grid modules name their nested deployments (shared group, app group) with the environment\'s prefix', () => {
    for (const [file, source] of [['eventgrid-subscription.bicep', eventGrid], ['eventgrid-system-topic.bicep', systemTopic]] as const) {
      const found = modules(source);
      expect(found.length, file).toBeGreaterThan(0);
      for (const m of found) expect(m.name, `${file}: ${m.symbol}`).toMatch(/^'\$\{eventSubscriptionPrefix\}-/);
    }
  });

  it('event subscriptions are <prefix> and <prefix>-rg-deletes, the prefix being the environment token', () => {
    expect(mainBicep).toMatch(/var eventSubscriptionPrefix = 'peerguard-\$\{token\}'/);
    const params = objectProperty(declarationBody(mainBicep, 'eventGrid'), 'params');
    expect(objectValue(params, 'eventSubscriptionPrefix')).toBe('eventSubscriptionPrefix');
    expect(objectValue(params, 'labels')).toBe("['peerguard', environmentName]");
    expect(paramDefault(eventGrid, 'eventSubscriptionPrefix')).toBeUndefined();
    expect(objectValue(objectProperty(declarationBody(eventGrid, 'topic'), 'params'), 'eventSubscriptionPrefix')).toBe('eventSubscriptionPrefix');
    const filters = varBody(systemTopic, 'filters').text;
    const names = [...filters.matchAll(/^\s*name: (.+)$/gm)].map((m) => m[1]!.trim());
    expect(names).toEqual(['eventSubscriptionPrefix', "'${eventSubscriptionPrefix}-rg-deletes'"]);
    expect(objectValue(declarationBody(systemTopic, 'toFunction'), 'name')).toBe('f.name');
    // Event Grid: 3 to 64 characters, letters, digits and hyphens; uniqueString gives 13 of [a-z0-9].
    for (const name of ['peerguard-abcdefghijklm', 'peerguard-abcdefghijklm-rg-deletes']) expect(name).toMatch(/^[A-Za-z0-9-]{3,64}$/);
  });

  it('management-group.bicep names its nested deployments with the environment', () => {
    expect(mgBicep).toMatch(/var suffix = uniqueString\(environmentName, principalId\)/);
    const found = modules(mgBicep);
    expect(found.map((m) => m.symbol).sort()).toEqual(['readerAssignment', 'remediationAssignment']);
    for (const m of found) expect(m.name, m.symbol).toContain('${suffix}');
  });
});

describe('the shared resource group and system topic', () => {
  it('are tagged the same by every environment, and owned by none (no azd-env-name)', () => {
    const tags = objectKeys(varBody(eventGrid, 'sharedTags'));
    expect(tags).toContain('application');
    expect(tags).not.toContain('azd-env-name');
    expect(objectValue(declarationBody(eventGrid, 'rg'), 'tags')).toBe('sharedTags');
    expect(objectValue(objectProperty(declarationBody(eventGrid, 'topic'), 'params'), 'tags')).toBe('sharedTags');
    expect(objectValue(declarationBody(systemTopic, 'systemTopic'), 'tags')).toBe('tags');
    // The environment's tags (with azd-env-name) are not passed to them.
    expect(objectKeys(objectProperty(declarationBody(mainBicep, 'eventGrid'), 'params'))).not.toContain('tags');
  });

  it('are in a region every environment passes the same: an explicit one, or the environment\'s own', () => {
    expect(paramDefault(mainBicep, 'eventGridResourceGroupLocation')).toBe("''");
    expect(objectValue(objectProperty(declarationBody(mainBicep, 'eventGrid'), 'params'), 'location'))
      .toBe('empty(eventGridResourceGroupLocation) ? location : eventGridResourceGroupLocation');
    expect(parameters.eventGridResourceGroupLocation?.value).toBe('${EVENT_GRID_LOCATION=}');
  });

  it('the topic has one identity for every environment (system-assigned), which dead-letters for each', () => {
    const identity = objectProperty(declarationBody(systemTopic, 'systemTopic'), 'identity');
    expect(objectKeys(identity)).toEqual(['type']);
    expect(objectValue(identity, 'type')).toBe("'SystemAssigned'");
    const deadLetter = objectProperty(objectProperty(declarationBody(systemTopic, 'toFunction'), 'properties'), 'deadLetterWithResourceIdentity');
    expect(objectKeys(objectProperty(deadLetter, 'identity'))).toEqual(['type']);
    expect(objectValue(objectProperty(deadLetter, 'identity'), 'type')).toBe("'SystemAssigned'");
    // A per-environment user-assigned identity would replace the other environments' on the topic.
    for (const source of [mainBicep, eventGrid, systemTopic]) expect(source).not.toMatch(/userAssignedIdentit|eventGridIdentity/);
  });

  it('each environment grants that identity its own dead-letter container, before its event subscriptions', () => {
    const writer = declarationBody(systemTopic, 'deadLetterWriter');
    expect(objectValue(objectProperty(writer, 'params'), 'principalId')).toBe('systemTopic.identity.principalId');
    expect(objectValue(writer, 'scope')).toBe("resourceGroup(split(deadLetterStorageAccountId, '/')[2], split(deadLetterStorageAccountId, '/')[4])");
    expect(objectValue(declarationBody(systemTopic, 'toFunction'), 'dependsOn')).toBe('[deadLetterWriter]');
    const assignment = declarationBody(deadLetterWriter, 'writer');
    expect(objectValue(assignment, 'scope')).toBe('container');
    expect(deadLetterWriter).toMatch(/var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'/);
    // The storage module no longer grants a separate Event Grid identity.
    expect(storage).not.toMatch(/eventGridPrincipalId/);
  });
});

describe('azd down and the shared group', () => {
  it('main.bicep outputs what infra/hooks/predown.mjs reads, and the hook reads them', () => {
    expect(mainBicep).toMatch(/^output AUDITED_SUBSCRIPTIONS array = auditedSubscriptions$/m);
    expect(mainBicep).toMatch(/^output EVENT_GRID_RESOURCE_GROUP string = eventGridResourceGroupName$/m);
    expect(mainBicep).toMatch(/^output EVENT_SUBSCRIPTION_PREFIX string = eventSubscriptionPrefix$/m);
    expect(mainBicep).toMatch(/^output AZURE_RESOURCE_MANAGER_ENDPOINT string = environment\(\)\.resourceManager$/m);
    expect(mainBicep).toMatch(/^output AZURE_RESOURCE_GROUP string = rg\.name$/m);
    for (const name of ['AZURE_SUBSCRIPTION_ID', 'AUDITED_SUBSCRIPTIONS', 'EVENT_GRID_RESOURCE_GROUP', 'EVENT_SUBSCRIPTION_PREFIX', 'AZURE_RESOURCE_MANAGER_ENDPOINT', 'AZURE_TENANT_ID', 'AZURE_RESOURCE_GROUP']) {
      expect(predownHook, name).toContain(`env.${name}`);
    }
    // The hook's defaults are the Bicep's.
    expect(paramDefault(mainBicep, 'eventGridResourceGroupName')).toBe("'rg-peerguard-events'");
    expect(predownHook).toContain("const DEFAULT_GROUP = 'rg-peerguard-events';");
    expect(systemTopic).toMatch(/name: 'peerguard-arm-\$\{subscriptionId\}'/);
    expect(predownHook).toContain('--system-topic-name peerguard-arm-${sub}');
  });
});
