import type { Finding } from '../engine/audit';
import type { AuditReport } from './report';

// CSV (RFC 4180) for spreadsheets: one record per finding, every field quoted, CRLF line ends.
// A spreadsheet runs a cell that starts with =, +, -, @, tab or CR as a formula (CSV injection,
// OWASP): such a cell gets a leading apostrophe, so that a name from Azure stays text.

export const CSV_COLUMNS = [
  'ruleId',
  'severity',
  'resourceId',
  'message',
  'relatedResourceIds',
  'fingerprint',
  'fixDescription',
] as const;

/** Separator of the ids in the relatedResourceIds cell (Azure allows no `;` in these names). */
export const RELATED_ID_SEPARATOR = ';';

const FORMULA_START = /^[=+\-@\t\r]/;

/** Neutralises a formula, then quotes the field (RFC 4180: double the quotes inside). */
export function csvField(value: string): string {
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return `"${text.replace(/"/g, '""')}"`;
}

export function renderCsv(report: AuditReport): string {
  const records = [CSV_COLUMNS.map((c) => csvField(c)).join(',')];
  for (const f of report.findings) records.push(row(f).map(csvField).join(','));
  return records.join('\r\n') + '\r\n';
}

function row(f: Finding): string[] {
  return [
    f.ruleId,
    f.severity,
    f.resourceId,
    f.message,
    f.relatedResourceIds.join(RELATED_ID_SEPARATOR),
    f.fingerprint,
    f.fix?.description ?? '',
  ];
}
