import { randomUUID } from 'node:crypto';
import { armError, hasApiVersion, type Ctx, type Reply, type Route } from './http';
import { keyOf, StateError, subscriptionOf, TYPES, type Json, type StandInState, type StoredResource } from './state';

// Azure Resource Manager: GET/PUT/DELETE of the network resources peerguard reads and writes,
// peering lists paged by absolute nextLink, long-running PUT/DELETE (Azure-AsyncOperation and
// Location, polled to Succeeded), If-Match ETags (412 on mismatch), GET /subscriptions; subscriptions
// of another Entra tenant (inAnotherTenant).

const SUPPORTED = new Set([
  'microsoft.network/virtualnetworks',
  'microsoft.network/virtualnetworks/virtualnetworkpeerings',
  'microsoft.network/virtualnetworkgateways',
  'microsoft.network/routetables',
  'microsoft.network/azurefirewalls',
  'microsoft.network/networkinterfaces',
  'microsoft.network/virtualhubs',
]);

interface Operation {
  id: string;
  pollsLeft: number;
  /** Location polls return this once done (204 for a delete, 200 with the resource for a PUT). */
  done: Reply;
}

const operations = new WeakMap<object, Map<string, Operation>>();

function opsOf(ctx: Ctx): Map<string, Operation> {
  let map = operations.get(ctx.state);
  if (!map) {
    map = new Map();
    operations.set(ctx.state, map);
  }
  return map;
}

function startOperation(ctx: Ctx, done: Reply): { asyncUrl: string; locationUrl: string } {
  const id = randomUUID();
  opsOf(ctx).set(id, { id, pollsLeft: ctx.options.lroInProgressPolls, done });
  const sub = subscriptionOf(ctx.path) ?? 'none';
  const base = `${ctx.endpoint}/subscriptions/${sub}/providers/Microsoft.Network/locations/westeurope`;
  const v = encodeURIComponent(ctx.query['api-version'] ?? '');
  return { asyncUrl: `${base}/operations/${id}?api-version=${v}`, locationUrl: `${base}/operationResults/${id}?api-version=${v}` };
}

/** `.../providers/Microsoft.Network/{type}/{name}[/{child}[/{name}]]` → its parts. */
function parseArmPath(path: string): { sub: string; type: string; id: string; collection: boolean } | undefined {
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/([^/]+)\/(.+)$/i.exec(path);
  if (!m) return undefined;
  const [, sub = '', , ns = '', rest = ''] = m;
  const segs = rest.split('/').filter(Boolean);
  const typeSegs = segs.filter((_, i) => i % 2 === 0);
  const type = [ns, ...typeSegs].join('/').toLowerCase();
  return { sub: sub.toLowerCase(), type, id: path.replace(/\/+$/, ''), collection: segs.length % 2 === 1 };
}

function ifMatchFails(ctx: Ctx, current: StoredResource | undefined): Reply | undefined {
  const ifMatch = ctx.headers['if-match'];
  const ifNoneMatch = ctx.headers['if-none-match'];
  if (typeof ifMatch === 'string' && ifMatch !== '') {
    if (!current || (ifMatch !== '*' && ifMatch !== current.etag)) {
      return armError(412, 'PreconditionFailed', `The condition specified using HTTP conditional header(s) is not met (If-Match ${ifMatch}, current ${current?.etag ?? 'none'}).`);
    }
  }
  if (ifNoneMatch === '*' && current) return armError(412, 'PreconditionFailed', 'The resource already exists (If-None-Match: *).');
  return undefined;
}

/** One page of `items` (`armPageSize` each), offset by `$skiptoken`, with an absolute nextLink while more remain. */
export function listPage(ctx: Ctx, items: unknown[]): Reply {
  const skip = Number(ctx.query.$skiptoken ?? 0) || 0;
  const size = ctx.options.armPageSize;
  const page = items.slice(skip, skip + size);
  const body: Json = { value: page };
  if (skip + size < items.length) {
    body.nextLink = `${ctx.endpoint}${ctx.path}?api-version=${encodeURIComponent(ctx.query['api-version'] ?? '')}&$skiptoken=${skip + size}`;
  }
  return { status: 200, body };
}

