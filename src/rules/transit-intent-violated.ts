import { describeConnection } from '../reachability/engine';
import type { Rule } from './rule';
import { describeVnet } from './describe';
import { failingChecksBySource, intentFindings } from './transit-intent-shared';

// The intent says groups X and Y are isolated, and the configuration gives a path (both ways)
// between a member A of X and a member C of Y, or between some part of each (a subnet peering, a
// range not synced, a route that blackholes part): the finding spells the path and the parts. One finding per
// (statement, A), naming the first C and counting the rest. Silent without an intent.

export const transitIntentViolated: Rule = {
  meta: {
    id: 'transit-intent-violated',
    title: 'VNets the intent says are isolated can reach each other',
    category: 'transit',
    defaultSeverity: 'error',
    description:
      'The declared intent says two groups of VNets are isolated, and a path exists in the configuration (a peering, a mesh group, or routes through an appliance): the finding spells the path.',
    docsUrl: 'https://learn.microsoft.com/azure/virtual-network/virtual-network-peering-overview',
    fix: 'none',
  },
  evaluate(topology, options) {
    if (!options?.intent) return [];
    return intentFindings(failingChecksBySource(topology, options.intent, 'isolated'), (first, count) => {
      const more = count > 1 ? ` (${count - 1} more VNets of the other group are reachable from it as well, or not shown isolated from it)` : '';
      const path = describeConnection(first.verdict);
      const said = `Intent "${first.statement.label}" says ${describeVnet(first.from)} and ${describeVnet(first.to ?? '?')} are isolated`;
      // Undetermined: the engine cannot judge a piece of the way (an appliance in the source VNet,
      // or routes a Route Server may program over BGP, which are not in the configuration), so a
      // path is not ruled out; the isolation is reported as not confirmed, never as holding.
      if (!path && first.verdict.undetermined) {
        return `${said}, but it cannot be confirmed: a path between them cannot be ruled out (${first.verdict.undetermined.kind}): ${first.verdict.undetermined.message.replace(/\.$/, '')}${more}.`;
      }
      return `${said}, but a path exists: ${path ?? '?'}${more}.`;
    });
  },
};
