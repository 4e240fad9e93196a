import type { AuditNotice, Finding, SuppressedFinding } from '../engine/audit';
import type { Topology } from '../model/types';
import type { AuditScope } from '../ports';
import { unreadRemoteReason, type UnreadRemoteReason } from '../rules/describe';
import type { Severity } from '../rules/rule';

// The JSON report of design.md: a public contract. Renderers take this object and nothing else.

export interface UnreadableScope {
  /** A subscription id, or a management group / query scope when no subscription can be named. */
  scope: string;
  reason: string;
}

/**
 * Peerings whose remote VNet was not read, so that their pairs are unverified: the peerings
 * `peering-remote-out-of-scope` reports, counted by the remote's subscription and why.
 */
export interface OutOfScopeRemotes {
  /** The remote VNets' subscription, lower-cased. */
  subscription: string;
  /**
   * `subscription-not-read`; `classic-vnet` (never read, in a subscription that may have been);
   * `vnet-not-read`: absent from a subscription that was read while its peering says Connected or
   * records no state, so not deleted but not read (Reader per resource group, Resource Graph lag).
   */
  reason: UnreadRemoteReason;
  peerings: number;
}

export interface Coverage {
  subscriptions: string[];
  unreadable: UnreadableScope[];
  /** Listed whether or not `peering-remote-out-of-scope` is enabled: what the audit could not verify. */
  outOfScope: OutOfScopeRemotes[];
}

export interface AuditReport {
  tool: { name: 'peerguard'; version: string };
  generatedAt: string;
  summary: { vnets: number; peerings: number; findings: Record<Severity, number> };
  coverage: Coverage;
  findings: Finding[];
}

/** What renderers may show beyond the contract (never part of the JSON document). */
export interface ReportExtras {
  suppressed: SuppressedFinding[];
  notices: AuditNotice[];
  topology?: Topology;
}

export function buildReport(input: {
  version: string;
  now: Date;
  topology: Topology;
  findings: Finding[];
  unreadable?: UnreadableScope[];
}): AuditReport {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of input.findings) counts[f.severity] += 1;
  return {
    tool: { name: 'peerguard', version: input.version },
    generatedAt: input.now.toISOString(),
    summary: { vnets: input.topology.vnets.size, peerings: input.topology.peerings.size, findings: counts },
    coverage: {
      subscriptions: [...input.topology.subscriptions].sort(),
      unreadable: [...(input.unreadable ?? [])].sort((a, b) => (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : 0)),
      outOfScope: outOfScopeRemotes(input.topology),
    },
    findings: input.findings,
  };
}

/** The peerings whose remote could not be verified, by the remote's subscription (sorted). */
function outOfScopeRemotes(topology: Topology): OutOfScopeRemotes[] {
  const counts = new Map<string, OutOfScopeRemotes>();
  for (const peering of topology.peerings.values()) {
    const reason = unreadRemoteReason(peering);
    if (!reason) continue;
    const subscription = peering.remoteSubscriptionId?.toLowerCase() ?? '(unknown)';
    const key = `${subscription}\n${reason}`;
    const entry = counts.get(key) ?? { subscription, reason, peerings: 0 };
    entry.peerings += 1;
    counts.set(key, entry);
  }
  return [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, entry]) => entry);
}

/** `1 VNet`, `2 VNets`, `0 peerings`. */
export const plural = (count: number, noun: string): string => `${count} ${noun}${count === 1 ? '' : 's'}`;

/**
 * `3 peerings to 2 subscriptions not read, and 1 to classic VNets, whose pairs are unverified`, or
 * undefined when every remote could be verified.
 */
export function outOfScopeText(coverage: Coverage): string | undefined {
  const withReason = (reason: OutOfScopeRemotes['reason']) => coverage.outOfScope.filter((o) => o.reason === reason);
  const unread = withReason('subscription-not-read');
  const classic = withReason('classic-vnet');
  const absent = withReason('vnet-not-read');
  const peeringsOf = (entries: OutOfScopeRemotes[]) => entries.reduce((sum, o) => sum + o.peerings, 0);
  // The first part says "peerings"; the parts after it give their counts alone.
  const parts: string[] = [];
  const add = (entries: OutOfScopeRemotes[], rest: string) => {
    if (entries.length === 0) return;
    parts.push(`${parts.length > 0 ? peeringsOf(entries) : plural(peeringsOf(entries), 'peering')} ${rest}`);
  };
  add(unread, `to ${plural(unread.length, 'subscription')} not read`);
  add(classic, 'to classic VNets, which are never read');
  add(absent, `to VNets absent from ${plural(absent.length, 'subscription')} that ${absent.length === 1 ? 'was' : 'were'} read, though their peerings do not say the VNets were deleted`);
  return parts.length === 0 ? undefined : `${parts.join(', and ')}, whose pairs are unverified`;
}

