// `npm run bench`: figures beside their targets, medians of several runs. Sizes can be narrowed
// with BENCH_SIZES=1000,10000 and runs with BENCH_RUNS=3. The live audit through the stand-in runs
// up to BENCH_LIVE_MAX VNets (default 10,000: the stand-in's Resource Graph costs O(rows) per page,
// minutes at 50k); above it the Resource Graph calls are counted from the inventory's batching.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_REPORT_SCHEDULE } from '../src/config/app-settings';
import { generateEstate, writeEstate } from './generate';
import { randomReadNs } from './memory-latency';

const SIZES = (process.env.BENCH_SIZES ?? '1000,10000,50000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SEED = 42;
const LIVE_MAX = Number(process.env.BENCH_LIVE_MAX ?? 10_000);
const COLD_RUNS = 7;
const ROOT = resolve(__dirname, '..');

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
  ruleMs: Record<string, number>;
}

interface LiveFigures {
  standInStartMs: number;
  live?: { wallMs: number; readMs: number; rows: number; resourceGraphCalls: number; subscriptionListCalls: number; findings: number };
  planned: { calls: number; rows: number };
  floor: number;
  baseline?: { wallMs: number; calls: number; sampledVnets: number; vnets: number };
  event: { ioMs: number; computeMs: number; computeColdMs: number; armCalls: number; resourceGraphCalls: number; vnetsRead: number; spokePeerings: number; hubPeerings: number };
}

function liveFigures(dir: string, vnets: number): LiveFigures {
  const args = ['--import', 'tsx', resolve(__dirname, 'live-audit.ts'), dir, String(vnets <= 1_000 ? RUNS : 1)];
  if (vnets > LIVE_MAX) args.push('--no-live');
  const out = execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out.trim().split('\n').pop() as string) as LiveFigures;
}

/** Time to require the bundled Functions entry point (package.json "main") in a fresh process. */
function coldStartMs(): number {
  const entry = resolve(ROOT, (JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { main: string }).main);
  const script = `const t = performance.now(); require(${JSON.stringify(entry)}); process.stdout.write(String(performance.now() - t));`;
  // The settings the app refuses to start without, as the host would have them.
  const env = { ...process.env, AzureWebJobsStorage: 'UseDevelopmentStorage=true', PEERGUARD_REPORT_SCHEDULE: DEFAULT_REPORT_SCHEDULE };
  const runs = Array.from({ length: COLD_RUNS }, () => Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'ignore'] })));
  return median(runs);
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
  const latency = [1, 16, 256].map((mb) => `${randomReadNs(mb).toFixed(0)} ns over ${mb} MB`);
  console.log(`random read (each address from the read before): ${latency.join(', ')}`);
  execFileSync('npm', ['run', '-s', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] }); // the bundle the cold start loads
  const results = SIZES.map((size) => {
    const { dir, megabytes } = estateDir(size);
    const runs = Array.from({ length: RUNS }, () => fileAudit(dir));
    const pick = (k: Exclude<keyof FileAudit, 'ruleMs'>) => median(runs.map((r) => r[k]));
    const rule = (id: string) => median(runs.map((r) => r.ruleMs[id] ?? 0));
    const live = liveFigures(dir, size);
    return { size, megabytes, runs, pick, rule, live };
  });
  const cold = coldStartMs();
  const col = (f: (r: (typeof results)[number]) => string) => results.map(f);
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const ms = (value: number) => `${value.toFixed(0)} ms`;
  const largest = results[results.length - 1];
  const ruleIds = Object.keys(largest?.runs[0]?.ruleMs ?? {}).sort((a, b) => (largest?.rule(b) ?? 0) - (largest?.rule(a) ?? 0));
  const ratio = (calls: number, floor: number) => `${calls} / ${floor} (${(calls / floor).toFixed(2)}×)`;
  printTable([
    ['estate: VNets / peerings', '', ...col((r) => `${r.pick('vnets')} / ${r.pick('peerings')}`)],
    ['estate: JSON size', '', ...col((r) => `${r.megabytes.toFixed(0)} MB`)],
    ['file audit: wall (parse+topology+rules+report)', '< 10 s at 50k', ...col((r) => s(r.pick('totalMs')))],
    ['  parse JSON files', '', ...col((r) => s(r.pick('parseMs')))],
    ['  build topology + run every rule', '< 2 s at 50k', ...col((r) => s(r.pick('topologyMs') + r.pick('rulesMs')))],
    ['    build topology', '', ...col((r) => s(r.pick('topologyMs')))],
    ['    every rule (incl. fingerprints, sort)', '', ...col((r) => s(r.pick('rulesMs')))],
    ...ruleIds.map((id): Row => [`      ${id}`, '', ...col((r) => ms(r.rule(id)))]),
    ['file audit: peak RSS', '< 2 GiB at 50k', ...col((r) => `${r.pick('peakRssMiB').toFixed(0)} MiB`)],
    ['findings', '', ...col((r) => String(r.pick('findings')))],
    ['live audit (Resource Graph SDK → stand-in): wall', '', ...col((r) => (r.live.live ? s(r.live.live.wallMs) : 'not run (stand-in)'))],
    ['  Resource Graph calls / floor ceil(rows/1000), rows incl. one per subscription', '≤ 1.1× floor', ...col((r) => (r.live.live ? ratio(r.live.live.resourceGraphCalls, r.live.floor) : `${ratio(r.live.planned.calls, r.live.floor)} counted`))],
    ['  GET /subscriptions pages (scope)', '', ...col((r) => (r.live.live ? String(r.live.live.subscriptionListCalls) : '—'))],
    ['baseline (ARM: VNets per subscription, then peerings per VNet): calls', '', ...col((r) => String(r.live.baseline?.calls ?? '—'))],
    ['  baseline wall', '', ...col((r) => (r.live.baseline ? `${s(r.live.baseline.wallMs)}${r.live.baseline.sampledVnets < r.live.baseline.vnets ? ` (peering lists of ${r.live.baseline.sampledVnets} VNets, extrapolated)` : ''}` : '—'))],
    ['event path (spoke–hub peering change, largest hub): ARM calls', '≤ 6', ...col((r) => `${r.live.event.armCalls}, ${r.live.event.resourceGraphCalls} of them Resource Graph`)],
    ['  hub peerings / VNets read', '', ...col((r) => `${r.live.event.hubPeerings} / ${r.live.event.vnetsRead}`)],
    ['  ARM reads (I/O)', '', ...col((r) => ms(r.live.event.ioMs))],
    ['  own compute (topology + rules + scope), warm instance (median of events 12–32)', '< 100 ms', ...col((r) => ms(r.live.event.computeMs))],
    ['    first event of a fresh process (cold, median of 5 processes)', '', ...col((r) => ms(r.live.event.computeColdMs))],
    ['cold start: require bundled entry (fresh node)', '< 300 ms', ...col(() => ms(cold))],
  ]);
  console.log(
    '\nLive audit projection (inventoryQuery): id, name, type, location, tags, subscriptionId, resourceGroup, and per type only ' +
      'VNets {addressSpace, subnets, virtualNetworkPeerings}, gateways {gatewayType, sku, ipConfigurations}, route tables {routes, subnets, disableBgpRoutePropagation}, ' +
      'NICs with IP forwarding {enableIPForwarding, ipConfigurations}, firewalls and hubs {ipConfigurations}, network managers {} (id only). ' +
      'Where a batch holds a network manager, a second query (networkresources) reads AVNM configurations {connectivityTopology, hubs, isGlobal, appliesToGroups} and static members {resourceId}. ' +
      'The live wall time includes the in-process stand-in.',
  );
}

main();
