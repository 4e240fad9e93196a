import { expect } from 'vitest';
import { gatewayTransitRemoteNotAllowed } from '../../src/rules/gateway-transit-remote-not-allowed';
import type { FindingDraft } from '../../src/rules/rule';
import { SUB_A, SUB_B, SUB_C, gateway, peeringResource, vnet, vnetId } from '../support/estate';
import { hubAndSpokes, peeringIdOf } from '../support/gateway-estate';
import { ruleTester, type ExpectedFinding } from '../support/rule-tester';

const hub = vnetId('vnet-hub', SUB_A);
const hub2 = vnetId('vnet-hub2', SUB_A);
const spoke = vnetId('vnet-spoke1', SUB_B);
const partnerHub = vnetId('vnet-partner-hub', SUB_C);

/** The fix must be one PUT of the hub's peering back, with transit allowed and every other flag kept. */
const allowsTransitOn =
  (local: string, remote: string, kept: Record<string, unknown> = {}) =>
  (fix: NonNullable<FindingDraft['fix']>) => {
    expect(fix.destructive).toBe(false);
    expect(fix.operations).toHaveLength(1);
    const op = fix.operations[0]!;
    expect(op.method).toBe('PUT');
    expect(op.resourceId).toBe(peeringIdOf(local, remote));
    expect(op.body).toEqual({
      properties: {
        allowVirtualNetworkAccess: true,
        allowForwardedTraffic: false,
        useRemoteGateways: false,
        remoteVirtualNetwork: { id: remote },
        ...kept,
        allowGatewayTransit: true,
      },
    });
  };

const manySpokes = hubAndSpokes({ hub, spokes: 300, hubToSpoke: { allowGatewayTransit: false } });

