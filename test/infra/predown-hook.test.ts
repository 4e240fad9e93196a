// The azd predown hook (infra/hooks/predown.mjs): azd down deletes, by name and in the deployment
// subscription, every resource group the environment's deployment named, which includes the Event
// Grid group every environment auditing a subscription shares. The hook stops azd down, changing
// nothing, while that group holds anything of another environment's, or cannot be read. It runs as
// azd runs it: a Node process given the azd env values, here with a stand-in `azd` (for
// `azd auth token`) and a stand-in Resource Manager on the loopback interface.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { hookHarness, TENANT } from './hook-harness';

const ROOT = join(__dirname, '..', '..');
const HOOK = join(ROOT, 'infra', 'hooks', 'predown.mjs');

const DEPLOYMENT_SUB = '11111111-1111-1111-1111-111111111111';
const OTHER_SUB = '22222222-2222-2222-2222-222222222222';
const GROUP = 'rg-peerguard-events';
const PREFIX = 'peerguard-abcdefghijklm';
const TOPIC_ID = `/subscriptions/${DEPLOYMENT_SUB}/resourceGroups/${GROUP}/providers/Microsoft.EventGrid/systemTopics/peerguard-arm-${DEPLOYMENT_SUB}`;
const RESOURCES = `/subscriptions/${DEPLOYMENT_SUB}/resourceGroups/${GROUP}/resources`;
const SUBSCRIPTIONS = `${TOPIC_ID}/eventSubscriptions`;

const harness = hookHarness(HOOK);
const { routes, requests, run: runHook, clearAzdLog } = harness;

const topic = { id: TOPIC_ID, name: `peerguard-arm-${DEPLOYMENT_SUB}`, type: 'Microsoft.EventGrid/systemTopics' };
const eventSubscription = (name: string, labels?: string[]) => ({ name, properties: labels ? { labels } : {} });

/** The azd env values of an environment that wired the deployment subscription and another. */
function provisioned(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  return harness.azdEnv(
    {
      AZURE_SUBSCRIPTION_ID: DEPLOYMENT_SUB,
      AZURE_RESOURCE_GROUP: 'rg-staging',
      AUDITED_SUBSCRIPTIONS: JSON.stringify([DEPLOYMENT_SUB, OTHER_SUB]),
      EVENT_GRID_RESOURCE_GROUP: GROUP,
      EVENT_SUBSCRIPTION_PREFIX: PREFIX,
    },
    overrides,
  );
}

