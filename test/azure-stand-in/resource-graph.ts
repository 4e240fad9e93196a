import { createHash } from 'node:crypto';
import { armError, hasApiVersion, type Ctx, type Reply, type Route } from './http';
import { resourceGroupOf, subscriptionOf, type Json, type StoredResource } from './state';

// Azure Resource Graph: POST /providers/Microsoft.ResourceGraph/resources. KQL is not executed in
// general: peerguard's own queries are recognised stage by stage (between top-level pipes), and a
// stage the stand-in does not know is a 400 naming it, so a changed query cannot pass unnoticed.
// - `resources`, then `where type in~ (...)` (the types), `where type !~ '...networkinterfaces' or
//   properties.enableIPForwarding == true` (NVAs only), `where strcat(id, '/', tostring(properties.
//   subnets), tostring(properties.ipConfigurations)) matches regex @'...'` (a neighbourhood: the
//   regular expression is run on that text; optionally `type =~ '...networkmanagers' or` first, which
//   lets every network manager through), `extend properties = case(...)` (the projection,
//   applied as Resource Graph does: a type's row keeps only the properties its `pack(...)` names,
//   null where the resource has none, none for `dynamic({})`; other types keep all), `union
//   (resourcecontainers | where type =~ 'microsoft.resources/subscriptions' and subscriptionId in~
//   (...))` (those subscriptions' rows, if in scope), `project ...` (the named columns only),
//   `order by id asc`;
// - `networkresources`, then `where type in~ (...)`, `where type !~ '...staticmembers' or
//   tostring(properties.resourceId) matches regex @'...'` (static members of some VNets only),
//   `extend properties = case(...)`, `project ...`,
//   `order by id asc` (a `union` is refused: Resource Graph unions only resources and
//   resourcecontainers);
// - `resourcecontainers`, `where type =~ 'microsoft.resources/subscriptions'`: one row per
//   subscription in scope; `project ...`, `order by id asc`.
// Each stored type is in one table, as in Azure: AVNM's configurations and network groups in
// `networkresources`, everything else in `resources`; a query of the other table gets no row of it.
// Resource rows are the stored resources as ARM GET returns them, `type` lower-cased, plus the
// `subscriptionId` and `resourceGroup` columns (or, after `state.lagGraph()`, as they were then).
// Rows are ordered by id and paged at `$top` (at most 1,000) with `$skipToken`, unless
// `state.graphTruncation` says to answer the first page alone.

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

/** A query split at its top-level pipes (not those inside parentheses or string literals). */
function stagesOf(query: string): string[] {
  const stages: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < query.length; i += 1) {
    const c = query[i] as string;
    if (quote) {
      if (c === quote && query[i + 1] === quote) i += 1; // '' inside '...'
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '(') depth += 1;
    else if (c === ')') depth -= 1;
    else if (c === '|' && depth === 0) {
      stages.push(query.slice(start, i).trim());
      start = i + 1;
    }
  }
  stages.push(query.slice(start).trim());
  return stages;
}

type Table = 'resources' | 'resourcecontainers' | 'networkresources';
const TABLES: readonly string[] = ['resources', 'resourcecontainers', 'networkresources'] satisfies Table[];
const isTable = (name: string | undefined): name is Table => TABLES.includes(name ?? '');

/** Types Resource Graph keeps in `networkresources`, not `resources` (Microsoft's table reference, "networkresources"). */
const NETWORK_RESOURCES_TYPES = new Set([
  'microsoft.network/networkmanagers/connectivityconfigurations',
  'microsoft.network/networkmanagers/networkgroups',
  'microsoft.network/networkmanagers/networkgroups/staticmembers',
]);
const tableOf = (type: string): Table => (NETWORK_RESOURCES_TYPES.has(type.toLowerCase()) ? 'networkresources' : 'resources');

const quoted = (list: string): string[] => [...list.matchAll(/'((?:[^']|'')*)'/g)].map((m) => (m[1] ?? '').replace(/''/g, "'").toLowerCase());

