// `npm run bench`: figures beside their targets, medians of several runs. Sizes can be narrowed
// with BENCH_SIZES=1000,10000 and runs with BENCH_RUNS=3.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { generateEstate, writeEstate } from './generate';

const SIZES = (process.env.BENCH_SIZES ?? '1000,10000,50000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SEED = 42;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function estateDir(vnets: number): { dir: string; megabytes: number } {
  const dir = join(tmpdir(), 'peerguard-bench', `estate-${vnets}-seed${SEED}`);
  if (!existsSync(join(dir, '.complete'))) {
    const { subscriptions } = generateEstate({ vnets, seed: SEED });
    writeEstate(dir, subscriptions);
    writeFileSync(join(dir, '.complete'), ''); // a later run reuses a fully written estate only
  }
  const bytes = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
  return { dir, megabytes: bytes / 1e6 };
}

interface FileAudit {
  parseMs: number;
  topologyMs: number;
  rulesMs: number;
  totalMs: number;
  peakRssMiB: number;
  vnets: number;
  peerings: number;
  findings: number;
}

function fileAudit(dir: string): FileAudit {
  const out = execFileSync(process.execPath, ['--import', 'tsx', resolve(__dirname, 'file-audit.ts'), dir], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop() as string) as FileAudit;
}

type Row = [figure: string, target: string, ...values: string[]];

function printTable(rows: Row[]): void {
  const header: Row = ['figure', 'target', ...SIZES.map((s) => `${s / 1000}k VNets`)];
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: Row) => `| ${r.map((c, i) => (c ?? '').padEnd(widths[i] as number)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

function main(): void {
  console.log(`peerguard bench · node ${process.version} · ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'} · ${(totalmem() / 2 ** 30).toFixed(0)} GiB · median of ${RUNS}`);
  const results = SIZES.map((size) => {
    const { dir, megabytes } = estateDir(size);
    const runs = Array.from({ length: RUNS }, () => fileAudit(dir));
    const pick = (k: keyof FileAudit) => median(runs.map((r) => r[k]));
    return { megabytes, runs, pick };
  });
  const col = (f: (r: (typeof results)[number]) => string) => results.map(f);
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  printTable([
    ['estate: VNets / peerings', '', ...col((r) => `${r.pick('vnets')} / ${r.pick('peerings')}`)],
    ['estate: JSON size', '', ...col((r) => `${r.megabytes.toFixed(0)} MB`)],
    ['file audit: wall (parse+topology+rules)', '< 10 s at 50k', ...col((r) => s(r.pick('totalMs')))],
    ['  parse JSON files', '', ...col((r) => s(r.pick('parseMs')))],
    ['  build topology + run every rule', '< 2 s at 50k', ...col((r) => s(r.pick('topologyMs') + r.pick('rulesMs')))],
    ['file audit: peak RSS', '< 2 GiB at 50k', ...col((r) => `${r.pick('peakRssMiB').toFixed(0)} MiB`)],
    ['findings', '', ...col((r) => String(r.pick('findings')))],
  ]);
}

main();
