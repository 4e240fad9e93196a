// The deployment package (.funcignore, in gitignore syntax as azd reads it; func reads it from the
// root only, which the anchored patterns mean anyway): what the app needs at run time stays in,
// sources, tests and local secrets stay out.
import { readdirSync, readFileSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import ignore from 'ignore';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { main: string; dependencies: Record<string, string> };
const funcignore = ignore().add(readFileSync(join(ROOT, '.funcignore'), 'utf8'));

describe('.funcignore', () => {
  it.each([
    'host.json',
    'package.json',
    packageJson.main,
    ...Object.keys(packageJson.dependencies).map((name) => `node_modules/${name}/package.json`),
  ])('keeps %s', (path) => {
    expect(funcignore.ignores(path)).toBe(false);
  });

  it('keeps every file under node_modules (the SDKs load files such as node_modules/debug/src/index.js)', () => {
    const files = (readdirSync(join(ROOT, 'node_modules'), { recursive: true, withFileTypes: true }) as Dirent[])
      .filter((entry) => entry.isFile())
      .map((entry) => `${entry.parentPath.slice(ROOT.length + 1)}/${entry.name}`.split('\\').join('/'));
    expect(files.length).toBeGreaterThan(1000);
    expect(files.filter((path) => funcignore.ignores(path))).toEqual([]);
  });

  it.each([
    'local.settings.json',
    'local.settings.sample.json',
    'src/model/build.ts',
    'test/infra/contract.test.ts',
    'bench/run.ts',
    'test-results/junit.xml',
    'dist/src/cli/main.js',
    'infra/main.bicep',
    'README.md',
    '.git/config',
    '.azurite/__azurite_db_table__.json',
  ])('leaves out %s', (path) => {
    expect(funcignore.ignores(path)).toBe(true);
  });
});
