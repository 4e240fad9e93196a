import type { Finding } from '../engine/audit';
import { nameOf, parseResourceId } from '../model/ids';
import type { ArmOperation, Rule, Severity } from '../rules/rule';

// Pieces the HTML report (html.ts) and the email HTML (email-html.ts) share: one palette, one way
// to name a finding's subject and to spell out a fix plan's operations. Pure data, no markup.

export const SEVERITY_STYLE: Record<Severity, { label: string; colour: string; background: string }> = {
  error: { label: 'Error', colour: '#b71c1c', background: '#fdecea' },
  warning: { label: 'Warning', colour: '#8a5300', background: '#fff4e0' },
  info: { label: 'Info', colour: '#01579b', background: '#e6f3fb' },
};

export const SEVERITY_ORDER: readonly Severity[] = ['error', 'warning', 'info'];

/** `vnet-a › peering a-to-b`, from a resource id: what a reader recognises first. */
export function subjectOf(resourceId: string): string {
  const parsed = parseResourceId(resourceId);
  if (parsed?.parentId) return `${nameOf(parsed.parentId)} › ${parsed.name}`;
  return parsed?.name ?? nameOf(resourceId);
}

export function ruleTitles(rules: readonly Rule[]): Map<string, Rule['meta']> {
  return new Map(rules.map((r) => [r.meta.id, r.meta]));
}

export interface OperationView {
  method: ArmOperation['method'];
  resourceId: string;
  /** `?api-version=...&syncRemoteAddressSpace=true` */
  query: string;
  /** The request body as indented JSON, or undefined for none. */
  body: string | undefined;
}

export function operationView(op: ArmOperation): OperationView {
  const params = new URLSearchParams({ 'api-version': op.apiVersion, ...(op.query ?? {}) });
  return {
    method: op.method,
    resourceId: op.resourceId,
    query: `?${params.toString()}`,
    body: op.body === undefined ? undefined : JSON.stringify(op.body, null, 2),
  };
}

export function countBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(keyOf(item), (counts.get(keyOf(item)) ?? 0) + 1);
  return counts;
}

/** One line for a fix, as the table renderer words it. */
export function fixSummary(finding: Finding): string | undefined {
  if (!finding.fix) return undefined;
  const n = finding.fix.operations.length;
  return `${finding.fix.destructive ? 'Destructive fix' : 'Fix'}: ${finding.fix.description} (${n} ARM operation${n === 1 ? '' : 's'})`;
}