interface ParsedQuery {
  table: Table;
  types: Set<string>;
  forwardingNicsOnly: boolean;
  /** The neighbourhood filter's regular expression. */
  names?: RegExp;
  /** The neighbourhood filter lets every network manager through too. */
  managersToo?: boolean;
  /** Static members kept: those whose resourceId matches (other types all kept). */
  members?: RegExp;
  /** Subscriptions whose rows the query unions in. */
  subscriptions: string[];
  /** `extend properties = case(type =~ 'a' or type =~ 'b', pack('k', properties.k, ...), type =~ 'c', dynamic({}), ..., properties)`: the keys kept per type. */
  projection: Map<string, string[]>;
  /** `project a, b, ...`: the columns kept (all when absent). */
  columns?: string[];
}

/** The keys each type keeps, from the `case(...)` of `extend properties` (none for `dynamic({})`). */
function projectionOf(stage: string): Map<string, string[]> {
  const kept = new Map<string, string[]>();
  for (const m of stage.matchAll(/((?:type =~ '[^']+'(?: or )?)+), (?:pack\(([^)]*)\)|dynamic\(\{\}\))/g)) {
    const keys = [...(m[2] ?? '').matchAll(/'([^']+)', properties\.(\w+)/g)].map((k) => {
      if (k[1] !== k[2]) throw new Error(`stand-in: pack('${k[1]}', properties.${k[2]}) renames a property`);
      return k[1] as string;
    });
    for (const type of quoted(m[1] ?? '')) kept.set(type, keys);
  }
  return kept;
}

/** A KQL verbatim string's RE2 expression as JavaScript's: RE2's (?i) is the i flag; the rest of peerguard's expressions are the same in both. */
function kqlRegex(verbatim: string): RegExp {
  const source = verbatim.replace(/''/g, "'");
  return source.startsWith('(?i)') ? new RegExp(source.slice(4), 'i') : new RegExp(source);
}

const STAGES: Array<{ tables: readonly Table[]; pattern: RegExp; apply?: (q: ParsedQuery, m: RegExpExecArray) => void }> = [
  { tables: ['resources', 'networkresources'], pattern: /^where type in~ \((.*)\)$/s, apply: (q, m) => (q.types = new Set(quoted(m[1] ?? ''))) },
  { tables: ['resources'], pattern: /^where type !~ 'microsoft\.network\/networkinterfaces' or properties\.enableIPForwarding == true$/, apply: (q) => (q.forwardingNicsOnly = true) },
  {
    tables: ['resources'],
    pattern: /^where (type =~ 'microsoft\.network\/networkmanagers' or )?strcat\(id, '\/', tostring\(properties\.subnets\), tostring\(properties\.ipConfigurations\)\) matches regex @'((?:[^']|'')*)'$/s,
    apply: (q, m) => {
      q.names = kqlRegex(m[2] ?? '');
      q.managersToo = m[1] !== undefined;
    },
  },
  {
    tables: ['networkresources'],
    pattern: /^where type !~ 'microsoft\.network\/networkmanagers\/networkgroups\/staticmembers' or tostring\(properties\.resourceId\) matches regex @'((?:[^']|'')*)'$/s,
    apply: (q, m) => (q.members = kqlRegex(m[1] ?? '')),
  },
  { tables: ['resources', 'networkresources'], pattern: /^extend properties = case\(/, apply: (q, m) => (q.projection = projectionOf(m.input)) },
  {
    tables: ['resources'],
    pattern: /^union \(resourcecontainers \| where type =~ 'microsoft\.resources\/subscriptions' and subscriptionId in~ \((.*)\)\)$/s,
    apply: (q, m) => (q.subscriptions = quoted(m[1] ?? '')),
  },
  { tables: ['resourcecontainers'], pattern: /^where type =~ 'microsoft\.resources\/subscriptions'$/ },
];

