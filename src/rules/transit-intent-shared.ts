import { forEachIntentCheck, type IntentCheck } from '../intent/evaluate';
import type { Intent } from '../intent/schema';
import type { Topology } from '../model/types';
import type { FindingDraft } from './rule';

/** VNets named in relatedResourceIds per finding; the rest are counted in the message. */
const LISTED = 5;

/**
 * The checks of the intent that expect `expected` and do not hold, grouped by (statement, source
 * VNet), groups and checks in the order the intent visits them.
 */
export function failingChecksBySource(topology: Topology, intent: Intent, expected: IntentCheck['expected']): ReadonlyMap<string, IntentCheck[]> {
  const groups = new Map<string, IntentCheck[]>();
  forEachIntentCheck(topology, intent, (check) => {
    if (check.expected !== expected || check.holds) return;
    const key = `${check.statement.index}|${check.from.key}`;
    const list = groups.get(key);
    if (list) list.push(check);
    else groups.set(key, [check]);
  });
  return groups;
}

/**
 * One finding per (statement, source VNet): resourceId is the source VNet, related ids are the
 * first destinations and, for a `reach`, the resource holding the first missing piece; the identity (statement
 * position and source) stays stable as the other group grows.
 */
export function intentFindings(groups: ReadonlyMap<string, IntentCheck[]>, message: (first: IntentCheck, count: number, checks: readonly IntentCheck[]) => string): FindingDraft[] {
  const findings: FindingDraft[] = [];
  for (const checks of groups.values()) {
    const first = checks[0] as IntentCheck;
    const related: string[] = [];
    for (const c of checks.slice(0, LISTED)) if (c.to && !related.includes(c.to.id)) related.push(c.to.id);
    // The piece missing from a whole path: what a `reach` needs; an isolated pair connected in part has one too, beside the point.
    const piece = first.expected === 'reachable' ? first.verdict.missing?.resourceId : undefined;
    if (piece && piece !== first.from.id && !related.includes(piece)) related.push(piece);
    findings.push({
      resourceId: first.from.id,
      relatedResourceIds: related,
      identity: [first.from.id, `intent:statements[${first.statement.index}]:${first.statement.label}`],
      message: message(first, checks.length, checks),
    });
  }
  return findings;
}
