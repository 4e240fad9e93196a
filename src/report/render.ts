import type { Rule } from '../rules/rule';
import { renderCsv } from './csv';
import { renderHtml } from './html';
import { renderMarkdown } from './markdown';
import type { AuditReport, ReportExtras } from './report';
import { renderSarif } from './sarif';
import { renderTable } from './table';

export const FORMATS = ['table', 'json', 'sarif', 'markdown', 'csv', 'html'] as const;
export type Format = (typeof FORMATS)[number];

export interface RenderOptions {
  rules: readonly Rule[];
  /** ANSI colour, for the table on a TTY. */
  colour: boolean;
  /** The most characters a Markdown report holds (renderMarkdown's default unless given). */
  markdownMaxChars?: number;
}

export function renderReport(report: AuditReport, format: Format, extras: ReportExtras, options: RenderOptions): string {
  switch (format) {
    case 'table':
      return renderTable(report, extras, options.rules, options.colour);
    case 'json':
      return JSON.stringify(report, null, 2) + '\n';
    case 'sarif':
      return renderSarif(report, extras, options.rules);
    case 'markdown':
      return renderMarkdown(report, extras, options.rules, options.markdownMaxChars);
    case 'csv':
      return renderCsv(report);
    case 'html':
      throw new Error('html lays out the topology asynchronously: use renderReportAsync');
  }
}

/** Every format, html included (its graph layout is async). */
export async function renderReportAsync(report: AuditReport, format: Format, extras: ReportExtras, options: RenderOptions): Promise<string> {
  return format === 'html' ? renderHtml(report, extras, { rules: options.rules }) : renderReport(report, format, extras, options);
}
