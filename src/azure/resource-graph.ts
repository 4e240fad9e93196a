import type { ResourceGraphClient } from '@azure/arm-resourcegraph';
import { subscriptionOf } from '../model/ids';
import { RESOURCE_TYPES, type RawResource, type SourcedResource } from '../model/snapshot';
import type { AuditScope, Inventory, InventoryProgress, InventoryReader, ReadStop } from '../ports';
import type { UnreadableScope } from '../report/report';
import { resourceGraphClient, type AzureConnection } from './connection';
import { backOffOrThrow, describeError, isAccessDenied, isTokenRefused, isTransient, realSleep, untilAborted } from './errors';
import { listDescendantSubscriptions, type DescendantSubscription } from './management-groups';
import { listSubscriptions, type SubscriptionEntry } from './subscriptions';

// The estate through Azure Resource Graph: one query of its `resources` table for every resource
// type the topology reads there, projecting only the properties it uses, 1,000 rows per page
// ($skipToken), subscriptions in batches well under Resource Graph's 300, throttling honoured.
// Virtual Network Manager's configurations and group members are kept in another table,
// `networkresources`, which no `union` reaches (Resource Graph unions only `resources` and
// `resourcecontainers`): a second query reads them, for the subscriptions of a batch that hold a
// network manager only, so an estate without one costs no extra call. A result Resource Graph cut
// short fails like a page that keeps failing. What cannot be read becomes coverage.unreadable with
// the reason; it never throws for a scope it could not read. A management group's subscriptions
// are those Resource Graph returns under it, checked against the Management Groups API's list of
// its descendants (management-groups.ts): Resource Graph leaves out, without a word, a subscription
// the identity cannot read, and the audit must not then claim the whole group.

const T = RESOURCE_TYPES;
/** The types the topology reads that Resource Graph keeps in its `resources` table (peerings and subnets come inline). */
const RESOURCES_TABLE_TYPES = [T.vnet, T.gateway, T.routeTable, T.firewall, T.nic, T.virtualHub];
/**
 * The types the topology reads that Resource Graph keeps in its `networkresources` table (Microsoft's
 * table reference): asked of `resources`, they return no row, and the audit sees no AVNM mesh.
 */
export const NETWORK_RESOURCES_TYPES: readonly string[] = [T.avnmConnectivity, T.avnmStaticMember];
/** A network manager itself is in `resources`: its row tells that its subscription has AVNM configurations to read. */
const NETWORK_MANAGER = 'microsoft.network/networkmanagers';

const typeFilter = (types: readonly string[]): string => `| where type in~ (${types.map((t) => `'${t}'`).join(', ')})`;
const FORWARDING_NICS_ONLY = "| where type !~ 'microsoft.network/networkinterfaces' or properties.enableIPForwarding == true";

/** `extend properties` keeping, for each type a case names, only the properties the topology reads; other types keep theirs. */
const projection = (cases: readonly string[]): string[] => ['| extend properties = case(', ...cases.map((c) => `    ${c},`), '    properties)'];
const RESOURCES_CASES = [
  "type =~ 'microsoft.network/virtualnetworks', pack('addressSpace', properties.addressSpace, 'subnets', properties.subnets, 'virtualNetworkPeerings', properties.virtualNetworkPeerings)",
  "type =~ 'microsoft.network/virtualnetworkgateways', pack('gatewayType', properties.gatewayType, 'sku', properties.sku, 'ipConfigurations', properties.ipConfigurations)",
  "type =~ 'microsoft.network/routetables', pack('routes', properties.routes, 'subnets', properties.subnets, 'disableBgpRoutePropagation', properties.disableBgpRoutePropagation)",
  "type =~ 'microsoft.network/networkinterfaces', pack('enableIPForwarding', properties.enableIPForwarding, 'ipConfigurations', properties.ipConfigurations)",
  "type =~ 'microsoft.network/azurefirewalls' or type =~ 'microsoft.network/virtualhubs', pack('ipConfigurations', properties.ipConfigurations)",
];
/** A network manager's row is read for its id alone: its scopes can list hundreds of subscriptions. */
const NETWORK_MANAGER_CASE = `type =~ '${NETWORK_MANAGER}', dynamic({})`;
const NETWORK_RESOURCES_CASES = [
  "type =~ 'microsoft.network/networkmanagers/connectivityconfigurations', pack('connectivityTopology', properties.connectivityTopology, 'hubs', properties.hubs, 'isGlobal', properties.isGlobal, 'appliesToGroups', properties.appliesToGroups)",
  "type =~ 'microsoft.network/networkmanagers/networkgroups/staticmembers', pack('resourceId', properties.resourceId)",
];
const COLUMNS = ['| project id, name, type, location, tags, subscriptionId, resourceGroup, properties', '| order by id asc'];

