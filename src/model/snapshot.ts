import type { UnreadableScope } from '../report/report';
import { parseResourceId } from './ids';

// The input contract (design.md): Azure's own JSON. An array of ARM resources, a single resource,
// `{ value: [...] }` (ARM list), or `{ data: [...] }` (Resource Graph). Pure: the caller reads files.

export interface RawResource {
  id: string;
  name?: string;
  type?: string;
  location?: string;
  tags?: Record<string, string>;
  etag?: string;
  sku?: unknown;
  properties?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Where a resource came from, for error messages: the file and the entry's JSON path. */
export interface SourcedResource {
  resource: RawResource;
  source: string;
}

export class InputError extends Error {
  constructor(
    readonly source: string,
    message: string,
  ) {
    super(`${source}: ${message}`);
    this.name = 'InputError';
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The resource types the topology builder reads (build.ts), lower-cased as Resource Graph writes them. */
export const RESOURCE_TYPES = {
  vnet: 'microsoft.network/virtualnetworks',
  peering: 'microsoft.network/virtualnetworks/virtualnetworkpeerings',
  subnet: 'microsoft.network/virtualnetworks/subnets',
  gateway: 'microsoft.network/virtualnetworkgateways',
  routeTable: 'microsoft.network/routetables',
  firewall: 'microsoft.network/azurefirewalls',
  nic: 'microsoft.network/networkinterfaces',
  virtualHub: 'microsoft.network/virtualhubs',
  virtualHubIpConfig: 'microsoft.network/virtualhubs/ipconfigurations',
  avnmConnectivity: 'microsoft.network/networkmanagers/connectivityconfigurations',
  avnmStaticMember: 'microsoft.network/networkmanagers/networkgroups/staticmembers',
} as const;

/** Entries of these types are validated strictly; entries of any other type are ignored (design.md), whatever else they hold. */
export const READ_TYPES: ReadonlySet<string> = new Set(Object.values(RESOURCE_TYPES));

/** A resource's type, lower-cased: its `type`, else the type its id names (a standalone `show` may lack `type`). */
export function resourceTypeOf(resource: { id?: unknown; type?: unknown }): string | undefined {
  if (typeof resource.type === 'string') return resource.type.toLowerCase();
  return typeof resource.id === 'string' ? parseResourceId(resource.id)?.type?.toLowerCase() : undefined;
}

const SUBSCRIPTIONS_PREFIX = '/subscriptions/';

/** Whether `id` is an Azure resource id as far as peerguard reads one: under `/subscriptions/`. */
export function isResourceId(id: string): boolean {
  // Lower-cases the prefix only, not a copy of the whole id (once per remote VNet spelling in a large estate).
  return id.trimStart().slice(0, SUBSCRIPTIONS_PREFIX.length).toLowerCase() === SUBSCRIPTIONS_PREFIX;
}

/**
 * The entry as a resource to read, or undefined for an entry of a type peerguard does not read that
 * names no subscription (a management group row of `resources | union resourcecontainers`, a row
 * without an id): it has nothing to give. An entry of another type that names a subscription is kept
 * unchecked (its subscription counts as read). An entry of a type read, or whose type is unknown
 * (no `type` and no resource id to derive it from), is checked: an id, a name, properties.
 */
function checkResource(entry: unknown, where: string): RawResource | undefined {
  if (!isObject(entry)) throw new InputError(where, `expected an ARM resource object, found ${describeValue(entry)}`);
  if (entry.type !== undefined && entry.type !== null && typeof entry.type !== 'string') throw new InputError(where, `"type" must be a string, found ${describeValue(entry.type)}`);
  const type = resourceTypeOf(entry);
  if (type !== undefined && !READ_TYPES.has(type)) return otherResource(entry);
  if (typeof entry.id !== 'string' || entry.id.trim() === '') {
    const hint = typeof entry.name === 'string' ? ` (name "${entry.name}")` : '';
    throw new InputError(where, `resource${hint} has no "id" string`);
  }
  if (!isResourceId(entry.id)) throw new InputError(where, `"id" is not an Azure resource id: "${entry.id}"`);
  checkName(entry, where, `resource "${entry.id}"`);
  if (entry.properties !== undefined && !isObject(entry.properties)) {
    throw new InputError(where, `"properties" must be an object, found ${describeValue(entry.properties)}`);
  }
  const resource = nestFlattenedProperties(entry, where) as RawResource;
  if (type === RESOURCE_TYPES.vnet && resource.properties) checkInlineNames(resource.properties, where, resource.name ?? resource.id);
  return resource;
}

/**
 * An entry of a type peerguard does not read: kept only for the subscription its id names (coverage),
 * without the checks of the types read. A `properties` that is not an object (Resource Graph writes
 * null for some types) is left out, so that every resource kept has the shape `RawResource` says.
 */
function otherResource(entry: Record<string, unknown>): RawResource | undefined {
  if (typeof entry.id !== 'string' || !entry.id.trim().toLowerCase().startsWith('/subscriptions/')) return undefined;
  if (entry.properties === undefined || isObject(entry.properties)) return entry as RawResource;
  const { properties: _ignored, ...rest } = entry;
  return rest as RawResource;
}

/**
 * A name, where present, is a non-empty string: messages and fix plans are made of it (a PUT to
 * `.../vnet-b-to-[object Object]` otherwise). Null is read as absent (the name is then the id's).
 */
function checkName(entry: Record<string, unknown>, where: string, what: string): void {
  const name = entry.name;
  if (name === undefined || name === null || (typeof name === 'string' && name.trim() !== '')) return;
  throw new InputError(where, `"name" of ${what} must be a non-empty string, found ${typeof name === 'string' ? 'an empty one' : describeValue(name)}`);
}

/** The names of the peerings and subnets a VNet lists inline (named by their place when theirs is broken). */
function checkInlineNames(properties: Record<string, unknown>, where: string, vnetName: string): void {
  for (const list of ['virtualNetworkPeerings', 'subnets'] as const) {
    const entries = properties[list];
    if (!Array.isArray(entries)) continue; // anything else is named by the topology builder
    entries.forEach((item, i) => {
      if (isObject(item)) checkName(item, where, `virtual network "${vnetName}" ${list}[${i}]`);
    });
  }
}

/**
 * The keys of the ARM resource envelope, and those the Azure CLI and Resource Graph add beside it:
 * in a resource without `properties`, every other key is one of its properties.
 */
const ENVELOPE = new Set(['id', 'name', 'type', 'location', 'tags', 'etag', 'kind', 'zones', 'identity', 'managedBy', 'plan', 'extendedLocation', 'systemData', 'resourceGroup', 'subscriptionId', 'tenantId']);

/**
 * How deep flattened child resources may be listed in one another. An export nests a few levels (a
 * VNet's subnets, their IP configurations): a hundred is far beyond any, and far below the depth at
 * which the recursion below would exhaust the stack.
 */
const MAX_NESTING = 100;

/**
 * The Azure CLI prints network resources with their properties flattened to the top level
 * (`az network vnet show` gives `addressSpace` and `virtualNetworkPeerings` beside `id`), and the
 * child resources listed in them (peerings, subnets, IP configurations, routes) likewise. Such a
 * resource is read with its properties nested, as ARM and Resource Graph return them; one that has
 * `properties` is returned as it is. Children nested deeper than MAX_NESTING are an InputError
 * naming `where`.
 */
function nestFlattenedProperties(resource: Record<string, unknown>, where: string, depth = 0): Record<string, unknown> {
  if (resource.properties !== undefined) return resource;
  if (depth > MAX_NESTING) throw new InputError(where, `child resources listed in one another more than ${MAX_NESTING} levels deep (an export nests a few): not an Azure export`);
  const nested: Record<string, unknown> = {};
  let properties: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(resource)) {
    if (ENVELOPE.has(key)) nested[key] = value;
    else (properties ??= {})[key] = Array.isArray(value) ? value.map((item) => (isObject(item) && typeof item.id === 'string' ? nestFlattenedProperties(item, where, depth + 1) : item)) : value;
  }
  if (!properties) return resource;
  nested.properties = properties;
  return nested;
}

/** A value's kind for a message: `a string`, `null`, `an array`, `an object`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * What one snapshot document holds: its resources, and the scopes its export could not read
 * (`export --live` writes the live read's `coverage.unreadable` as the document's `unreadable` key).
 */
export interface SnapshotDocument {
  resources: SourcedResource[];
  unreadable: UnreadableScope[];
}

function checkUnreadable(document: Record<string, unknown>, file: string): UnreadableScope[] {
  if (!('unreadable' in document)) return [];
  const list = document.unreadable;
  if (!Array.isArray(list)) throw new InputError(file, `"unreadable" must be an array of {"scope": ..., "reason": ...} entries, found ${describeValue(list)}`);
  return list.map((entry, index) => {
    const where = `${file} at .unreadable[${index}]`;
    if (!isObject(entry)) throw new InputError(where, `expected {"scope": ..., "reason": ...}, found ${describeValue(entry)}`);
    if (typeof entry.scope !== 'string' || entry.scope.trim() === '') throw new InputError(where, `unreadable entry has no "scope" string`);
    if (typeof entry.reason !== 'string') throw new InputError(where, `unreadable entry for "${entry.scope}" has no "reason" string`);
    return { scope: entry.scope, reason: entry.reason };
  });
}

/**
 * The keys by which a Resource Graph result or an ARM list says that more pages follow: `az graph
 * query` writes `skip_token` (and returns 100 rows unless given --first), the Resource Graph REST API
 * `$skipToken`, ARM lists `nextLink`. Null or empty on the last page.
 */
const PAGE_TOKENS = ['skip_token', '$skipToken', 'skipToken', 'nextLink'] as const;

/**
 * Why the document is one page of a longer result, or undefined when it is the whole result: a
 * token for the next page, a total larger than the rows it holds, or Resource Graph's `resultTruncated`.
 */
function pageEvidence(document: Record<string, unknown>, rows: number): { evidence: string; arm: boolean } | undefined {
  for (const key of PAGE_TOKENS) {
    const token = document[key];
    if (typeof token === 'string' && token.trim() !== '') return { evidence: `"${key}" is set`, arm: key === 'nextLink' };
  }
  for (const key of ['total_records', 'totalRecords'] as const) {
    const total = document[key];
    if (typeof total === 'number' && total > rows) {
      const count = typeof document.count === 'number' ? `"count" is ${document.count}, ` : '';
      return { evidence: `"${key}" is ${total}, ${count}the document holds ${rows} row${rows === 1 ? '' : 's'}`, arm: false };
    }
  }
  if (document.resultTruncated === true || (typeof document.resultTruncated === 'string' && document.resultTruncated.toLowerCase() === 'true')) {
    return { evidence: '"resultTruncated" is true', arm: false };
  }
  return undefined;
}

/**
 * Refuses a document that is one page of a longer result: audited as the estate, it would report
 * every peering to a VNet on another page as `peering-remote-vnet-missing`, with a DELETE as the fix.
 */
function requireWholeResult(document: Record<string, unknown>, rows: number, file: string): void {
  const page = pageEvidence(document, rows);
  if (!page) return;
  const how = page.arm
    ? '`az network vnet list` or `peerguard export --live -o estate.json` read every page themselves; or follow "nextLink" and join the rows of every page into one {"value": [...]} without it'
    : '`az graph query --first 1000` returns up to 1,000 rows (100 without --first); for more, `peerguard export --live -o estate.json` or `az network vnet list` read every page themselves, or join the rows of every page (fetched with --skip-token) into one {"data": [...]} without skip_token and total_records';
  throw new InputError(
    file,
    `one page of a longer ${page.arm ? 'ARM list' : 'Resource Graph result'}, not the whole estate (${page.evidence}): peerings to VNets on the other pages would be reported missing. Export every page: ${how}`,
  );
}

/**
 * Turns one parsed JSON document into resources, naming `file` and the entry's path on error.
 * Extra keys beside `value`/`data` (`count`, `totalRecords`...) are ignored, except `unreadable`,
 * which is validated (see `snapshotFromDocument`, which returns it), and those that say the document
 * is one page of a longer result (`skip_token`, `$skipToken`, `nextLink`, a total above the rows
 * held), which is refused. Entries of types peerguard does not read that name no subscription are left out.
 */
export function resourcesFromDocument(document: unknown, file: string): SourcedResource[] {
  return snapshotFromDocument(document, file).resources;
}

/**
 * One parsed JSON document: its resources and, for a `{ data }` / `{ value }` document, the scopes
 * listed under `unreadable` (a partial live read written by `export --live`), so that reading the
 * snapshot back is as partial as the read it records. A malformed entry is an InputError naming it,
 * and so is a document that is one page of a longer result.
 */
export function snapshotFromDocument(document: unknown, file: string): SnapshotDocument {
  let entries: unknown[];
  let path: string;
  let unreadable: UnreadableScope[] = [];
  if (Array.isArray(document)) {
    entries = document;
    path = '';
  } else if (isObject(document) && Array.isArray(document.value)) {
    entries = document.value;
    path = '.value';
    requireWholeResult(document, entries.length, file);
    unreadable = checkUnreadable(document, file);
  } else if (isObject(document) && Array.isArray(document.data)) {
    entries = document.data;
    path = '.data';
    requireWholeResult(document, entries.length, file);
    unreadable = checkUnreadable(document, file);
  } else if (isObject(document) && 'id' in document) {
    const resource = checkResource(document, file);
    return { resources: resource ? [{ resource, source: file }] : [], unreadable };
  } else if (isObject(document) && ('data' in document || 'value' in document)) {
    const key = 'data' in document ? 'data' : 'value';
    throw new InputError(file, `"${key}" must be an array of resources, found ${describeValue(document[key])}`);
  } else {
    throw new InputError(
      file,
      `expected a JSON array of ARM resources, an ARM resource, {"value": [...]} or {"data": [...]}, found ${describeValue(document)}`,
    );
  }
  const resources: SourcedResource[] = [];
  entries.forEach((entry, index) => {
    const where = `${file} at ${path}[${index}]`;
    const resource = checkResource(entry, where);
    if (resource) resources.push({ resource, source: where });
  });
  return { resources, unreadable };
}

/** Strict: a byte that is not UTF-8 is an error, never U+FFFD (a Latin-1 "münchen" would name another VNet). */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The offset of the first byte that does not start or continue a UTF-8 sequence (the start of the
 * broken sequence), or -1: WHATWG's decoder rules, so that it agrees with `UTF8`. Called only once
 * `UTF8` has refused the bytes, whose error does not say where.
 */
function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const lead = bytes[i] as number;
    if (lead < 0x80) {
      i += 1;
      continue;
    }
    const more = lead >= 0xc2 && lead <= 0xdf ? 1 : lead >= 0xe0 && lead <= 0xef ? 2 : lead >= 0xf0 && lead <= 0xf4 ? 3 : 0;
    if (more === 0) return i;
    // The second byte's range excludes overlong forms, surrogates and code points above U+10FFFF.
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k <= more; k += 1) {
      const byte = bytes[i + k];
      if (byte === undefined || byte < (k === 1 ? low : 0x80) || byte > (k === 1 ? high : 0xbf)) return i;
    }
    i += more + 1;
  }
  return -1;
}

