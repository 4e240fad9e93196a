import type { Topology, Vnet } from '../model/types';
import { reachability, type Verdict } from '../reachability/engine';
import { resolveIntent } from './resolve';
import type { Intent, Statement } from './schema';

// Every pair an intent names, with the reachability verdict: what the intent rules and `explain`
// check. Pairs are visited, not collected, so that a large group costs time, not memory.

export interface IntentCheck {
  statement: Statement;
  from: Vnet;
  /** Undefined for on-premises statements. */
  to: Vnet | undefined;
  expected: 'reachable' | 'isolated';
  /**
   * For `isolated`, `reachable`, `partly` (some part of each reaches the other, any way out and any
   * way back) or `undetermined` (a path the engine cannot rule out) is a violation.
   */
  verdict: Verdict;
  /** Whether the verdict agrees with the intent. */
  holds: boolean;
}

/** Visits every (statement, pair) the intent names, in statement and member order. */
export function forEachIntentCheck(topology: Topology, intent: Intent, visit: (check: IntentCheck) => void): void {
  const resolved = resolveIntent(intent, topology);
  const engine = reachability(topology);
  const members = (group: string) => resolved.members.get(group) ?? [];
  for (const statement of intent.statements) {
    const reach = (from: Vnet, to: Vnet, via: 'firewall' | 'appliance' | undefined) => {
      if (from.key === to.key) return;
      const verdict = engine.explain(from.key, to.key, via);
      visit({ statement, from, to, expected: 'reachable', verdict, holds: verdict.reachable });
    };
    switch (statement.kind) {
      case 'reach':
        for (const a of members(statement.from)) for (const c of members(statement.to)) reach(a, c, statement.via);
        break;
      case 'reach-each-other':
        for (const a of members(statement.group)) for (const c of members(statement.group)) reach(a, c, statement.via);
        break;
      case 'isolated': {
        const [x, y] = statement.between;
        for (const a of members(x)) {
          for (const c of members(y)) {
            if (a.key === c.key) continue;
            // Any part of one that reaches any part of the other, by any way out and any way back,
            // breaks isolation, not only a whole path; and a verdict the engine cannot reach
            // (`undetermined`: an appliance in the source VNet) never confirms it.
            const verdict = engine.isolation(a.key, c.key);
            visit({ statement, from: a, to: c, expected: 'isolated', verdict, holds: !verdict.reachable && !verdict.partly && !verdict.undetermined });
          }
        }
        break;
      }
      case 'on-premises': {
        const hubs = new Set(members(statement.via).map((v) => v.key));
        for (const a of members(statement.group)) {
          const verdict = engine.onPremises(a.key, hubs, statement.via);
          visit({ statement, from: a, to: undefined, expected: 'reachable', verdict, holds: verdict.reachable });
        }
        break;
      }
    }
  }
}

export function evaluateIntent(topology: Topology, intent: Intent): IntentCheck[] {
  const checks: IntentCheck[] = [];
  forEachIntentCheck(topology, intent, (c) => checks.push(c));
  return checks;
}
