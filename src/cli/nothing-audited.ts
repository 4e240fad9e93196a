import { nothingAuditedReason, type AuditReport } from '../report/report';

/**
 * No VNet was read, so nothing was audited: every scope read was empty (a wrong export, input or
 * scope), or none could be read (no credential, no Reader role). "Compliant", or an exit code of
 * 0, would hide either from a CI gate: exit 2, like an input error.
 */
export class NothingToAuditError extends Error {}

/** What was audited: a live scope in words, or the input paths. */
export type AuditSource = { liveScope: string } | { input: readonly string[] };

/** Throws NothingToAuditError unless the report holds a VNet. */
export function requireVnets(report: AuditReport, source: AuditSource): void {
  const [where, hint] =
    'liveScope' in source ? [source.liveScope, 'is this the right scope, and does the identity have Reader on it?'] : [source.input.join(', '), 'is this the right export?'];
  const reason = nothingAuditedReason(report, where, hint, 'listed above');
  if (reason) throw new NothingToAuditError(reason);
}
