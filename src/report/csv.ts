import type { Finding } from '../engine/audit';
import type { AuditReport } from './report';
import { spaceOutControls } from './escape';

// CSV (RFC 4180) for spreadsheets: one record per finding, every field quoted, CRLF line ends.
// The text starts with a UTF-8 byte-order mark: without it Excel reads the file in the system's
// ANSI code page, and `rg-netz-münchen` shows as `rg-netz-mÃ¼nchen`.
// A spreadsheet runs a cell that starts with =, +, -, @, tab, CR or LF as a formula (CSV injection,
// OWASP), and some trim leading spaces first: such a cell, or one whose spaces come before one of
// =, +, -, @, gets a leading apostrophe, so that a name from Azure stays text.
// Control characters (C0 but the line breaks, DEL, C1) and the bidirectional controls become
// spaces: an escape sequence acts on the terminal that prints the file, and a right-to-left
// override shows a name reversed. Line breaks stay: a quoted field carries them (RFC 4180).

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

const BYTE_ORDER_MARK = '\uFEFF';

const FORMULA_START = /^(?:[=+\-@\t\r\n]|\s+[=+\-@])/;

/**
 * Replaces the unsafe characters, neutralises a formula (judged on the text as written, so that a
 * control character turned space cannot hide one), then quotes the field (RFC 4180: double the
 * quotes inside).
 */
export function csvField(value: string): string {
  const spaced = spaceOutControls(value, true);
  const text = FORMULA_START.test(spaced) ? `'${spaced}` : spaced;
  return `"${text.replace(/"/g, '""')}"`;
}

export function renderCsv(report: AuditReport): string {
  const records = [CSV_COLUMNS.map((c) => csvField(c)).join(',')];
  for (const f of report.findings) records.push(row(f).map(csvField).join(','));
  return BYTE_ORDER_MARK + records.join('\r\n') + '\r\n';
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
