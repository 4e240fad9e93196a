import { peeringRule } from './rule';
import {
  describeGateway,
  describePeering,
  describeVnet,
  hasGateway,
  isBasicSkuGateway,
  isVnetRead,
  putPeering,
  remoteGatewayPeerings,
} from './describe';

// A→B sets useRemoteGateways; A uses B's gateway only if B→A sets allowGatewayTransit
// (vpn-gateway-peering-gateway-transit, virtual-network-manage-peering). A remote VNet that was
// not read is unknown: its reverse peering is not judged. A Disconnected A→B is left to
// peering-disconnected (both links must be re-created anyway). The fix (allow transit on B→A) is
// proposed only when that one change resolves the pair: the reverse exists and is not
// Disconnected, B has a gateway and none of Basic SKU (transit "can be used with all VPN Gateway
// SKUs except the Basic SKU", vpn-gateway-peering-gateway-transit), B→A does not itself use remote
// gateways, and A has no gateway of its own and uses remote gateways on this peering only. A
// Connected A→B whose reverse is not in the input is not judged: Connected means both links exist
// (virtual-network-troubleshoot-peering-issues), so B→A's flags are unknown (peering-one-sided
// reports the incomplete input).

export const gatewayTransitRemoteNotAllowed = peeringRule({
  meta: {
    id: 'gateway-transit-remote-not-allowed',
    title: 'Remote gateways used but not offered by the remote peering',
    category: 'gateway-transit',
    defaultSeverity: 'error',
    description:
      'A peering sets useRemoteGateways, but the remote VNet\'s peering back lacks allowGatewayTransit or does not exist. The VNet then uses no remote gateway and learns no on-premises routes.',
    docsUrl: 'https://learn.microsoft.com/azure/vpn-gateway/vpn-gateway-peering-gateway-transit',
    fix: 'safe',
  },
  checkPeering(peering, topology) {
    if (!peering.useRemoteGateways || peering.peeringState === 'Disconnected') return undefined;
    const remote = peering.remoteVnet;
    if (!isVnetRead(remote)) return undefined; // unknown remote, or missing (peering-remote-vnet-missing)
    const reverse = topology.reverseOf(peering);
    if (reverse?.allowGatewayTransit) return undefined;
    const local = peering.vnet;
    const localName = local.name;
    const head = `${describePeering(peering)} uses remote gateways`;
    const related = [peering.vnetId, peering.remoteVnetId];
    if (!reverse) {
      if (peering.peeringState === 'Connected') return undefined;
      return {
        resourceId: peering.id,
        relatedResourceIds: related,
        message: `${head}, but ${describeVnet(remote)} has no peering back to "${localName}", so "${localName}" uses no gateway of "${remote.name}". The reverse peering must be created with allowGatewayTransit (peering-one-sided proposes it).`,
        identity: [peering.id],
      };
    }
    const blockers: string[] = [];
    if (reverse.peeringState === 'Disconnected') blockers.push(`"${reverse.name}" is Disconnected (see peering-disconnected)`);
    if (!hasGateway(remote)) blockers.push(`"${remote.name}" has no gateway to share (see gateway-transit-remote-has-no-gateway)`);
    const basic = remote.gateways.filter(isBasicSkuGateway);
    if (basic.length > 0) {
      blockers.push(`the ${basic.map(describeGateway).join(', ')} of "${remote.name}" is a Basic SKU, which gateway transit does not support (see gateway-transit-basic-gateway)`);
    }
    if (reverse.useRemoteGateways) {
      blockers.push(`"${reverse.name}" itself uses remote gateways, so which side should offer transit is not peerguard's choice`);
    }
    if (hasGateway(local)) blockers.push(`"${localName}" has a gateway of its own (see gateway-transit-local-gateway-conflict)`);
    const uses = remoteGatewayPeerings(local).length;
    if (uses > 1) blockers.push(`"${localName}" uses remote gateways on ${uses} peerings (see gateway-transit-multiple-remote)`);
    const message = `${head}, but the peering back, "${reverse.name}", does not allow gateway transit, so "${localName}" uses no gateway of "${remote.name}" and learns no on-premises routes through it.`;
    return {
      resourceId: peering.id,
      relatedResourceIds: [...related, reverse.id],
      message: blockers.length === 0 ? message : `${message} No fix is proposed: ${blockers.join('; ')}.`,
      identity: [peering.id],
      ...(blockers.length === 0
        ? {
            fix: {
              description: `Allow gateway transit on peering "${reverse.name}" of ${describeVnet(reverse.vnet)}.`,
              destructive: false,
              operations: [putPeering(reverse, { allowGatewayTransit: true })],
            },
          }
        : {}),
    };
  },
});