/**
 * The rows of those of `subscriptions` that the identity can see. Resource Graph leaves out what the
 * caller may not read without an error, so an absent row is how a subscription it did not answer
 * for shows: its VNets are unknown, not deleted.
 */
function visibleSubscriptions(subscriptions: readonly string[]): string {
  const wanted = subscriptions.map((s) => `'${s.replace(/'/g, "''")}'`).join(', ');
  return `| union (resourcecontainers | where type =~ 'microsoft.resources/subscriptions' and subscriptionId in~ (${wanted}))`;
}

const typeOfRow = (row: Record<string, unknown>): string => String(row.type).toLowerCase();
const isSubscriptionRow = (row: Record<string, unknown>): boolean => typeOfRow(row) === 'microsoft.resources/subscriptions';
const isNetworkManagerRow = (row: Record<string, unknown>): boolean => typeOfRow(row) === NETWORK_MANAGER;
const isAzureRow = (row: Record<string, unknown>): row is RawResource => typeof row.id === 'string' && row.id.toLowerCase().startsWith('/subscriptions/');

/**
 * The inventory query over a batch of subscriptions, with their subscription rows and their network
 * managers' ids. `id` is projected as a plain column so that Resource Graph issues a $skipToken; NICs
 * only when they forward IP (an NVA), the rest of the NICs never leave Azure.
 */
export function inventoryQuery(subscriptions: readonly string[]): string {
  return [
    'resources',
    typeFilter([...RESOURCES_TABLE_TYPES, NETWORK_MANAGER]),
    FORWARDING_NICS_ONLY,
    ...projection([...RESOURCES_CASES, NETWORK_MANAGER_CASE]),
    visibleSubscriptions(subscriptions),
    ...COLUMNS,
  ].join('\n');
}

/**
 * The AVNM connectivity configurations and static members of the subscriptions the request's scope
 * names. No subscription rows: `networkresources` cannot be unioned with `resourcecontainers`, and
 * the inventory query has already told which subscriptions answer.
 */
export const NETWORK_RESOURCES_QUERY = ['networkresources', typeFilter(NETWORK_RESOURCES_TYPES), ...projection(NETWORK_RESOURCES_CASES), ...COLUMNS].join('\n');

/** `text` as a KQL verbatim string literal. */
const kqlString = (text: string): string => `@'${text.replace(/'/g, "''")}'`;
/** `text` matched literally by an RE2 (and JavaScript) regular expression. */
const literally = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A group matching any of `ids` literally, for an RE2 (and JavaScript) regular expression. */
const anyOf = (ids: readonly string[]): string => `(${ids.map(literally).join('|')})`;

/**
 * The inventory query narrowed to a neighbourhood: the rows that are one of `ids`, or whose subnets
 * or ipConfigurations name a subnet of one of them. For VNet ids that is the VNets, what sits in
 * their subnets (gateways, firewalls, Route Servers, NVAs) and the route tables their subnets use;
 * ids of route tables and gateways select those rows too. A regular expression rather than an id
 * list because a route table names its subnets in an array. Then every network manager's id (a
 * tenant holds a few), which tells whether an AVNM mesh may join the VNets (`neighbourhoodMeshQuery`),
 * and the subscription rows of `subscriptions` that the identity can see: a VNet absent from a
 * visible subscription is missing, from any other one unknown.
 */