ruleTester(gatewayTransitRemoteNotAllowed, {
  valid: [
    { name: 'hub with a VPN gateway offers transit, spoke uses it', resources: hubAndSpokes({ hub, spokes: [spoke] }).resources },
    { name: 'Route Server as the hub\'s gateway', resources: hubAndSpokes({ hub, spokes: [spoke], gateway: 'routeserver' }).resources },
    {
      name: 'gateway known only through the GatewaySubnet\'s ipConfigurations',
      resources: hubAndSpokes({ hub, spokes: [spoke], gateway: 'subnet-reference' }).resources,
    },
    { name: 'hub with three hundred spokes, all offered and used', resources: hubAndSpokes({ hub, spokes: 300 }).resources },
    {
      name: 'ids differ only in case between the two sides',
      resources: [
        vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/'), allowGatewayTransit: true }] }),
        gateway('gw-hub', hub.toLowerCase()),
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub.toLowerCase(), useRemoteGateways: true }] }),
      ],
    },
    {
      name: 'remote hub in a subscription that was not read is unknown',
      resources: [vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: partnerHub, useRemoteGateways: true }] })],
    },
    {
      name: 'remote hub missing from a read subscription is left to peering-remote-vnet-missing',
      resources: [
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: vnetId('gone', SUB_A), useRemoteGateways: true }] }),
        vnet({ id: hub, prefixes: ['10.0.0.0/16'] }),
      ],
    },
    {
      name: 'remote hub known only from a standalone peering of its own (the VNet itself was not read)',
      resources: [
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub, useRemoteGateways: true }] }),
        peeringResource(hub, { remote: vnetId('vnet-other', SUB_A) }),
      ],
    },
    {
      name: 'Disconnected peering is left to peering-disconnected',
      resources: [
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub, useRemoteGateways: true, state: 'Disconnected' }] }),
        vnet({ id: hub, prefixes: ['10.0.0.0/16'] }),
        gateway('gw-hub', hub),
      ],
    },
    {
      // Connected means the peering back exists in Azure: its flags are unknown, not missing (peering-one-sided reports the gap).
      name: 'Connected, but the peering back is not in the input: its allowGatewayTransit is unknown, so not judged',
      resources: [
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub, useRemoteGateways: true, state: 'Connected' }] }),
        vnet({ id: hub, prefixes: ['10.0.0.0/16'] }),
        gateway('gw-hub', hub),
      ],
    },
    {
      name: 'no peering uses remote gateways',
      resources: hubAndSpokes({ hub, spokes: [spoke], hubToSpoke: { allowGatewayTransit: false }, spokeToHub: { useRemoteGateways: false } }).resources,
    },
  ],
  invalid: [
    {
      name: 'hub with a VPN gateway does not allow transit: PUT the hub\'s peering with the other flags kept',
      resources: hubAndSpokes({
        hub,
        spokes: [spoke],
        hubToSpoke: { allowGatewayTransit: false, allowForwardedTraffic: true },
      }).resources,
      findings: [
        {
          resourceId: peeringIdOf(spoke, hub),
          messageIncludes: ['"vnet-spoke1"', '"vnet-hub"', 'does not allow gateway transit'],
          relatedResourceIds: [spoke, hub, peeringIdOf(hub, spoke)],
          fix: allowsTransitOn(hub, spoke, { allowForwardedTraffic: true }),
        },
      ],
    },
    {
      name: 'subnet peering: the PUT keeps peerCompleteVnets and the subnet names',
      resources: hubAndSpokes({
        hub,
        spokes: [spoke],
        hubToSpoke: { allowGatewayTransit: false, peerCompleteVnets: false, localSubnetNames: ['GatewaySubnet', 'shared'], remoteSubnetNames: ['app'] },
      }).resources,
      findings: [
        {
          resourceId: peeringIdOf(spoke, hub),
          fix: allowsTransitOn(hub, spoke, { peerCompleteVnets: false, localSubnetNames: ['GatewaySubnet', 'shared'], remoteSubnetNames: ['app'] }),
        },
      ],
    },
    {
      name: 'Route Server as the hub\'s gateway: fixable',
      resources: hubAndSpokes({ hub, spokes: [spoke], gateway: 'routeserver', hubToSpoke: { allowGatewayTransit: false } }).resources,
      findings: [{ resourceId: peeringIdOf(spoke, hub), fix: allowsTransitOn(hub, spoke) }],
    },
    {
      name: 'gateway known only through the GatewaySubnet\'s ipConfigurations: fixable',
      resources: hubAndSpokes({ hub, spokes: [spoke], gateway: 'subnet-reference', hubToSpoke: { allowGatewayTransit: false } }).resources,
      findings: [{ resourceId: peeringIdOf(spoke, hub), fix: allowsTransitOn(hub, spoke) }],
    },
    {
      name: 'ids differ only in case: the fix targets the hub\'s peering in its own casing',
      resources: [
        vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke.toLowerCase() }] }),
        gateway('gw-hub', hub.toLowerCase()),
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/'), useRemoteGateways: true }] }),
      ],
      findings: [
        {
          resourceId: `${spoke}/virtualNetworkPeerings/vnet-spoke1-to-VNET-HUB`,
          fix: (fix) => {
            expect(fix.operations[0]?.resourceId).toBe(peeringIdOf(hub, spoke));
            expect(fix.operations[0]?.body).toMatchObject({ properties: { allowGatewayTransit: true, remoteVirtualNetwork: { id: spoke.toLowerCase() } } });
          },
        },
      ],
    },
    {
      name: 'no peering back (Initiated): reported without a fix (peering-one-sided creates it)',
      resources: [
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub, useRemoteGateways: true, state: 'Initiated' }] }),
        vnet({ id: hub, prefixes: ['10.0.0.0/16'] }),
        gateway('gw-hub', hub),
      ],
      findings: [{ resourceId: peeringIdOf(spoke, hub), messageIncludes: ['no peering back', 'peering-one-sided'], relatedResourceIds: [spoke, hub], fix: null }],
    },
    {
      name: 'hub has no gateway: no fix, the message says why',
      resources: hubAndSpokes({ hub, spokes: [spoke], gateway: 'none', hubToSpoke: { allowGatewayTransit: false } }).resources,
      findings: [{ resourceId: peeringIdOf(spoke, hub), messageIncludes: ['No fix is proposed', 'has no gateway'], fix: null }],
    },
    {
      // Gateway transit "can be used with all VPN Gateway SKUs except the Basic SKU" (vpn-gateway-peering-gateway-transit).
      name: 'the hub\'s VPN gateway is a Basic SKU: allowing transit would not give the spoke a gateway, so no fix',
      resources: hubAndSpokes({ hub, spokes: [spoke], gateway: { basic: 'Vpn' }, hubToSpoke: { allowGatewayTransit: false } }).resources,
      findings: [
        {
          resourceId: peeringIdOf(spoke, hub),
          messageIncludes: ['No fix is proposed', 'VPN gateway "gw-basic" (SKU Basic)', 'Basic SKU', 'gateway-transit-basic-gateway'],
          fix: null,
        },
      ],
    },
    {
      name: 'both sides use remote gateways: no fix',
      resources: hubAndSpokes({ hub, spokes: [spoke], hubToSpoke: { allowGatewayTransit: false, useRemoteGateways: true } }).resources,
      findings: [
        { resourceId: peeringIdOf(spoke, hub), messageIncludes: ['itself uses remote gateways'], fix: null },
        { resourceId: peeringIdOf(hub, spoke), messageIncludes: ['No fix is proposed'], fix: null },
      ],
    },
    {
      name: 'spoke has a gateway of its own: no fix',
      resources: [
        ...hubAndSpokes({ hub, spokes: [spoke], hubToSpoke: { allowGatewayTransit: false } }).resources,
        gateway('gw-spoke', spoke),
      ],
      findings: [{ resourceId: peeringIdOf(spoke, hub), messageIncludes: ['gateway-transit-local-gateway-conflict'], fix: null }],
    },
    {
      name: 'spoke uses remote gateways on two peerings: no fix',
      resources: [
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub, useRemoteGateways: true }, { remote: hub2, useRemoteGateways: true }] }),
        vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke }] }),
        vnet({ id: hub2, prefixes: ['10.2.0.0/16'], peerings: [{ remote: spoke, allowGatewayTransit: true }] }),
        gateway('gw-hub', hub),
        gateway('gw-hub2', hub2),
      ],
      findings: [{ resourceId: peeringIdOf(spoke, hub), messageIncludes: ['on 2 peerings'], fix: null }],
    },
    {
      name: 'hub with three hundred spokes offers transit to none: one finding and one fix per spoke',
      resources: manySpokes.resources,
      findings: manySpokes.spokes.map(
        (s): ExpectedFinding => ({ resourceId: peeringIdOf(s, hub), fix: allowsTransitOn(hub, s) }),
      ),
    },
  ],
});
