import type { UnreadableScope } from '../report/report';

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

function checkResource(entry: unknown, where: string): RawResource {
  if (!isObject(entry)) throw new InputError(where, `expected an ARM resource object, found ${describe(entry)}`);
  if (typeof entry.id !== 'string' || entry.id.trim() === '') {
    const hint = typeof entry.name === 'string' ? ` (name "${entry.name}")` : '';
    throw new InputError(where, `resource${hint} has no "id" string`);
  }
  if (!entry.id.trim().toLowerCase().startsWith('/subscriptions/')) {
    throw new InputError(where, `"id" is not an Azure resource id: "${entry.id}"`);
  }
  if (entry.type !== undefined && typeof entry.type !== 'string') throw new InputError(where, `"type" must be a string`);
  if (entry.properties !== undefined && !isObject(entry.properties)) {
    throw new InputError(where, `"properties" must be an object, found ${describe(entry.properties)}`);
  }
  return nestFlattenedProperties(entry) as RawResource;
}

/**
 * The keys of the ARM resource envelope, and those the Azure CLI and Resource Graph add beside it:
 * in a resource without `properties`, every other key is one of its properties.
 */
const ENVELOPE = new Set(['id', 'name', 'type', 'location', 'tags', 'etag', 'kind', 'zones', 'identity', 'managedBy', 'plan', 'extendedLocation', 'systemData', 'resourceGroup', 'subscriptionId', 'tenantId']);

/**
 * The Azure CLI prints network resources with their properties flattened to the top level
 * (`az network vnet show` gives `addressSpace` and `virtualNetworkPeerings` beside `id`), and the
 * child resources listed in them (peerings, subnets, IP configurations, routes) likewise. Such a
 * resource is read with its properties nested, as ARM and Resource Graph return them; one that has
 * `properties` is returned as it is.
 */
function nestFlattenedProperties(resource: Record<string, unknown>): Record<string, unknown> {
  if (resource.properties !== undefined) return resource;
  const nested: Record<string, unknown> = {};
  let properties: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(resource)) {
    if (ENVELOPE.has(key)) nested[key] = value;
    else (properties ??= {})[key] = Array.isArray(value) ? value.map((item) => (isObject(item) && typeof item.id === 'string' ? nestFlattenedProperties(item) : item)) : value;
  }
  if (!properties) return resource;
  nested.properties = properties;
  return nested;
}

function describe(value: unknown): string {
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
  if (!Array.isArray(list)) throw new InputError(file, `"unreadable" must be an array of {"scope": ..., "reason": ...} entries, found ${describe(list)}`);
  return list.map((entry, index) => {
    const where = `${file} at .unreadable[${index}]`;
    if (!isObject(entry)) throw new InputError(where, `expected {"scope": ..., "reason": ...}, found ${describe(entry)}`);
    if (typeof entry.scope !== 'string' || entry.scope.trim() === '') throw new InputError(where, `unreadable entry has no "scope" string`);
    if (typeof entry.reason !== 'string') throw new InputError(where, `unreadable entry for "${entry.scope}" has no "reason" string`);
    return { scope: entry.scope, reason: entry.reason };
  });
}

/**
 * Turns one parsed JSON document into resources, naming `file` and the entry's path on error.
 * Extra keys beside `value`/`data` (`count`, `skip_token`, `totalRecords`, `nextLink`...) are ignored,
 * except `unreadable`, which is validated (see `snapshotFromDocument`, which returns it).
 */
export function resourcesFromDocument(document: unknown, file: string): SourcedResource[] {
  return snapshotFromDocument(document, file).resources;
}

/**
 * One parsed JSON document: its resources and, for a `{ data }` / `{ value }` document, the scopes
 * listed under `unreadable` (a partial live read written by `export --live`), so that reading the
 * snapshot back is as partial as the read it records. A malformed entry is an InputError naming it.
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
    unreadable = checkUnreadable(document, file);
  } else if (isObject(document) && Array.isArray(document.data)) {
    entries = document.data;
    path = '.data';
    unreadable = checkUnreadable(document, file);
  } else if (isObject(document) && 'id' in document) {
    return { resources: [{ resource: checkResource(document, file), source: file }], unreadable };
  } else if (isObject(document) && ('data' in document || 'value' in document)) {
    const key = 'data' in document ? 'data' : 'value';
    throw new InputError(file, `"${key}" must be an array of resources, found ${describe(document[key])}`);
  } else {
    throw new InputError(
      file,
      `expected a JSON array of ARM resources, an ARM resource, {"value": [...]} or {"data": [...]}, found ${describe(document)}`,
    );
  }
  const resources = entries.map((entry, index) => {
    const where = `${file} at ${path}[${index}]`;
    return { resource: checkResource(entry, where), source: where };
  });
  return { resources, unreadable };
}

/** Parses text as JSON with an error that names the file and the position. */
export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    throw new InputError(file, `not valid JSON (${(error as Error).message})`);
  }
}
