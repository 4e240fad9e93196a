import type { Rule } from '../rules/rule';
import type { AuditReport, ReportExtras } from './report';
import { renderTable } from './table';

export const FORMATS = ['table', 'json'] as const;
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
  }
}
