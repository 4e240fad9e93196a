// azd predown hook (plain Node, so one file serves sh and pwsh): refuses `azd down` when it would
// delete another environment's Event Grid wiring.
//
// Azure allows one Azure Subscription system topic per subscription, so every peerguard environment
// auditing a subscription shares its resource group (EVENT_GRID_RESOURCE_GROUP, rg-peerguard-events)
// and system topic, each with event subscriptions of its own (EVENT_SUBSCRIPTION_PREFIX and
// <prefix>-rg-deletes). azd down deletes every resource group whose name appears among the resources
// of the environment's last deployment, and deletes it by that name in the deployment subscription
// (AZURE_SUBSCRIPTION_ID), whichever subscription the resource was in. An environment that wired any
// subscription's events therefore has that group deleted in its deployment subscription: with the
// topic, and every other environment's event subscriptions on it.
//
// This hook reads that group first (Azure Resource Manager, with `azd auth token`) and stops azd
// down, changing nothing, when it holds anything that is not this environment's, naming it and
// the commands that remove this environment without the group. It stops too when it cannot tell.
import process from 'node:process';
import { azdEnvSet, endpointOf, HookError as Refusal, listAll, tokenFor } from './arm.mjs';

const RESOURCES_API = '2021-04-01';
const EVENT_GRID_API = '2025-02-15';
const DEFAULT_GROUP = 'rg-peerguard-events';
const SYSTEM_TOPIC_TYPE = 'microsoft.eventgrid/systemtopics';

/** A list azd stored as JSON (array outputs) or, written by hand, comma-separated. Undefined when unset. */
function listOf(value) {
  if (value === undefined || value.trim() === '') return undefined;
  const text = value.trim();
  if (text.startsWith('[')) {
    let parsed;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed)) throw new Refusal(`AUDITED_SUBSCRIPTIONS: expected a JSON array of subscription ids, got ${text}`);
    return parsed.map((item) => String(item).trim()).filter((item) => item !== '');
  }
  return text.split(',').map((item) => item.trim()).filter((item) => item !== '');
}

/** Whether an event subscription is this environment's: <prefix> or <prefix>-<suffix>. */
function isOwn(name, prefix) {
  if (!prefix) return false;
  const lower = name.toLowerCase();
  const own = prefix.toLowerCase();
  return lower === own || lower.startsWith(`${own}-`);
}

/** What the shared group holds that is not this environment's, one line each; null when the group does not exist. */
async function foreignContents({ endpoint, token, subscriptionId, group, prefix }) {
  const resources = await listAll(endpoint, token, `subscriptions/${subscriptionId}/resourceGroups/${encodeURIComponent(group)}/resources?api-version=${RESOURCES_API}`);
  if (resources === null) return null;
  const foreign = [];
  for (const resource of resources) {
    if (String(resource.type).toLowerCase() !== SYSTEM_TOPIC_TYPE) {
      foreign.push(`resource ${resource.name} (${resource.type})`);
      continue;
    }
    const subscriptions = (await listAll(endpoint, token, `${String(resource.id).replace(/^\//, '')}/eventSubscriptions?api-version=${EVENT_GRID_API}`)) ?? [];
    for (const eventSubscription of subscriptions) {
      if (isOwn(String(eventSubscription.name), prefix)) continue;
      const labels = eventSubscription.properties?.labels;
      const owner = Array.isArray(labels) && labels.length > 0 ? ` (labels: ${labels.join(', ')})` : '';
      foreign.push(`event subscription ${eventSubscription.name} of system topic ${resource.name}${owner}`);
    }
  }
  return foreign;
}

/** The commands that delete this environment's event subscriptions in these subscriptions' shared topics. */
function eventSubscriptionRemoval(subscriptions, group, prefix) {
  return subscriptions.flatMap((sub) =>
    (prefix ? [prefix, `${prefix}-rg-deletes`] : ['<this environment\'s event subscriptions>']).map(
      (name) => `  az eventgrid system-topic event-subscription delete --subscription ${sub} --resource-group ${group} --system-topic-name peerguard-arm-${sub} --name ${name}`,
    ),
  );
}

