import type { Rule } from './rule';
import { describeVnet } from './describe';
import { failingChecksBySource, intentFindings } from './transit-intent-shared';

// The intent says A must reach C (reach, reach-each-other, on-premises), and the configuration
// gives no path: the first missing piece is named (src/reachability/engine.ts). One finding per
// (statement, A), naming the first unreachable C with its missing piece and counting the rest, so
// that a large group yields one finding per member, not per pair. Silent without an intent.
// A piece the engine cannot judge (`unsupported`: an appliance in the source VNet, routes a Route
// Server may program over BGP) fails the statement too, since the path is not shown, but the
// finding says it cannot be confirmed, not that A cannot reach C.

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
    return intentFindings(failingChecksBySource(topology, options.intent, 'reachable'), (first, count, checks) => {
      const target = first.to ? describeVnet(first.to) : 'on-premises';
      const unjudged = checks.some((c, k) => k > 0 && c.verdict.missing?.kind === 'unsupported');
      const more = count > 1 ? ` (${count - 1} more of the statement's VNets unreachable from it as well${unjudged ? ', or not shown reachable from it' : ''})` : '';
      const said = `Intent "${first.statement.label}" says ${describeVnet(first.from)} must reach ${target}`;
      const missing = first.verdict.missing;
      if (missing?.kind === 'unsupported') return `${said}, but it cannot be confirmed: a path between them cannot be judged (unsupported): ${missing.message}${more}`;
      return `${said}, but it cannot: ${missing?.message ?? 'no path'}${more}`;
    });
  },
};
