import ipaddr from 'ipaddr.js';

/** An IPv4 or IPv6 prefix as an inclusive range of addresses, for overlap and containment tests. */
export interface Prefix {
  readonly text: string;
  readonly version: 4 | 6;
  readonly first: bigint;
  readonly last: bigint;
  readonly length: number;
  /** Canonical form (`4:a000000/8`): equal for equal prefixes however they were written. */
  readonly key: string;
}

function toBigInt(bytes: number[]): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

const parsed = new Map<string, Prefix | undefined>();
const PARSE_CACHE_LIMIT = 1_000_000;

/**
 * Parses `10.0.0.0/16` or `2001:db8::/64`; a bare address is a host prefix. Undefined when malformed.
 * Memoized: an estate repeats each VNet's prefixes in every peer's remote address spaces.
 */
export function parsePrefix(text: string): Prefix | undefined {
  const hit = parsed.get(text);
  if (hit !== undefined || parsed.has(text)) return hit;
  const prefix = parseUncached(text);
  if (parsed.size >= PARSE_CACHE_LIMIT) parsed.clear();
  parsed.set(text, prefix);
  return prefix;
}

/** Dotted-quad decimal octets without leading zeros: what `ipaddr.IPv4.isValidFourPartDecimal` accepts, octets ≤ 255 checked apart. */
const DOTTED_QUAD = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

/**
 * An IPv4 address, or undefined. Parsed here rather than by ipaddr.js (the oracle of its property
 * test): every VNet, subnet and peering space holds one, and the library's general parser made
 * parsing about a quarter of an event's first topology build.
 */
function ipv4Value(addressText: string): bigint | undefined {
  const octets = DOTTED_QUAD.exec(addressText);
  if (!octets) return undefined;
  let value = 0;
  for (let i = 1; i <= 4; i += 1) {
    const octet = Number(octets[i]);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return BigInt(value);
}

function ipv6Value(addressText: string): bigint | undefined {
  try {
    return toBigInt(ipaddr.IPv6.parse(addressText).toByteArray());
  } catch {
    return undefined;
  }
}

function parseUncached(text: string): Prefix | undefined {
  const trimmed = text.trim();
  const [addressText = '', lengthText] = trimmed.split('/');
  const isV6 = addressText.includes(':');
  if (lengthText !== undefined && !/^\d{1,3}$/.test(lengthText)) return undefined;
  const bits = isV6 ? 128 : 32;
  const length = lengthText === undefined ? bits : Number(lengthText);
  if (length > bits) return undefined;
  // Azure takes only dotted quads for IPv4 (ipaddr.js's IPv4.parse also accepts `10.0.0`, `0x0a...`).
  const value = isV6 ? ipv6Value(addressText) : ipv4Value(addressText);
  if (value === undefined) return undefined;
  const hostBits = BigInt(bits - length);
  const first = (value >> hostBits) << hostBits;
  const last = first + (1n << hostBits) - 1n;
  const version = isV6 ? 6 : 4;
  return { text: trimmed, version, first, last, length, key: `${version}:${first.toString(16)}/${length}` };
}

export function overlaps(a: Prefix, b: Prefix): boolean {
  return a.version === b.version && a.first <= b.last && b.first <= a.last;
}

export function contains(outer: Prefix, inner: Prefix): boolean {
  return outer.version === inner.version && outer.first <= inner.first && inner.last <= outer.last;
}

/** Every overlapping pair between two prefix lists (lists are short: a VNet's address space). */
export function overlappingPairs(a: readonly Prefix[], b: readonly Prefix[]): Array<[Prefix, Prefix]> {
  const pairs: Array<[Prefix, Prefix]> = [];
  for (const x of a) for (const y of b) if (overlaps(x, y)) pairs.push([x, y]);
  return pairs;
}

/** Canonical text of a prefix list, order-insensitive, for comparing address spaces. */
function canonicalPrefixSet(prefixes: readonly Prefix[]): string {
  return prefixes
    .map((p) => p.key)
    .sort()
    .join(',');
}

/** Whether two prefix lists hold the same prefixes, in any order. */
export function samePrefixSet(a: readonly Prefix[], b: readonly Prefix[]): boolean {
  // The common case, one space read twice, compares element by element without sorting.
  if (a === b || (a.length === b.length && a.every((p, i) => p.key === (b[i] as Prefix).key))) return true;
  return canonicalPrefixSet(a) === canonicalPrefixSet(b);
}

/** The longest prefix among `candidates` that contains `address`, or undefined. */
export function longestMatch<T extends { prefix: Prefix }>(candidates: readonly T[], address: Prefix): T | undefined {
  let best: T | undefined;
  for (const candidate of candidates) {
    if (contains(candidate.prefix, address) && (!best || candidate.prefix.length > best.prefix.length)) best = candidate;
  }
  return best;
}
