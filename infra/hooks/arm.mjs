// What the azd hooks (plain Node) share: Azure Resource Manager reads with the azd login, and
// `azd env set` on the environment the hook runs for. Not a hook itself.
import { spawnSync } from 'node:child_process';
import { URL } from 'node:url';

const DEFAULT_ENDPOINT = 'https://management.azure.com/';
const REQUEST_TIMEOUT_MS = 60_000;

/** Something a hook could not do or find out: its message says what, for the line the hook prints. */
export class HookError extends Error {}

/** The Resource Manager endpoint: https, or http on the loopback interface only (tests). */
export function endpointOf(value) {
  const url = new URL(value && value.trim() !== '' ? value.trim() : DEFAULT_ENDPOINT);
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new HookError(`AZURE_RESOURCE_MANAGER_ENDPOINT: ${url.origin} is not https; no access token is sent to it`);
  }
  return new URL(url.pathname.endsWith('/') ? url.href : `${url.href}/`);
}

/** An access token for Resource Manager, from the azd login (`azd auth token`). */
export function tokenFor(endpoint, tenantId) {
  const args = ['auth', 'token', '--output', 'json', '--scope', `${endpoint.origin}/.default`];
  if (tenantId) args.push('--tenant-id', tenantId);
  const result = spawnSync('azd', args, { encoding: 'utf8', windowsHide: true });
  if (result.error || result.status !== 0) {
    const reason = result.error ? result.error.message : (result.stderr || result.stdout || `exit code ${result.status}`).trim();
    throw new HookError(`could not get an access token with \`azd auth token\`: ${reason}`);
  }
  try {
    const token = JSON.parse(result.stdout).token;
    if (typeof token === 'string' && token !== '') return token;
  } catch {
    // reported below
  }
  throw new HookError('`azd auth token --output json` printed no token');
}

/** One GET: the status and the parsed body (an empty object when there is none). */
export async function getJson(endpoint, token, url) {
  if (url.origin !== endpoint.origin) throw new HookError(`Resource Manager returned a next page at another origin (${url.origin})`);
  let response;
  try {
    response = await globalThis.fetch(url, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      signal: globalThis.AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    throw new HookError(`could not reach Resource Manager (${url.origin}): ${error instanceof Error ? error.message : String(error)}`);
  }
  const body = await response.json().catch(() => ({}));
  return { status: response.status, body };
}

/** The error a failed GET reports. */
export function failure(url, status, body) {
  const code = body?.error?.code ?? `HTTP ${status}`;
  return new HookError(`GET ${url.pathname} failed: ${code}${body?.error?.message ? `: ${body.error.message}` : ''}`);
}

/** GET, following nextLink on the same origin only: the values of every page, or null on 404. */
export async function listAll(endpoint, token, path) {
  const values = [];
  let url = new URL(path, endpoint);
  for (;;) {
    const { status, body } = await getJson(endpoint, token, url);
    if (status === 404 && values.length === 0) return null;
    if (status < 200 || status > 299) throw failure(url, status, body);
    values.push(...(Array.isArray(body.value) ? body.value : []));
    if (!body.nextLink) return values;
    url = new URL(body.nextLink);
  }
}

/** Whether the resource at `path` exists: true on 200, false on 404, HookError otherwise. */
export async function exists(endpoint, token, path) {
  const url = new URL(path, endpoint);
  const { status, body } = await getJson(endpoint, token, url);
  if (status === 404) return false;
  if (status >= 200 && status <= 299) return true;
  throw failure(url, status, body);
}

/**
 * `azd env set NAME VALUE` on the hook's own environment (AZURE_ENV_NAME: azd runs hooks with the
 * environment's values, and `azd up -e <name>` need not be the default environment). azd reloads
 * the environment after each hook, so what a pre-hook sets is what the command then uses.
 */
export function azdEnvSet(env, name, value) {
  const args = ['env', 'set', name, value];
  const envName = env.AZURE_ENV_NAME?.trim();
  if (envName) args.push('--environment', envName);
  const result = spawnSync('azd', args, { encoding: 'utf8', windowsHide: true });
  if (result.error || result.status !== 0) {
    const reason = result.error ? result.error.message : (result.stderr || result.stdout || `exit code ${result.status}`).trim();
    throw new HookError(`\`azd ${args.join(' ')}\` failed: ${reason}`);
  }
}
