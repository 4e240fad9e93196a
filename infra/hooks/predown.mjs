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
import { spawnSync } from 'node:child_process';
import process from 'node:process';
import { URL } from 'node:url';

const RESOURCES_API = '2021-04-01';
const EVENT_GRID_API = '2025-02-15';
const DEFAULT_GROUP = 'rg-peerguard-events';
const DEFAULT_ENDPOINT = 'https://management.azure.com/';
const REQUEST_TIMEOUT_MS = 60_000;
const SYSTEM_TOPIC_TYPE = 'microsoft.eventgrid/systemtopics';

class Refusal extends Error {}

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

/** The Resource Manager endpoint: https, or http on the loopback interface only (tests). */
function endpointOf(value) {
  const url = new URL(value && value.trim() !== '' ? value.trim() : DEFAULT_ENDPOINT);
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new Refusal(`AZURE_RESOURCE_MANAGER_ENDPOINT: ${url.origin} is not https; no access token is sent to it`);
  }
  return new URL(url.pathname.endsWith('/') ? url.href : `${url.href}/`);
}

/** An access token for Resource Manager, from the azd login (`azd auth token`). */
function tokenFor(endpoint, tenantId) {
  const args = ['auth', 'token', '--output', 'json', '--scope', `${endpoint.origin}/.default`];
  if (tenantId) args.push('--tenant-id', tenantId);
  const result = spawnSync('azd', args, { encoding: 'utf8', windowsHide: true });
  if (result.error || result.status !== 0) {
    const reason = result.error ? result.error.message : (result.stderr || result.stdout || `exit code ${result.status}`).trim();
    throw new Refusal(`could not get an access token with \`azd auth token\`: ${reason}`);
  }
  try {
    const token = JSON.parse(result.stdout).token;
    if (typeof token === 'string' && token !== '') return token;
  } catch {
    // reported below
  }
  throw new Refusal('`azd auth token --output json` printed no token');
}

/** GET, following nextLink on the same origin only: the values of every page, or null on 404. */
async function listAll(endpoint, token, path) {
  const values = [];
  let url = new URL(path, endpoint);
  for (;;) {
    if (url.origin !== endpoint.origin) throw new Refusal(`Resource Manager returned a next page at another origin (${url.origin})`);
    let response;
    try {
      response = await globalThis.fetch(url, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        signal: globalThis.AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new Refusal(`could not reach Resource Manager (${url.origin}): ${error instanceof Error ? error.message : String(error)}`);
    }
    const body = await response.json().catch(() => ({}));
    if (response.status === 404 && values.length === 0) return null;
    if (!response.ok) {
      const code = body?.error?.code ?? `HTTP ${response.status}`;
      throw new Refusal(`GET ${url.pathname} failed: ${code}${body?.error?.message ? `: ${body.error.message}` : ''}`);
    }
    values.push(...(Array.isArray(body.value) ? body.value : []));
    if (!body.nextLink) return values;
    url = new URL(body.nextLink);
  }
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

const result = await check(process.env);
if (result.ok) {
  if (result.lines.length > 0) process.stdout.write(`${result.lines.join('\n')}\n`);
} else {
  process.stderr.write(`${result.lines.join('\n')}\n`);
  process.exit(1);
}
