import type { ResourceKey } from '../model/ids';
import type { Peering, Vnet } from '../model/types';
import type { FindingDraft, Rule } from './rule';
import { describePeering, describeVnet, putPeering } from './describe';
import { meshConnects, routeSendingSomeTo, transitIndex, type EffectiveRoute, type Link, type RoutedTable } from './transit-helpers';

// A route in A sends (by longest-prefix match) some of C's space to an appliance in hub B. The
// appliance forwards the packets into C over the peering B–C, and C accepts traffic that did not
// originate in B only when C's own peering to B has allowForwardedTraffic ("allow traffic forwarded
// by a network virtual appliance in a virtual network ... to flow to this virtual network").
// The return path (a route in C sending A's space through B, which needs allowForwardedTraffic on
// A→B) is the same check from C's side. A default route to the hub firewall covers every C.
// A route to VirtualNetworkGateway that reaches B's VPN gateway is no offence: the setting is not
// needed "if traffic is forwarded between virtual networks through an Azure VPN Gateway"
// (virtual-network-manage-peering), so only appliance routes count (sendsSomeToApplianceIn).
//
// Semantics chosen: some part of C's space is enough (those packets are dropped); C's space is what
// B reaches over B–C (subnet peering: the named subnets). A and C that are peered directly are
// decided by the longest-prefix match (the peering's system route beats a default route); A and C
// in a common AVNM mesh group are skipped. One finding per offending peering C→B, naming the route of
// the sender with the least id (whatever the input's order) and how many other VNets route through B to C.
//
// Bound: for each VNet A with appliance routes into usable peers, for each such table and hub B,
// only the peers C of B whose peering back to B lacks allowForwardedTraffic are checked:
// O(Σ_A tables × hubs × blocked(B) × prefixes × routes), at worst Σ_B deg(B)² when every spoke
// routes through B and no peering allows forwarded traffic. Links are resolved only for VNets with
// appliance routes and for their hubs.

interface Offence {
  cToB: Peering;
  hub: Link; // A's link to B
  a: Vnet;
  table: RoutedTable;
  route: EffectiveRoute;
  sources: Set<number>;
}

/**
 * Whether sender `a` (through `table`) is named rather than the offence's current one: the least
 * VNet key, then table key, so that the message and related ids do not depend on the input's order.
 */
function namedBefore(a: Vnet, table: RoutedTable, offence: Offence): boolean {
  if (a.key !== offence.a.key) return a.key < offence.a.key;
  return table.table.key < offence.table.table.key;
}

export const transitForwardedTrafficBlocked: Rule = {
  meta: {
    id: 'transit-forwarded-traffic-blocked',
    title: 'Traffic forwarded by a hub appliance is dropped',
    category: 'transit',
    defaultSeverity: 'error',
    description:
      "A route sends a VNet's traffic to an appliance in a hub, but the destination VNet's peering to the hub does not allow forwarded traffic, so the packets the appliance forwards are dropped.",
    docsUrl: 'https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering',
    fix: 'safe',
  },
  evaluate(topology) {
    const index = transitIndex(topology);
    const blocked: Array<Link[] | undefined> = [];
    // The peers of a hub whose peering back to it does not accept forwarded traffic.
    const blockedInto = (hub: number): Link[] => (blocked[hub] ??= index.links(hub).filter((toC) => !toC.back.allowForwardedTraffic));
    const offences = new Map<ResourceKey, Offence>();
    index.vnets.forEach((a, n) => {
      if (a.routeTables.length === 0) return;
      for (const table of index.routedTables(n)) {
        for (const hub of table.hubs) {
          // A hub the table reaches only through its VPN gateway: nothing is forwarded by an appliance there.
          if (!table.hasApplianceRouteInto(hub.peer)) continue;
          for (const toC of blockedInto(hub.peer)) {
            if (toC.peer === n) continue;
            const known = offences.get(toC.back.key);
            if (known?.sources.has(n) || meshConnects(a, toC.peerVnet)) continue;
            // The table's stretches to the hub decide; its routes are looked at only to name the first offending one.
            const prefix = toC.remotePrefixes.find((p) => table.sendsSomeToApplianceIn(p, hub.peer));
            if (!prefix) continue;
            if (known) {
              known.sources.add(n);
              if (!namedBefore(a, table, known)) continue;
            }
            offences.set(toC.back.key, { cToB: toC.back, hub, a, table, route: routeSendingSomeTo(table, prefix, hub.peer) as EffectiveRoute, sources: known?.sources ?? new Set([n]) });
          }
        }
      }
    });
    const findings: FindingDraft[] = [];
    for (const { cToB, hub, a, table, route, sources } of offences.values()) {
      const b = hub.peerVnet;
      const c = describeVnet(cToB.vnet);
      const others = sources.size - 1;
      const routeName = route.route?.name ?? route.prefix.text;
      findings.push({
        resourceId: cToB.id,
        relatedResourceIds: [table.table.id, a.id, b.id],
        identity: [cToB.id, b.id],
        message:
          `Route "${routeName}" (${route.prefix.text} to ${route.nextHopIp?.text ?? '?'}) in route table "${table.table.name}" of ` +
          `${describeVnet(a)} sends traffic for ${c} to an appliance in hub VNet "${b.name}", but ` +
          `${describePeering(cToB)} does not allow forwarded traffic, so the packets the appliance forwards are dropped` +
          (others > 0 ? ` (${others} more ${others === 1 ? 'VNet routes' : 'VNets route'} to it through "${b.name}" as well).` : '.'),
        fix: {
          description: `Allow forwarded traffic on peering "${cToB.name}" so that ${c} accepts what the appliance in "${b.name}" forwards.`,
          destructive: false,
          operations: [putPeering(cToB, { allowForwardedTraffic: true })],
        },
      });
    }
    return findings;
  },
};
