import type { Rule } from './rule';
import { peeringOneSided } from './peering-one-sided';
// -- peering lifecycle imports --
import { peeringDisconnected } from './peering-disconnected';
import { peeringRemoteVnetMissing } from './peering-remote-vnet-missing';
import { peeringRemoteOutOfScope } from './peering-remote-out-of-scope';
import { peeringAddressSpaceOutOfSync } from './peering-address-space-out-of-sync';
import { peeringProvisioningFailed } from './peering-provisioning-failed';
import { peeringAccessAsymmetric } from './peering-access-asymmetric';
import { peeringAddressOverlap } from './peering-address-overlap';
import { peeringLimitNear } from './peering-limit-near';
// -- gateway transit imports --
import { gatewayTransitRemoteNotAllowed } from './gateway-transit-remote-not-allowed';
import { gatewayTransitRemoteHasNoGateway } from './gateway-transit-remote-has-no-gateway';
import { gatewayTransitLocalGatewayConflict } from './gateway-transit-local-gateway-conflict';
import { gatewayTransitMultipleRemote } from './gateway-transit-multiple-remote';
import { gatewayTransitAllowedWithoutGateway } from './gateway-transit-allowed-without-gateway';
import { gatewayTransitBasicGateway } from './gateway-transit-basic-gateway';
import { gatewayTransitOfferedNotUsed } from './gateway-transit-offered-not-used';
// -- transit imports --
import { transitNotTransitive } from './transit-not-transitive';
import { transitForwardedTrafficBlocked } from './transit-forwarded-traffic-blocked';
import { transitNextHopUnreachable } from './transit-next-hop-unreachable';
import { transitIntentUnreachable } from './transit-intent-unreachable';
import { transitIntentViolated } from './transit-intent-violated';

/** Every rule peerguard ships, in catalog order (design.md). Rule ids are a public contract. */
export const RULES: readonly Rule[] = [
  // -- peering lifecycle --
  peeringOneSided,
  peeringDisconnected,
  peeringRemoteVnetMissing,
  peeringRemoteOutOfScope,
  peeringAddressSpaceOutOfSync,
  peeringProvisioningFailed,
  peeringAccessAsymmetric,
  peeringAddressOverlap,
  peeringLimitNear,
  // -- gateway transit --
  gatewayTransitRemoteNotAllowed,
  gatewayTransitRemoteHasNoGateway,
  gatewayTransitLocalGatewayConflict,
  gatewayTransitMultipleRemote,
  gatewayTransitAllowedWithoutGateway,
  gatewayTransitBasicGateway,
  gatewayTransitOfferedNotUsed,
  // -- transit --
  transitNotTransitive,
  transitForwardedTrafficBlocked,
  transitNextHopUnreachable,
  transitIntentUnreachable,
  transitIntentViolated,
];
