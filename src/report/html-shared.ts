import { nameOf, parseResourceId } from '../model/ids';
import type { ArmOperation, Rule, Severity } from '../rules/rule';

// Pieces the HTML report (html.ts) and the email HTML (email-html.ts) share: one palette, one way
// to name a finding's subject and to spell out a fix plan's operations (also the one-line form the
// Markdown report and `peerguard fix` print). Pure data, no markup.

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

/** `?api-version=...&syncRemoteAddressSpace=true` */
function operationQuery(op: ArmOperation): string {
  return `?${new URLSearchParams({ 'api-version': op.apiVersion, ...(op.query ?? {}) }).toString()}`;
}

export function operationView(op: ArmOperation): OperationView {
  return {
    method: op.method,
    resourceId: op.resourceId,
    query: operationQuery(op),
    body: op.body === undefined ? undefined : JSON.stringify(op.body, null, 2),
  };
}

/** `PUT /subscriptions/…/virtualNetworkPeerings/a-to-b?api-version=…`: an operation on one line. */
export function operationLine(op: ArmOperation): string {
  return `${op.method} ${op.resourceId}${operationQuery(op)}`;
}

export function countBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(keyOf(item), (counts.get(keyOf(item)) ?? 0) + 1);
  return counts;
}
