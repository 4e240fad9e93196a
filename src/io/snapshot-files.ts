import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join, relative } from 'node:path';
import { isVnetResource, TopologyBuilder, type BuildOptions } from '../model/build';
import { parsePrefix } from '../model/cidr';
import { keyOf, nameOf, type ResourceKey } from '../model/ids';
import { decodeFileBytes, InputError, parseJsonText, snapshotFromDocument, type SourcedResource } from '../model/snapshot';
import type { Topology } from '../model/types';
import type { UnreadableScope } from '../report/report';
import { fsReason } from './fs-reason';

// Reads snapshot files and directories (design.md "Input contract"). Directories are walked in a
// sorted order, so that the same tree always yields the same resources in the same order.
// Symbolic links are followed (to files and to directories); a file or directory reached twice
// (two links to it, or a link back to a directory being walked) is read once.

/** `stat` (links followed), with an InputError naming `path`; a dangling link is named as one. */
async function statInput(path: string): Promise<Stats> {
  try {
    return await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException)?.code;
    if (code === 'ENOENT') {
      const link = await lstat(path).catch(() => undefined);
      if (link?.isSymbolicLink()) throw new InputError(path, 'dangling symbolic link: its target does not exist');
    }
    throw new InputError(path, fsReason(error));
  }
}

/**
 * A .json file to read: the path to show, its real path (one file reached twice is read once), and
 * whether it was named as an input itself rather than found in a directory.
 */
interface JsonFile {
  path: string;
  real: string;
  named?: true;
}

/** The .json files under `path` (itself, if a file), in the tree's sorted order. */
async function listJsonFiles(path: string): Promise<JsonFile[]> {
  const info = await statInput(path);
  if (info.isFile()) return [{ path, real: await realPath(path), named: true }];
  if (!info.isDirectory()) throw new InputError(path, 'not a file or directory');
  return listDirectory(path, new Set());
}

async function realPath(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    throw new InputError(path, fsReason(error));
  }
}

/**
 * `walked` holds the real paths of the directories walked so far: a link back to one of them (a
 * loop) or a second link to one adds nothing.
 */
async function listDirectory(path: string, walked: Set<string>): Promise<JsonFile[]> {
  const real = await realPath(path);
  if (walked.has(real)) return [];
  walked.add(real);
  let entries;
  try {
    entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  } catch (error) {
    throw new InputError(path, `cannot list the directory: ${fsReason(error)}`);
  }
  const files: JsonFile[] = [];
  for (const entry of entries) {
    const full = join(path, entry.name);
    const json = entry.name.toLowerCase().endsWith('.json');
    if (entry.isSymbolicLink()) {
      // A Dirent describes the link itself, neither file nor directory: follow it to its target.
      const target = await statInput(full);
      if (target.isDirectory()) files.push(...(await listDirectory(full, walked)));
      else if (target.isFile() && json) files.push({ path: full, real: await realPath(full) });
    } else if (entry.isDirectory()) files.push(...(await listDirectory(full, walked)));
    else if (entry.isFile() && json) files.push({ path: full, real: join(real, entry.name) });
  }
  return files;
}

/**
 * A VNet read's address space: its prefixes as written (for the message) and a key equal for the same
 * set however it is written (case, zeros, order). Undefined when the read has no list: a Resource
 * Graph projection or a resource without properties does not know the space, it does not say none.
 * Anything but a list is left to the topology builder, which names the fault.
 */
function addressSpaceOf(resource: SourcedResource['resource']): { shown: string; key: string } | undefined {
  const written = (resource.properties?.addressSpace as { addressPrefixes?: unknown } | null | undefined)?.addressPrefixes;
  if (!Array.isArray(written)) return undefined;
  const texts = written.map((text) => String(text).trim());
  // A text that does not parse is compared as written (marked, so it never equals a parsed key);
  // the builder reports it with a better message.
  const keys = texts.map((text) => parsePrefix(text)?.key ?? `text:${text}`);
  return { shown: [...texts].sort().join(', '), key: keys.sort().join(' ') };
}

/**
 * Refuses snapshots that disagree about a VNet's address space (exports taken at different times):
 * an audit of a mix of both would describe neither. A VNet read again with the same space (exports
 * that overlap) is fine, and the topology keeps its first read. A read without a space is not
 * compared: it does not know the space.
 */
function vnetSpaceCheck(): (resources: readonly SourcedResource[]) => void {
  const firstReads = new Map<ResourceKey, { source: string; shown: string; key: string }>();
  return (resources) => {
    for (const { resource, source } of resources) {
      if (!isVnetResource(resource)) continue;
      const space = addressSpaceOf(resource);
      if (!space) continue;
      const key = keyOf(resource.id);
      const first = firstReads.get(key);
      if (!first) firstReads.set(key, { source, ...space });
      else if (first.key !== space.key) {
        throw new InputError(
          source,
          `virtual network "${resource.name ?? nameOf(resource.id)}" was also read from ${first.source} with another address space (${first.shown || 'none'} there, ${space.shown || 'none'} here): give one export of each VNet`,
        );
      }
    }
  };
}

