import type { ResourceKey } from '../model/ids';
import { forEachIntentCheck, type IntentCheck } from '../intent/evaluate';
import type { FindingDraft, Rule } from './rule';
import { describeVnet } from './describe';
import { intentFindings } from './transit-intent-shared';

// The intent says A must reach C (reach, reach-each-other, on-premises), and the configuration
// gives no path: the first missing piece is named (src/reachability/engine.ts). One finding per
// (statement, A), naming the first unreachable C with its missing piece and counting the rest, so
// that a large group yields one finding per member, not per pair. Silent without an intent.

export const transitIntentUnreachable: Rule = {
  meta: {
    id: 'transit-intent-unreachable',
    title: 'A VNet the intent says must reach another cannot',
    category: 'transit',
    defaultSeverity: 'error',
    description:
      'The declared intent says a VNet must reach another (or on-premises), and no path exists in the configuration: the finding names the first missing piece (peering, route, forwarded traffic, gateway transit).',
    docsUrl: 'https://learn.microsoft.com/azure/virtual-network/virtual-network-peering-overview',
    fix: 'none',
  },
  evaluate(topology, options) {
    if (!options?.intent) return [];
    const failing = new Map<string, IntentCheck[]>();
    forEachIntentCheck(topology, options.intent, (check) => {
      if (check.expected !== 'reachable' || check.holds) return;
      const key = `${check.statement.index}|${check.from.key as ResourceKey}`;
      const list = failing.get(key);
      if (list) list.push(check);
      else failing.set(key, [check]);
    });
    return intentFindings(topology, options.intent.source, failing, (first, count) => {
      const target = first.to ? describeVnet(topology, first.to) : 'on-premises';
      const more = count > 1 ? ` (${count - 1} more of the statement's VNets unreachable from it as well)` : '';
      return `Intent "${first.statement.label}" says ${describeVnet(topology, first.from)} must reach ${target}, but it cannot: ${first.verdict.missing?.message ?? 'no path'}${more}`;
    }) as FindingDraft[];
  },
};
