import { describe, expect, it } from 'vitest';
import { keyOf } from '../../src/model/ids';
import type { RawResource } from '../../src/model/snapshot';
import { createReachability, describeVerdict } from '../../src/reachability/engine';
import { transitNotTransitive } from '../../src/rules/transit-not-transitive';
import { SUB_A, firewall, gateway, nva, routeServer, topologyOf, vnet, vnetId } from '../support/estate';
import { HUB, hubAndSpokes, noPropagation, ROUTE_SERVER_NVA_IP, routeServerHub, routeTableId, spokeId, vpnHubAndSpokes } from '../support/transit';

// Spokes that use a hub's Azure Route Server through gateway transit ('use remote gateway' on
// their side, 'allow gateway transit' on the hub's) and whose subnets propagate gateway routes learn
// the routes an NVA advertises to it over BGP (route-injection-in-spokes). Those routes are not in
// the configuration: where they may join two spokes, the engine cannot judge the path
// (`unsupported`), so a `reach` is not shown and an `isolated` statement is not confirmed, the same
// conditions as transit-not-transitive's (same Route Server with an appliance near it, or a VNet
// with an appliance peered with both).

const s1 = spokeId('spoke1');
const s2 = spokeId('spoke2');
const NVA_IP = ROUTE_SERVER_NVA_IP;
const ROUTE_SERVER_ID = `/subscriptions/${SUB_A}/resourceGroups/rg-vnet-hub/providers/Microsoft.Network/virtualHubs/rs-hub`;


const one = { name: 'spoke1', prefixes: ['10.1.0.0/16'] };
const two = { name: 'spoke2', prefixes: ['10.2.0.0/16'] };
const learning = routeServerHub([one, two]);

const engineOf = (resources: RawResource[]) => createReachability(topologyOf(resources));
const both = [
  [s1, s2],
  [s2, s1],
] as const;

