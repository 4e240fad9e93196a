import type { Finding } from '../engine/audit';
import type { RemediationConfig } from '../engine/config';
import { overlappingPairs } from '../model/cidr';
import { keyOf, nameOf, parseResourceId, subscriptionOf, type ResourceKey } from '../model/ids';
import type { Topology, Vnet } from '../model/types';
import { describeVnet, formatPrefixes, hasGateway, isVnetRead } from '../rules/describe';
import type { ArmOperation } from '../rules/rule';

// From findings to a remediation plan. Pure: it decides what may be written, never writes.
// Guards (issue 5): off by default; dry run unless `apply`; only allow-listed subscriptions and
// opted-in VNets (never opted-out ones); destructive fixes need their own switch; both VNets of a
// peering must have been read (so a cross-tenant or unknown peer is never touched); an existing
// peering is never repointed at another VNet; writes ARM would refuse part-way (remote gateways,
// overlapping address spaces) are not planned; a bounded number of writes, whole fixes only
// (never half a fix).

export type PlanStatus = 'planned' | 'skipped' | 'deferred';

export interface PlanItem {
  ruleId: string;
  fingerprint: string;
  findingResourceId: string;
  description: string;
  destructive: boolean;
  operations: ArmOperation[];
  /**
   * The whole fix (rebased like `operations`) when some of its operations were left out of
   * `operations` because another item of the plan already writes them: what the fix recomputed
   * live must not exceed. Absent when `operations` is the whole fix.
   */
  fixOperations?: ArmOperation[];
  status: PlanStatus;
  /** Why the item is skipped or deferred, or what it repairs. */
  reason: string;
}

export interface RemediationPlan {
  mode: 'disabled' | 'dry-run' | 'apply';
  items: PlanItem[];
  /** Writes the planned items would perform (within maxWrites). */
  writes: number;
}

/** The VNet an operation writes to: the parent of a peering, or the resource itself. */
export function targetVnetKey(resourceId: string): ResourceKey {
  const parsed = parseResourceId(resourceId);
  const isChild = parsed?.parentId !== undefined;
  return keyOf(isChild ? (parsed?.parentId as string) : resourceId);
}

function hasTag(vnet: Vnet, t: { name: string; value: string }): boolean {
  const entry = Object.entries(vnet.tags).find(([k]) => k.toLowerCase() === t.name.toLowerCase());
  return entry !== undefined && entry[1].toLowerCase() === t.value.toLowerCase();
}

type Props = Record<string, unknown>;
/** The properties of a PUT's body (none for a DELETE). */
export const propsOf = (op: ArmOperation): Props => (op.body as { properties?: Props } | undefined)?.properties ?? {};

