import { describe, expect, it } from 'vitest';
import { keyOf } from '../../src/model/ids';
import type { RawResource } from '../../src/model/snapshot';
import { createReachability, describeVerdict } from '../../src/reachability/engine';
import { transitNotTransitive } from '../../src/rules/transit-not-transitive';
import { SUB_A, firewall, nva, routeServer, topologyOf, vnet, vnetId } from '../support/estate';
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

  it('a dual-stack spoke: its IPv6 space takes no BGP route (a Route Server carries no IPv6), so reach definitely fails; isolation is still not confirmed', () => {
    const engine = engineOf(routeServerHub([one, { ...two, prefixes: ['10.2.0.0/16', 'fd02::/48'] }]));
    expect(engine.explain(keyOf(s1), keyOf(s2)).missing).toMatchObject({ kind: 'no-peering', message: expect.stringContaining('sends its traffic to an appliance.') });
    expect(engine.isolation(keyOf(s1), keyOf(s2)).undetermined?.message).toContain('may send 10.2.0.0/16 of "spoke2"');
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