describe('reachability: routes a Route Server may program over BGP', () => {
  it('two learning spokes of a Route Server + NVA hub: isolation not confirmed either way, naming the Route Server', () => {
    const engine = engineOf(learning);
    for (const [x, y] of both) {
      const isolation = engine.isolation(keyOf(x), keyOf(y));
      expect([isolation.reachable, isolation.partly]).toEqual([false, undefined]);
      expect(isolation.undetermined).toMatchObject({ kind: 'unsupported', resourceId: ROUTE_SERVER_ID });
      expect(isolation.undetermined?.message).toContain('both use the Route Server in "vnet-hub" through gateway transit');
      expect(isolation.undetermined?.message).toContain('the routes an NVA advertises to a Route Server over BGP are not in the configuration');
    }
    expect(engine.isolation(keyOf(s1), keyOf(s2)).undetermined?.message).toBe(
      '"spoke1" and "spoke2" are not peered and no route table sends its traffic to an appliance; but both use the Route Server in "vnet-hub" through gateway transit and subnets of both propagate gateway routes, and the routes an NVA advertises to a Route Server over BGP are not in the configuration: such a route may send 10.2.0.0/16 of "spoke2" from "spoke1" to an appliance in "vnet-hub".',
    );
  });

  it('two learning spokes: reach is not a definite no-peering but unsupported (not shown), either way', () => {
    const engine = engineOf(learning);
    for (const [x, y] of both) {
      const verdict = engine.explain(keyOf(x), keyOf(y));
      expect(verdict).toMatchObject({ reachable: false, missing: { kind: 'unsupported' } });
      expect(describeVerdict(verdict)).toMatch(/^not reachable \(unsupported\): .*are not peered and no route table sends its traffic to an appliance; but both use the Route Server in "vnet-hub"/);
    }
  });

  it("a learning spoke's route table that propagates gateway routes learns them too", () => {
    const engine = engineOf(routeServerHub([{ ...one, routes: [] }, two]));
    expect(engine.isolation(keyOf(s1), keyOf(s2)).undetermined?.message).toContain('route table "rt-spoke1" sends 10.2.0.0/16 nowhere; but both use the Route Server in "vnet-hub"');
  });

  it('one spoke disables BGP route propagation on its only workload subnet and has no route: isolated, and reach definitely fails', () => {
    const engine = engineOf(noPropagation(routeServerHub([one, { ...two, routes: [] }]), 'spoke2'));
    for (const [x, y] of both) {
      const isolation = engine.isolation(keyOf(x), keyOf(y));
      expect([isolation.reachable, isolation.partly, isolation.undetermined]).toEqual([false, undefined, undefined]);
      expect(engine.explain(keyOf(x), keyOf(y)).missing?.kind).toBe('no-peering');
    }
    expect(engine.explain(keyOf(s2), keyOf(s1)).missing?.message).toBe('"spoke2" and "spoke1" are not peered and route table "rt-spoke2" sends 10.1.0.0/16 nowhere.');
  });

  it('a hub with a VPN gateway only: isolated, and reach definitely fails (no-peering), as before', () => {
    const engine = engineOf(vpnHubAndSpokes([one, two]));
    for (const [x, y] of both) {
      expect(engine.isolation(keyOf(x), keyOf(y)).undetermined).toBeUndefined();
      expect(engine.explain(keyOf(x), keyOf(y)).missing).toMatchObject({ kind: 'no-peering', message: expect.stringContaining('are not peered and no route table sends its traffic to an appliance.') });
    }
  });

  it('a Route Server with no appliance in or peered with its VNet: it forwards nothing, isolation holds', () => {
    const engine = engineOf(routeServerHub([one, two], { appliance: false }));
    expect(engine.isolation(keyOf(s1), keyOf(s2)).undetermined).toBeUndefined();
    expect(engine.explain(keyOf(s1), keyOf(s2)).missing?.kind).toBe('no-peering');
  });

  it('spokes that do not use the remote gateway learn nothing from the Route Server', () => {
    const engine = engineOf(routeServerHub([{ ...one, toHub: { useRemoteGateways: false } }, { ...two, toHub: { useRemoteGateways: false } }]));
    expect(engine.isolation(keyOf(s1), keyOf(s2)).undetermined).toBeUndefined();
  });

  it('split Route Servers: the NVA in the hub peers with a Route Server in an auxiliary VNet that both spokes use', () => {
    const aux = vnetId('vnet-rs', SUB_A);
    const engine = engineOf([
      ...hubAndSpokes(
        [
          { ...one, peerings: [{ remote: aux, useRemoteGateways: true }] },
          { ...two, peerings: [{ remote: aux, useRemoteGateways: true }] },
        ],
        { firewall: false, prefixes: ['10.0.0.0/16'], subnets: [{ name: 'snet-nva', prefix: '10.0.2.0/24' }], peerings: [{ remote: aux }] },
      ),
      nva('nva-hub', HUB, 'snet-nva', NVA_IP),
      vnet({ id: aux, prefixes: ['10.9.0.0/16'], subnets: [{ name: 'RouteServerSubnet', prefix: '10.9.0.0/27' }], peerings: [{ remote: s1, allowGatewayTransit: true }, { remote: s2, allowGatewayTransit: true }, { remote: HUB }] }),
      routeServer('rs-aux', aux),
    ]);
    const undetermined = engine.isolation(keyOf(s2), keyOf(s1)).undetermined;
    expect(undetermined?.message).toContain('both use the Route Server in "vnet-rs"');
    // The NVA sits in the hub, peered with the Route Server's VNet.
    expect(undetermined?.message).toContain('from "spoke2" to an appliance in a VNet peered with "vnet-rs".');
  });

  it('different Route Servers, and a VNet with an appliance peered with both spokes: not confirmed; without the appliance, isolated', () => {
    const g1 = vnetId('vnet-g1', SUB_A);
    const g2 = vnetId('vnet-g2', SUB_A);
    // Each Route Server's VNet is peered with the hub too, so that the hub's NVA can peer with it over BGP.
    const routeServerVnet = (id: string, prefix: string, spoke: string) =>
      vnet({ id, prefixes: [prefix], subnets: [{ name: 'RouteServerSubnet', prefix: prefix.replace('/16', '/27') }], peerings: [{ remote: spoke, allowGatewayTransit: true }, { remote: HUB }] });
    const estate = (appliance: boolean) => [
      ...hubAndSpokes(
        [
          { ...one, peerings: [{ remote: g1, useRemoteGateways: true }] },
          { ...two, peerings: [{ remote: g2, useRemoteGateways: true }] },
        ],
        { firewall: false, prefixes: ['10.0.0.0/16'], subnets: [{ name: 'snet-nva', prefix: '10.0.2.0/24' }], peerings: [{ remote: g1 }, { remote: g2 }] },
      ),
      ...(appliance ? [nva('nva-hub', HUB, 'snet-nva', NVA_IP)] : []),
      routeServerVnet(g1, '10.8.0.0/16', s1),
      routeServer('rs-g1', g1),
      routeServerVnet(g2, '10.9.0.0/16', s2),
      routeServer('rs-g2', g2),
    ];
    const undetermined = engineOf(estate(true)).isolation(keyOf(s1), keyOf(s2)).undetermined;
    expect(undetermined?.message).toContain('but "spoke1" uses the Route Server in "vnet-g1" and "spoke2" the one in "vnet-g2" through gateway transit');
    expect(undetermined?.message).toContain('from "spoke1" to an appliance in "vnet-hub".');
    expect(engineOf(estate(false)).isolation(keyOf(s1), keyOf(s2)).undetermined).toBeUndefined();
  });

  it('out through the hub NVA by a user route, back by a route the Route Server may program: the way back cannot be judged', () => {
    const toNva = { name: 'to-spoke2', prefix: '10.2.0.0/16', nextHopType: 'VirtualAppliance', nextHopIp: NVA_IP };
    const engine = engineOf(routeServerHub([{ ...one, routes: [toNva] }, two]));
    const verdict = engine.explain(keyOf(s1), keyOf(s2));
    expect(verdict.missing?.kind).toBe('unsupported');
    expect(verdict.missing?.message).toMatch(/^the way back from "spoke2" to "spoke1" cannot be judged: "spoke2" and "spoke1" are not peered .* the Route Server in "vnet-hub"/);
    for (const [x, y] of both) expect(engine.isolation(keyOf(x), keyOf(y)).undetermined?.kind).toBe('unsupported');
  });

  it('dual-stack spokes: their IPv6 space takes no BGP route (a Route Server carries no IPv6), so reach definitely fails; isolation is still not confirmed', () => {
    const engine = engineOf(routeServerHub([{ ...one, prefixes: ['10.1.0.0/16', 'fd01::/48'] }, { ...two, prefixes: ['10.2.0.0/16', 'fd02::/48'] }]));
    expect(engine.explain(keyOf(s1), keyOf(s2)).missing).toMatchObject({ kind: 'no-peering', message: expect.stringContaining('sends its traffic to an appliance.') });
    expect(engine.isolation(keyOf(s1), keyOf(s2)).undetermined?.message).toContain('may send 10.2.0.0/16 of "spoke2"');
  });

  it("an IPv4-only spoke and a dual-stack one: only the IPv4 space is needed, which BGP routes may carry (unsupported, not no-peering)", () => {
    const engine = engineOf(routeServerHub([one, { ...two, prefixes: ['10.2.0.0/16', 'fd02::/48'] }]));
    for (const [x, y] of both) expect(engine.explain(keyOf(x), keyOf(y)).missing?.kind).toBe('unsupported');
  });

  it('one subnet that learns is enough, whatever the order of the subnets: the undetermined piece is named, not the other subnet\'s', () => {
    for (const order of [0, 1]) {
      const subnets = [
        { name: 'snet-app', prefix: '10.1.0.0/24', routeTable: routeTableId('spoke1') },
        { name: 'snet-web', prefix: '10.1.1.0/24' },
      ];
      const engine = engineOf(noPropagation(routeServerHub([{ ...one, routes: [], subnets: order === 0 ? subnets : [...subnets].reverse() }, two]), 'spoke1'));
      expect(engine.explain(keyOf(s1), keyOf(s2)).missing?.kind).toBe('unsupported');
      expect(engine.isolation(keyOf(s1), keyOf(s2)).undetermined?.kind).toBe('unsupported');
    }
  });
});

