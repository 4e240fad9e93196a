import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { InputError, parseJsonText, resourcesFromDocument, type SourcedResource } from '../model/snapshot';

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

export async function readSnapshot(paths: readonly string[]): Promise<SourcedResource[]> {
  const resources: SourcedResource[] = [];
  for (const path of paths) {
    const files = await listJsonFiles(path);
    if (files.length === 0) throw new InputError(path, 'directory holds no .json files');
    for (const file of files) {
      const shown = relative(process.cwd(), file) || file;
      const text = await readFile(file, 'utf8');
      resources.push(...resourcesFromDocument(parseJsonText(text, shown), shown));
    }
  }
  return resources;
}
