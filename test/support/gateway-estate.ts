import type { RawResource } from '../../src/model/snapshot';
import { gateway, routeServer, vnet, vnetId, type PeeringSpec, type SubnetSpec } from './estate';

// Hub-and-spoke estates for the gateway-transit rules: Azure's own JSON, via estate.ts.

const lastSegment = (id: string) => id.slice(id.lastIndexOf('/') + 1);

/** The id estate.ts gives the peering from `local` to `remote` (`{local}-to-{remote}`). */
export function peeringIdOf(local: string, remote: string): string {
  return `${local}/virtualNetworkPeerings/${lastSegment(local)}-to-${lastSegment(remote)}`;
}

/** A GatewaySubnet whose ipConfigurations reveal gateway `name`, without the gateway resource itself. */
export function gatewaySubnetReferencing(vnet: string, name: string, prefix = '10.0.255.0/27'): SubnetSpec {
  const [, , sub, , rg] = vnet.split('/');
  return {
    name: 'GatewaySubnet',
    prefix,
    ipConfigurations: [
      `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Network/virtualNetworkGateways/${name}/ipConfigurations/default`,
    ],
  };
}

export type HubGateway = 'vpn' | 'expressroute' | 'routeserver' | 'subnet-reference' | 'none' | { basic: 'Vpn' | 'ExpressRoute' };

/** The resources that give `hub` a gateway of the given kind, and the subnets its VNet then lists. */
export function hubGateway(hub: string, kind: HubGateway): { resources: RawResource[]; subnets: SubnetSpec[] } {
  if (kind === 'none') return { resources: [], subnets: [] };
  if (kind === 'vpn') return { resources: [gateway('gw-hub', hub)], subnets: [] };
  if (kind === 'expressroute') return { resources: [gateway('ergw-hub', hub, { type: 'ExpressRoute', sku: 'ErGw1AZ' })], subnets: [] };
  if (kind === 'routeserver') return { resources: [routeServer('rs-hub', hub)], subnets: [] };
  if (kind === 'subnet-reference') return { resources: [], subnets: [gatewaySubnetReferencing(hub, 'gw-hub')] };
  return { resources: [gateway('gw-basic', hub, { type: kind.basic, sku: 'Basic' })], subnets: [] };
}

export interface HubAndSpokesSpec {
  hub?: string;
  spokes: string[] | number;
  gateway?: HubGateway;
  hubToSpoke?: Partial<PeeringSpec>;
  spokeToHub?: Partial<PeeringSpec>;
}

/** A hub peered both ways with each spoke; by default the hub offers transit and spokes use it. */
export function hubAndSpokes(spec: HubAndSpokesSpec): { hub: string; spokes: string[]; resources: RawResource[] } {
  const hub = spec.hub ?? vnetId('vnet-hub');
  const spokes =
    typeof spec.spokes === 'number' ? Array.from({ length: spec.spokes }, (_, i) => vnetId(`vnet-spoke${i + 1}`)) : spec.spokes;
  const gw = hubGateway(hub, spec.gateway ?? 'vpn');
  const resources: RawResource[] = [
    vnet({
      id: hub,
      prefixes: ['10.0.0.0/16'],
      subnets: gw.subnets,
      peerings: spokes.map((s) => ({ remote: s, allowGatewayTransit: true, ...spec.hubToSpoke })),
    }),
    ...gw.resources,
    ...spokes.map((s, i) =>
      vnet({
        id: s,
        prefixes: [`10.${Math.floor((i + 1) / 256) + 1}.${(i + 1) % 256}.0/24`],
        peerings: [{ remote: hub, useRemoteGateways: true, ...spec.spokeToHub }],
      }),
    ),
  ];
  return { hub, spokes, resources };
}
