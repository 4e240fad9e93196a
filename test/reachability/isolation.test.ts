import { describe, expect, it } from 'vitest';
import { keyOf } from '../../src/model/ids';
import { createReachability, describeVerdict } from '../../src/reachability/engine';
import { SUB_A, SUB_B, firewall, nva, routeTable, topologyOf, vnet, vnetId, type RouteSpec } from '../support/estate';

// What an `isolated` statement asks (engine.isolation), beside what `reach` asks (engine.explain):
// - any way out and any way back connect two VNets, not only the same way (QA intent defect 2);
// - a piece the engine cannot judge (an appliance in the source VNet: `unsupported`) leaves the
//   isolation undetermined, never confirmed (QA intent defect 1).
// `explain` (and so `reach`) is unchanged: asymmetric ways are still no path.

const a = vnetId('vnet-a', SUB_B);
const c = vnetId('vnet-c', SUB_B);
const hub = vnetId('vnet-hub', SUB_A);
const rtId = (name: string) => `/subscriptions/${SUB_B}/resourceGroups/rg-rt/providers/Microsoft.Network/routeTables/${name}`;
const table = (name: string, routes: RouteSpec[], owner: string) => routeTable(name, SUB_B, 'rg-rt', routes, [`${owner}/subnets/app`]);

const asymmetricNva = [
  vnet({ id: hub, prefixes: ['10.0.0.0/16'], subnets: [{ name: 'nvasubnet', prefix: '10.0.3.0/24' }], peerings: [{ remote: a, allowForwardedTraffic: true }, { remote: c, allowForwardedTraffic: true }] }),
  nva('nic-router', hub, 'nvasubnet', '10.0.3.4'),
  vnet({ id: a, prefixes: ['10.1.0.0/16'], subnets: [{ name: 'app', prefix: '10.1.0.0/24', routeTable: rtId('rt-a') }], peerings: [{ remote: hub, allowForwardedTraffic: true }, { remote: c, allowForwardedTraffic: true }] }),
  vnet({ id: c, prefixes: ['10.2.0.0/16'], subnets: [{ name: 'app', prefix: '10.2.0.0/24' }], peerings: [{ remote: hub, allowForwardedTraffic: true }, { remote: a, allowForwardedTraffic: true }] }),
  table('rt-a', [{ name: 'to-c', prefix: '10.2.0.0/16', nextHopType: 'VirtualAppliance', nextHopIp: '10.0.3.4' }], a),
];

const ownFirewall = (routeBack: boolean) => [
  vnet({ id: a, prefixes: ['10.1.0.0/16'], subnets: [{ name: 'AzureFirewallSubnet', prefix: '10.1.1.0/26' }, { name: 'app', prefix: '10.1.0.0/24', routeTable: rtId('rt-a') }], peerings: [{ remote: c, allowForwardedTraffic: true }] }),
  vnet({ id: c, prefixes: ['10.2.0.0/16'], subnets: [{ name: 'app', prefix: '10.2.0.0/24', routeTable: rtId('rt-c') }], peerings: [{ remote: a, allowForwardedTraffic: true }] }),
  firewall('afw-a', a, '10.1.1.4'),
  table('rt-a', [{ name: 'to-c', prefix: '10.2.0.0/16', nextHopType: 'VirtualAppliance', nextHopIp: '10.1.1.4' }], a),
  table('rt-c', [routeBack ? { name: 'to-a', prefix: '10.1.0.0/16', nextHopType: 'VirtualAppliance', nextHopIp: '10.1.1.4' } : { name: 'drop-a', prefix: '10.1.0.0/16', nextHopType: 'None' }], c),
];

describe('reachability: isolation', () => {
  it.each([
    [a, c, '"vnet-a" → appliance "nic-router" in "vnet-hub" → "vnet-c" for all of "vnet-c", and back "vnet-c" → "vnet-a" (peering "vnet-c-to-vnet-a") for all of "vnet-a"'],
    [c, a, '"vnet-c" → "vnet-a" (peering "vnet-c-to-vnet-a") for all of "vnet-a", and back "vnet-a" → appliance "nic-router" in "vnet-hub" → "vnet-c" for all of "vnet-c"'],
  ])('out through a router NVA, back over the peering: connected for isolation, asked either way; explain (reach) unchanged', (x, y, connection) => {
    const engine = createReachability(topologyOf(asymmetricNva));
    const reach = engine.explain(keyOf(x), keyOf(y));
    expect(reach).toMatchObject({ reachable: false, missing: { kind: 'return-path-missing' } });
    expect(reach.partly).toBeUndefined();
    const isolation = engine.isolation(keyOf(x), keyOf(y));
    expect(isolation.reachable).toBe(false);
    expect(describeVerdict(isolation)).toContain(`connected, not the same way both ways: ${connection}; not reachable as a whole (return-path-missing)`);
  });

  it("an appliance in the source VNet (unsupported) with a way back: isolation undetermined, not confirmed; explain unchanged", () => {
    const engine = createReachability(topologyOf(ownFirewall(true)));
    expect(engine.explain(keyOf(a), keyOf(c))).toMatchObject({ reachable: false, missing: { kind: 'unsupported' } });
    expect(engine.explain(keyOf(a), keyOf(c)).undetermined).toBeUndefined();
    for (const [x, y] of [[a, c], [c, a]] as const) {
      const isolation = engine.isolation(keyOf(x), keyOf(y));
      expect(isolation.partly).toBeUndefined();
      expect(isolation.undetermined).toMatchObject({ kind: 'unsupported', message: expect.stringContaining('an appliance inside "vnet-a" itself') });
    }
  });

  it('an appliance in the source VNet, and the way back blackholed: isolated, nothing undetermined', () => {
    const engine = createReachability(topologyOf(ownFirewall(false)));
    const isolation = engine.isolation(keyOf(a), keyOf(c));
    expect([isolation.reachable, isolation.partly, isolation.undetermined]).toEqual([false, undefined, undefined]);
  });
});
