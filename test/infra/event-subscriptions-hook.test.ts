// DEPLOY_EVENT_SUBSCRIPTIONS, set by the azd preprovision hook (infra/hooks/preprovision.mjs, through
// infra/hooks/event-subscriptions.mjs) before every provisioning. Event Grid validates the function
// when an event subscription is created, so they may be provisioned only when the function app this
// provisioning targets already has the eventGridTrigger function. azd keeps env values: the postdeploy
// hook's `true` would otherwise outlive `azd down`, or a new AZURE_LOCATION (a new token, a new empty
// app), and fail the next `azd up` before its deploy. The hook runs as azd runs it: a Node process
// given the azd env values, with a stand-in `azd` (auth token, env set) and a stand-in Resource
// Manager on the loopback interface.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { declarationBody, objectProperty, objectValue } from './bicep-text';
import { hookHarness, notFound, TENANT, type Reply } from './hook-harness';

const ROOT = join(__dirname, '..', '..');
const HOOK = join(ROOT, 'infra', 'hooks', 'preprovision.mjs');
const mainBicep = readFileSync(join(ROOT, 'infra', 'main.bicep'), 'utf8');
const systemTopic = readFileSync(join(ROOT, 'infra', 'modules', 'eventgrid-system-topic.bicep'), 'utf8');
const eventGrid = readFileSync(join(ROOT, 'infra', 'modules', 'eventgrid-subscription.bicep'), 'utf8');

const SUB = '11111111-1111-1111-1111-111111111111';
const APP_ID = `/subscriptions/${SUB}/resourceGroups/rg-staging/providers/Microsoft.Web/sites/func-peerguard-abcdefghijklm`;
const FUNCTION_ID = `${APP_ID}/functions/eventGridTrigger`;

const harness = hookHarness(HOOK);
const { routes, requests, run: runHook, clearAzdLog } = harness;

const found: Reply = { status: 200, body: { id: 'x' } };

/** The azd env values of an environment provisioned in swedencentral, whose postdeploy hook has run. */
function provisioned(overrides: Record<string, string | undefined> = {}): Record<string, string> {
  return harness.azdEnv(
    {
      AZURE_SUBSCRIPTION_ID: SUB,
      AZURE_LOCATION: 'swedencentral',
      EVENT_GRID_FUNCTION_ID: FUNCTION_ID,
      FUNCTION_APP_TOKEN_INPUTS: `${SUB}/staging/swedencentral`,
      DEPLOY_EVENT_SUBSCRIPTIONS: 'true',
    },
    overrides,
  );
}

const envSets = (azd: string[][]) => azd.filter((args) => args[0] === 'env');
const setTo = (value: string) => ['env', 'set', 'DEPLOY_EVENT_SUBSCRIPTIONS', value, '--environment', 'staging'];
const appPath = APP_ID;
const functionPath = FUNCTION_ID;
/** A GET of `path` with the token the stand-in azd gives. */
const get = (path: string) => ({ method: 'GET', path, authorization: 'Bearer t0k3n' });

