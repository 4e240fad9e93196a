// The Functions app as one file (package.json "main": dist/functions/index.js), so that a cold
// start reads one script (our code, zod, @azure/functions) instead of resolving a thousand modules.
// `@azure/functions-core` is provided by the Functions host's worker (it is not on npm). The Azure
// SDK clients, which only some invocations need, are required lazily inside the adapters
// (src/azure/connection.ts, credentials.ts, subscriptions.ts, management-groups.ts, src/functions/composition.ts, and
// src/config/yaml-document.ts for yaml) and stay
// external: they load from node_modules on first use, not at start-up.
// Run by `npm run build` after tsc (the CLI and the tests use tsc's output under dist/src).
import process from 'node:process';
import { build } from 'esbuild';

/** The SDKs src/azure and src/functions/composition.ts require lazily (only when an adapter is built), and yaml (only when a configuration is parsed). */
const LAZY = [
  '@azure/arm-managementgroups',
  '@azure/arm-network',
  '@azure/arm-resourcegraph',
  '@azure/identity',
  '@azure/core-rest-pipeline',
  '@azure/communication-email',
  '@azure/data-tables',
  '@azure/storage-blob',
  '@azure/storage-queue',
  'yaml',
  // elkjs (2.6 MB, the HTML report's layout engine): required from node_modules, not parsed as part
  // of this script (bundled, it doubled the start-up script's parse time).
  'elkjs',
];

const result = await build({
  // tsc's CommonJS output: its require() calls pick each package's "require" export (CommonJS
  // builds); bundling the TypeScript would pick ESM builds that read import.meta.url.
  entryPoints: ['dist/src/functions/index.js'],
  outfile: 'dist/functions/index.js',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // web-worker: elkjs requires it only when given a worker URL, which peerguard never does.
  // LAZY: required on first use by the adapters; left in node_modules so that the start-up path
  // does not parse them (bundled, 7 MB of SDK code cost ~150 ms of parsing at every cold start).
  external: ['@azure/functions-core', 'web-worker', ...LAZY],
  sourcemap: true,
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
});

const out = result.metafile.outputs['dist/functions/index.js'];
process.stdout.write(`bundle: dist/functions/index.js ${(out.bytes / 1e6).toFixed(1)} MB (${Object.keys(out.inputs).length} modules)\n`);

