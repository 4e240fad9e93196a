import { keyOf, type ResourceKey } from '../model/ids';
import type { Topology, Vnet } from '../model/types';
import { isVnetRead } from '../rules/describe';
import type { Intent, IntentGroup, Statement } from './schema';

// Groups resolved against one topology: which VNets each group holds. Only VNets whose own resource
// was read are members (`isVnetRead`): a VNet known only from a standalone peering's local address
// space has no tags of its own to judge by, and its gateways and peerings are unknown (a VNet known
// only as a peering's remote is not in the topology's VNets at all). O(V × selectors) once per (topology, intent).

export interface ResolvedIntent {
  intent: Intent;
  /** Members of each group, in input order. */
  members: ReadonlyMap<string, readonly Vnet[]>;
  /**
   * Ids a group names whose VNet was not read: absent from the estate, or known only from a peering
   * (shown by `explain`, never findings). They cannot be members, so their statements check nothing.
   */
  unmatchedIds: ReadonlyMap<string, readonly string[]>;
  /** Whether the intent expects `a` to reach `c` (a reach or reach-each-other statement names the pair). */
  expectsReach(a: ResourceKey, c: ResourceKey): boolean;
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

export function groupMatcher(group: IntentGroup): (vnet: Vnet) => boolean {
  const ids = group.ids ? new Set(group.ids.map(keyOf)) : undefined;
  const names = group.names?.map(globToRegExp);
  const tags = group.tags;
  const subs = group.subscriptions ? new Set(group.subscriptions.map((s) => s.toLowerCase())) : undefined;
  return (vnet) => {
    if (ids && !ids.has(vnet.key)) return false;
    if (names && !names.some((r) => r.test(vnet.name))) return false;
    if (subs && !subs.has(vnet.subscriptionId.toLowerCase())) return false;
    if (tags) {
      // "Tag names are case-insensitive for operations [...] Tag values are case-sensitive" (tag-resources).
      const lower = new Map(Object.entries(vnet.tags).map(([k, v]) => [k.toLowerCase(), v]));
      const ok = tags.some((t) => {
        const value = lower.get(t.name.toLowerCase());
        return value !== undefined && (t.value === '*' || value === t.value);
      });
      if (!ok) return false;
    }
    return true;
  };
}

/**
 * A statement that checks nothing: a group it names matches no VNet read (`groups`), or its groups
 * match VNets but form no pair of two, since a VNet is not paired with itself (`only`: every group
 * it names matches this one VNet alone, e.g. `reach-each-other: g` with one member).
 */
export interface UncheckedStatement {
  statement: Statement;
  /** The groups that match no VNet; with `only`, the groups the statement names. */
  groups: string[];
  only?: Vnet | undefined;
}

/**
 * The statements that check nothing (`UncheckedStatement`), in statement order: the intent is not
 * checked in full (`audit` and `explain` fail on it). O(statements).
 */
export function statementsWithEmptyGroups(resolved: ResolvedIntent): UncheckedStatement[] {
  const membersOf = (group: string) => resolved.members.get(group) ?? [];
  const found: UncheckedStatement[] = [];
  for (const statement of resolved.intent.statements) {
    const named =
      statement.kind === 'reach' ? [statement.from, statement.to]
      : statement.kind === 'isolated' ? statement.between
      : statement.kind === 'on-premises' ? [statement.group, statement.via]
      : [statement.group];
    const groups = [...new Set(named)];
    const empty = groups.filter((g) => membersOf(g).length === 0);
    if (empty.length > 0) {
      found.push({ statement, groups: empty });
      continue;
    }
    // An on-premises statement checks each member of its group, paired with no other VNet.
    if (statement.kind === 'on-premises') continue;
    const first = membersOf(groups[0] as string)[0] as Vnet;
    if (groups.every((g) => membersOf(g).length === 1 && membersOf(g)[0] === first)) found.push({ statement, groups, only: first });
  }
  return found;
}

/**
 * The sentence for a statement that checks nothing (`statementsWithEmptyGroups`), the one wording
 * of it: the audit's notice (every report and mail), and the CLI's stderr line built from it.
 */
export function uncheckedStatementMessage({ statement, groups, only }: UncheckedStatement): string {
  const which = groups.map((g) => `"${g}"`).join(' and ');
  const head = `intent statement "${statement.label}" (statements[${statement.index}]) checks nothing: group${groups.length > 1 ? 's' : ''} ${which}`;
  if (only) return `${head} match${groups.length > 1 ? '' : 'es'} only VNet "${only.name}", and a VNet is not paired with itself`;
  return `${head} match${groups.length > 1 ? '' : 'es'} no VNet in the input`;
}

const cache = new WeakMap<Topology, WeakMap<Intent, ResolvedIntent>>();

export function resolveIntent(intent: Intent, topology: Topology): ResolvedIntent {
  let byIntent = cache.get(topology);
  const known = byIntent?.get(intent);
  if (known) return known;
  const members = new Map<string, Vnet[]>();
  const sets = new Map<string, Set<ResourceKey>>();
  const unmatchedIds = new Map<string, string[]>();
  const vnets = [...topology.vnets.values()].filter(isVnetRead);
  for (const [name, group] of Object.entries(intent.groups)) {
    const matches = groupMatcher(group);
    const list = vnets.filter(matches);
    members.set(name, list);
    sets.set(name, new Set(list.map((v) => v.key)));
    const missing = (group.ids ?? []).filter((id) => !isVnetRead(topology.vnets.get(keyOf(id))));
    if (missing.length > 0) unmatchedIds.set(name, missing);
  }
  const has = (group: string, key: ResourceKey) => sets.get(group)?.has(key) ?? false;
  const resolved: ResolvedIntent = {
    intent,
    members,
    unmatchedIds,
    expectsReach: (a, c) =>
      intent.statements.some(
        (s) => (s.kind === 'reach' && has(s.from, a) && has(s.to, c)) || (s.kind === 'reach-each-other' && a !== c && has(s.group, a) && has(s.group, c)),
      ),
  };
  if (!byIntent) {
    byIntent = new WeakMap();
    cache.set(topology, byIntent);
  }
  byIntent.set(intent, resolved);
  return resolved;
}
