import fc from 'fast-check';
import type { RawResource } from '../../src/model/snapshot';
import { gateway, vnet, vnetId, SUB_A, SUB_B, type PeeringSpec } from '../support/estate';

// Generators shared by the property tests: valid estates built with Azure's own JSON shapes, ways
// to corrupt them, and id casings Azure treats as the same resource.

const NAMES = ['hub', 'spoke-1', 'spoke-2', 'Spoke-Ümlaut', 'dev-ü', 'prod', 'net-東京', 'x'];
const PREFIXES = ['10.0.0.0/16', '10.1.0.0/16', '10.1.0.0/24', '10.2.0.0/16', '192.168.0.0/24', '172.16.0.0/12', 'fd00::/48'];

export interface EstateSpec {
  vnets: Array<{ name: string; sub: string; prefixes: string[]; gateway: boolean }>;
  peerings: Array<{ from: number; to: number; spec: Omit<PeeringSpec, 'remote'> }>;
  /** Peerings to a VNet that does not exist in a subscription that was read. */
  dangling: number[];
}

const peeringSpec: fc.Arbitrary<Omit<PeeringSpec, 'remote'>> = fc.record(
  {
    state: fc.constantFrom('Initiated', 'Connected', 'Disconnected') as fc.Arbitrary<'Initiated' | 'Connected' | 'Disconnected'>,
    syncLevel: fc.constantFrom('FullyInSync', 'LocalNotInSync', 'RemoteNotInSync'),
    provisioningState: fc.constantFrom('Succeeded', 'Failed', 'Updating'),
    allowVirtualNetworkAccess: fc.boolean(),
    allowForwardedTraffic: fc.boolean(),
    allowGatewayTransit: fc.boolean(),
    useRemoteGateways: fc.boolean(),
  },
  { requiredKeys: ['state'] },
);

export const estateSpec: fc.Arbitrary<EstateSpec> = fc
  .uniqueArray(fc.constantFrom(...NAMES), { minLength: 2, maxLength: 6 })
  .chain((names) =>
    fc.record({
      vnets: fc.tuple(
        ...names.map((name) =>
          fc.record({
            name: fc.constant(name),
            sub: fc.constantFrom(SUB_A, SUB_B),
            prefixes: fc.uniqueArray(fc.constantFrom(...PREFIXES), { minLength: 1, maxLength: 2 }),
            gateway: fc.boolean(),
          }),
        ),
      ),
      peerings: fc.uniqueArray(
        fc.record({ from: fc.nat(names.length - 1), to: fc.nat(names.length - 1), spec: peeringSpec }).filter((p) => p.from !== p.to),
        { maxLength: 10, selector: (p) => `${p.from}-${p.to}` },
      ),
      dangling: fc.uniqueArray(fc.nat(names.length - 1), { maxLength: 2 }),
    }),
  );

export function estateOf(spec: EstateSpec): RawResource[] {
  const ids = spec.vnets.map((v) => vnetId(v.name, v.sub, `rg-${v.name}`));
  const resources: RawResource[] = spec.vnets.map((v, i) => {
    const id = ids[i] as string;
    // As ARM returns them: a peering carries the remote's address space as it was last synced.
    const peerings: PeeringSpec[] = spec.peerings.filter((p) => p.from === i).map((p) => {
      const remote = spec.vnets[p.to]?.prefixes ?? [];
      // Azure refuses useRemoteGateways on a VNet that has a gateway of its own (REST spec), so no
      // estate it can hold has both; the stand-in would accept it, so the generator must not.
      const useRemoteGateways = Boolean(p.spec.useRemoteGateways) && !v.gateway;
      return { remote: ids[p.to] as string, remoteAddressSpace: remote, remoteVirtualNetworkAddressSpace: remote, ...p.spec, useRemoteGateways };
    });
    if (spec.dangling.includes(i)) peerings.push({ remote: vnetId(`gone-${i}`, v.sub, 'rg-gone'), state: 'Disconnected' });
    return vnet({
      id,
      prefixes: v.prefixes,
      subnets: v.gateway ? [{ name: 'GatewaySubnet', prefix: v.prefixes[0]?.includes(':') ? 'fd00::/64' : v.prefixes[0]!.replace(/\/\d+$/, '/27') }] : [],
      peerings,
    });
  });
  spec.vnets.forEach((v, i) => {
    if (v.gateway) resources.push(gateway(`gw-${i}`, ids[i] as string));
  });
  return resources;
}