function handleResource(ctx: Ctx, parsed: { type: string; id: string; collection: boolean }): Reply {
  const missing = hasApiVersion(ctx);
  if (missing) return missing;
  const isPeering = parsed.type === TYPES.peering;
  if (parsed.collection) {
    if (ctx.method !== 'GET') return armError(405, 'MethodNotAllowed', `${ctx.method} on a collection`);
    if (isPeering) {
      const vnetId = parsed.id.replace(/\/virtualNetworkPeerings$/i, '');
      if (!ctx.state.get(vnetId)) return armError(404, 'ResourceNotFound', `The Resource 'Microsoft.Network/virtualNetworks/${vnetId.split('/').pop()}' was not found.`);
      return listPage(ctx, ctx.state.peeringsOf(vnetId));
    }
    const prefix = `${keyOf(parsed.id)}/`;
    const items = ctx.state.all().filter((r) => keyOf(r.id).startsWith(prefix) && r.type.toLowerCase() === parsed.type);
    return listPage(ctx, items);
  }
  const current = ctx.state.get(parsed.id);
  switch (ctx.method) {
    case 'GET':
      return current ? { status: 200, headers: { ETag: current.etag }, body: current } : armError(404, 'ResourceNotFound', `The Resource '${parsed.type}/${parsed.id.split('/').pop()}' under resource group was not found.`);
    case 'PUT': {
      const failed = ifMatchFails(ctx, current);
      if (failed) return failed;
      const body = ctx.body ?? {};
      let result: { created: boolean; resource: StoredResource };
      try {
        result = isPeering
          ? ctx.state.putPeering(parsed.id, body, { syncRemoteAddressSpace: /^true$/i.test(ctx.query.syncRemoteAddressSpace ?? '') })
          : ctx.state.putResource(parsed.id, body);
      } catch (error) {
        if (error instanceof StateError) return armError(error.status, error.code, error.message);
        throw error;
      }
      const answer = { ...result.resource, properties: { ...result.resource.properties, provisioningState: 'Updating' } };
      const op = startOperation(ctx, { status: 200, body: result.resource });
      return { status: result.created ? 201 : 200, headers: { 'Azure-AsyncOperation': op.asyncUrl, ETag: result.resource.etag }, body: answer };
    }
    case 'DELETE': {
      if (!current) return { status: 204 };
      const failed = ifMatchFails(ctx, current);
      if (failed) return failed;
      if (isPeering) ctx.state.deletePeering(parsed.id);
      else ctx.state.deleteResource(parsed.id);
      const op = startOperation(ctx, { status: 204 });
      return { status: 202, headers: { 'Azure-AsyncOperation': op.asyncUrl, Location: op.locationUrl } };
    }
    default:
      return armError(405, 'MethodNotAllowed', `${ctx.method} is not supported`);
  }
}

function handleOperation(ctx: Ctx, id: string, kind: 'operations' | 'operationResults'): Reply {
  const op = opsOf(ctx).get(id);
  if (!op) return armError(404, 'OperationNotFound', `Operation ${id} not found.`);
  if (op.pollsLeft > 0) {
    op.pollsLeft -= 1;
    return kind === 'operations'
      ? { status: 200, body: { id, name: id, status: 'InProgress' } }
      : { status: 202, headers: { Location: `${ctx.endpoint}${ctx.path}?${new URLSearchParams(ctx.query).toString()}` } };
  }
  return kind === 'operations' ? { status: 200, body: { id, name: id, status: 'Succeeded' } } : op.done;
}

function handleSubscriptions(ctx: Ctx): Reply {
  const missing = hasApiVersion(ctx);
  if (missing) return missing;
  const visible = [...ctx.state.subscriptions.values()]
    .filter((s) => !ctx.faults.forbidden.has(s.subscriptionId) || ctx.faults.forbidden.get(s.subscriptionId)?.listed)
    .sort((a, b) => (a.subscriptionId < b.subscriptionId ? -1 : 1))
    .map((s) => ({ id: `/subscriptions/${s.subscriptionId}`, authorizationSource: 'RoleBased', ...s, subscriptionPolicies: { spendingLimit: 'Off', quotaId: 'EnterpriseAgreement_2014-09-01' } }));
  return listPage(ctx, visible);
}