/** `outOfScopeText` as a sentence of its own, or '' when every remote could be verified. */
export function outOfScopeSentence(coverage: Coverage): string {
  const text = outOfScopeText(coverage);
  return text ? `${text[0]?.toUpperCase()}${text.slice(1)}.` : '';
}

/** A partial audit (some scope unreadable) is never "compliant". */
export function isPartial(report: AuditReport): boolean {
  return report.coverage.unreadable.length > 0;
}

/**
 * Every scope was read and none held a VNet: a wrong scope, or an identity without Reader on it,
 * reads as empty, so the audit judged nothing (and is not "compliant").
 */
export function auditedNothing(report: AuditReport): boolean {
  return !isPartial(report) && report.summary.vnets === 0;
}

/** `a, b, c and 61 more`: a list that could run to hundreds (subscriptions) kept to a readable message. */
export function firstFew(items: readonly string[], shown = 3): string {
  return items.length <= shown ? items.join(', ') : `${items.slice(0, shown).join(', ')} and ${items.length - shown} more`;
}

/** An audit's scope in words, for messages: `subscriptions a, b`, `management group mg`, or the whole tenant. */
export function describeAuditScope(scope: AuditScope): string {
  if (scope.kind === 'subscriptions') {
    const ids = scope.subscriptionIds;
    return `subscription${ids.length === 1 ? '' : 's'} ${firstFew(ids)}`;
  }
  if (scope.kind === 'managementGroup') return `management group ${scope.managementGroupId}`;
  return 'the subscriptions the identity can see';
}

/** `1 subscription read`, `3 subscriptions read`. */
export function subscriptionsRead(count: number): string {
  return `${count} subscription${count === 1 ? '' : 's'} read`;
}

/** `1 scope could not be read`, `3 scopes could not be read`. */
export function scopesNotRead(count: number): string {
  return `${count} scope${count === 1 ? '' : 's'} could not be read`;
}

/**
 * Why an audit that read no VNet judged nothing, or undefined when it read one: every scope read
 * was empty (a wrong export or scope, no Reader role), or the scopes that held them could not be
 * read. `where` names what was read, `hint` what to check, `listed` where the unreadable scopes are
 * shown. The CLI refuses such a run (exit 2) and the HTTP audit answers 502, never "compliant".
 */
export function nothingAuditedReason(report: AuditReport, where: string, hint: string, listed: string): string | undefined {
  if (report.summary.vnets > 0) return undefined;
  if (!isPartial(report)) return `no virtual networks in ${where}: nothing to audit (${hint})`;
  return `no virtual networks read from ${where}: ${scopesNotRead(report.coverage.unreadable.length)} (${listed}), so nothing was audited`;
}

/** What a report without findings says of itself: "compliant" only when every scope was read and something was in it. */
export function noFindingsText(report: AuditReport): string {
  if (isPartial(report)) return 'No findings in the scopes that could be read.';
  if (auditedNothing(report)) return "No findings, but no virtual network was read: nothing was audited (check the scope and the identity's Reader role).";
  const unverified = outOfScopeText(report.coverage);
  return unverified ? `No findings: every peering read is compliant, but ${unverified}.` : 'No findings: every peering read is compliant.';
}

export type FailOn = Severity | 'none';

/** Linter exit codes: 1 when a finding is at or above `failOn`, else 0. */
export function exitCodeFor(report: AuditReport, failOn: FailOn): 0 | 1 {
  if (failOn === 'none') return 0;
  const order: Severity[] = ['error', 'warning', 'info'];
  const threshold = order.indexOf(failOn);
  return report.findings.some((f) => order.indexOf(f.severity) <= threshold) ? 1 : 0;
}
