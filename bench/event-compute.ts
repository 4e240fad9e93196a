// The event path's own compute (topology + rules + scope) over one neighbourhood read, in a process
// of its own as in a Functions instance: beside the in-process stand-in, which holds the whole
// estate, the collector's work on the stand-in's store would be counted as ours. Reads the read
// from the JSON file named on the command line; prints one JSON line, in ms: the first, cold run
// (V8 still interprets and compiles our code), and the median of a warm instance's events, counted
// after WARM_UP events, as in an instance that handles event after event (V8 optimizes a function
// only after many calls: a median over the first few events measures the compiler, not the code).
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { neighbourhoodScope } from '../src/alerts/scope';
import { DEFAULT_CONFIG } from '../src/engine/config';
import { auditResources } from '../src/engine/pipeline';
import type { Inventory } from '../src/ports';
import { RULES } from '../src/rules';

const WARM_UP = 10;
const MEASURED = 21;

const { inventory, vnetIds } = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as { inventory: Inventory; vnetIds: string[] };
const times: number[] = [];
let decided = 0;
for (let i = 0; i < 1 + WARM_UP + MEASURED; i += 1) {
  const start = performance.now();
  const run = auditResources({ resources: inventory.resources, rules: RULES, config: DEFAULT_CONFIG, now: new Date(), version: 'bench', extraSubscriptions: inventory.subscriptions, unreadable: inventory.unreadable });
  const scope = neighbourhoodScope({ topology: run.extras.topology, inventory, vnetIds }, RULES);
  decided = run.report.findings.filter((f) => scope.decides?.(f)).length;
  times.push(performance.now() - start);
}
const warm = times.slice(1 + WARM_UP).sort((a, b) => a - b);
process.stdout.write(`${JSON.stringify({ computeMs: warm[Math.floor(warm.length / 2)], coldMs: times[0], findingsDecided: decided })}\n`);