describe('a Route Server with no NVA to learn from programs nothing', () => {
  // G (the hub) has a Route Server and no appliance in it or in a VNet peered with it; a firewall
  // VNet peered with both spokes, not with G, is no NVA the Route Server can peer with.
  const FW = vnetId('vnet-fw', SUB_A);
  const viaFw = { remote: FW, allowForwardedTraffic: true };
  const resources = [
    ...routeServerHub([{ ...one, peerings: [viaFw] }, { ...two, peerings: [viaFw] }], { appliance: false }),
    vnet({ id: FW, prefixes: ['10.9.0.0/16'], subnets: [{ name: 'AzureFirewallSubnet', prefix: '10.9.1.0/26' }], peerings: [{ remote: s1, allowForwardedTraffic: true }, { remote: s2, allowForwardedTraffic: true }] }),
    firewall('afw-fw', FW, '10.9.1.4'),
  ];

  it('the spokes are isolated, not undetermined', () => {
    const verdict = engineOf(resources).isolation(keyOf(s1), keyOf(s2));
    expect(verdict.undetermined).toBeUndefined();
    expect(verdict.reachable).toBe(false);
  });

  it('transit-not-transitive judges the pair through the firewall VNet too', () => {
    const messages = transitNotTransitive.evaluate(topologyOf(resources), { peeringLimit: 500 }).map((f) => f.message);
    expect(messages.filter((m) => m.includes('through hub VNet "vnet-fw"'))).toHaveLength(2);
  });
});