export function neighbourhoodQuery(ids: readonly string[], subscriptions: readonly string[]): string {
  const names = `(?i)${anyOf(ids)}/`;
  return [
    'resources',
    typeFilter([...RESOURCES_TABLE_TYPES, NETWORK_MANAGER]),
    FORWARDING_NICS_ONLY,
    `| where type =~ '${NETWORK_MANAGER}' or strcat(id, '/', tostring(properties.subnets), tostring(properties.ipConfigurations)) matches regex ${kqlString(names)}`,
    ...projection([...RESOURCES_CASES, NETWORK_MANAGER_CASE]),
    visibleSubscriptions(subscriptions),
    ...COLUMNS,
  ].join('\n');
}

const STATIC_MEMBER = 'microsoft.network/networkmanagers/networkgroups/staticmembers';

/**
 * The AVNM rows a neighbourhood needs: every connectivity configuration (a tenant holds a few) and
 * the static members that are one of `ids`. Without them the event path would call two meshed
 * spokes of a hub cut off from each other, which the scheduled audit (which reads the mesh) does not.
 */
export function neighbourhoodMeshQuery(ids: readonly string[]): string {
  return [
    'networkresources',
    typeFilter(NETWORK_RESOURCES_TYPES),
    `| where type !~ '${STATIC_MEMBER}' or tostring(properties.resourceId) matches regex ${kqlString(`(?i)^${anyOf(ids)}$`)}`,
    ...projection(NETWORK_RESOURCES_CASES),
    ...COLUMNS,
  ].join('\n');
}

/** Subscriptions under a management group (and below it) that the identity can read. */
export const SUBSCRIPTIONS_QUERY = [
  'resourcecontainers',
  "| where type =~ 'microsoft.resources/subscriptions'",
  '| project id, subscriptionId, name',
  '| order by id asc',
].join('\n');

export interface ResourceGraphInventoryOptions extends AzureConnection {
  /** Rows per page (Resource Graph's maximum is 1,000). */
  pageSize?: number;
  /** Subscriptions per query (Resource Graph: keep well under 300). */
  batchSize?: number;
  /** Attempts per page on top of the SDK's own retries (timeouts, retries exhausted). Default 3. */
  pageAttempts?: number;
  /** Back-off between those attempts: base × 2^(attempt-1). Default 2,000 ms. */
  backoffMs?: number;
  /** Longest wait for the user quota to reset (x-ms-user-quota-resets-after). Default 60 s. */
  maxQuotaWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** The subscriptions the identity can see; defaults to ARM `GET /subscriptions`, each page retried like a Resource Graph page. */
  listSubscriptions?: (signal?: AbortSignal) => Promise<SubscriptionEntry[]>;
  /**
   * Every subscription under a management group, readable or not; defaults to the Management
   * Groups API (Get Descendants, @azure/arm-managementgroups, required only for such a scope).
   */
  listManagementGroupSubscriptions?: (managementGroupId: string, signal?: AbortSignal) => Promise<DescendantSubscription[]>;
  /** Overrides the client (tests use the real one against the stand-in). */
  client?: ResourceGraphClient;
}

interface Page {
  data: Record<string, unknown>[];
  skipToken: string | undefined;
  /** `resultTruncated: "true"`: Resource Graph left rows out of the result. */
  truncated: boolean;
  /** The rows the whole result holds (`totalRecords`). */
  totalRecords: number | undefined;
  /** `x-ms-tenant-subscription-limit-hit: true`: the query's scope held more subscriptions than Resource Graph answers for. */
  subscriptionLimitHit: boolean;
}

