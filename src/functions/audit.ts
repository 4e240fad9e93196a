import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { auditResources } from '../engine/pipeline';
import { FORMATS, renderReportAsync, type Format } from '../report/render';
import { adapters, auditScopeFrom, loggerOf } from './composition';

// On-demand audit over HTTP (function key): GET /api/audit?format=json|sarif|markdown|csv|html.
// Read-only: it neither changes alert state nor sends mail.

const CONTENT_TYPES: Partial<Record<Format, string>> = {
  json: 'application/json',
  sarif: 'application/sarif+json',
  markdown: 'text/markdown; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  html: 'text/html; charset=utf-8',
};

/** The formats this endpoint serves: every renderer's format that has a content type here (not the terminal table). */
export function httpFormats(): Format[] {
  return FORMATS.filter((f) => CONTENT_TYPES[f] !== undefined);
}

export async function audit(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const format = (request.query.get('format') ?? 'json').toLowerCase();
  const formats = httpFormats();
  if (!(formats as string[]).includes(format)) {
    return {
      status: 400,
      jsonBody: { error: `format "${format}" is not supported; use one of: ${formats.join(', ')}` },
    };
  }
  const a = adapters();
  const inventory = await a.inventory.readInventory(auditScopeFrom(a.settings));
  const run = auditResources({
    resources: inventory.resources,
    rules: a.rules,
    config: a.config,
    now: a.now(),
    version: a.version,
    extraSubscriptions: inventory.subscriptions,
    unreadable: inventory.unreadable,
  });
  loggerOf(context).info(`on-demand audit: ${run.report.findings.length} findings, format ${format}`);
  return {
    status: 200,
    headers: { 'content-type': CONTENT_TYPES[format as Format] ?? 'text/plain' },
    // html lays out the topology asynchronously: renderReportAsync serves every format.
    body: await renderReportAsync(run.report, format as Format, run.extras, { rules: a.rules, colour: false }),
  };
}

app.http('audit', { methods: ['GET'], authLevel: 'function', route: 'audit', handler: audit });