describe('on-premises through a hub with a Route Server', () => {
  // "Azure Route Server only exchanges BGP routes with your network virtual appliance (NVA)" and
  // "doesn't forward data traffic" (route-server-faq): the way on-premises is a VPN or ExpressRoute
  // gateway, not Basic for gateway transit (vpn-gateway-peering-gateway-transit). An NVA it may
  // learn on-premises routes from leaves the path to be judged (unsupported).
  const hubs = new Set([keyOf(HUB)]);
  const VGW_BASIC_ID = `/subscriptions/${SUB_A}/resourceGroups/rg-vnet-hub/providers/Microsoft.Network/virtualNetworkGateways/vgw-basic`;
  const basic = gateway('vgw-basic', HUB, { sku: 'Basic' });

  it.each([
    ['a Route Server alone, no NVA: no gateway', routeServerHub([one], { appliance: false }), { kind: 'hub-has-no-gateway', resourceId: ROUTE_SERVER_ID }],
    ['a Route Server alone, an NVA in the hub: the path cannot be judged', routeServerHub([one]), { kind: 'unsupported', resourceId: ROUTE_SERVER_ID }],
    ['a Basic VPN gateway beside a Route Server: Basic, no gateway transit', [...routeServerHub([one], { appliance: false }), basic], { kind: 'basic-gateway', resourceId: VGW_BASIC_ID }],
    ['a Route Server alone, an NVA, propagation disabled: the table is named', noPropagation(routeServerHub([{ ...one, routes: [] }]), 'spoke1'), { kind: 'gateway-routes-not-propagated', resourceId: routeTableId('spoke1') }],
  ])('%s', (_name, resources, missing) => {
    const verdict = engineOf(resources).onPremises(keyOf(s1), hubs, 'hubs');
    expect(verdict.reachable).toBe(false);
    expect(verdict.missing).toMatchObject(missing);
  });

  it('the messages say the Route Server forwards no traffic', () => {
    expect(engineOf(routeServerHub([one], { appliance: false })).onPremises(keyOf(s1), hubs, 'hubs').missing?.message).toBe(
      '"vnet-hub" has no VPN or ExpressRoute gateway, only Route Server "rs-hub", which exchanges BGP routes with NVAs and forwards no traffic itself, and no appliance in or peered with "vnet-hub" can advertise routes to it.',
    );
    expect(describeVerdict(engineOf(routeServerHub([one])).onPremises(keyOf(s1), hubs, 'hubs'))).toBe(
      'not reachable (unsupported): "vnet-hub" has no VPN or ExpressRoute gateway, only Route Server "rs-hub", which exchanges BGP routes with NVAs and forwards no traffic itself; ' +
        'an NVA in or peered with "vnet-hub" may carry the traffic of "spoke1" on-premises and advertise those routes to it over BGP, and such routes are not in the configuration.',
    );
  });

  it('a VPN gateway beside the Route Server is the way, whichever was read first', () => {
    for (const resources of [[...routeServerHub([one]), gateway('vgw-hub', HUB)], [gateway('vgw-hub', HUB), ...routeServerHub([one])]]) {
      expect(describeVerdict(engineOf(resources).onPremises(keyOf(s1), hubs, 'hubs'))).toBe('reachable: "spoke1" → VPN gateway "vgw-hub" (SKU VpnGw1) in "vnet-hub" → on-premises');
    }
    // A Basic one beside a non-Basic ExpressRoute gateway: the ExpressRoute gateway is shared.
    const er = gateway('ergw-hub', HUB, { type: 'ExpressRoute', sku: 'ErGw1AZ' });
    expect(describeVerdict(engineOf([...routeServerHub([one]), basic, er]).onPremises(keyOf(s1), hubs, 'hubs'))).toBe(
      'reachable: "spoke1" → ExpressRoute gateway "ergw-hub" (SKU ErGw1AZ) in "vnet-hub" → on-premises',
    );
  });

  it('the hub itself: its own Basic gateway serves it; a Route Server alone does not', () => {
    expect(engineOf([...routeServerHub([one], { appliance: false }), basic]).onPremises(keyOf(HUB), hubs, 'hubs').reachable).toBe(true);
    expect(engineOf(routeServerHub([one], { appliance: false })).onPremises(keyOf(HUB), hubs, 'hubs').missing?.kind).toBe('hub-has-no-gateway');
    expect(engineOf(routeServerHub([one])).onPremises(keyOf(HUB), hubs, 'hubs').missing?.kind).toBe('unsupported');
  });
});