/** Re-cases an id the way Azure's APIs do in the wild: segment by segment, randomly. */
export function recase(id: string, seed: number): string {
  let s = seed;
  return id
    .split('/')
    .map((segment) => {
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      switch (s % 3) {
        case 0:
          return segment.toUpperCase();
        case 1:
          return segment.toLowerCase();
        default:
          return segment;
      }
    })
    .join('/');
}

/** Every id-valued string in Azure JSON re-cased, and `type` values too: the same estate to Azure. */
export function recaseEstate(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v, i) => recaseEstate(v, seed + i));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    let i = 0;
    for (const [k, v] of Object.entries(value)) {
      i += 1;
      if ((k === 'id' || k === 'type') && typeof v === 'string') out[k] = recase(v, seed + i);
      else out[k] = recaseEstate(v, seed * 31 + i);
    }
    return out;
  }
  return value;
}

/** Arbitrary JSON, unicode strings included. */
export const anyJson: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 3 });

/** Ways a resource gets corrupted in an export that was edited, truncated or mangled. */
export const corruption: fc.Arbitrary<(r: Record<string, unknown>) => unknown> = fc.oneof(
  fc.constant((r: Record<string, unknown>) => ({ ...r, id: undefined })),
  fc.constant((r: Record<string, unknown>) => ({ ...r, id: '' })),
  anyJson.map((j) => (r: Record<string, unknown>) => ({ ...r, id: j })),
  fc.string().map((s) => (r: Record<string, unknown>) => ({ ...r, id: `not-an-id/${s}` })),
  anyJson.map((j) => (r: Record<string, unknown>) => ({ ...r, type: j })),
  anyJson.map((j) => (r: Record<string, unknown>) => ({ ...r, properties: j })),
  anyJson.map((j) => () => j),
  fc.string({ unit: 'binary' }).map((s) => (r: Record<string, unknown>) => ({ ...r, name: s })),
  fc.oneof(fc.string({ unit: 'binary' }), fc.constantFrom('10.0.0.0/33', '300.1.1.1/8', '10.0.0.0', '', 'fd00::/129', '10.0.0.0/-1'), anyJson).map(
    (bad) => (r: Record<string, unknown>) => {
      const properties = (r.properties ?? {}) as Record<string, unknown>;
      return { ...r, properties: { ...properties, addressSpace: { addressPrefixes: [bad] } } };
    },
  ),
  anyJson.map((j) => (r: Record<string, unknown>) => {
    const properties = (r.properties ?? {}) as Record<string, unknown>;
    return { ...r, properties: { ...properties, virtualNetworkPeerings: [j] } };
  }),
  anyJson.map((j) => (r: Record<string, unknown>) => {
    const properties = (r.properties ?? {}) as Record<string, unknown>;
    const peerings = Array.isArray(properties.virtualNetworkPeerings) ? properties.virtualNetworkPeerings : [];
    return {
      ...r,
      properties: { ...properties, virtualNetworkPeerings: peerings.map((p: Record<string, unknown>) => ({ ...p, properties: { ...(p.properties as object), remoteVirtualNetwork: j } })) },
    };
  }),
  anyJson.map((j) => (r: Record<string, unknown>) => {
    const properties = (r.properties ?? {}) as Record<string, unknown>;
    return { ...r, properties: { ...properties, subnets: [j] } };
  }),
  anyJson.map((j) => (r: Record<string, unknown>) => {
    const properties = (r.properties ?? {}) as Record<string, unknown>;
    return { ...r, properties: { ...properties, ipConfigurations: [{ properties: { privateIPAddress: j, subnet: { id: `${String(r.id)}/subnets/x` } } }] } };
  }),
);

/** Fisher–Yates with fast-check's random source. */
export function shuffled<T>(items: readonly T[], order: readonly number[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = (order[i % Math.max(order.length, 1)] ?? 0) % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
