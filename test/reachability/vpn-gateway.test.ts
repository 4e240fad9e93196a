import { describe, expect, it } from 'vitest';
import { keyOf } from '../../src/model/ids';
import type { RawResource } from '../../src/model/snapshot';
import { createReachability, describeVerdict } from '../../src/reachability/engine';
import { gateway, routeServer, topologyOf } from '../support/estate';
import { HUB, routeTableId, spokeId, viaFirewall, viaGateway, vpnHubAndSpokes } from '../support/transit';

// Spokes of a hub that forward to each other through the hub's VPN gateway: each uses the gateway
// through gateway transit and routes the other's space to VirtualNetworkGateway
// (virtual-network-manage-peering). QA s2-spoke-to-spoke-via-vpn-gateway.

const s1 = spokeId('spoke1');
const s2 = spokeId('spoke2');
const er = gateway('ergw-hub', HUB, { type: 'ExpressRoute', sku: 'ErGw1AZ' });

function explain(resources: RawResource[], via?: 'firewall' | 'appliance') {
  return createReachability(topologyOf(resources)).explain(keyOf(s1), keyOf(s2), via);
}

/** spoke1 routes spoke2's space to the gateway and spoke2 spoke1's; `one`/`two` override either spoke. */
function estate(opts: { gateways?: RawResource[]; one?: object; two?: object } = {}): RawResource[] {
  return vpnHubAndSpokes(
    [
      { name: 'spoke1', prefixes: ['10.1.0.0/16'], routes: [viaGateway('10.2.0.0/16', 'to-spoke2')], ...opts.one },
      { name: 'spoke2', prefixes: ['10.2.0.0/16'], routes: [viaGateway('10.1.0.0/16', 'to-spoke1')], ...opts.two },
    ],
    opts.gateways,
  );
}

describe('reachability: spokes through the hub VPN gateway', () => {
  it('routes to VirtualNetworkGateway both ways: reachable, the path names the gateway', () => {
    expect(describeVerdict(explain(estate()))).toBe('reachable: "spoke1" → VPN gateway "vgw-hub" (SKU VpnGw1) in "vnet-hub" → "spoke2"');
  });

  it('needs no allowForwardedTraffic on the spokes (a VPN gateway forwards, not an appliance)', () => {
    const off = { toHub: { useRemoteGateways: true, allowForwardedTraffic: false } };
    expect(explain(estate({ one: off, two: off })).reachable).toBe(true);
  });

  it('a default route to the gateway covers the other spoke', () => {
    expect(explain(estate({ one: { routes: [viaGateway('0.0.0.0/0')] } })).reachable).toBe(true);
  });

  it('one direction only: no return path, naming the missing route', () => {
    const v = explain(estate({ two: { routes: [] } }));
    expect(v.reachable).toBe(false);
    expect(v.missing?.kind).toBe('return-path-missing');
    expect(v.missing?.message).toContain('no return path from "spoke2" to "spoke1"');
  });

  it('an ExpressRoute gateway cannot be a UDR next hop: the route is named with the hub gateways', () => {
    const v = explain(estate({ gateways: [er] }));
    expect(v.missing?.kind).toBe('route-to-unreachable-next-hop');
    expect(v.missing?.resourceId).toBe(`${routeTableId('spoke1')}/routes/to-spoke2`);
    expect(describeVerdict(v)).toBe(
      'not reachable (route-to-unreachable-next-hop): route "to-spoke2" (10.2.0.0/16 to VirtualNetworkGateway) in route table "rt-spoke1" of "spoke1" sends traffic for "spoke2" to a virtual network gateway, ' +
        'but a route with next hop VirtualNetworkGateway works only with a VPN gateway that has no ExpressRoute gateway beside it, and "vnet-hub" has ExpressRoute gateway "ergw-hub" (SKU ErGw1AZ).',
    );
  });

  it('nor a VPN gateway with an ExpressRoute gateway beside it (coexisting), nor a Route Server', () => {
    expect(explain(estate({ gateways: [gateway('vgw-hub', HUB), er] })).missing?.kind).toBe('route-to-unreachable-next-hop');
    expect(explain(estate({ gateways: [routeServer('rs-hub', HUB)] })).missing?.kind).toBe('route-to-unreachable-next-hop');
  });

  it('the gateway must be one the spoke uses: transit not allowed, remote gateways not used, a Basic SKU', () => {
    const notAllowed = explain(estate({ one: { fromHub: { allowGatewayTransit: false } } }));
    expect(notAllowed.missing?.message).toContain('but peering "vnet-hub-to-spoke1" from "vnet-hub" to "spoke1" does not allow gateway transit.');
    const notUsed = explain(estate({ one: { toHub: { useRemoteGateways: false } } }));
    expect(notUsed.missing?.message).toContain('but "spoke1" has no gateway and uses no hub\'s gateway');
    const basic = explain(estate({ gateways: [gateway('vgw-hub', HUB, { sku: 'Basic' })] }));
    expect(basic.missing?.message).toContain('VPN gateway "vgw-hub" (SKU Basic) in "vnet-hub" is a Basic SKU');
  });

  it("the hub's link to the destination must be usable", () => {
    const v = explain(estate({ two: { toHub: { useRemoteGateways: true, state: 'Disconnected' } } }));
    expect(v.missing?.kind).toBe('peering-not-connected');
    expect(v.missing?.message).toContain('(the VPN gateway in "vnet-hub" cannot forward to "spoke2")');
  });

  it('a path through the gateway does not pass a firewall', () => {
    const v = explain(estate(), 'firewall');
    expect(v.missing?.kind).toBe('not-through-appliance');
  });

  it('out through the gateway, back through an appliance: the return differs', () => {
    const firewallHub = estate({ two: { routes: [viaFirewall('10.1.0.0/16', 'to-spoke1')] } });
    // vpnHubAndSpokes reads no firewall: the appliance IP is trusted as the hub's (see the engine's limits).
    const v = explain(firewallHub);
    expect(v.missing?.kind).toBe('return-path-missing');
    expect(v.missing?.message).toContain('the return path differs from the way out');
    expect(v.missing?.resourceId).toBe(s2);
  });
});