/** The remote VNet id a peering PUT names (its body's `remoteVirtualNetwork.id`); none for a delete. */
export function remoteIdOf(op: ArmOperation): string | undefined {
  const id = (propsOf(op).remoteVirtualNetwork as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? id : undefined;
}

const remoteKeyOf = (op: ArmOperation): ResourceKey | undefined => {
  const id = remoteIdOf(op);
  return id === undefined ? undefined : keyOf(id);
};

/** Why an operation may not be written, or undefined when every guard passes (at plan time, and again on the live state before a write). */
export function scopeRefusal(operation: ArmOperation, topology: Topology, config: RemediationConfig, allowed: Set<string>): string | undefined {
  const vnetKey = targetVnetKey(operation.resourceId);
  const subscription = subscriptionOf(operation.resourceId) ?? '';
  if (!allowed.has(subscription)) return `subscription ${subscription} is not on the remediation allow list`;
  // A VNet made from a child's id (a standalone peering's parent) is in the topology but was never
  // read: no tags (the opt-out tag would pass) and no tenant. Only a VNet read whole is written.
  const vnet = topology.vnets.get(vnetKey);
  if (!isVnetRead(vnet)) return `VNet ${vnetKey} was not read, so its tenant and tags are unknown`;
  if (hasTag(vnet, config.optOutTag)) return `VNet "${vnet.name}" carries the opt-out tag ${config.optOutTag.name}=${config.optOutTag.value}`;
  if (config.optInTag && !hasTag(vnet, config.optInTag)) {
    return `VNet "${vnet.name}" lacks the opt-in tag ${config.optInTag.name}=${config.optInTag.value}`;
  }
  // A peering's remote must have been read too: peerguard never touches a pair it cannot see whole.
  const remoteId = remoteIdOf(operation);
  if (remoteId && !isVnetRead(topology.vnets.get(keyOf(remoteId)))) return `remote VNet ${remoteId} was not read (another tenant or an unread subscription)`;
  // A write to an existing peering (a delete has no body) needs its remote's subscription read too.
  const existing = topology.peerings.get(keyOf(operation.resourceId));
  if (existing && !topology.isInScope(existing.remoteVnetKey)) {
    return `the remote VNet ${existing.remoteVnetId} of "${existing.name}" is in a subscription that was not read (another tenant or outside the audit)`;
  }
  // A VNet that opted out is not linked to or unlinked from either: a peering written on its peer
  // changes what reaches it (and ARM asks for peer/action on it).
  const remoteKey = remoteKeyOf(operation) ?? existing?.remoteVnetKey;
  const remote = remoteKey === undefined ? undefined : topology.vnets.get(remoteKey);
  if (remote && isVnetRead(remote) && hasTag(remote, config.optOutTag)) {
    return `the remote VNet "${remote.name}" carries the opt-out tag ${config.optOutTag.name}=${config.optOutTag.value}`;
  }
  return undefined;
}


/**
 * A PUT on a peering that exists, naming another remote VNet, would repoint it: the peering to the
 * old remote is lost. No fix means that, whatever name a rule chose for a new peering (VNet names
 * repeat across subscriptions and resource groups), so the planner refuses it outright.
 */
export function repointRefusal(operation: ArmOperation, topology: Topology): string | undefined {
  const remoteId = remoteIdOf(operation);
  const existing = operation.method === 'PUT' ? topology.peerings.get(keyOf(operation.resourceId)) : undefined;
  if (!remoteId || !existing || keyOf(remoteId) === existing.remoteVnetKey) return undefined;
  const named = (id: string) => describeVnet(topology.vnets.get(keyOf(id)) ?? id);
  return (
    `refusing to PUT peering "${existing.name}" of ${describeVnet(existing.vnet)}: it exists and points at ${named(existing.remoteVnetId)}, ` +
    `the write would repoint it at ${named(remoteId)}; a fix never repoints an existing peering`
  );
}

/**
 * ARM refuses to peer VNets whose address spaces overlap, so a fix that would PUT a whole-VNet
 * peering between two such VNets is skipped rather than fail part-way (a destructive re-create
 * would stop after its deletes). Only VNets that were read are judged; subnet peerings
 * (`peerCompleteVnets: false`) connect only some subnets' prefixes and are left to ARM.
 */
function overlapRefusal(operations: readonly ArmOperation[], topology: Topology): string | undefined {
  for (const op of operations) {
    const remoteKey = remoteKeyOf(op);
    if (op.method !== 'PUT' || !remoteKey || propsOf(op).peerCompleteVnets === false) continue;
    const local = topology.vnets.get(targetVnetKey(op.resourceId));
    const remote = topology.vnets.get(remoteKey);
    if (!isVnetRead(local) || !isVnetRead(remote)) continue;
    const pairs = overlappingPairs(local.prefixes, remote.prefixes);
    if (pairs.length === 0) continue;
    const overlaps = pairs.map(([a, b]) => `${formatPrefixes([a])} with ${formatPrefixes([b])}`).join(', ');
    return (
      `"${nameOf(op.resourceId)}" would peer "${local.name}" and "${remote.name}", whose address spaces overlap (${overlaps}): ` +
      'ARM refuses to peer overlapping address spaces; change one of them first'
    );
  }
  return undefined;
}

/** allowGatewayTransit of the peering from one VNet to another, keyed "from\nto". */
type TransitOffers = Map<string, boolean>;
const pairKey = (from: ResourceKey, to: ResourceKey) => `${from}\n${to}`;

/** Records what `operations` leave of each peering's transit offer (a delete offers none). */
function noteOffers(operations: readonly ArmOperation[], topology: Topology, offers: TransitOffers): void {
  for (const op of operations) {
    if (op.method === 'DELETE') {
      const gone = topology.peerings.get(keyOf(op.resourceId));
      if (gone) offers.set(pairKey(gone.vnetKey, gone.remoteVnetKey), false);
      continue;
    }
    const remoteKey = remoteKeyOf(op);
    if (remoteKey) offers.set(pairKey(targetVnetKey(op.resourceId), remoteKey), propsOf(op).allowGatewayTransit === true);
  }
}

/**
 * ARM refuses a peering that uses remote gateways while the remote VNet has no gateway
 * (RemoteVnetHasNoGateways) or its peering back does not allow gateway transit
 * (terraform-provider-azurerm#2872). A fix that would write one is skipped rather than fail
 * part-way: a destructive re-create would be left with both links deleted. The peering back is
 * taken as the fix's own earlier writes leave it (a re-create writes it first), else as the fixes
 * planned before this one leave it (`planned`), else as audited. Every remote here was read:
 * scopeRefusal, asked first, refuses a write whose remote VNet was not.
 */
function remoteGatewayRefusal(operations: readonly ArmOperation[], topology: Topology, planned: TransitOffers): string | undefined {
  const own: TransitOffers = new Map();
  for (const op of operations) {
    const remoteKey = remoteKeyOf(op);
    const remote = remoteKey ? topology.vnets.get(remoteKey) : undefined;
    if (op.method === 'PUT' && propsOf(op).useRemoteGateways === true && remoteKey && remote) {
      const name = `"${nameOf(op.resourceId)}"`;
      if (!hasGateway(remote)) return `${name} uses remote gateways, but "${remote.name}" has no gateway or Route Server: ARM refuses the write (RemoteVnetHasNoGateways)`;
      const local = targetVnetKey(op.resourceId);
      const back = pairKey(remoteKey, local);
      const offered = own.get(back) ?? planned.get(back) ?? topology.peeringBetween(remoteKey, local)?.allowGatewayTransit === true;
      if (!offered) return `${name} uses remote gateways, but the peering back from "${remote.name}" does not allow gateway transit: ARM refuses the write; allow transit there first`;
    }
    noteOffers([op], topology, own);
  }
  return undefined;
}

/** JSON with object keys sorted: equal values give equal text, whatever the key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** Identity of an operation: method, resource (case-insensitive), query and body (key order ignored). */
export const operationKey = (op: ArmOperation): string =>
  `${op.method} ${keyOf(op.resourceId)} ${canonical(op.query ?? {})} ${canonical(op.body ?? null)}`;

/**
 * Two fixes that PUT the same peering each rebuild its body from the audited properties, so the
 * second would undo the first (e.g. allow forwarded traffic, then sync with the old flag). The
 * second PUT is rebased on the first: the first's body plus the second's own changes (against
 * the audited properties) and both queries. Undefined when they conflict (the same property set
 * to different values, or a delete involved): that fix waits for the next run.
 */
function rebase(op: ArmOperation, prior: ArmOperation | undefined, deleted: boolean, topology: Topology): ArmOperation | undefined {
  if (deleted) return undefined;
  if (!prior) return op;
  if (op.method !== 'PUT' || prior.method !== 'PUT') return undefined;
  const audited = topology.peerings.get(keyOf(op.resourceId))?.writable as Props | undefined;
  if (!audited) return undefined;
  const base = propsOf(prior);
  const changes = Object.entries(propsOf(op)).filter(([k, v]) => canonical(v) !== canonical(audited[k]));
  if (changes.some(([k, v]) => canonical(base[k]) !== canonical(audited[k]) && canonical(base[k]) !== canonical(v))) return undefined;
  const query = { ...(prior.query ?? {}), ...(op.query ?? {}) };
  return { ...op, ...(Object.keys(query).length > 0 ? { query } : {}), body: { properties: { ...base, ...Object.fromEntries(changes) } } };
}

/**
 * `waiting`: why a finding's fix must not be written yet, if it must not (the event path: a finding
 * of a rule that settles, within its settle period); its item is deferred with that reason.
 */
export function planRemediation(findings: readonly Finding[], topology: Topology, config: RemediationConfig, waiting?: (finding: Finding) => string | undefined): RemediationPlan {
  const mode: RemediationPlan['mode'] = !config.enabled ? 'disabled' : config.apply ? 'apply' : 'dry-run';
  const allowed = new Set(config.subscriptions.map((s) => s.toLowerCase()));
  const seen = new Set<string>();
  const lastPut = new Map<ResourceKey, ArmOperation>();
  const plannedOffers: TransitOffers = new Map();
  const deleted = new Set<ResourceKey>();
  const items: PlanItem[] = [];
  let writes = 0;
  for (const finding of findings) {
    if (!finding.fix) continue;
    const fix = finding.fix;
    const base = {
      ruleId: finding.ruleId,
      fingerprint: finding.fingerprint,
      findingResourceId: finding.resourceId,
      description: fix.description,
      destructive: fix.destructive,
    };
    const wait = waiting?.(finding);
    if (wait !== undefined) {
      items.push({ ...base, operations: fix.operations, status: 'deferred', reason: wait });
      continue;
    }
    // Two findings of one broken pair can propose the same writes (both sides Disconnected): write
    // once. Asked before rebasing, which would defer a fix whose deletes another fix already plans.
    const duplicate = () => items.push({ ...base, operations: fix.operations, status: 'skipped', reason: 'the same operations are planned for another finding' });
    if (fix.operations.every((op) => seen.has(operationKey(op)))) {
      duplicate();
      continue;
    }
    // A resource another planned fix writes first: build on that write, or wait when they conflict.
    const rebased = fix.operations.map((op) => rebase(op, lastPut.get(keyOf(op.resourceId)), deleted.has(keyOf(op.resourceId)), topology));
    if (rebased.some((op) => op === undefined)) {
      const ids = fix.operations.filter((_, i) => rebased[i] === undefined).map((op) => op.resourceId);
      items.push({ ...base, operations: fix.operations, status: 'deferred', reason: `another fix planned in this run writes ${ids.join(', ')} differently; left for the next run` });
      continue;
    }
    const fixOperations = rebased as ArmOperation[];
    const operations = fixOperations.filter((op) => !seen.has(operationKey(op)));
    if (operations.length === 0) {
      duplicate();
      continue;
    }
    const fixed = { ...base, ...(operations.length < fixOperations.length ? { fixOperations } : {}), operations };
    const refuse = (reason: string) => items.push({ ...fixed, status: 'skipped', reason });
    if (mode === 'disabled') {
      refuse('remediation is disabled');
      continue;
    }
    if (fix.destructive && !config.allowDestructive) {
      refuse('destructive fix (deletes or re-creates peerings): needs allowDestructive');
      continue;
    }
    const refusal =
      operations.map((op) => scopeRefusal(op, topology, config, allowed) ?? repointRefusal(op, topology)).find((r) => r !== undefined) ??
      remoteGatewayRefusal(operations, topology, plannedOffers) ??
      overlapRefusal(operations, topology);
    if (refusal) {
      refuse(refusal);
      continue;
    }
    // Whole fixes only: one larger than the limit would be deferred on every run, never applied.
    if (operations.length > config.maxWrites) {
      refuse(`needs ${operations.length} writes, more than remediation.maxWrites (${config.maxWrites}): raising maxWrites is the only way to apply it (a fix is never split across runs)`);
      continue;
    }
    if (writes + operations.length > config.maxWrites) {
      items.push({ ...fixed, status: 'deferred', reason: `write limit of ${config.maxWrites} per run reached` });
      continue;
    }
    noteOffers(operations, topology, plannedOffers);
    for (const op of operations) {
      seen.add(operationKey(op));
      if (op.method === 'PUT') lastPut.set(keyOf(op.resourceId), op);
      else deleted.add(keyOf(op.resourceId));
    }
    writes += operations.length;
    items.push({ ...fixed, status: 'planned', reason: `repairs ${finding.ruleId}: ${finding.message}` });
  }
  return { mode, items, writes };
}
