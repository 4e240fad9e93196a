import type { RawResource } from '../../src/model/snapshot';
import { firewall, gateway, nva, peeredPair, routeTable, routeServer, SUB_A, SUB_B, SUB_C, vnet, vnetId } from '../support/estate';

// A realistic estate across three subscriptions: a hub with a VPN gateway and a firewall, spokes
// routed through the firewall, a second hub with an NVA and a Route Server, and the usual
// mistakes (one-sided, disconnected, out-of-sync, transit without a gateway, a missing remote).

const providers = (vnet: string) => vnet.replace(/virtualNetworks\/.*/, '');

export const HUB = vnetId('hub-weu', SUB_A, 'rg-net');
export const HUB2 = vnetId('hub-neu', SUB_C, 'rg-net2');
export const SPOKES = [1, 2, 3].map((i) => vnetId(`spoke-${i}`, SUB_B, 'rg-spokes'));

export function realisticEstate(): RawResource[] {
  const [s1, s2, s3] = SPOKES as [string, string, string];
  const rt = routeTable('rt-spokes', SUB_B, 'rg-spokes', [{ name: 'default', prefix: '0.0.0.0/0', nextHopIp: '10.0.1.4' }, { name: 'neu', prefix: '10.50.0.0/16', nextHopIp: '10.50.1.10' }]);
  return [
    vnet({
      id: HUB,
      prefixes: ['10.0.0.0/16'],
      subnets: [
        { name: 'GatewaySubnet', prefix: '10.0.0.0/24', ipConfigurations: [`${providers(HUB)}virtualNetworkGateways/vpngw-weu/ipConfigurations/default`] },
        { name: 'AzureFirewallSubnet', prefix: '10.0.1.0/24', ipConfigurations: [`${providers(HUB)}azureFirewalls/fw-weu/azureFirewallIpConfigurations/ipconfig`] },
      ],
      peerings: [
        { remote: s1, allowGatewayTransit: true, allowForwardedTraffic: true },
        { remote: s2, allowGatewayTransit: true, allowForwardedTraffic: true },
        { remote: s3, allowGatewayTransit: true, state: 'Disconnected' },
        { remote: HUB2, allowForwardedTraffic: true },
      ],
    }),
    vnet({ id: s1, prefixes: ['10.1.0.0/16'], subnets: [{ name: 'app', prefix: '10.1.0.0/24', routeTable: rt.id }], peerings: [{ remote: HUB, useRemoteGateways: true }] }),
    vnet({ id: s2, prefixes: ['10.2.0.0/16'], subnets: [{ name: 'app', prefix: '10.2.0.0/24', routeTable: rt.id }], peerings: [{ remote: HUB, useRemoteGateways: true, syncLevel: 'LocalNotInSync' }] }),
    vnet({ id: s3, prefixes: ['10.3.0.0/16'], subnets: [{ name: 'app', prefix: '10.3.0.0/24' }], peerings: [] }),
    vnet({
      id: HUB2,
      prefixes: ['10.50.0.0/16'],
      subnets: [
        { name: 'RouteServerSubnet', prefix: '10.50.0.0/24', ipConfigurations: [`${providers(HUB2)}virtualHubs/rs-neu/ipConfigurations/ipconfig1`] },
        {
          name: 'nva',
          prefix: '10.50.1.0/24',
          ipConfigurations: [`${providers(HUB2)}networkInterfaces/nva-1/ipConfigurations/ipconfig1`, `${providers(HUB2)}networkInterfaces/vm-nic-plain/ipConfigurations/ipconfig1`],
        },
      ],
      peerings: [{ remote: HUB }, { remote: vnetId('gone', SUB_C, 'rg-net2'), state: 'Disconnected' }],
    }),
    ...peeredPair({ id: vnetId('dev-a', SUB_C, 'rg-dev'), prefixes: ['10.60.0.0/16'] }, { id: vnetId('dev-b', SUB_C, 'rg-dev'), prefixes: ['10.61.0.0/16'] }, { allowGatewayTransit: true }),
    gateway('vpngw-weu', HUB),
    firewall('fw-weu', HUB, '10.0.1.4'),
    routeServer('rs-neu', HUB2),
    nva('nva-1', HUB2, 'nva', '10.50.1.10'),
    nva('vm-nic-plain', HUB2, 'nva', '10.50.1.20', false),
    // Spokes that send everything to the hub firewall, gateway routes off (the common firewall design).
    { ...rt, properties: { ...rt.properties, disableBgpRoutePropagation: true, subnets: [{ id: `${s1}/subnets/app` }, { id: `${s2}/subnets/app` }] } },
  ];
}

/** Many VNets peered in pairs, for paging and for "does not grow with the estate". */
export function bulkVnets(count: number, sub = SUB_C): RawResource[] {
  const out: RawResource[] = [];
  for (let i = 0; i < count; i += 2) {
    const a = vnetId(`bulk-${String(i).padStart(5, '0')}`, sub, 'rg-bulk');
    const b = vnetId(`bulk-${String(i + 1).padStart(5, '0')}`, sub, 'rg-bulk');
    const prefixA = `10.${100 + Math.floor(i / 256)}.${i % 256}.0/24`;
    const prefixB = `10.${100 + Math.floor((i + 1) / 256)}.${(i + 1) % 256}.0/24`;
    out.push(...peeredPair({ id: a, prefixes: [prefixA] }, { id: b, prefixes: [prefixB] }));
  }
  return out.slice(0, count);
}

/**
 * A hub with a VPN gateway and a firewall, and `count` spokes that use the gateway and send
 * everything to the firewall through a route table each: a hub's degree, without the rest of an
 * estate. The hub offers gateway transit and every link allows forwarded traffic: no findings.
 */
export function hubWithSpokes(count: number, sub = SUB_A): { hub: string; spokes: string[]; resources: RawResource[] } {
  const hub = vnetId('hub-big', sub, 'rg-hub-big');
  const spokes = Array.from({ length: count }, (_, i) => vnetId(`spoke-big-${String(i).padStart(4, '0')}`, sub, 'rg-spokes-big'));
  const resources: RawResource[] = [
    vnet({
      id: hub,
      prefixes: ['10.200.0.0/16'],
      subnets: [
        { name: 'GatewaySubnet', prefix: '10.200.0.0/24', ipConfigurations: [`${providers(hub)}virtualNetworkGateways/vpngw-big/ipConfigurations/default`] },
        { name: 'AzureFirewallSubnet', prefix: '10.200.1.0/24', ipConfigurations: [`${providers(hub)}azureFirewalls/fw-big/azureFirewallIpConfigurations/ipconfig`] },
      ],
      peerings: spokes.map((remote) => ({ remote, allowGatewayTransit: true, allowForwardedTraffic: true })),
    }),
    gateway('vpngw-big', hub),
    firewall('fw-big', hub, '10.200.1.4'),
  ];
  spokes.forEach((id, i) => {
    const table = routeTable(`rt-spoke-big-${String(i).padStart(4, '0')}`, sub, 'rg-spokes-big', [{ name: 'default', prefix: '0.0.0.0/0', nextHopIp: '10.200.1.4' }], [`${id}/subnets/app`]);
    const prefix = `100.${64 + Math.floor(i / 256)}.${i % 256}.0/24`;
    resources.push(vnet({ id, prefixes: [prefix], subnets: [{ name: 'app', prefix, routeTable: table.id }], peerings: [{ remote: hub, useRemoteGateways: true, allowForwardedTraffic: true }] }), table);
  });
  return { hub, spokes, resources };
}
