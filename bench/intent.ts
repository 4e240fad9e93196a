// `npx tsx bench/intent.ts [VNETS]`: reachability for every pair an intent names over a generated
// estate (default 5,000 VNets), with the intent rules' evaluation. Prints one figure line.
import { generateEstate } from './generate';
import { forEachIntentCheck } from '../src/intent/evaluate';
import { parseIntent } from '../src/intent/schema';
import { buildTopology } from '../src/model/build';
import { transitIntentUnreachable } from '../src/rules/transit-intent-unreachable';
import { transitIntentViolated } from '../src/rules/transit-intent-violated';

const vnets = Number(process.argv[2] ?? 5000);
const { subscriptions } = generateEstate({ vnets, seed: 42 });
const topology = buildTopology(subscriptions.flatMap((s) => s.resources.map((resource) => ({ resource, source: s.subscriptionId }))));
const subs = subscriptions.map((s) => s.subscriptionId);
// Hubs live in the first subscription(s); spokes follow, 25 per subscription.
const intent = parseIntent({
  groups: {
    hubs: { names: ['vnet-hub-*'] },
    spokes: { names: ['vnet-spoke-*'] },
    teamA: { subscriptions: subs.slice(1, 21) },
    teamB: { subscriptions: subs.slice(21, 41) },
    teamC: { subscriptions: subs.slice(41, 61) },
  },
  statements: [
    { name: 'spokes reach every hub', reach: { from: 'spokes', to: 'hubs' } },
    { name: 'team A reach each other through a firewall', 'reach-each-other': 'teamA', via: 'firewall' },
    { name: 'team B reach each other', 'reach-each-other': 'teamB' },
    { name: 'teams A and C are isolated', isolated: { between: ['teamA', 'teamC'] } },
    { name: 'spokes use a hub gateway', 'on-premises': { group: 'spokes', via: 'hubs' } },
  ],
});

let started = performance.now();
let pairs = 0;
let holding = 0;
forEachIntentCheck(topology, intent, (c) => {
  pairs += 1;
  if (c.holds) holding += 1;
});
const engineMs = performance.now() - started;
started = performance.now();
const findings = transitIntentUnreachable.evaluate(topology, { peeringLimit: 500, intent }).length + transitIntentViolated.evaluate(topology, { peeringLimit: 500, intent }).length;
const rulesMs = performance.now() - started;
console.log(
  `intent reachability: ${topology.vnets.size} VNets, ${pairs} pairs named by intent (${holding} hold) in ${engineMs.toFixed(0)} ms ` +
    `(${((engineMs * 1000) / pairs).toFixed(1)} µs/pair); both intent rules again (warm caches): ${rulesMs.toFixed(0)} ms, ${findings} findings; ` +
    `heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB`,
);
