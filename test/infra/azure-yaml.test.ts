// azure.yaml and the deployment package agree: azd builds here (`npm run build`) and deploys the
// package as built. A remote (Oryx) build on Flex Consumption would run `npm install`, whose
// `prepare` script runs tsc on src/ and tsconfig*.json, which .funcignore leaves out: the
// deployment would fail. azd builds ts/js remotely unless told otherwise (before 1.23.12 always,
// later when .funcignore leaves out node_modules), and reads `remoteBuild` from 1.23.5 on
// (Azure/azure-dev#6748, #7223; schemas/v1.0/azure.yaml.json).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ignore from 'ignore';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface AzureYaml {
  requiredVersions?: { azd?: string };
  services?: Record<string, { host?: string; language?: string; project?: string; remoteBuild?: unknown }>;
}

const azure = parseYaml(read('azure.yaml')) as AzureYaml;
const api = azure.services?.api;
const funcignore = ignore().add(read('.funcignore'));
const packageJson = JSON.parse(read('package.json')) as { main: string; scripts: Record<string, string> };

/** The version a `>= x.y.z` range starts at, as [major, minor, patch]; undefined for any other range. */
function minimumOf(range: string | undefined): number[] | undefined {
  const match = /^\s*>=\s*(\d+)\.(\d+)\.(\d+)\s*$/.exec(range ?? '');
  return match ? match.slice(1).map(Number) : undefined;
}

const atLeast = (version: number[], minimum: number[]) => {
  for (let i = 0; i < minimum.length; i++) {
    if ((version[i] ?? 0) !== minimum[i]) return (version[i] ?? 0) > (minimum[i] ?? 0);
  }
  return true;
};

describe('azure.yaml: the function app is built locally and deployed as built', () => {
  it('deploys the project root as a TypeScript function app', () => {
    expect(api).toMatchObject({ project: '.', language: 'ts', host: 'function' });
  });

  it('turns the remote build off explicitly (azd builds ts remotely by default)', () => {
    expect(api?.remoteBuild).toBe(false);
  });

  it('requires an azd that reads remoteBuild (1.23.5 or later)', () => {
    const minimum = minimumOf(azure.requiredVersions?.azd);
    expect(minimum, `requiredVersions.azd is ${JSON.stringify(azure.requiredVersions?.azd)}; expected ">= 1.23.5" or later`).toBeDefined();
    expect(atLeast(minimum as number[], [1, 23, 5])).toBe(true);
  });

  it('is deployed to a Flex Consumption plan (azd refuses remoteBuild on any other plan)', () => {
    expect(read('infra/modules/function-app.bicep')).toMatch(/sku:\s*\{\s*tier:\s*'FlexConsumption'/);
  });

  it('keeps node_modules in the package (with remoteBuild: false azd refuses a .funcignore that leaves it out)', () => {
    expect(funcignore.ignores('node_modules/')).toBe(false);
    expect(funcignore.ignores('node_modules')).toBe(false);
  });

  it('ships the built bundle, and not what a build needs, so only a local build can work', () => {
    expect(funcignore.ignores(packageJson.main)).toBe(false);
    // What `npm install` would run remotely: prepare -> build -> tsc over these.
    expect(packageJson.scripts.prepare).toBe('npm run build');
    expect(packageJson.scripts.build).toMatch(/^tsc -p tsconfig\.build\.json\b/);
    for (const path of ['tsconfig.build.json', 'tsconfig.json', 'src/functions/index.ts']) expect(funcignore.ignores(path), path).toBe(true);
  });
});
