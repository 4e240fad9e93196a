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
  inventory: Pick<Inventory, 'unreadable' | 'sought'>;
  /** The VNets whose findings the event can change. */
  vnetIds: readonly string[];
}

/**
 * The findings an event's evaluation decides: those anchored at the event's VNets (minus VNets in
 * scopes that could not be read: their rows must not be resolved by a blind read) whose inputs
 * the read covered, as above.
 */
export function neighbourhoodScope({ topology, inventory, vnetIds }: NeighbourhoodRead, rules: readonly Rule[]): AlertScope {
  const blind = new Set(inventory.unreadable.map((u) => u.scope.toLowerCase()));
  const sought = new Set(inventory.sought ?? []);
  const keys = new Set(vnetIds.map(keyOf).filter((key) => !blind.has(key) && !blind.has(subscriptionOf(key) ?? '')));
  const transit = isTransit(rules);
  const read = (key: ResourceKey): boolean => isVnetRead(topology.vnets.get(key));
  /**
   * Read, or looked for: then it is absent, or in a subscription that could not be read or is not
   * configured (out of scope on every path). A VNet not looked for is unknown whatever its subscription.
   */
  const known = (key: ResourceKey): boolean => read(key) || (sought.has(key) && !blind.has(key));
  const tablesRead = (vnet: Vnet): boolean => vnet.subnets.every((s) => !s.routeTableKey || topology.routeTables.has(s.routeTableKey));
  const memo = <T>(fn: (key: ResourceKey) => T) => {
    const done = new Map<ResourceKey, T>();
    return (key: ResourceKey): T => {
      if (!done.has(key)) done.set(key, fn(key));
      return done.get(key) as T;
    };
  };
  /** The VNet, its route tables and every VNet it peers with are known. */
  const covered = memo((key) => {
    const vnet = topology.vnets.get(key);
    if (!isVnetRead(vnet)) return known(key);
    return tablesRead(vnet) && vnet.peerings.every((p) => known(p.remoteVnetKey));
  });
  /** ... and so are its peers' route tables: what the transit rules judge a hub's spokes by. */
  const hubCovered = memo(
    (key) =>
      covered(key) &&
      (topology.vnets.get(key)?.peerings ?? []).every((p) => {
        const peer = topology.vnets.get(p.remoteVnetKey);
        return !isVnetRead(peer) || tablesRead(peer);
      }),
  );

  const decides = (finding: Placed): boolean => {
    const vnetId = vnetIdOf(finding.resourceId);
    if (!vnetId) {
      const judged = judgedVnetOf(finding);
      return judged !== undefined && keys.has(keyOf(judged)) && covered(keyOf(judged));
    }
    const own = keyOf(vnetId);
    const peering = topology.peerings.get(keyOf(finding.resourceId));
    if (transit(finding)) {
      if (own === keyOf(finding.resourceId)) return false;
      // A peering gone from its VNet's read takes its transit findings with it.
      if (!peering) return keys.has(own) && read(own);
      return keys.has(peering.remoteVnetKey) && hubCovered(peering.remoteVnetKey);
    }
    return keys.has(own) && known(own) && (!peering || known(peering.remoteVnetKey));
  };
  return { keys, subscriptions: new Set(), anchorOf: anchoring(topology, rules), decides };
}
