import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { TopologyBuilder, type BuildOptions } from '../model/build';
import { InputError, parseJsonText, resourcesFromDocument, type SourcedResource } from '../model/snapshot';
import type { Topology } from '../model/types';

// Reads snapshot files and directories (design.md "Input contract"). Directories are walked in a
// sorted order, so that the same tree always yields the same resources in the same order.

async function listJsonFiles(path: string): Promise<string[]> {
  const info = await stat(path).catch(() => {
    throw new InputError(path, 'no such file or directory');
  });
  if (info.isFile()) return [path];
  if (!info.isDirectory()) throw new InputError(path, 'not a file or directory');
  const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  const files: string[] = [];
  for (const entry of entries) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) files.push(...(await listJsonFiles(full)));
    else if (entry.isFile() && entry.name.toLowerCase().endsWith('.json')) files.push(full);
  }
  return files;
}

/** Files read ahead of the one being parsed: reads overlap parsing, the order stays the tree's. */
const READ_AHEAD = 8;

/** Hands each file's resources to `take`, file by file in the tree's order, reading ahead while parsing. */
export async function forEachSnapshotFile(paths: readonly string[], take: (resources: readonly SourcedResource[]) => void): Promise<void> {
  for (const path of paths) {
    const files = await listJsonFiles(path);
    if (files.length === 0) throw new InputError(path, 'directory holds no .json files');
    const reads: Array<Promise<string> | undefined> = [];
    const start = (i: number) => {
      const file = files[i];
      if (file === undefined || reads[i]) return;
      const read = readFile(file, 'utf8');
      read.catch(() => undefined); // awaited in order below; a failure is raised there
      reads[i] = read;
    };
    for (let i = 0; i < Math.min(READ_AHEAD, files.length); i += 1) start(i);
    for (let i = 0; i < files.length; i += 1) {
      start(i + READ_AHEAD);
      const file = files[i] as string;
      const shown = relative(process.cwd(), file) || file;
      const text = await (reads[i] as Promise<string>);
      reads[i] = undefined;
      take(resourcesFromDocument(parseJsonText(text, shown), shown));
    }
  }
}

/** Every resource of the snapshot files, for callers that need the raw resources. */
export async function readSnapshot(paths: readonly string[]): Promise<SourcedResource[]> {
  const resources: SourcedResource[] = [];
  await forEachSnapshotFile(paths, (entries) => {
    for (const entry of entries) resources.push(entry);
  });
  return resources;
}

/**
 * The topology of the snapshot files, built file by file: each file's JSON can be collected once
 * it is added, so a large estate never holds all of its raw JSON and its topology at once.
 */
export async function readSnapshotTopology(paths: readonly string[], options: BuildOptions = {}): Promise<Topology> {
  const builder = new TopologyBuilder(options);
  await forEachSnapshotFile(paths, (entries) => {
    for (const { resource, source } of entries) builder.add(resource, source);
  });
  return builder.build();
}
