// The event path's own compute (topology + rules + scope) over one neighbourhood read, in a process
// of its own as in a Functions instance: beside the in-process stand-in, which holds the whole
// estate, the collector's work on the stand-in's store would be counted as ours. Reads the read
// from the JSON file named on the command line; prints one JSON line: the median of the warm runs
// (an instance handles event after event) and the first, cold run, in ms.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { neighbourhoodScope } from '../src/alerts/scope';
import { DEFAULT_CONFIG } from '../src/engine/config';
import { auditResources } from '../src/engine/pipeline';
import type { Inventory } from '../src/ports';
import { RULES } from '../src/rules';

const RUNS = 7;

const { inventory, vnetIds } = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as { inventory: Inventory; vnetIds: string[] };
const times: number[] = [];
let decided = 0;
for (let i = 0; i < RUNS; i += 1) {
  const start = performance.now();
  const run = auditResources({ resources: inventory.resources, rules: RULES, config: DEFAULT_CONFIG, now: new Date(), version: 'bench', extraSubscriptions: inventory.subscriptions, unreadable: inventory.unreadable });
  const scope = neighbourhoodScope({ topology: run.extras.topology, inventory, vnetIds }, RULES);
  decided = run.report.findings.filter((f) => scope.decides?.(f)).length;
  times.push(performance.now() - start);
}
const warm = times.slice(1).sort((a, b) => a - b);
process.stdout.write(`${JSON.stringify({ computeMs: warm[Math.floor(warm.length / 2)], coldMs: times[0], findingsDecided: decided })}\n`);
