import { peeringRule } from './rule';
import { nameOf } from '../model/ids';
import { describePeering, describeVnet, reversePeeringOperation } from './describe';

// Initiated: only the first link exists. The peering carries no traffic until both links are
// Connected (virtual-network-manage-peering). A remote VNet that is missing or out of scope is
// left to peering-remote-vnet-missing / peering-remote-out-of-scope; Disconnected to its own rule.
// Connected means "both peering links exist" (virtual-network-troubleshoot-peering-issues): a
// Connected peering whose read remote shows no peering back says the input is incomplete or stale,
// not that the pair is one-sided. No reverse is created then: ARM allows one peering from a VNet to
// another (AnotherPeeringAlreadyReferencesRemoteVnet), so the PUT would fail.

export const peeringOneSided = peeringRule({
  meta: {
    id: 'peering-one-sided',
    title: 'Peering exists on one side only',
    category: 'peering-lifecycle',
    defaultSeverity: 'error',
    description:
      'A peering is Initiated, or its remote VNet was read without a peering back. Traffic flows only once both links exist and are Connected; a Connected peering whose reverse is not in the input means the input is incomplete or stale (no fix then).',
    docsUrl: 'https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering#requirements-and-constraints',
    fix: 'safe',
    // Every new peering passes through this state: its first link is Initiated until the second
    // exists, and then both are Connected (virtual-network-manage-peering). Terraform, Bicep, the CLI
    // and PowerShell write the two links one after the other, seconds to minutes apart, so the first
    // link's event would open this alert and the second's resolve it: two mails for a routine change.
    settles: true,
  },
  checkPeering(peering, topology) {
    if (peering.peeringState === 'Disconnected') return undefined;
    const remote = peering.remoteVnet;
    if (!remote && peering.remoteInScope) return undefined; // remote VNet missing
    const reverse = topology.reverseOf(peering);
    const initiated = peering.peeringState === 'Initiated';
    const reverseMissing = remote !== undefined && reverse === undefined;
    if (!initiated && !reverseMissing) return undefined;
    const to = describeVnet(remote ?? peering.remoteVnetId);
    const back = `"${remote?.name ?? nameOf(peering.remoteVnetId)}" has no peering back to "${nameOf(peering.vnetId)}"`;
    const connected = peering.peeringState === 'Connected';
    const message = reverse
      ? `${describePeering(peering)} is Initiated although ${to} has peering "${reverse.name}" back; the pair is not established until both sides are Connected.`
      : connected
        ? `${describePeering(peering)} says Connected, which Azure reports only while both links exist, yet in the input ${back}: the reverse peering is missing from the input (incomplete or stale), not from Azure. No fix is proposed: the reverse exists in Azure, and a second peering to the same VNet is refused. Read ${to} again to verify the pair.`
        : `${describePeering(peering)} is one-sided: ${back}, so no traffic flows between them.`;
    return {
      resourceId: peering.id,
      relatedResourceIds: reverse ? [peering.vnetId, peering.remoteVnetId, reverse.id] : [peering.vnetId, peering.remoteVnetId],
      message,
      identity: [peering.id],
      ...(reverse || connected
        ? {}
        : {
            fix: {
              description: `Create the reverse peering on ${to} with complementary flags.`,
              destructive: false,
              operations: [reversePeeringOperation(peering)],
            },
          }),
    };
  },
});