/** The tenant of the stand-in's token: its own subscriptions' tenantId (state.ts). */
const CALLER_TENANT = '72f988bf-0000-0000-0000-standintenant';

/** Subscriptions of another tenant, per stand-in: lower-cased id → that tenant's id. */
const otherTenants = new WeakMap<StandInState, Map<string, string>>();

/**
 * Puts a subscription in another Entra tenant than the caller's: ARM then refuses the caller's token
 * for its resources as Azure does (401 InvalidAuthenticationTokenTenant), where a subscription that
 * does not exist is 404 SubscriptionNotFound. It must not be in the estate: the caller's Resource
 * Graph and GET /subscriptions see no other tenant's subscriptions.
 */
export function inAnotherTenant(state: StandInState, subscriptionId: string, tenantId: string): void {
  const sub = subscriptionId.toLowerCase();
  if (state.subscriptions.has(sub)) throw new Error(`inAnotherTenant: ${sub} is in the stand-in's estate, so its own tenant sees it`);
  let tenants = otherTenants.get(state);
  if (!tenants) {
    tenants = new Map();
    otherTenants.set(state, tenants);
  }
  tenants.set(sub, tenantId);
}

/** Azure's answer, word for word, to a token from the caller's tenant for a subscription of `tenantId`. */
function wrongIssuer(tenantId: string): Reply {
  return armError(
    401,
    'InvalidAuthenticationTokenTenant',
    `The access token is from the wrong issuer 'https://sts.windows.net/${CALLER_TENANT}/'. It must match the tenant 'https://sts.windows.net/${tenantId}/' associated with this subscription. ` +
      `Please use the authority (URL) 'https://login.windows.net/${tenantId}' to get the token. Note, if the subscription is transferred to another tenant there is no impact to the services, ` +
      'but information about new tenant could take time to propagate (up to an hour). If you just transferred your subscription and see this error message, please try back later.',
  );
}

function forbidden(ctx: Ctx, sub: string): Reply {
  return armError(
    403,
    'AuthorizationFailed',
    `The client 'stand-in-client' with object id '00000000-0000-0000-0000-000000000000' does not have authorization to perform action 'Microsoft.Network/${ctx.method === 'GET' ? 'read' : 'write'}' over scope '/subscriptions/${sub}' or the scope is invalid.`,
  );
}

/** The ARM route for a path, or undefined if it is not ARM. */
export function armRoute(method: string, path: string): Route | undefined {
  if (method === 'GET' && /^\/subscriptions\/?$/i.test(path)) return { kind: 'subscriptions', subscriptions: [], handle: handleSubscriptions };
  const op = /^\/subscriptions\/[^/]+\/providers\/Microsoft\.Network\/locations\/[^/]+\/(operations|operationResults)\/([^/]+)$/i.exec(path);
  if (op && method === 'GET') {
    const kind = op[1] === 'operations' ? 'operations' : 'operationResults';
    const id = op[2] ?? '';
    return { kind: 'armOperation', subscriptions: [], handle: (ctx) => handleOperation(ctx, id, kind) };
  }
  const parsed = parseArmPath(path);
  if (!parsed) return undefined;
  const kind = parsed.collection ? 'armList' : method === 'GET' ? 'armGet' : method === 'PUT' ? 'armPut' : method === 'DELETE' ? 'armDelete' : 'unknown';
  return {
    kind,
    subscriptions: [parsed.sub],
    handle: (ctx) => {
      // The token is checked against the subscription's tenant before any role on it.
      const otherTenant = otherTenants.get(ctx.state)?.get(parsed.sub);
      if (otherTenant) return wrongIssuer(otherTenant);
      if (ctx.faults.isForbidden(parsed.sub)) return forbidden(ctx, parsed.sub);
      // ARM answers for a subscription that does not exist this way (one of another tenant: wrongIssuer).
      if (!ctx.state.subscriptions.has(parsed.sub.toLowerCase())) {
        return armError(404, 'SubscriptionNotFound', `The subscription '${parsed.sub}' could not be found.`);
      }
      if (!SUPPORTED.has(parsed.type)) return armError(400, 'NoRegisteredProviderFound', `The stand-in does not serve resource type '${parsed.type}'.`);
      return handleResource(ctx, parsed);
    },
  };
}
