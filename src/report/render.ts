import type { Rule } from '../rules/rule';
import { renderCsv } from './csv';
import { renderMarkdown } from './markdown';
import type { AuditReport, ReportExtras } from './report';
import { renderSarif } from './sarif';
import { renderTable } from './table';

export const FORMATS = ['table', 'json', 'sarif', 'markdown', 'csv'] as const;
export type Format = (typeof FORMATS)[number];

export interface RenderOptions {
  rules: readonly Rule[];
  /** ANSI colour, for the table on a TTY. */
  colour: boolean;
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
      return renderMarkdown(report, extras, options.rules);
    case 'csv':
      return renderCsv(report);
  }
}
