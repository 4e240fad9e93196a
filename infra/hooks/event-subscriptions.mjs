// DEPLOY_EVENT_SUBSCRIPTIONS, decided before each provisioning (infra/hooks/preprovision.mjs runs it).
//
// Event Grid validates an AzureFunction endpoint when an event subscription is created: provisioning
// the event subscriptions (main.bicep, deployEventSubscriptions) fails unless the function app this
// provisioning targets already has the eventGridTrigger function. The postdeploy hook turns them on
// once the code is deployed, but azd keeps environment values: after `azd down`, or with a new
// AZURE_LOCATION (a new token: a new, empty function app), a value left at true would fail the next
// `azd up` before its deploy step. So the value is set here from the app itself:
//
//   true   the app the last provisioning recorded (EVENT_GRID_FUNCTION_ID) is the one this
//          provisioning targets (FUNCTION_APP_TOKEN_INPUTS: the deployment subscription, environment
//          name and location its token is made of, unchanged) and has the function (Resource Manager).
//   false  otherwise: no app yet, a new one, or the app or function gone. The event subscriptions that
//          exist stay (incremental deployment); the postdeploy hook turns them on after the deploy.
//
// Just after a deploy (the postdeploy hook's provisioning asks for true) the function may take a
// moment to be listed: with true asked for and the app there, it waits for it, and stops
// provisioning, having set false, if it never comes. When Resource Manager cannot be asked, the
// value stays as it is, with a warning.
import { setTimeout as sleep } from 'node:timers/promises';
import { azdEnvSet, endpointOf, exists, HookError, tokenFor } from './arm.mjs';

const WEB_API = '2024-04-01';
const NAME = 'DEPLOY_EVENT_SUBSCRIPTIONS';
const FUNCTION_ID = /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Web\/sites\/[^/]+)\/functions\/[^/]+$/i;
const DEFAULT_WAIT_SECONDS = 180;

/** Whether the recorded token inputs are the current ones (the subscription id in any case). */
function sameTokenInputs(env) {
  const recorded = env.FUNCTION_APP_TOKEN_INPUTS?.trim();
  const sub = env.AZURE_SUBSCRIPTION_ID?.trim();
  const envName = env.AZURE_ENV_NAME?.trim();
  const location = env.AZURE_LOCATION?.trim();
  if (!recorded || !sub || !envName || !location) return false;
  const [recordedSub, ...rest] = recorded.split('/');
  return recordedSub?.toLowerCase() === sub.toLowerCase() && rest.join('/') === `${envName}/${location}`;
}

/** How long to wait for the function after a deploy (DEPLOY_FUNCTION_WAIT_SECONDS, default 180). */
function waitSecondsOf(env) {
  const value = Number(env.DEPLOY_FUNCTION_WAIT_SECONDS);
  return env.DEPLOY_FUNCTION_WAIT_SECONDS !== undefined && Number.isFinite(value) && value >= 0 ? value : DEFAULT_WAIT_SECONDS;
}

/**
 * What DEPLOY_EVENT_SUBSCRIPTIONS should be for the coming provisioning: { value } (true, false, or
 * undefined to leave it), why, and whether to stop the provisioning.
 */
export async function decide(env) {
  const asked = env[NAME]?.trim().toLowerCase() === 'true';
  const functionId = env.EVENT_GRID_FUNCTION_ID?.trim() ?? '';
  const appId = FUNCTION_ID.exec(functionId)?.[1];
  if (!appId || !sameTokenInputs(env)) {
    return { value: false, why: 'this provisioning targets a function app that has not been provisioned yet (first provisioning, or a new AZURE_LOCATION, subscription or environment name)' };
  }
  try {
    const endpoint = endpointOf(env.AZURE_RESOURCE_MANAGER_ENDPOINT);
    const token = tokenFor(endpoint, env.AZURE_TENANT_ID?.trim() || undefined);
    const path = (id) => `${id.replace(/^\//, '')}?api-version=${WEB_API}`;
    if (!(await exists(endpoint, token, path(appId)))) {
      return { value: false, why: `the function app ${appId.split('/').at(-1)} does not exist (azd down, or deleted)` };
    }
    if (await exists(endpoint, token, path(functionId))) return { value: true, why: `the function app has the ${functionId.split('/').at(-1)} function` };
    if (!asked) return { value: false, why: 'the function app has no Event Grid function yet (the code is not deployed)' };
    // Asked for (the postdeploy hook, just after the deploy): give the function time to be listed.
    const waitSeconds = waitSecondsOf(env);
    const interval = Math.min(10, waitSeconds) * 1000;
    const until = Date.now() + waitSeconds * 1000;
    while (Date.now() < until) {
      await sleep(interval);
      if (await exists(endpoint, token, path(functionId))) return { value: true, why: `the function app has the ${functionId.split('/').at(-1)} function` };
    }
    return {
      value: false,
      stop: true,
      why: `the function ${functionId} did not appear within ${waitSeconds} seconds; deploy the code (azd deploy), which provisions the event subscriptions again once it is there`,
    };
  } catch (error) {
    if (!(error instanceof HookError)) throw error;
    return { value: undefined, why: `could not check the function app: ${error.message}` };
  }
}

/** Decides, sets the azd env value when it changes, and returns the lines to print and whether to stop. */
export async function applyDecision(env) {
  const asked = env[NAME]?.trim().toLowerCase() === 'true';
  const { value, why, stop = false } = await decide(env);
  if (value === undefined) {
    return { ok: true, out: [], err: [`peerguard: ${NAME} left at ${asked}: ${why}.`] };
  }
  if (value === asked && !stop) return { ok: true, out: [], err: [] };
  try {
    if (value !== asked) azdEnvSet(env, NAME, String(value));
  } catch (error) {
    if (!(error instanceof HookError)) throw error;
    // Left at true, the provisioning would fail at Event Grid's validation: stop it here instead.
    if (!value) return { ok: false, out: [], err: [`peerguard: ${NAME} must be false (${why}), and ${error.message}`] };
    return { ok: true, out: [], err: [`peerguard: ${NAME} left at false: ${error.message}`] };
  }
  const line = `peerguard: ${NAME} set to ${value}: ${why}.`;
  return stop ? { ok: false, out: [], err: [line] } : { ok: true, out: [line], err: [] };
}