describe('azd predown hook', () => {
  it('lets azd down run when the environment wired no subscription\'s events (or was never provisioned)', async () => {
    for (const values of [provisioned({ AUDITED_SUBSCRIPTIONS: '[]' }), provisioned({ AUDITED_SUBSCRIPTIONS: undefined }), {}]) {
      const { status, stdout, stderr, azd } = await runHook(values);
      expect([status, stdout, stderr]).toEqual([0, '', '']);
      expect(azd).toEqual([]);
    }
    expect(requests).toEqual([]);
  });

  it('lets azd down run when the deployment subscription has no shared group', async () => {
    const { status, stdout, stderr, azd } = await runHook(provisioned());
    expect([status, stderr]).toEqual([0, '']);
    // azd deletes nothing in the other audited subscription: its own event subscriptions there are named for deletion.
    expect(stdout).toContain(`--subscription ${OTHER_SUB} --resource-group ${GROUP} --system-topic-name peerguard-arm-${OTHER_SUB} --name ${PREFIX}-rg-deletes\n`);
    expect(stdout).not.toContain(`--subscription ${DEPLOYMENT_SUB}`);
    expect(requests).toEqual([{ method: 'GET', path: RESOURCES, authorization: 'Bearer t0k3n' }]);
    // The token is asked for this Resource Manager, in the environment's tenant.
    expect(azd).toEqual([['auth', 'token', '--output', 'json', '--scope', `${harness.endpoint.replace(/\/$/, '')}/.default`, '--tenant-id', TENANT]]);
  });

  it('lets azd down run when the shared group holds only this environment\'s event subscriptions', async () => {
    routes.set(RESOURCES, { status: 200, body: { value: [topic] } });
    routes.set(SUBSCRIPTIONS, { status: 200, body: { value: [eventSubscription(PREFIX), eventSubscription(`${PREFIX}-rg-deletes`)] } });
    const { status, stdout, stderr } = await runHook(provisioned());
    expect([status, stderr]).toEqual([0, '']);
    expect(stdout).toContain(`${GROUP} in ${DEPLOYMENT_SUB} holds only this environment's event subscriptions`);
  });

  it('stops azd down, changing nothing, while another environment\'s event subscriptions are on the shared topic', async () => {
    routes.set(RESOURCES, { status: 200, body: { value: [topic] } });
    routes.set(SUBSCRIPTIONS, {
      status: 200,
      body: { value: [eventSubscription(PREFIX), eventSubscription('peerguard-zyxwvutsrqpon', ['peerguard', 'production']), eventSubscription(`${PREFIX}-rg-deletes`)] },
    });
    const { status, stderr } = await runHook(provisioned());
    expect(status).toBe(1);
    expect(stderr).toContain(`stopping azd down, which would delete resource group ${GROUP} in subscription ${DEPLOYMENT_SUB}`);
    expect(stderr).toContain(`  event subscription peerguard-zyxwvutsrqpon of system topic peerguard-arm-${DEPLOYMENT_SUB} (labels: peerguard, production)`);
    expect(stderr).not.toContain(`event subscription ${PREFIX} `);
    expect(stderr).toContain('Nothing was deleted.');
    // How to remove this environment without the shared group: its own group, its own event subscriptions in each audited subscription.
    expect(stderr).toContain(`  az group delete --subscription ${DEPLOYMENT_SUB} --name rg-staging\n`);
    for (const sub of [DEPLOYMENT_SUB, OTHER_SUB]) {
      for (const name of [PREFIX, `${PREFIX}-rg-deletes`]) {
        expect(stderr).toContain(`  az eventgrid system-topic event-subscription delete --subscription ${sub} --resource-group ${GROUP} --system-topic-name peerguard-arm-${sub} --name ${name}\n`);
      }
    }
    expect(stderr).toContain('.azure/staging');
    expect(requests.every((r) => r.method === 'GET')).toBe(true);
  });

  it('follows every page of event subscriptions', async () => {
    routes.set(RESOURCES, { status: 200, body: { value: [topic] } });
    routes.set(`${SUBSCRIPTIONS}?`, { status: 200, body: { value: [eventSubscription(PREFIX)], nextLink: `${harness.endpoint}${SUBSCRIPTIONS.slice(1)}?api-version=2025-02-15&page=2` } });
    routes.set(`${SUBSCRIPTIONS}?2`, { status: 200, body: { value: [eventSubscription('peerguard-zyxwvutsrqpon')] } });
    const { status, stderr } = await runHook(provisioned());
    expect(status).toBe(1);
    expect(stderr).toContain('event subscription peerguard-zyxwvutsrqpon');
    expect(requests.filter((r) => r.path === SUBSCRIPTIONS)).toHaveLength(2);
  });

  it('stops azd down when the shared group holds anything else', async () => {
    routes.set(RESOURCES, { status: 200, body: { value: [topic, { id: 'x', name: 'stshared', type: 'Microsoft.Storage/storageAccounts' }] } });
    routes.set(SUBSCRIPTIONS, { status: 200, body: { value: [] } });
    const { status, stderr } = await runHook(provisioned());
    expect(status).toBe(1);
    expect(stderr).toContain('  resource stshared (Microsoft.Storage/storageAccounts)');
  });

  it('counts the names of an environment provisioned before they carried it as another\'s, and says to provision first', async () => {
    routes.set(RESOURCES, { status: 200, body: { value: [topic] } });
    routes.set(SUBSCRIPTIONS, { status: 200, body: { value: [eventSubscription('peerguard'), eventSubscription('peerguard-resource-group-deletes')] } });
    const { status, stderr } = await runHook(provisioned({ EVENT_SUBSCRIPTION_PREFIX: undefined }));
    expect(status).toBe(1);
    expect(stderr).toContain('  event subscription peerguard of system topic');
    expect(stderr).toContain('run `azd provision` first');
  });

  it('stops azd down when the shared group cannot be read', async () => {
    routes.set(RESOURCES, { status: 403, body: { error: { code: 'AuthorizationFailed', message: 'no access' } } });
    const { status, stderr } = await runHook(provisioned());
    expect(status).toBe(1);
    expect(stderr).toContain(`Could not check what it holds: GET ${RESOURCES} failed: AuthorizationFailed: no access`);
    expect(stderr).toContain('Nothing was deleted.');
  });

  it('stops azd down when azd gives no token', async () => {
    const { status, stderr } = await runHook(provisioned(), { FAKE_AZD_FAIL: '1' });
    expect(status).toBe(1);
    expect(stderr).toContain('Could not check what it holds: could not get an access token with `azd auth token`: ERROR: not logged in');
    expect(requests).toEqual([]);
  });

  it('sends no token to a Resource Manager endpoint that is not https', async () => {
    const { status, stderr, azd } = await runHook(provisioned({ AZURE_RESOURCE_MANAGER_ENDPOINT: 'http://management.example.com/' }));
    expect(status).toBe(1);
    expect(stderr).toContain('http://management.example.com is not https');
    expect(azd).toEqual([]);
  });

  it('turns DEPLOY_EVENT_SUBSCRIPTIONS off when it lets azd down run (azd keeps env values; the next azd up must deploy before them)', async () => {
    const off = ['env', 'set', 'DEPLOY_EVENT_SUBSCRIPTIONS', 'false', '--environment', 'staging'];
    for (const values of [provisioned({ DEPLOY_EVENT_SUBSCRIPTIONS: 'true' }), provisioned({ DEPLOY_EVENT_SUBSCRIPTIONS: 'true', AUDITED_SUBSCRIPTIONS: '[]' })]) {
      clearAzdLog();
      const { status, stdout, stderr, azd } = await runHook(values);
      expect([status, stderr]).toEqual([0, '']);
      expect(azd.filter((args) => args[0] === 'env')).toEqual([off]);
      expect(stdout).toContain('DEPLOY_EVENT_SUBSCRIPTIONS set to false');
    }
  });

  it('leaves DEPLOY_EVENT_SUBSCRIPTIONS alone when it stops azd down', async () => {
    routes.set(RESOURCES, { status: 200, body: { value: [topic] } });
    routes.set(SUBSCRIPTIONS, { status: 200, body: { value: [eventSubscription('peerguard-zyxwvutsrqpon')] } });
    const { status, azd } = await runHook(provisioned({ DEPLOY_EVENT_SUBSCRIPTIONS: 'true' }));
    expect(status).toBe(1);
    expect(azd.filter((args) => args[0] === 'env')).toEqual([]);
  });

  it('is registered in azure.yaml for sh and pwsh, and stops azd down when it fails', () => {
    const azure = parseYaml(readFileSync(join(ROOT, 'azure.yaml'), 'utf8'));
    const hook = azure.hooks?.predown;
    for (const platform of ['posix', 'windows']) {
      expect(hook?.[platform]?.run).toBe('node ./infra/hooks/predown.mjs');
      expect(hook?.[platform]?.continueOnError).toBe(false);
    }
  });
});