/** Resource Graph answered a result with rows left out. Asking again gets the same answer, so it is not retried. */
class IncompleteResultError extends Error {}

/**
 * Throws when the last page of a result says rows were left out: `resultTruncated` without a
 * $skipToken to read them with, or fewer rows read than `totalRecords`. Taken as whole, such a
 * result would make every VNet it left out look deleted.
 */
function requireWhole(last: Page, rowsRead: number): void {
  const total = last.totalRecords ?? '?';
  if (last.truncated) throw new IncompleteResultError(`Resource Graph truncated the result (resultTruncated, no $skipToken) after ${rowsRead} of ${total} rows: the rest is unknown`);
  if (last.totalRecords !== undefined && rowsRead < last.totalRecords) {
    throw new IncompleteResultError(`Resource Graph's pages ended after ${rowsRead} of the result's ${total} rows: the rest is unknown`);
  }
}

/** A batch's rows: its resources, the subscriptions that answered for themselves, and those that hold a network manager. */
function sortRows(rows: readonly Record<string, unknown>[]): { resources: RawResource[]; answered: Set<string>; managed: Set<string> } {
  const sorted = { resources: [] as RawResource[], answered: new Set<string>(), managed: new Set<string>() };
  for (const row of rows) {
    if (!isAzureRow(row)) continue;
    if (isSubscriptionRow(row)) sorted.answered.add(String(row.subscriptionId ?? '').toLowerCase());
    else if (isNetworkManagerRow(row)) sorted.managed.add(subscriptionOf(row.id) ?? '');
    else sorted.resources.push(row);
  }
  return sorted;
}

/** A failed read of network managers' AVNM rows: the managers' subscriptions, and why. */
type MeshFailure = { managed: string[]; reason: string };

/** Where a batch's read goes, and the signal that aborts the whole read. */
type BatchOutput = {
  resources: SourcedResource[];
  read: string[];
  unreadable: UnreadableScope[];
  progress: InventoryProgress;
  report: () => void;
  signal: AbortSignal | undefined;
  meshFailures: MeshFailure[];
};

/**
 * Why a subscription is unread when the AVNM rows of network managers elsewhere could not be read:
 * a manager's scope may take in any subscription, and its mesh joins VNets with no peering object.
 */
const meshUnreadReason = (failure: MeshFailure): string =>
  `the Virtual Network Manager configurations (Resource Graph table networkresources) of subscription${failure.managed.length > 1 ? 's' : ''} ${failure.managed.join(', ')}, whose mesh may connect its VNets without any peering, ` +
  `could not be read, so its resources are unknown: ${failure.reason}`;

/** Resource Graph's scope: named subscriptions, management groups, or (neither) every subscription the identity can read. */
type Scope = { subscriptions: string[] } | { managementGroups: string[] } | Record<string, never>;

const managementGroupScope = (id: string) => `/providers/Microsoft.Management/managementGroups/${id}`;

