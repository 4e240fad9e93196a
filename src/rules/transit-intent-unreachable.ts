import type { Rule } from './rule';
import { describeVnet } from './describe';
import { failingChecksBySource, intentFindings } from './transit-intent-shared';

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
    return intentFindings(failingChecksBySource(topology, options.intent, 'reachable'), (first, count) => {
      const target = first.to ? describeVnet(first.to) : 'on-premises';
      const more = count > 1 ? ` (${count - 1} more of the statement's VNets unreachable from it as well)` : '';
      return `Intent "${first.statement.label}" says ${describeVnet(first.from)} must reach ${target}, but it cannot: ${first.verdict.missing?.message ?? 'no path'}${more}`;
    });
  },
};