/**
 * The text of a file's bytes (a snapshot, a configuration or intent document), decoded by its
 * byte-order mark: UTF-16LE (what Windows PowerShell 5.1 writes for `az ... > estate.json`),
 * UTF-16BE, else UTF-8, whose mark is dropped. Bytes that are not UTF-8 are an InputError naming
 * `file` and the offset of the first bad byte (a file saved as Latin-1 or Windows-1252).
 */
export function decodeFileBytes(bytes: Uint8Array, file: string): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer[0] === 0xff && buffer[1] === 0xfe) return buffer.toString('utf16le', 2);
  if (buffer[0] === 0xfe && buffer[1] === 0xff) {
    // Swapped on a copy, whole code units only (an odd last byte, half a code unit, is dropped).
    return Buffer.from(buffer.subarray(2, buffer.length - (buffer.length % 2))).swap16().toString('utf16le');
  }
  try {
    return UTF8.decode(buffer);
  } catch {
    const at = firstInvalidUtf8(buffer);
    // UTF-16 without a byte-order mark has a NUL beside every ASCII character (as in parseJsonText).
    const how = buffer.subarray(0, 8).includes(0) ? 'the file looks like UTF-16 without a byte-order mark: save it as UTF-8' : 'save it as UTF-8 (or UTF-16 with a byte-order mark)';
    throw new InputError(file, `not valid UTF-8${at < 0 ? '' : ` at byte ${at}`}: ${how}`);
  }
}

/**
 * Parses JSON with an error that names the file and the position: text, or a file's bytes (decoded
 * by `decodeFileBytes`). A leading byte-order mark is dropped.
 */
export function parseJsonText(input: string | Uint8Array, file: string): unknown {
  const text = typeof input === 'string' ? input : decodeFileBytes(input, file);
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    // UTF-16 without a byte-order mark reads as text with a NUL after every ASCII character.
    const utf16 = text.slice(0, 8).includes('\u0000') ? '; the file looks like UTF-16 without a byte-order mark: save it as UTF-8' : '';
    throw new InputError(file, `not valid JSON (${(error as Error).message})${utf16}`);
  }
}