function parseResetsAfter(value: string | undefined): number | undefined {
  const m = /^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$/.exec(value?.trim() ?? '');
  if (!m) return undefined;
  return (Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1000;
}

export class ResourceGraphInventory implements InventoryReader {
  private readonly client: ResourceGraphClient;
  private readonly pageSize: number;
  private readonly batchSize: number;
  private readonly pageAttempts: number;
  private readonly backoffMs: number;
  private readonly maxQuotaWaitMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly listVisible: (signal?: AbortSignal) => Promise<SubscriptionEntry[]>;
  private readonly listUnderGroup: (managementGroupId: string, signal?: AbortSignal) => Promise<DescendantSubscription[]>;
  private quotaResumeAt = 0;
  /** Queries sent (pages, including retried ones), for diagnostics. */
  queries = 0;

  constructor(private readonly options: ResourceGraphInventoryOptions) {
    this.client = options.client ?? resourceGraphClient(options);
    this.pageSize = Math.min(1000, Math.max(1, options.pageSize ?? 1000));
    this.batchSize = Math.min(299, Math.max(1, options.batchSize ?? 250));
    this.pageAttempts = Math.max(1, options.pageAttempts ?? 3);
    this.backoffMs = options.backoffMs ?? 2_000;
    this.maxQuotaWaitMs = options.maxQuotaWaitMs ?? 60_000;
    this.sleep = options.sleep ?? realSleep;
    this.listVisible =
      options.listSubscriptions ?? ((signal) => listSubscriptions(options, { pageAttempts: this.pageAttempts, backoffMs: this.backoffMs, sleep: this.sleep, signal }));
    this.listUnderGroup =
      options.listManagementGroupSubscriptions ??
      ((group, signal) => listDescendantSubscriptions(options, group, { pageAttempts: this.pageAttempts, backoffMs: this.backoffMs, sleep: this.sleep, signal }));
  }

  async readInventory(scope: AuditScope, onProgress?: (progress: InventoryProgress) => void, signal?: AbortSignal, stop?: ReadStop): Promise<Inventory> {
    // A stop ends the queries as an abort does; what it cut short is then told apart from an abort.
    const cut = stop ? (signal ? AbortSignal.any([signal, stop.signal]) : stop.signal) : signal;
    const unreadable: UnreadableScope[] = [];
    const subscriptions = await this.resolve(scope, unreadable, cut);
    const resources: SourcedResource[] = [];
    const read: string[] = [];
    const progress: InventoryProgress = { pages: 0, rows: 0, subscriptionsDone: 0, subscriptionsTotal: subscriptions.length };
    const report = () => onProgress?.({ ...progress });
    const meshFailures: MeshFailure[] = [];
    for (let i = 0; i < subscriptions.length; i += this.batchSize) {
      const batch = subscriptions.slice(i, i + this.batchSize);
      if (stop?.signal.aborted) {
        for (const s of batch) unreadable.push({ scope: s, reason: stop.reason });
        continue;
      }
      try {
        await this.readBatch(batch, { resources, read, unreadable, progress, report, signal: cut, meshFailures });
      } catch (error) {
        if (signal?.aborted || !stop?.signal.aborted) throw error;
        // Stopped within the batch: the halves read before the stop (an access-denied split) keep what they found.
        const settled = new Set([...read, ...unreadable.map((u) => u.scope)]);
        for (const s of batch) if (!settled.has(s)) unreadable.push({ scope: s, reason: stop.reason });
      }
    }
    report();
    if (meshFailures.length > 0) {
      // A manager's mesh may join VNets of any batch, read before or after: none is judged without it.
      const failure = { managed: [...new Set(meshFailures.flatMap((f) => f.managed))].sort(), reason: meshFailures[0]!.reason };
      for (const s of read) unreadable.push({ scope: s, reason: meshUnreadReason(failure) });
      return { resources: [], subscriptions: [], unreadable };
    }
    return { resources, subscriptions: read.sort(), unreadable };
  }

  /**
   * The rows of `neighbourhoodQuery` over every subscription the identity may read, all pages, and
   * which of `subscriptions` the identity can see. Throws when a page keeps failing or the result
   * comes back incomplete: a neighbourhood with holes would be judged as if its missing VNets were deleted.
   */
  /**
   * The rows of a neighbourhood (`neighbourhoodQuery`), the subscriptions visible among
   * `subscriptions`, and the AVNM rows of the subscriptions that hold a network manager
   * (`neighbourhoodMeshQuery`: one more call, made only when the tenant has one).
   */
  async readNeighbourhood(
    ids: readonly string[],
    subscriptions: readonly string[],
    signal?: AbortSignal,
  ): Promise<{ resources: RawResource[]; visible: Set<string>; mesh: RawResource[] }> {
    const { resources, answered, managed } = sortRows(await this.queryAll(neighbourhoodQuery(ids, subscriptions), {}, undefined, signal));
    const mesh = managed.size === 0 ? [] : (await this.queryAll(neighbourhoodMeshQuery(ids), { subscriptions: [...managed].sort() }, undefined, signal)).filter(isAzureRow);
    return { resources, visible: answered, mesh };
  }

  /** The subscriptions to query (lower-cased, unique); scopes that cannot be listed go to `unreadable`. */
  private async resolve(scope: AuditScope, unreadable: UnreadableScope[], signal: AbortSignal | undefined): Promise<string[]> {
    // An injected list may ignore the signal: the read then stops waiting for it, and stops.
    const listVisible = () => untilAborted(() => this.listVisible(signal), signal);
    if (scope.kind === 'subscriptions') {
      const wanted = [...new Set(scope.subscriptionIds.map((s) => s.trim().toLowerCase()).filter(Boolean))];
      let visible: Set<string> | undefined;
      try {
        visible = new Set((await listVisible()).map((s) => s.subscriptionId));
      } catch {
        signal?.throwIfAborted();
        visible = undefined; // cannot tell: let Resource Graph answer for each
      }
      if (!visible) return wanted;
      for (const s of wanted.filter((x) => !visible.has(x))) {
        unreadable.push({ scope: s, reason: 'not visible to the identity (GET /subscriptions does not list it): it needs Reader on the subscription' });
      }
      return wanted.filter((x) => visible.has(x));
    }
    if (scope.kind === 'managementGroup') {
      let readable: string[];
      let limitHit = false;
      try {
        const rows = await this.queryAll(SUBSCRIPTIONS_QUERY, { managementGroups: [scope.managementGroupId] }, (page) => (limitHit ||= page.subscriptionLimitHit), signal);
        readable = [...new Set(rows.map((r) => String(r.subscriptionId ?? '').toLowerCase()).filter(Boolean))];
      } catch (error) {
        signal?.throwIfAborted();
        unreadable.push({ scope: managementGroupScope(scope.managementGroupId), reason: `its subscriptions could not be listed: ${describeError(error)}` });
        return [];
      }
      // Past 10,000 subscriptions Resource Graph answers for some only (x-ms-tenant-subscription-limit-hit):
      // the rest of the group are read by name, in batches, which has no such limit.
      const cutOff = await this.checkGroupComplete(scope.managementGroupId, readable, unreadable, signal, limitHit);
      return [...readable, ...cutOff];
    }
    try {
      return [...new Set((await listVisible()).map((s) => s.subscriptionId))];
    } catch (error) {
      signal?.throwIfAborted();
      unreadable.push({ scope: 'tenant', reason: `the subscriptions the identity can see could not be listed: ${describeError(error)}` });
      return [];
    }
  }

  /**
   * The subscriptions under the management group that Resource Graph did not return (`readable`),
   * each into `unreadable`: the identity cannot read them, so their VNets are unknown. One paged
   * call of the Management Groups API. When that list cannot be read, the group itself goes into
   * `unreadable`: nothing then proves that Resource Graph returned all of its subscriptions, so
   * the audit must not claim it did (and a VNet in a subscription not read cannot be called out
   * of scope either). With `limitHit` (Resource Graph answered for its first 10,000 subscriptions
   * only), those it did not return are returned instead, to be read by name.
   */
  private async checkGroupComplete(
    managementGroupId: string,
    readable: readonly string[],
    unreadable: UnreadableScope[],
    signal: AbortSignal | undefined,
    limitHit: boolean,
  ): Promise<string[]> {
    let underGroup: DescendantSubscription[];
    try {
      underGroup = await untilAborted(() => this.listUnderGroup(managementGroupId, signal), signal);
    } catch (error) {
      signal?.throwIfAborted();
      unreadable.push({
        scope: managementGroupScope(managementGroupId),
        reason:
          `its subscriptions could not be checked for completeness: Resource Graph lists only those the identity can read, and the management group's descendants could not be listed (${describeError(error)}), ` +
          'so a subscription under it that the identity cannot read would be missing without notice; listing them needs Microsoft.Management/managementGroups/descendants/read at the management group (Reader there has it)',
      });
      return [];
    }
    const returned = new Set(readable);
    const missing = underGroup.filter((x) => !returned.has(x.subscriptionId));
    // Cut off by the limit, not by access: read by name, each batch's subscription rows tell which answer.
    if (limitHit) return missing.map((x) => x.subscriptionId);
    for (const s of missing) {
      const which = s.displayName ? `subscription ${JSON.stringify(s.displayName)}` : 'the subscription';
      unreadable.push({
        scope: s.subscriptionId,
        reason:
          `${which} is under management group ${managementGroupId} but not readable by the identity: Resource Graph returned nothing for it, so its resources are unknown; ` +
          'it needs Reader on the subscription (inherited from a Reader assignment at the management group unless a deny assignment blocks it), or Resource Graph has not yet indexed a subscription just moved under the group',
      });
    }
    return [];
  }

  /**
   * One batch: its inventory query, then, for those of its subscriptions that hold a network manager,
   * their AVNM configurations. A subscription counts as read, with its resources, only when both
   * answered for it; else it is unreadable and none of its resources is kept. When the AVNM read
   * fails, no subscription of the batch counts as read (a manager's mesh may join VNets of any of
   * them), and the failure is recorded for readInventory to unread the other batches too.
   */
  private async readBatch(batch: string[], out: BatchOutput): Promise<void> {
    try {
      const { resources, answered, managed } = sortRows(await this.queryAll(inventoryQuery(batch), { subscriptions: batch }, (page) => this.notePage(page.data, out), out.signal));
      const managers = [...managed].filter((s) => answered.has(s)).sort();
      const avnm = await this.readNetworkResources(managers, out);
      const meshFailure = 'failure' in avnm ? { managed: managers, reason: avnm.failure } : undefined;
      if (meshFailure) out.meshFailures.push(meshFailure);
      const read = new Set<string>();
      for (const s of batch) {
        if (!answered.has(s)) {
          out.unreadable.push({
            scope: s,
            reason: 'Resource Graph returned no row for the subscription itself: the identity cannot read it (Reader on some of its resource groups only, or a deny assignment), so its resources are unknown',
          });
        } else if (meshFailure) {
          const reason = managed.has(s) ? `its Virtual Network Manager configurations (Resource Graph table networkresources) could not be read: ${meshFailure.reason}` : meshUnreadReason(meshFailure);
          out.unreadable.push({ scope: s, reason });
        } else read.add(s);
      }
      out.read.push(...read);
      for (const row of [...resources, ...('rows' in avnm ? avnm.rows : [])]) {
        if (read.has(subscriptionOf(row.id) ?? '')) out.resources.push({ resource: row, source: `Resource Graph row ${row.id}` });
      }
      out.progress.subscriptionsDone = (out.progress.subscriptionsDone ?? 0) + batch.length;
      out.report();
    } catch (error) {
      // An aborted read is no unreadable batch: it ends, and the caller gets no inventory.
      out.signal?.throwIfAborted();
      if (isAccessDenied(error) && !isTokenRefused(error) && batch.length > 1) {
        // One subscription the identity may not read fails the whole query: split to isolate it.
        // A refused token (401) fails every query alike: splitting would only multiply it.
        const half = Math.ceil(batch.length / 2);
        await this.readBatch(batch.slice(0, half), out);
        await this.readBatch(batch.slice(half), out);
        return;
      }
      const reason = this.failureReason(error);
      for (const s of batch) out.unreadable.push({ scope: s, reason });
      out.progress.subscriptionsDone = (out.progress.subscriptionsDone ?? 0) + batch.length;
      out.report();
    }
  }

  /**
   * The AVNM rows of `subscriptions` (no query when there are none), paged and retried like the
   * inventory query, or why they could not be read: without them a mesh's members, in any
   * subscription, look cut off from each other, so every subscription then goes unread rather than judged.
   */
  private async readNetworkResources(subscriptions: string[], out: BatchOutput): Promise<{ rows: RawResource[] } | { failure: string }> {
    if (subscriptions.length === 0) return { rows: [] };
    try {
      const rows = await this.queryAll(NETWORK_RESOURCES_QUERY, { subscriptions }, (page) => this.notePage(page.data, out), out.signal);
      return { rows: rows.filter(isAzureRow) };
    } catch (error) {
      out.signal?.throwIfAborted();
      return { failure: this.failureReason(error) };
    }
  }

  private notePage(rows: readonly Record<string, unknown>[], out: BatchOutput): void {
    out.progress.pages += 1;
    out.progress.rows += rows.filter((row) => !isSubscriptionRow(row) && !isNetworkManagerRow(row)).length;
    out.report();
  }

  /** Why a query failed, for coverage.unreadable. */
  private failureReason(error: unknown): string {
    if (error instanceof IncompleteResultError) return error.message;
    if (isAccessDenied(error)) return `access denied by Resource Graph (${describeError(error)})`;
    if (isTransient(error)) return `Resource Graph query failed after ${this.pageAttempts} attempts (${describeError(error)})`;
    return `Resource Graph query failed (${describeError(error)})`;
  }

  /** Every page of a query; throws the last error when a page keeps failing, and IncompleteResultError when the result leaves rows out. */
  private async queryAll(query: string, scope: Scope, onPage?: (page: Page) => void, signal?: AbortSignal): Promise<Record<string, unknown>[]> {
    const rows: Record<string, unknown>[] = [];
    for (let skipToken: string | undefined; ; ) {
      const page = await this.page(query, scope, skipToken, signal);
      rows.push(...page.data);
      onPage?.(page);
      if (!page.skipToken) {
        requireWhole(page, rows.length);
        return rows;
      }
      skipToken = page.skipToken;
    }
  }

  private async page(query: string, scope: Scope, skipToken: string | undefined, signal?: AbortSignal): Promise<Page> {
    for (let attempt = 1; ; attempt += 1) {
      const wait = this.quotaResumeAt - Date.now();
      if (wait > 0) await untilAborted(() => this.sleep(Math.min(wait, this.maxQuotaWaitMs)), signal);
      signal?.throwIfAborted();
      this.queries += 1;
      let limitHit = false;
      try {
        const response = await this.client.resources(
          { query, ...scope, options: { top: this.pageSize, resultFormat: 'objectArray', ...(skipToken ? { skipToken } : {}) } },
          {
            ...(signal ? { abortSignal: signal } : {}),
            requestOptions: { timeout: this.options.requestTimeoutMs ?? 60_000 },
            onResponse: (raw) => {
              this.noteQuota(raw.headers.get('x-ms-user-quota-remaining'), raw.headers.get('x-ms-user-quota-resets-after'));
              limitHit = raw.headers.get('x-ms-tenant-subscription-limit-hit')?.toLowerCase() === 'true';
            },
          },
        );
        const data = Array.isArray(response.data) ? (response.data as Record<string, unknown>[]) : [];
        return {
          data,
          skipToken: response.skipToken || undefined,
          truncated: response.resultTruncated === 'true',
          totalRecords: typeof response.totalRecords === 'number' ? response.totalRecords : undefined,
          subscriptionLimitHit: limitHit,
        };
      } catch (error) {
        await backOffOrThrow(error, attempt, { attempts: this.pageAttempts, backoffMs: this.backoffMs, sleep: this.sleep, signal });
      }
    }
  }

  private noteQuota(remaining: string | undefined, resetsAfter: string | undefined): void {
    if (remaining === undefined || Number(remaining) > 0) return;
    const ms = parseResetsAfter(resetsAfter);
    if (ms !== undefined) this.quotaResumeAt = Date.now() + Math.min(ms, this.maxQuotaWaitMs);
  }
}