/** The commands that remove this environment and leave the shared groups alone. */
function manualRemoval({ subscriptionId, appGroup, audited, group, prefix, envName }) {
  return [
    `  az group delete --subscription ${subscriptionId} --name ${appGroup ?? '<AZURE_RESOURCE_GROUP>'}`,
    ...eventSubscriptionRemoval(audited, group, prefix),
    `and then remove the azd environment itself (its folder .azure/${envName ?? '<environment>'}).`,
  ];
}

/** azd deletes no group in the other audited subscriptions: this environment's event subscriptions stay there. */
function leftBehind({ subscriptionId, audited, group, prefix }) {
  const others = audited.filter((sub) => sub.toLowerCase() !== subscriptionId.toLowerCase());
  if (others.length === 0) return [];
  return [
    `peerguard: azd down deletes no resource group in the other audited subscriptions; once it has run, delete this environment's event subscriptions there:`,
    ...eventSubscriptionRemoval(others, group, prefix),
  ];
}

async function check(env) {
  const subscriptionId = env.AZURE_SUBSCRIPTION_ID?.trim();
  let audited;
  try {
    audited = listOf(env.AUDITED_SUBSCRIPTIONS);
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    return { ok: false, lines: [`peerguard: stopping azd down: ${error.message}`] };
  }
  // Not provisioned, or no subscription's events wired: the deployment names no shared group.
  if (!subscriptionId || audited === undefined || audited.length === 0) return { ok: true, lines: [] };
  const group = env.EVENT_GRID_RESOURCE_GROUP?.trim() || DEFAULT_GROUP;
  const prefix = env.EVENT_SUBSCRIPTION_PREFIX?.trim() || undefined;
  const context = { subscriptionId, audited, group, prefix, appGroup: env.AZURE_RESOURCE_GROUP?.trim() || undefined, envName: env.AZURE_ENV_NAME?.trim() || undefined };
  const stop = (why, details) => ({
    ok: false,
    lines: [
      `peerguard: stopping azd down, which would delete resource group ${group} in subscription ${subscriptionId}.`,
      `azd down deletes, in the deployment subscription, every resource group named in this environment's deployment, and ${group} holds the Event Grid system topic that every peerguard environment auditing that subscription shares.`,
      why,
      ...details,
      ...(prefix ? [] : ['This environment was provisioned before its event subscriptions carried its name: run `azd provision` first (README.md, Deploying to Azure).']),
      'Nothing was deleted. To remove this environment and leave the shared group alone:',
      ...manualRemoval(context),
    ],
  });
  try {
    const endpoint = endpointOf(env.AZURE_RESOURCE_MANAGER_ENDPOINT);
    const token = tokenFor(endpoint, env.AZURE_TENANT_ID?.trim() || undefined);
    const foreign = await foreignContents({ endpoint, token, subscriptionId, group, prefix });
    if (foreign === null) return { ok: true, lines: leftBehind(context) };
    if (foreign.length === 0) {
      return {
        ok: true,
        lines: [`peerguard: ${group} in ${subscriptionId} holds only this environment's event subscriptions; azd down may delete it.`, ...leftBehind(context)],
      };
    }
    return stop('It holds what other environments use:', foreign.map((line) => `  ${line}`));
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    return stop(`Could not check what it holds: ${error.message}`, []);
  }
}

/**
 * azd down keeps the environment's values: turn the event subscriptions off with the app, so that the
 * next `azd up` creates the app before them (Event Grid validates the function when they are
 * created). infra/hooks/preprovision.mjs decides it again from the app before each provisioning;
 * this saves it the look-up. A failure here stops nothing: that check catches it.
 */
function eventSubscriptionsOff(env) {
  if (env.DEPLOY_EVENT_SUBSCRIPTIONS?.trim().toLowerCase() !== 'true') return [];
  try {
    azdEnvSet(env, 'DEPLOY_EVENT_SUBSCRIPTIONS', 'false');
    return ['peerguard: DEPLOY_EVENT_SUBSCRIPTIONS set to false: the next azd up creates the Event Grid event subscriptions after the code is deployed.'];
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    return [`peerguard: could not set DEPLOY_EVENT_SUBSCRIPTIONS to false (${error.message}); the preprovision hook decides it again before the next provisioning.`];
  }
}

const result = await check(process.env);
if (result.ok) {
  const lines = [...result.lines, ...eventSubscriptionsOff(process.env)];
  if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
} else {
  process.stderr.write(`${result.lines.join('\n')}\n`);
  process.exit(1);
}
