import { isPartial, type AuditReport } from '../report/report';

/**
 * No VNet was read, so nothing was audited: every scope read was empty (a wrong export, input or
 * scope), or none could be read (no credential, no Reader role). "Compliant", or an exit code of
 * 0, would hide either from a CI gate: exit 2, like an input error.
 */
export class NothingToAuditError extends Error {}

/** What was audited: a live scope in words, or the input paths. */
export type AuditSource = { liveScope: string } | { input: readonly string[] };

/** `1 scope could not be read`, `3 scopes could not be read`. */
export function scopesNotRead(count: number): string {
  return `${count} scope${count === 1 ? '' : 's'} could not be read`;
}

/** Throws NothingToAuditError unless the report holds a VNet. */
export function requireVnets(report: AuditReport, source: AuditSource): void {
  if (report.summary.vnets > 0) return;
  const [where, hint] =
    'liveScope' in source ? [source.liveScope, 'is this the right scope, and does the identity have Reader on it?'] : [source.input.join(', '), 'is this the right export?'];
  if (!isPartial(report)) throw new NothingToAuditError(`no virtual networks in ${where}: nothing to audit (${hint})`);
  throw new NothingToAuditError(`no virtual networks read from ${where}: ${scopesNotRead(report.coverage.unreadable.length)} (listed above), so nothing was audited`);
}
