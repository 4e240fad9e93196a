// Azure resource ids are case-insensitive. Every index in the topology is keyed by `keyOf(id)`;
// the original casing is kept on the objects for display and for the JSON report.

export type ResourceKey = string & { readonly __brand: 'ResourceKey' };

/** A GUID as Azure writes subscription, tenant and client ids: `00000000-0000-0000-0000-000000000000`, any case. */
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Printable ASCII: nothing `trim` would remove. */
const printable = (code: number) => code > 32 && code < 127;

/** Nothing for `keyOf` to trim or strip: its key is the id lower-cased. */
const plain = (id: string) => printable(id.charCodeAt(0)) && printable(id.charCodeAt(id.length - 1)) && id.charCodeAt(id.length - 1) !== 47;

export function keyOf(id: string): ResourceKey {
  // Fast path (the common case, called per look-up by the rules): nothing to trim or strip.
  if (plain(id)) return id.toLowerCase() as ResourceKey;
  return id.trim().replace(/\/+$/, '').toLowerCase() as ResourceKey;
}

const isAsciiLetter = (code: number) => (code >= 65 && code <= 90) || (code >= 97 && code <= 122);

/**
 * Whether two ids have the same key (`keyOf(a) === keyOf(b)`), without lower-cased copies for the
 * ids Azure writes. Compared from the end, letters folded, where ids of one VNet's children differ
 * (they share the VNet's 130-character prefix). Lower-casing maps character by character, so a
 * mismatch of two ASCII characters, met before any other difference from the end, settles it;
 * Unicode case mappings (which may change the length) are left to `keyOf`.
 */
export function sameKey(a: string, b: string): boolean {
  if (a === b) return true;
  if (!plain(a) || !plain(b)) return keyOf(a) === keyOf(b);
  for (let i = a.length - 1, j = b.length - 1; i >= 0 && j >= 0; i -= 1, j -= 1) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(j);
    if (x === y) continue;
    if (x > 127 || y > 127) return keyOf(a) === keyOf(b);
    if (!isAsciiLetter(x) || (x | 0x20) !== (y | 0x20)) return false;
  }
  // One is the other folded, or a folded suffix of it: then the longer key has more characters.
  return a.length === b.length;
}

export function sameId(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && sameKey(a, b);
}

export interface ParsedResourceId {
  subscriptionId: string;
  resourceGroup: string | undefined;
  /** Provider namespace and type chain, e.g. `Microsoft.Network/virtualNetworks/virtualNetworkPeerings`. */
  type: string | undefined;
  /** Name of the last segment. */
  name: string;
  /** Id of the parent resource for a child resource (e.g. the VNet of a peering). */
  parentId: string | undefined;
}

const PREFIX = '/subscriptions/';

export function subscriptionOf(id: string): string | undefined {
  // The answer of /^\/subscriptions\/([^/]+)/i without a RegExp match per call.
  if (id.startsWith(PREFIX) || id.slice(0, PREFIX.length).toLowerCase() === PREFIX) {
    const end = id.indexOf('/', PREFIX.length);
    const sub = end < 0 ? id.slice(PREFIX.length) : id.slice(PREFIX.length, end);
    return sub === '' ? undefined : sub.toLowerCase();
  }
  return undefined;
}

/** `/subscriptions/{id}/` as `id` spells it, when `id` names a subscription and goes on past it. */
export function subscriptionPathOf(id: string): string | undefined {
  if (subscriptionOf(id) === undefined) return undefined;
  const end = id.indexOf('/', PREFIX.length);
  return end < 0 ? undefined : id.slice(0, end + 1);
}

/**
 * Parses `/subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{type}/{name}[/{child}/{name}]...`.
 * Returns undefined for anything that is not a provider resource id.
 */
export function parseResourceId(id: string): ParsedResourceId | undefined {
  const parts = id.trim().replace(/\/+$/, '').split('/');
  // ['', 'subscriptions', s, 'resourceGroups', rg, 'providers', ns, type, name, ...]
  if (parts[0] !== '' || parts[1]?.toLowerCase() !== 'subscriptions' || !parts[2]) return undefined;
  const subscriptionId = parts[2].toLowerCase();
  let index = 3;
  let resourceGroup: string | undefined;
  if (parts[index]?.toLowerCase() === 'resourcegroups' && parts[index + 1]) {
    resourceGroup = parts[index + 1];
    index += 2;
  }
  if (parts[index]?.toLowerCase() !== 'providers') return undefined;
  const namespace = parts[index + 1];
  const rest = parts.slice(index + 2);
  if (!namespace || rest.length < 2 || rest.length % 2 !== 0 || rest.some((p) => p === '')) return undefined;
  const typeSegments = rest.filter((_, i) => i % 2 === 0);
  const name = rest[rest.length - 1] as string;
  const parentId = rest.length > 2 ? parts.slice(0, parts.length - 2).join('/') : undefined;
  return { subscriptionId, resourceGroup, type: [namespace, ...typeSegments].join('/'), name, parentId };
}

/** A provider resource id as Azure writes it: no trailing slash, type and name segments in pairs. */
const PROVIDER_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)\/providers\/[^/]+(?:\/[^/]+\/[^/]+)+$/i;

/** `parseResourceId(id)?.resourceGroup`, without splitting ids of the common shape. */
export function resourceGroupOf(id: string): string | undefined {
  // Not for an id that ends in white space: parseResourceId trims it, which can leave the last
  // segment empty (`…/virtualNetworks/ ` is no resource id), where the pattern took it for a name.
  const match = /\s$/.test(id) ? null : PROVIDER_ID.exec(id);
  return match?.[1] ?? parseResourceId(id)?.resourceGroup;
}

/** The last segment of an id, for display. */
export function nameOf(id: string): string {
  const trimmed = id.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

const CLASSIC_VNET = /\/providers\/microsoft\.classicnetwork\/virtualnetworks\//i;

/**
 * A classic (Azure Service Manager) VNet: a peering's remote may be one, configured on the
 * Resource Manager side only (virtual-network-manage-peering). Resource Graph inventories of
 * Microsoft.Network never hold it, so its absence says nothing.
 */
export function isClassicVnetId(id: string): boolean {
  return CLASSIC_VNET.test(id);
}
