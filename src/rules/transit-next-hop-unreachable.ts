import type { Prefix } from '../model/cidr';
import type { ResourceKey } from '../model/ids';
import type { Peering, Vnet } from '../model/types';
import type { FindingDraft, Rule } from './rule';
import { describeVnet, formatPrefixes, listNames, remoteCurrentSpace } from './describe';
import { isApplianceRoute, isInside, routedRemotePrefixes } from './transit-helpers';

// A user-defined route to a virtual appliance works only when the appliance's IP is one the
// subnet can reach: in its own VNet, or in a VNet peered with it ("the next hop in a user-defined
// route [can] be the IP address of a virtual machine in the peered virtual network",
// virtual-networks-udr-overview). Otherwise Azure drops the traffic the route matches.
//
// Semantics chosen: every peering of the VNet counts, whatever its state (a broken peering is the
// lifecycle rules' finding); a peer's space is what the peering routes (transit-helpers
// `routedRemotePrefixes`): the space as peered, so a range the peer added and the peering has not
// synced does not count yet (subnet peering: the named subnets). Members of a common AVNM mesh group hold
// reachable addresses too. A VNet's route tables are those associated with its subnets (a table
// with no subnet routes nothing and is in no VNet's list, src/model/build.ts), and a table shared
// by several VNets is judged in each. One finding per (route, VNet).
//
// Bound: one pass over the VNets' route tables; per appliance route O(prefixes of the VNet and its
// peers), peers looked up only when the IP is not the VNet's own; a mesh group's prefixes are
// gathered once, only when some route needs them.

export const transitNextHopUnreachable: Rule = {
  meta: {
    id: 'transit-next-hop-unreachable',
    title: 'Route points at an appliance the VNet cannot reach',
    category: 'transit',
    defaultSeverity: 'error',
    description:
      "A route's virtual-appliance next hop lies neither in the route table's VNet nor in any VNet peered with it, so the traffic the route matches is dropped.",
    docsUrl: 'https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview',
    fix: 'none',
  },
  evaluate(topology) {
    const meshPrefixes = new Map<ResourceKey, Prefix[]>();
    const prefixesOfMesh = (group: ResourceKey): Prefix[] => {
      let list = meshPrefixes.get(group);
      if (!list) {
        list = topology.meshMembers(group).flatMap((member) => topology.vnets.get(member)?.prefixes ?? []);
        meshPrefixes.set(group, list);
      }
      return list;
    };
    const reachable = (vnet: Vnet, ip: Prefix): boolean =>
      isInside(ip, vnet.prefixes) ||
      vnet.peerings.some((p) => isInside(ip, routedRemotePrefixes(p))) ||
      vnet.meshGroupKeys.some((g) => isInside(ip, prefixesOfMesh(g)));

    const findings: FindingDraft[] = [];
    for (const vnet of topology.vnets.values()) {
      for (const table of vnet.routeTables) {
        for (const route of table.routes) {
          if (!isApplianceRoute(route) || reachable(vnet, route.nextHopIp)) continue;
          const ip = route.nextHopIp.text;
          // A peer that holds the IP but whose peering does not route it (cold path: findings only).
          const holder = vnet.peerings.find((p) => isInside(route.nextHopIp, remoteCurrentSpace(p) ?? []));
          const where = holder
            ? `which lies in "${holder.remoteVnet?.name ?? holder.remoteVnetId}" but not in what ${unroutedBy(holder)}`
            : `which lies neither in "${vnet.name}" nor in any VNet peered with it`;
          findings.push({
            resourceId: route.id,
            relatedResourceIds: holder ? [table.id, vnet.id, holder.id] : [table.id, vnet.id],
            // The route in its table's VNet, whether or not a peer holds the IP (which changes only the
            // message): one alert for as long as the route drops traffic.
            identity: [route.id, table.id, vnet.id],
            message:
              `Route "${route.name}" (${route.addressPrefix} to virtual appliance ${ip}) in route table "${table.name}" of ` +
              `${describeVnet(vnet)} points at ${ip}, ${where}: the traffic the route matches is dropped.`,
          });
        }
      }
    }
    return findings;
  },
};

/** What a peering routes, for a message: `subnet peering "x" peers (only subnet "a", 10.0.2.0/24)`. */
function unroutedBy(peering: Peering): string {
  const routed = formatPrefixes(routedRemotePrefixes(peering));
  if (!peering.peerCompleteVnets) {
    const names = peering.remoteSubnetNames;
    return `subnet peering "${peering.name}" peers (only subnet${names.length === 1 ? '' : 's'} ${listNames(names)}, ${routed})`;
  }
  return `peering "${peering.name}" routes (the space as peered, ${routed}: the peering is ${peering.peeringSyncLevel ?? 'not known to be in sync'} and must be synced)`;
}
