import { createHash } from 'node:crypto';
import { armError, hasApiVersion, type Ctx, type Reply, type Route } from './http';
import { resourceGroupOf, subscriptionOf, type Json, type StoredResource } from './state';

// Azure Resource Graph: POST /providers/Microsoft.ResourceGraph/resources. KQL is not executed.
// Two queries are recognised by markers:
// - a `resources` query with a type filter (`type in~ ('microsoft.network/...', ...)`): rows are
//   the stored resources of those types, as ARM GET returns them, `type` lower-cased, plus the
//   `subscriptionId` and `resourceGroup` columns; NICs are limited to those with IP forwarding
//   when the query says `enableIPForwarding == true`;
// - a `resourcecontainers` query for subscriptions: one row per subscription in scope.
// Rows are ordered by id and paged at `$top` (at most 1,000) with `$skipToken`.

interface Window {
  start: number;
  used: number;
}
const windows = new WeakMap<object, Window>();

function quotaHeaders(ctx: Ctx): { headers: Record<string, string>; exceeded: boolean; resetMs: number } {
  const now = Date.now();
  let w = windows.get(ctx.state);
  if (!w || now - w.start >= ctx.options.quota.windowMs) {
    w = { start: now, used: 0 };
    windows.set(ctx.state, w);
  }
  w.used += 1;
  const remaining = ctx.options.quota.perWindow - w.used;
  const resetMs = Math.max(0, ctx.options.quota.windowMs - (now - w.start));
  const s = Math.ceil(resetMs / 1000);
  const hhmmss = `${String(Math.floor(s / 3600)).padStart(2, '0')}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  return {
    headers: { 'x-ms-user-quota-remaining': String(Math.max(0, remaining)), 'x-ms-user-quota-resets-after': hhmmss },
    exceeded: remaining < 0,
    resetMs,
  };
}

function subscriptionRow(ctx: Ctx, sub: string): Json {
  const info = ctx.state.subscriptions.get(sub);
  return {
    id: `/subscriptions/${sub}`,
    name: info?.displayName ?? sub,
    type: 'microsoft.resources/subscriptions',
    subscriptionId: sub,
    tenantId: info?.tenantId,
    properties: { state: info?.state ?? 'Enabled' },
  };
}

function resourceRow(r: StoredResource): Json {
  return {
    id: r.id,
    name: r.name,
    type: r.type.toLowerCase(),
    location: r.location ?? '',
    tags: r.tags ?? {},
    subscriptionId: subscriptionOf(r.id) ?? '',
    resourceGroup: (resourceGroupOf(r.id) ?? '').toLowerCase(),
    sku: r.sku ?? null,
    properties: r.properties,
  };
}

function handle(ctx: Ctx): Reply {
  const missing = hasApiVersion(ctx);
  if (missing) return missing;
  const quota = quotaHeaders(ctx);
  if (ctx.options.quota.enforce && quota.exceeded) {
    return armError(429, 'RateLimiting', 'Please provide below info when asking for support: too many requests.', {
      ...quota.headers,
      'Retry-After': String(Math.max(1, Math.ceil(quota.resetMs / 1000))),
    });
  }
  const withQuota = (reply: Reply): Reply => ({ ...reply, headers: { ...quota.headers, ...(reply.headers ?? {}) } });
  const body = ctx.body ?? {};
  const query = typeof body.query === 'string' ? body.query : '';
  if (!query) return withQuota(armError(400, 'BadRequest', 'Query is required.'));
  const options = (typeof body.options === 'object' && body.options !== null ? body.options : {}) as Json;
  const top = typeof options.$top === 'number' ? options.$top : 1000;
  if (top > 1000 || top < 1) return withQuota(armError(400, 'BadRequest', `$top must be between 1 and 1000, was ${top}.`));
  const named = Array.isArray(body.subscriptions) ? body.subscriptions.map((s) => String(s).toLowerCase()) : undefined;
  const groups = Array.isArray(body.managementGroups) ? body.managementGroups.map((g) => String(g).toLowerCase()) : undefined;

  // Scope: the named subscriptions, the subscriptions under the management groups, or all the caller can read.
  let scope: string[];
  if (named && named.length > 0) {
    const denied = named.filter((s) => ctx.faults.isForbidden(s));
    if (denied.length > 0 && ctx.options.resourceGraphForbidden === 'reject') {
      return withQuota(
        armError(
          403,
          'AuthorizationFailed',
          `The client does not have authorization to perform action 'Microsoft.ResourceGraph/resources/read' over scope '/subscriptions/${denied[0]}' or the scope is invalid. Denied subscriptions: ${denied.join(', ')}.`,
        ),
      );
    }
    scope = named.filter((s) => !ctx.faults.isForbidden(s));
  } else if (groups && groups.length > 0) {
    const unknown = groups.find((g) => !ctx.state.managementGroups.has(g));
    if (unknown) {
      return withQuota(armError(403, 'AuthorizationFailed', `The client does not have authorization to perform action 'Microsoft.ResourceGraph/resources/read' over scope '/providers/Microsoft.Management/managementGroups/${unknown}'.`));
    }
    scope = groups.flatMap((g) => [...(ctx.state.managementGroups.get(g) ?? [])]).filter((s) => !ctx.faults.isForbidden(s));
  } else {
    scope = [...ctx.state.subscriptions.keys()].filter((s) => !ctx.faults.isForbidden(s));
  }
  const inScope = new Set(scope);

  let rows: Json[];
  if (/^\s*resourcecontainers\b/i.test(query) && /microsoft\.resources\/subscriptions/i.test(query)) {
    rows = [...inScope].sort().map((s) => subscriptionRow(ctx, s));
  } else if (/^\s*resources\b/i.test(query) && /\btype\s+in~\s*\(/i.test(query)) {
    const filter = /\btype\s+in~\s*\(([^)]*)\)/i.exec(query)?.[1] ?? '';
    const types = new Set([...filter.matchAll(/'([^']+)'/g)].map((m) => (m[1] ?? '').toLowerCase()));
    const onlyForwardingNics = /enableIPForwarding\s*==\s*true/i.test(query);
    rows = ctx.state
      .all()
      .filter((r) => types.has(r.type.toLowerCase()) && inScope.has(subscriptionOf(r.id) ?? ''))
      .filter((r) => !(onlyForwardingNics && r.type.toLowerCase() === 'microsoft.network/networkinterfaces' && r.properties.enableIPForwarding !== true))
      .map(resourceRow);
  } else {
    return withQuota(armError(400, 'BadRequest', `The stand-in does not recognise this query (no "resources | where type in~ (...)" or "resourcecontainers" marker): ${query.slice(0, 120)}`));
  }
  rows.sort((a, b) => (String(a.id).toLowerCase() < String(b.id).toLowerCase() ? -1 : 1));

  const fingerprint = createHash('sha256').update(JSON.stringify([query, [...inScope].sort()])).digest('hex').slice(0, 16);
  let offset = typeof options.$skip === 'number' ? options.$skip : 0;
  if (typeof options.$skipToken === 'string' && options.$skipToken !== '') {
    let token: { f?: string; o?: number } = {};
    try {
      token = JSON.parse(Buffer.from(options.$skipToken, 'base64').toString('utf8')) as typeof token;
    } catch {
      return withQuota(armError(400, 'InvalidSkipToken', 'The $skipToken is not valid.'));
    }
    if (token.f !== fingerprint || typeof token.o !== 'number') return withQuota(armError(400, 'InvalidSkipToken', 'The $skipToken does not belong to this query.'));
    offset = token.o;
  }
  const data = rows.slice(offset, offset + top);
  const result: Json = { totalRecords: rows.length, count: data.length, resultTruncated: 'false', data, facets: [] };
  if (offset + top < rows.length) result.$skipToken = Buffer.from(JSON.stringify({ f: fingerprint, o: offset + top })).toString('base64');
  return withQuota({ status: 200, body: result });
}

export function resourceGraphRoute(method: string, path: string, body: Json | undefined): Route | undefined {
  if (method !== 'POST' || !/^\/providers\/Microsoft\.ResourceGraph\/resources\/?$/i.test(path)) return undefined;
  const subs = Array.isArray(body?.subscriptions) ? body.subscriptions.map((s) => String(s).toLowerCase()) : [];
  return { kind: 'resourceGraph', subscriptions: subs, handle };
}