function parseQuery(query: string): ParsedQuery | { unknown: string } {
  const [table, ...stages] = stagesOf(query);
  if (!isTable(table)) return { unknown: table ?? '' };
  const parsed: ParsedQuery = { table, types: new Set(), forwardingNicsOnly: false, subscriptions: [], projection: new Map() };
  for (const stage of stages) {
    if (stage === 'order by id asc') continue; // rows are always in id order
    if (/^project\s/.test(stage)) {
      parsed.columns = stage.replace(/^project\s+/, '').split(',').map((c) => c.trim());
      continue;
    }
    const known = STAGES.find((s) => s.tables.includes(table) && s.pattern.test(stage));
    if (!known) return { unknown: stage };
    known.apply?.(parsed, known.pattern.exec(stage) as RegExpExecArray);
  }
  return parsed;
}

const text = (value: unknown): string => (value === undefined || value === null ? '' : JSON.stringify(value));

function resourceRows(ctx: Ctx, query: ParsedQuery, inScope: ReadonlySet<string>): Json[] {
  const rows = ctx.state
    .graphView()
    .filter((r) => tableOf(r.type) === query.table && query.types.has(r.type.toLowerCase()) && inScope.has(subscriptionOf(r.id) ?? ''))
    .filter((r) => !(query.forwardingNicsOnly && r.type.toLowerCase() === 'microsoft.network/networkinterfaces' && r.properties.enableIPForwarding !== true))
    .filter(
      (r) =>
        !query.names ||
        (query.managersToo === true && r.type.toLowerCase() === 'microsoft.network/networkmanagers') ||
        query.names.test(`${r.id}/${text(r.properties.subnets)}${text(r.properties.ipConfigurations)}`),
    )
    .filter((r) => !query.members || r.type.toLowerCase() !== 'microsoft.network/networkmanagers/networkgroups/staticmembers' || query.members.test(String(r.properties.resourceId ?? '')))
    .map((r) => projected(resourceRow(r), query.projection.get(r.type.toLowerCase())));
  return [...rows, ...subscriptionRows(ctx, query.subscriptions.filter((s) => inScope.has(s)))];
}

/** A row's properties as `pack(...)` keeps them: the named keys only, null where absent (none for `dynamic({})`). */
function projected(row: Json, keys: string[] | undefined): Json {
  if (!keys) return row;
  const properties = row.properties as Json;
  return { ...row, properties: Object.fromEntries(keys.map((k) => [k, properties[k] ?? null])) };
}

/** A row with only the `project`ed columns (null where it has none, as Resource Graph returns them). */
function columnsOf(row: Json, columns: string[] | undefined): Json {
  return columns ? Object.fromEntries(columns.map((c) => [c, row[c] ?? null])) : row;
}

function subscriptionRows(ctx: Ctx, subscriptions: readonly string[]): Json[] {
  return [...new Set(subscriptions)].sort().map((s) => subscriptionRow(ctx, s));
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

  const parsed = parseQuery(query);
  if ('unknown' in parsed) return withQuota(armError(400, 'BadRequest', `The stand-in does not recognise this query stage: ${parsed.unknown.slice(0, 160)}`));
  const rows = (parsed.table === 'resourcecontainers' ? subscriptionRows(ctx, [...inScope]) : resourceRows(ctx, parsed, inScope)).map((row) => columnsOf(row, parsed.columns));
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
  const more = offset + top < rows.length;
  const truncation = more ? ctx.state.graphTruncation : 'none';
  const result: Json = { totalRecords: rows.length, count: data.length, resultTruncated: truncation === 'flagged' ? 'true' : 'false', data, facets: [] };
  if (more && truncation === 'none') result.$skipToken = Buffer.from(JSON.stringify({ f: fingerprint, o: offset + top })).toString('base64');
  return withQuota({ status: 200, body: result });
}

export function resourceGraphRoute(method: string, path: string, body: Json | undefined): Route | undefined {
  if (method !== 'POST' || !/^\/providers\/Microsoft\.ResourceGraph\/resources\/?$/i.test(path)) return undefined;
  const subs = Array.isArray(body?.subscriptions) ? body.subscriptions.map((s) => String(s).toLowerCase()) : [];
  return { kind: 'resourceGraph', subscriptions: subs, handle };
}