describe('azd preprovision hook: DEPLOY_EVENT_SUBSCRIPTIONS from the function app', () => {
  it('turns it off after azd down (the values are kept, the app is gone), so that azd up provisions before its deploy', async () => {
    const { status, stdout, stderr, azd } = await runHook(provisioned());
    expect([status, stderr]).toEqual([0, '']);
    expect(envSets(azd)).toEqual([setTo('false')]);
    expect(stdout).toContain('DEPLOY_EVENT_SUBSCRIPTIONS set to false: the function app func-peerguard-abcdefghijklm does not exist');
    expect(requests).toEqual([get(appPath)]);
  });

  it('turns it off when AZURE_LOCATION changed (a new token: a new, empty app), asking Resource Manager nothing', async () => {
    routes.set(appPath, found);
    routes.set(functionPath, found);
    const { status, stdout, stderr, azd } = await runHook(provisioned({ AZURE_LOCATION: 'westeurope' }));
    expect([status, stderr]).toEqual([0, '']);
    expect(azd).toEqual([setTo('false')]);
    expect(stdout).toContain('has not been provisioned yet');
    expect(requests).toEqual([]);
  });

  it('turns it off for another subscription or environment name too, and for an environment provisioned before the outputs existed', async () => {
    for (const overrides of [
      { AZURE_SUBSCRIPTION_ID: '22222222-2222-2222-2222-222222222222' },
      { FUNCTION_APP_TOKEN_INPUTS: `${SUB}/production/swedencentral` },
      { FUNCTION_APP_TOKEN_INPUTS: undefined },
      { EVENT_GRID_FUNCTION_ID: undefined },
    ]) {
      clearAzdLog();
      const { status, azd } = await runHook(provisioned(overrides));
      expect(status).toBe(0);
      expect(azd, JSON.stringify(overrides)).toEqual([setTo('false')]);
    }
    expect(requests).toEqual([]);
  });

  it('leaves it on when the app it targets has the function (the subscription id in any case)', async () => {
    routes.set(appPath, found);
    routes.set(functionPath, found);
    const { status, stdout, stderr, azd } = await runHook(provisioned({ FUNCTION_APP_TOKEN_INPUTS: `${SUB.toUpperCase()}/staging/swedencentral` }));
    expect([status, stdout, stderr]).toEqual([0, '', '']);
    expect(envSets(azd)).toEqual([]);
    expect(requests).toEqual([get(appPath), get(functionPath)]);
    // The token is asked for this Resource Manager, in the environment's tenant.
    expect(azd).toEqual([['auth', 'token', '--output', 'json', '--scope', `${harness.endpoint.replace(/\/$/, '')}/.default`, '--tenant-id', TENANT]]);
  });

  it('turns it on when the app has the function (e.g. azd down was declined after the predown hook turned it off)', async () => {
    routes.set(appPath, found);
    routes.set(functionPath, found);
    const { status, stdout, azd } = await runHook(provisioned({ DEPLOY_EVENT_SUBSCRIPTIONS: 'false' }));
    expect(status).toBe(0);
    expect(envSets(azd)).toEqual([setTo('true')]);
    expect(stdout).toContain('DEPLOY_EVENT_SUBSCRIPTIONS set to true: the function app has the eventGridTrigger function');
  });

  it('leaves it off, quietly, while the app has no code', async () => {
    routes.set(appPath, found);
    const { status, stdout, stderr, azd } = await runHook(provisioned({ DEPLOY_EVENT_SUBSCRIPTIONS: undefined }));
    expect([status, stdout, stderr]).toEqual([0, '', '']);
    expect(envSets(azd)).toEqual([]);
  });

  it('does nothing on the first provisioning (nothing recorded, nothing set)', async () => {
    const { status, stdout, stderr, azd } = await runHook({ AZURE_ENV_NAME: 'staging', AZURE_LOCATION: 'swedencentral' });
    expect([status, stdout, stderr, azd]).toEqual([0, '', '', []]);
  });

  it('waits for the function just after a deploy (the postdeploy hook asked for true)', async () => {
    routes.set(appPath, found);
    routes.set(functionPath, [notFound, found]);
    const { status, stderr, azd } = await runHook(provisioned(), { DEPLOY_FUNCTION_WAIT_SECONDS: '1' });
    expect([status, stderr]).toEqual([0, '']);
    expect(envSets(azd)).toEqual([]);
    expect(requests).toEqual([get(appPath), get(functionPath), get(functionPath)]);
  });

  it('stops provisioning, turned off, when the function asked for never appears', async () => {
    routes.set(appPath, found);
    const { status, stderr, azd } = await runHook(provisioned(), { DEPLOY_FUNCTION_WAIT_SECONDS: '0' });
    expect(status).toBe(1);
    expect(envSets(azd)).toEqual([setTo('false')]);
    expect(stderr).toContain(`DEPLOY_EVENT_SUBSCRIPTIONS set to false: the function ${FUNCTION_ID} did not appear within 0 seconds`);
  });

  it('leaves it as it is, with a warning, when Resource Manager cannot be asked', async () => {
    routes.set(appPath, { status: 403, body: { error: { code: 'AuthorizationFailed', message: 'no access' } } });
    const { status, stderr, azd } = await runHook(provisioned());
    expect(status).toBe(0);
    expect(envSets(azd)).toEqual([]);
    expect(stderr).toContain(`DEPLOY_EVENT_SUBSCRIPTIONS left at true: could not check the function app: GET ${APP_ID} failed: AuthorizationFailed: no access`);
  });

  it('stops provisioning when it cannot turn a stale true off (Event Grid would fail it later)', async () => {
    const { status, stderr } = await runHook(provisioned(), { FAKE_AZD_ENV_SET_FAIL: '1' });
    expect(status).toBe(1);
    expect(stderr).toContain('DEPLOY_EVENT_SUBSCRIPTIONS must be false');
    expect(stderr).toContain('ERROR: environment not found');
  });

  it('checks the email and JSON problems first, and decides nothing when it refuses', async () => {
    const { status, azd } = await runHook(provisioned({ REPORT_TO: 'a\nb' }));
    expect(status).toBe(1);
    expect(azd).toEqual([]);
  });
});

describe('main.bicep records what the hook compares', () => {
  it('the function Event Grid validates: the one the event subscriptions point at', () => {
    expect(mainBicep).toMatch(/^output EVENT_GRID_FUNCTION_ID string = '\$\{functionApp\.outputs\.id\}\/functions\/\$\{eventGridFunctionName\}'$/m);
    const params = objectProperty(declarationBody(mainBicep, 'eventGrid'), 'params');
    expect(objectValue(params, 'functionAppId')).toBe('functionApp.outputs.id');
    expect(objectValue(params, 'functionName')).toBe('eventGridFunctionName');
    expect(objectValue(objectProperty(declarationBody(eventGrid, 'topic'), 'params'), 'functionResourceId')).toBe("'${functionAppId}/functions/${functionName}'");
    expect(objectValue(objectProperty(objectProperty(declarationBody(systemTopic, 'toFunction'), 'properties'), 'destination'), 'endpointType')).toBe("'AzureFunction'");
  });

  it('what the app\'s token is made of, in the form the hook builds from AZURE_SUBSCRIPTION_ID, AZURE_ENV_NAME and AZURE_LOCATION', () => {
    expect(mainBicep).toMatch(/var token = toLower\(uniqueString\(subscription\(\)\.id, environmentName, location\)\)/);
    expect(mainBicep).toMatch(/var appName = 'func-peerguard-\$\{token\}'/);
    expect(mainBicep).toMatch(/^output FUNCTION_APP_TOKEN_INPUTS string = '\$\{subscription\(\)\.subscriptionId\}\/\$\{environmentName\}\/\$\{location\}'$/m);
  });
});
