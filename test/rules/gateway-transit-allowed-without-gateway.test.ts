import { expect } from 'vitest';
import { gatewayTransitAllowedWithoutGateway } from '../../src/rules/gateway-transit-allowed-without-gateway';
import type { FindingDraft } from '../../src/rules/rule';
import { SUB_A, SUB_B, SUB_C, peeringResource, vnet, vnetId } from '../support/estate';
import { hubAndSpokes, peeringIdOf } from '../support/gateway-estate';
import { ruleTester } from '../support/rule-tester';

const hub = vnetId('vnet-hub', SUB_A);
const spoke = vnetId('vnet-spoke1', SUB_B);
const partner = vnetId('vnet-partner', SUB_C);
const upper = (id: string) => id.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/');

/** One PUT of the same peering, transit withdrawn, every other flag kept. */
const withdrawsOffer =
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
        allowGatewayTransit: false,
      },
    });
  };

const manySpokes = hubAndSpokes({ hub, spokes: 300, gateway: 'none', spokeToHub: { useRemoteGateways: false } });

ruleTester(gatewayTransitAllowedWithoutGateway, {
  valid: [
    { name: 'hub with a VPN gateway offers transit', resources: hubAndSpokes({ hub, spokes: [spoke] }).resources },
    { name: 'Route Server as the hub\'s gateway', resources: hubAndSpokes({ hub, spokes: [spoke], gateway: 'routeserver' }).resources },
    {
      name: 'gateway known only through the GatewaySubnet\'s ipConfigurations',
      resources: hubAndSpokes({ hub, spokes: [spoke], gateway: 'subnet-reference' }).resources,
    },
    { name: 'hub with three hundred spokes and a gateway', resources: hubAndSpokes({ hub, spokes: 300, gateway: 'expressroute' }).resources },
    {
      name: 'ids differ only in case between the hub, its gateway subnet reference and the peering',
      resources: hubAndSpokes({ hub: upper(hub), spokes: [spoke], gateway: 'subnet-reference' }).resources,
    },
    {
      name: 'the VNet holding the offer was not read itself (known only from a standalone peering)',
      resources: [peeringResource(hub, { remote: spoke, allowGatewayTransit: true })],
    },
    {
      name: 'no transit offered',
      resources: hubAndSpokes({ hub, spokes: [spoke], gateway: 'none', hubToSpoke: { allowGatewayTransit: false }, spokeToHub: { useRemoteGateways: false } }).resources,
    },
  ],
  invalid: [
    {
      name: 'offer without a gateway, the spoke does not use it: withdraw it, other flags kept',
      resources: hubAndSpokes({
        hub,
        spokes: [spoke],
        gateway: 'none',
        hubToSpoke: { allowForwardedTraffic: true },
        spokeToHub: { useRemoteGateways: false },
      }).resources,
      findings: [
        {
          resourceId: peeringIdOf(hub, spoke),
          messageIncludes: ['"vnet-hub"', '"vnet-spoke1"', 'offer', 'empty'],
          relatedResourceIds: [hub, spoke, peeringIdOf(spoke, hub)],
          fix: withdrawsOffer(hub, spoke, { allowForwardedTraffic: true }),
        },
      ],
    },
    {
      name: 'remote VNet read, no peering back: the offer is withdrawn',
      resources: [
        vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke, allowGatewayTransit: true, peerCompleteVnets: false, localSubnetNames: ['shared'], remoteSubnetNames: ['app'] }] }),
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'] }),
      ],
      findings: [
        {
          resourceId: peeringIdOf(hub, spoke),
          relatedResourceIds: [hub, spoke],
          fix: withdrawsOffer(hub, spoke, { peerCompleteVnets: false, localSubnetNames: ['shared'], remoteSubnetNames: ['app'] }),
        },
      ],
    },
    {
      name: 'the spoke uses the empty offer: reported without a fix (the spoke\'s rule reports it too)',
      resources: hubAndSpokes({ hub, spokes: [spoke], gateway: 'none' }).resources,
      findings: [{ resourceId: peeringIdOf(hub, spoke), messageIncludes: ['No fix is proposed', 'gateway-transit-remote-has-no-gateway'], fix: null }],
    },
    {
      name: 'ids differ only in case: the spoke\'s use is still seen, no fix',
      resources: [
        vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: upper(spoke), allowGatewayTransit: true }] }),
        vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub.toLowerCase(), useRemoteGateways: true }] }),
      ],
      findings: [{ resourceId: `${hub}/virtualNetworkPeerings/vnet-hub-to-VNET-SPOKE1`, fix: null }],
    },
    {
      name: 'remote out of scope: the offer is still empty, but whether the remote relies on it is unknown, so no fix',
      resources: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: partner, allowGatewayTransit: true }] })],
      findings: [{ resourceId: peeringIdOf(hub, partner), messageIncludes: ['was not read', 'No fix is proposed'], relatedResourceIds: [hub, partner], fix: null }],
    },
    {
      name: 'hub with three hundred spokes and no gateway: one finding and one fix per peering',
      resources: manySpokes.resources,
      findings: manySpokes.spokes.map((s) => ({ resourceId: peeringIdOf(hub, s), fix: withdrawsOffer(hub, s) })),
    },
  ],
});
