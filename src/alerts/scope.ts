import { keyOf, subscriptionOf, type ResourceKey } from '../model/ids';
import type { Topology, Vnet } from '../model/types';
import type { Inventory } from '../ports';
import { isVnetRead } from '../rules/describe';
import type { Rule } from '../rules/rule';
import { anchorOf, vnetIdOf, type AlertScope, type Placed } from './model';

// Where a finding belongs, and which findings one evaluation decides (issue 10). An evaluation may
// open or resolve a finding only when it read every input of the finding's rule:
// - the lifecycle and gateway rules judge a peering from its two ends (and a VNet from itself): a
//   finding belongs to the VNet that holds its resource, and is decided when that VNet and the
//   peering's remote VNet are known;
// - the transit rules on a peering judge the hub at its other end with every spoke of that hub, two
//   hops from the peering's own VNet: the finding belongs to the hub, and is decided only when the
//   hub, each of its peers and their route tables were read. An event about a spoke alone reads
//   one hop and leaves it alone, where it used to resolve it from half the hub and reopen it later;
// - a route's finding belongs to the VNet it was judged for (whose subnets use the table, named in
//   the finding), and is decided when that VNet, its route tables and its peers are known;
// - transit findings on a VNet (intent: paths across the estate) belong to no neighbourhood: only
//   the full audit decides them.
// The full audit (estateScope) applies the same rules to the whole estate: a partial read (a
// subscription Resource Graph would not answer for) must not resolve what depends on it either.

/** The VNet a route finding was judged for: the first VNet among the ids it names. */
function judgedVnetOf(finding: Placed): string | undefined {
  for (const id of finding.relatedResourceIds) {
    const vnet = vnetIdOf(id);
    if (vnet) return vnet;
  }
  return undefined;
}

const isTransit = (rules: readonly Rule[]) => {
  const transit = new Set(rules.filter((r) => r.meta.category === 'transit').map((r) => r.meta.id));
  return (finding: Placed) => transit.has(finding.ruleId);
};

/** A current finding's anchor: the VNet whose neighbourhood decides it (transit: the peering's remote end). */
export function anchoring(topology: Topology, rules: readonly Rule[]): (finding: Placed) => ResourceKey {
  const transit = isTransit(rules);
  return (finding) => {
    if (!vnetIdOf(finding.resourceId)) return anchorOf(judgedVnetOf(finding) ?? finding.resourceId);
    const hub = transit(finding) ? topology.peerings.get(keyOf(finding.resourceId))?.remoteVnetKey : undefined;
    return hub ?? anchorOf(finding.resourceId);
  };
}

export interface NeighbourhoodRead {
  topology: Topology;
  inventory: Pick<Inventory, 'unreadable' | 'sought' | 'outOfReach'>;
  /** The VNets whose findings the event can change. */
  vnetIds: readonly string[];
}

/** What a read covered, as the decision below needs it. */
interface ReadCoverage {
  /** The VNets whose findings the read may decide. */
  judges: (key: ResourceKey) => boolean;
  /** Read, or known to be absent or out of scope. */
  known: (key: ResourceKey) => boolean;
  /** The whole estate was read (the full audit): intent findings, and findings placed on no VNet, are its to decide. */
  wholeEstate: boolean;
}

/**
 * How much of each VNet's neighbourhood a read covers, worked out once per VNet: `covered`, the
 * VNet, its route tables and every VNet it peers with are known; `hubCovered`, and so are its
 * peers' route tables (what the transit rules judge a hub's spokes by).
 */
function coverage(topology: Topology, known: (key: ResourceKey) => boolean) {
  const tablesRead = (vnet: Vnet): boolean => vnet.subnets.every((s) => !s.routeTableKey || topology.routeTables.has(s.routeTableKey));
  const memo = <T>(fn: (key: ResourceKey) => T) => {
    const done = new Map<ResourceKey, T>();
    return (key: ResourceKey): T => {
      if (!done.has(key)) done.set(key, fn(key));
      return done.get(key) as T;
    };
  };
  const covered = memo((key) => {
    const vnet = topology.vnets.get(key);
    if (!isVnetRead(vnet)) return known(key);
    return tablesRead(vnet) && vnet.peerings.every((p) => known(p.remoteVnetKey));
  });
  const hubCovered = memo(
    (key) =>
      covered(key) &&
      (topology.vnets.get(key)?.peerings ?? []).every((p) => {
        const peer = topology.vnets.get(p.remoteVnetKey);
        return !isVnetRead(peer) || tablesRead(peer);
      }),
  );
  return { covered, hubCovered };
}

/** Which findings a read decides, by the rules in the note at the top; shared by the event path and the full audit. */
function decider(topology: Topology, rules: readonly Rule[], { judges, known, wholeEstate }: ReadCoverage): (finding: Placed) => boolean {
  const transit = isTransit(rules);
  const read = (key: ResourceKey): boolean => isVnetRead(topology.vnets.get(key));
  const { covered, hubCovered } = coverage(topology, known);

  return (finding: Placed): boolean => {
    const vnetId = vnetIdOf(finding.resourceId);
    if (!vnetId) {
      const judged = judgedVnetOf(finding);
      if (judged === undefined) return wholeEstate;
      return judges(keyOf(judged)) && covered(keyOf(judged));
    }
    const own = keyOf(vnetId);
    const peering = topology.peerings.get(keyOf(finding.resourceId));
    if (transit(finding)) {
      if (own === keyOf(finding.resourceId)) {
        // Intent (paths across the estate): only a full read, and only when the VNets the finding
        // names are covered, their peers included (a path through an unread hub is unknown).
        return wholeEstate && [vnetId, ...finding.relatedResourceIds].every((id) => {
          const vnet = vnetIdOf(id);
          return !vnet || (judges(keyOf(vnet)) && covered(keyOf(vnet)));
        });
      }
      // A peering gone from its VNet's read takes its transit findings with it; so does a VNet gone
      // (looked for, or absent from a subscription read): its findings must resolve, not stay open.
      if (!peering) return judges(own) && (read(own) || known(own));
      return judges(peering.remoteVnetKey) && hubCovered(peering.remoteVnetKey);
    }
    return judges(own) && known(own) && (!peering || known(peering.remoteVnetKey));
  };
}

