// One audit from exported files, in its own process so that peak RSS belongs to this run alone.
// Prints one JSON line of phase timings (ms) and peak RSS (MiB). The files are read and added to
// the topology one by one, as `peerguard audit --input` does: reading and parsing is timed apart
// from adding each file's resources to the topology.
import { performance } from 'node:perf_hooks';
import { runAudit } from '../src/engine/audit';
import { DEFAULT_CONFIG } from '../src/engine/config';
import { forEachSnapshotFile } from '../src/io/snapshot-files';
import { TopologyBuilder } from '../src/model/build';
import { buildReport } from '../src/report/report';
import { RULES } from '../src/rules';
import type { Rule } from '../src/rules/rule';

/**
 * Each rule wrapped so that its own evaluation time is counted (drafts are materialized inside).
 * Rules that judge one peering at a time run together in the engine's one pass over the peerings:
 * they are left as they are, and that pass is counted as the rest of the rules' time.
 */
function timed(rules: readonly Rule[], ruleMs: Record<string, number>): Rule[] {
  return rules.map((rule) =>
    rule.checkPeering
      ? rule
      : {
          ...rule,
          evaluate: (topology, options) => {
            const start = performance.now();
            const drafts = [...rule.evaluate(topology, options)];
            ruleMs[rule.meta.id] = (ruleMs[rule.meta.id] ?? 0) + performance.now() - start;
            return drafts;
          },
        },
  );
}

async function main(dir: string): Promise<void> {
  const t0 = performance.now();
  const builder = new TopologyBuilder();
  let addMs = 0;
  await forEachSnapshotFile([dir], (entries) => {
    const start = performance.now();
    for (const { resource, source } of entries) builder.add(resource, source);
    addMs += performance.now() - start;
  });
  const t1 = performance.now();
  const topology = builder.build();
  const t2 = performance.now();
  const ruleMs: Record<string, number> = {};
  const outcome = runAudit(topology, timed(RULES, ruleMs), DEFAULT_CONFIG, new Date());
  const t3 = performance.now();
  const onePass = RULES.filter((rule) => rule.checkPeering).length;
  ruleMs[`${onePass} per-peering rules in one pass, fingerprints, sort`] = t3 - t2 - Object.values(ruleMs).reduce((sum, ms) => sum + ms, 0);
  const json = JSON.stringify(buildReport({ version: 'bench', now: new Date(), topology, findings: outcome.findings }));
  const t4 = performance.now();
  process.stdout.write(
    `${JSON.stringify({
      parseMs: t1 - t0 - addMs,
      topologyMs: addMs + (t2 - t1),
      rulesMs: t3 - t2,
      reportMs: t4 - t3,
      totalMs: t4 - t0,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      vnets: topology.vnets.size,
      peerings: topology.peerings.size,
      findings: outcome.findings.length,
      reportBytes: json.length,
      ruleMs,
    })}\n`,
  );
}

void main(process.argv[2] as string);