/**
 * A file's text, decoded by its byte-order mark (a UTF-16 export, Windows PowerShell 5.1's `>`,
 * reads as UTF-8 does): decoded once awaited, not as read, so that bytes that are not UTF-8 are
 * named by the path shown, and here, so that the bytes can be collected before the text is parsed.
 */
async function textOf(read: Promise<Buffer>, shown: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await read;
  } catch (error) {
    throw new InputError(shown, `cannot read the file: ${fsReason(error)}`);
  }
  return decodeFileBytes(bytes, shown);
}

/** Files read ahead of the one being parsed: reads overlap parsing, the order stays the tree's. */
const READ_AHEAD = 8;

/** What the files say beside their resources. */
export interface SnapshotFilesRead {
  /** The scopes the files list as unreadable (a partial `export --live`), in order. */
  unreadable: UnreadableScope[];
  /** Lines for stderr, each naming a file: what was read is audited, but may not be what was meant. */
  warnings: string[];
}

/**
 * Hands each file's resources to `take`, file by file in the tree's order, reading ahead while
 * parsing; returns what the files say beside their resources.
 */
export async function forEachSnapshotFile(paths: readonly string[], take: (resources: readonly SourcedResource[]) => void): Promise<SnapshotFilesRead> {
  if (paths.includes('')) throw new InputError('(empty path)', 'an input path is empty: name a snapshot file or directory');
  const checkVnetSpaces = vnetSpaceCheck();
  const unreadable: UnreadableScope[] = [];
  const warnings: string[] = [];
  let anyResource = false;
  const listed = new Set<string>();
  const read = new Set<string>();
  for (const path of paths) {
    const found = await listJsonFiles(path);
    if (found.length === 0) throw new InputError(path, 'directory holds no .json files');
    // A file reached twice (two links to it, or named by two inputs) is read once.
    const files: JsonFile[] = [];
    for (const f of found) {
      if (read.has(f.real)) continue;
      read.add(f.real);
      files.push(f);
    }
    const reads: Array<Promise<Buffer> | undefined> = [];
    const start = (i: number) => {
      const file = files[i];
      if (file === undefined || reads[i]) return;
      const bytes = readFile(file.path);
      bytes.catch(() => undefined); // awaited in order below; a failure is raised there
      reads[i] = bytes;
    };
    for (let i = 0; i < Math.min(READ_AHEAD, files.length); i += 1) start(i);
    for (let i = 0; i < files.length; i += 1) {
      start(i + READ_AHEAD);
      const file = files[i] as JsonFile;
      const shown = relative(process.cwd(), file.path) || file.path;
      const text = await textOf(reads[i] as Promise<Buffer>, shown);
      reads[i] = undefined;
      const document = snapshotFromDocument(parseJsonText(text, shown), shown);
      // A file of a directory may be empty (a subscription without VNets); one named on its own
      // and empty is more likely a failed or wrong export, which the other inputs would hide.
      if (file.named && document.resources.length === 0 && document.unreadable.length === 0) {
        warnings.push(`${shown}: holds no resource, so nothing was read from it (a failed export, or the wrong file?)`);
      }
      anyResource ||= document.resources.length > 0;
      checkVnetSpaces(document.resources);
      take(document.resources);
      for (const u of document.unreadable) {
        const key = `${u.scope.toLowerCase()}\n${u.reason}`;
        if (listed.has(key)) continue;
        listed.add(key);
        unreadable.push(u);
      }
    }
  }
  // Nothing read from any input: the caller's "nothing to audit" error names them all already.
  return { unreadable, warnings: anyResource ? warnings : [] };
}

/** What the snapshot files hold: every resource, the scopes they list as unreadable, warnings for stderr. */
export interface SnapshotRead extends SnapshotFilesRead {
  resources: SourcedResource[];
}

/** Every resource of the snapshot files, the scopes they list as unreadable, and warnings for stderr. */
export async function readSnapshotFiles(paths: readonly string[]): Promise<SnapshotRead> {
  const resources: SourcedResource[] = [];
  const read = await forEachSnapshotFile(paths, (entries) => {
    for (const entry of entries) resources.push(entry);
  });
  return { resources, ...read };
}

/** Every resource of the snapshot files, for callers that need the raw resources. */
export async function readSnapshot(paths: readonly string[]): Promise<SourcedResource[]> {
  return (await readSnapshotFiles(paths)).resources;
}

/** The topology of the snapshot files, the scopes they list as unreadable (to pass to the audit), warnings for stderr. */
export interface SnapshotEstate extends SnapshotFilesRead {
  topology: Topology;
}

/**
 * The topology of the snapshot files, built file by file: each file's JSON can be collected once
 * it is added, so a large estate never holds all of its raw JSON and its topology at once.
 */
export async function readSnapshotEstate(paths: readonly string[], options: BuildOptions = {}): Promise<SnapshotEstate> {
  const builder = new TopologyBuilder(options);
  const read = await forEachSnapshotFile(paths, (entries) => {
    for (const { resource, source } of entries) builder.add(resource, source);
  });
  return { topology: builder.build(), ...read };
}