/**
 * Known to an event's read: read, or looked for: then it is absent, or in a subscription that is
 * not configured or that the identity cannot see at all (out of scope on every path, as for the
 * scheduled audit). A VNet looked for in a scope that could not be read (its own read failed, or
 * its subscription refused the read: 403) is unknown, and so is a VNet not looked for, whatever
 * its subscription.
 */
function knownToEvent({ topology, inventory }: Pick<NeighbourhoodRead, 'topology' | 'inventory'>): (key: ResourceKey) => boolean {
  const outOfReach = new Set(inventory.outOfReach ?? []);
  const blind = new Set(inventory.unreadable.map((u) => u.scope.toLowerCase()).filter((scope) => !outOfReach.has(scope)));
  const sought = new Set(inventory.sought ?? []);
  return (key) => isVnetRead(topology.vnets.get(key)) || (sought.has(key) && !blind.has(key) && !blind.has(subscriptionOf(key) ?? ''));
}

/**
 * The findings an event's evaluation decides: those anchored at the event's VNets (minus VNets in
 * scopes that could not be read: their rows must not be resolved by a blind read) whose inputs
 * the read covered, as above.
 */
export function neighbourhoodScope({ topology, inventory, vnetIds }: NeighbourhoodRead, rules: readonly Rule[]): AlertScope {
  const blind = new Set(inventory.unreadable.map((u) => u.scope.toLowerCase()));
  const keys = new Set(vnetIds.map(keyOf).filter((key) => !blind.has(key) && !blind.has(subscriptionOf(key) ?? '')));
  const known = knownToEvent({ topology, inventory });
  const decides = decider(topology, rules, { judges: (key) => keys.has(key), known, wholeEstate: false });
  return { keys, subscriptions: new Set(), anchorOf: anchoring(topology, rules), decides };
}

/** Whether a scope the read could not cover holds the finding's resource or a resource it names. */
export function touchesUnread(finding: Placed, unreadable: readonly { scope: string }[]): boolean {
  if (unreadable.length === 0) return false;
  const blind = new Set(unreadable.map((u) => u.scope.toLowerCase()));
  return [finding.resourceId, ...finding.relatedResourceIds].some((id) => {
    const key = keyOf(id);
    return blind.has(key) || blind.has(subscriptionOf(key) ?? '') || blind.has(anchorOf(key));
  });
}

export interface EstateRead {
  topology: Topology;
  inventory: Pick<Inventory, 'unreadable' | 'subscriptions'>;
}

/**
 * The findings the scheduled (full) audit decides. It read every subscription it could, but a
 * partial read is as blind as an event's about what it could not read: a finding is decided only
 * when its own subscription was read and every input of its rule is known (a remote VNet in a
 * subscription that could not be read is not known to be gone, it is unknown), and when none of
 * the resources it names lies in a scope that could not be read. Anything else keeps its state.
 */
export function estateScope({ topology, inventory }: EstateRead, rules: readonly Rule[]): AlertScope {
  const blind = new Set(inventory.unreadable.map((u) => u.scope.toLowerCase()));
  const readSubscriptions = new Set(inventory.subscriptions.map((s) => s.toLowerCase()).filter((s) => !blind.has(s)));
  // A management group or the tenant that could not be listed: a subscription not read may be in
  // it, so an unread VNet cannot be called out of scope.
  const wideBlind = [...blind].some((scope) => scope === 'tenant' || scope.startsWith('/providers/microsoft.management/'));
  /** Read; or absent from a subscription that was read; or in one outside the audit (out of scope on every path). */
  const known = (key: ResourceKey): boolean => {
    if (isVnetRead(topology.vnets.get(key))) return true;
    const subscription = subscriptionOf(key) ?? '';
    if (blind.has(key) || blind.has(subscription)) return false;
    return readSubscriptions.has(subscription) || !wideBlind;
  };
  const decides = decider(topology, rules, { judges: known, known, wholeEstate: true });
  return {
    keys: new Set(),
    subscriptions: readSubscriptions,
    anchorOf: anchoring(topology, rules),
    decides: (finding) => !touchesUnread(finding, inventory.unreadable) && decides(finding),
  };
}

/**
 * The judged VNets whose every finding an event's read decides (the strictest coverage above: the
 * VNet read, or looked for and absent; its route tables read; the VNets it peers with known, and
 * their route tables read, as a hub's transit findings need). Only these get a read mark, because a
 * mark makes an older read's openings there stale: a VNet judged in part (a hub's spoke whose other
 * peers were not read) is left unmarked rather than lose an alert this read could not see.
 */
export function markedVnets(read: Pick<NeighbourhoodRead, 'topology' | 'inventory'>, keys: Iterable<string>): string[] {
  const { hubCovered } = coverage(read.topology, knownToEvent(read));
  return [...keys].filter((key) => hubCovered(key as ResourceKey));
}
