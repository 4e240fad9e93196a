import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { codeOf, describeError, isCredentialError, statusOf } from '../azure/errors';
import { auditResources } from '../engine/pipeline';
import type { Inventory } from '../ports';
import { FORMATS, renderReportAsync, type Format } from '../report/render';
import { describeAuditScope, isPartial, nothingAuditedReason, subscriptionsRead } from '../report/report';
import { redactSecrets } from '../redact';
import { adapters, auditScopeFrom, loggerOf, REPORT_CONTAINER } from './composition';

// On-demand audit over HTTP (function key): GET /api/audit?format=json|sarif|markdown|csv|html.
// Read-only: it neither changes alert state nor sends mail.
//
// Answers: 200 with the report (PARTIAL, with coverage.unreadable, when some scopes could not be
// read but VNets were); 400 for an unknown or repeated query parameter, or an unknown format; 502
// when nothing was audited: the inventory read failed, or it read no VNet (see nothingAuditedReason in src/report/report.ts);
// 504 when the read had not finished at AUDIT_READ_DEADLINE_MS (nothing audited either);
// 500 for anything else that failed (a bug): JSON too, the error in the log only. Every answer,
// errors too, carries RESPONSE_HEADERS.

const CONTENT_TYPES: Partial<Record<Format, string>> = {
  json: 'application/json',
  sarif: 'application/sarif+json',
  markdown: 'text/markdown; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  html: 'text/html; charset=utf-8',
};

/**
 * Query parameters this function reads. The host authenticates `code` (the function key; it looks
 * it up in any casing) and passes it on in the query: it is accepted, never read.
 */
const PARAMETERS = ['format'] as const;
const HOST_PARAMETERS = ['code'] as const;
/** How much of a caller's value a 400 message repeats. */
const ECHO_CHARS = 40;
/** How many unknown parameter names a 400 message repeats. */
const ECHO_NAMES = 5;

/**
 * Why nothing-audited answers are 502 (Bad Gateway), not 200 or a 4xx: the caller's request was
 * fine and cannot be changed to succeed; what Azure gave the app's identity (an error, or no VNet
 * in its scope, which is how a missing Reader role or a wrong PEERGUARD_SUBSCRIPTIONS /
 * PEERGUARD_MANAGEMENT_GROUP reads) cannot be audited. A 5xx fails a CI gate and counts against the
 * app's availability, where a 4xx is often filtered out as the caller's fault: the operator, who can
 * fix the role or the scope, is the one who should hear of it. Not 503: retrying does not help.
 */
const UPSTREAM_FAILED = 502;

/**
 * How long the audit reads the estate before it answers without a report. An HTTP-triggered
 * function must answer within 230 s whatever functionTimeout says (Azure Load Balancer's idle
 * timeout: "Function app timeout duration" in Microsoft's Azure Functions hosting options); past
 * it the caller gets the front end's bare error while the read goes on. 180 s leaves 50 s for a
 * cold start and for auditing and rendering what was read (seconds at 50k VNets: the README's
 * performance figures). Not an app setting: no value past 230 s can work, and an estate that
 * takes longer to read is the scheduled report's to audit.
 */
export const AUDIT_READ_DEADLINE_MS = 180_000;

/**
 * Why a read past the deadline is 504 (Gateway Timeout), not 200, 502 or 503: as for 502, the app
 * is the caller's gateway to Azure, and here Resource Graph did not give the whole estate in time,
 * which is what 504 says. Not 200 with what was read by then: the scopes not yet read would pass
 * as compliant. Not 503 with Retry-After: it invites an automatic retry, and the same estate takes
 * as long again, on the same Resource Graph quota (a throttled read is the slow one). A 5xx fails
 * a CI gate and reaches the operator, as 502 does; the body names the ways that have no such limit.
 */
const UPSTREAM_TIMED_OUT = 504;

/**
 * Headers of every answer. `no-store`: a report of the whole estate, fetched with the function key
 * in the URL, must not be kept by a proxy or a browser cache. `nosniff`: a browser takes the content
 * type as given (a markdown or CSV report is never sniffed into HTML).
 */
export const RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

/** The formats this endpoint serves: every renderer's format that has a content type here (not the terminal table). */
export function httpFormats(): Format[] {
  return FORMATS.filter((f) => CONTENT_TYPES[f] !== undefined);
}

/** A caller's value as a message repeats it: its first 40 characters, then "…". */
function echo(value: string): string {
  const chars = Array.from(value);
  return chars.length > ECHO_CHARS ? `${chars.slice(0, ECHO_CHARS).join('')}…` : value;
}

function isAccepted(name: string): boolean {
  return (PARAMETERS as readonly string[]).includes(name) || (HOST_PARAMETERS as readonly string[]).includes(name.toLowerCase());
}

/** The 400 message for the query parameters this function does not know, or undefined when there are none. */
function unknownParameters(request: HttpRequest, formats: readonly string[]): string | undefined {
  const unknown = [...new Set(request.query.keys())].filter((name) => !isAccepted(name));
  if (unknown.length === 0) return undefined;
  const named = unknown.slice(0, ECHO_NAMES).map((name) => `"${echo(name)}"`).join(', ');
  const more = unknown.length > ECHO_NAMES ? ` and ${unknown.length - ECHO_NAMES} more` : '';
  return (
    `unknown query parameter${unknown.length === 1 ? '' : 's'} ${named}${more}; ` +
    `accepted: format (${formats.join(', ')}; default json) and code (the function key)`
  );
}

/** The 400 message for a parameter given more than once (`get` would read the first, silently), or undefined. */
function repeatedParameter(request: HttpRequest): string | undefined {
  const name = PARAMETERS.find((p) => request.query.getAll(p).length > 1);
  return name && `query parameter "${name}" given ${request.query.getAll(name).length} times; give it once`;
}

/** What failed, for the caller: the HTTP status and ARM code only; the message goes to the log. */
function failureOf(error: unknown): string {
  if (isCredentialError(error)) return 'the identity got no token for Azure';
  if ((error as { name?: unknown } | null)?.name === 'AbortError') return 'Azure did not answer within the request timeout';
  const status = statusOf(error);
  const code = codeOf(error);
  if (status) return `Azure answered ${status}${code ? ` ${code}` : ''}`;
  return 'no answer from Azure';
}

/** An error answer: what happened for the caller, and the invocation whose log has the details. */
function failed(status: number, error: string, invocationId: string): HttpResponseInit {
  return { status, jsonBody: { error, invocationId } };
}

/** The answer when the read outlasted the deadline: nothing was audited, and where a report of this estate comes from instead. */
function outOfTime(deadlineMs: number, invocationId: string): HttpResponseInit {
  return failed(
    UPSTREAM_TIMED_OUT,
    `reading the estate from Azure Resource Graph did not finish within the on-demand audit's ${deadlineMs / 1000} s ` +
      '(an HTTP function must answer within 230 s), so nothing was audited. For an estate this slow to read, use the scheduled ' +
      `report (mailed to PEERGUARD_REPORT_TO and archived in the blob container ${REPORT_CONTAINER}) or \`peerguard audit --live\`, ` +
      `which have no such limit (invocation ${invocationId})`,
    invocationId,
  );
}

/**
 * The HTTP function: `answer`'s response, or, when anything in it throws unexpectedly (a bug while
 * auditing or rendering, adapters that cannot be built), a 500 with a JSON error that names no
 * detail of the error: that, redacted and without a stack, goes to the invocation's log. Every
 * answer carries RESPONSE_HEADERS.
 */
export async function audit(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  let response: HttpResponseInit;
  try {
    response = await answer(request, context);
  } catch (error) {
    const name = error instanceof Error ? error.name : typeof error;
    context.error(redactSecrets(`on-demand audit failed unexpectedly: ${name}: ${describeError(error)}`));
    response = failed(500, `the audit failed unexpectedly; the function's log has the details (invocation ${context.invocationId})`, context.invocationId);
  }
  // `answer` gives its headers as an object (content-type only); these are added, never overridden.
  return { ...response, headers: { ...(response.headers as Record<string, string> | undefined), ...RESPONSE_HEADERS } };
}

async function answer(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const formats = httpFormats();
  const unknown = unknownParameters(request, formats);
  if (unknown) return { status: 400, jsonBody: { error: unknown } };
  const repeated = repeatedParameter(request);
  if (repeated) return { status: 400, jsonBody: { error: repeated } };
  const given = request.query.get('format') ?? 'json';
  const format = given.toLowerCase();
  if (!(formats as string[]).includes(format)) {
    return {
      status: 400,
      jsonBody: { error: `format "${echo(given)}" is not supported; use one of: ${formats.join(', ')}` },
    };
  }
  const a = adapters();
  const log = loggerOf(context);
  const scope = auditScopeFrom(a.settings);
  const deadlineMs = a.auditReadDeadlineMs ?? AUDIT_READ_DEADLINE_MS;
  const deadline = AbortSignal.timeout(deadlineMs);
  let inventory: Inventory;
  try {
    inventory = await a.inventory.readInventory(scope, undefined, deadline);
  } catch (error) {
    if (deadline.aborted) {
      log.error(`on-demand audit: the inventory read (Resource Graph) had not finished after ${deadlineMs / 1000} s; answered ${UPSTREAM_TIMED_OUT}, nothing audited`);
      return outOfTime(deadlineMs, context.invocationId);
    }
    log.error(`on-demand audit: the inventory read (Resource Graph) failed: ${describeError(error)}`);
    return failed(
      UPSTREAM_FAILED,
      `reading the estate from Azure Resource Graph failed (${failureOf(error)}), so nothing was audited; the function's log has the details (invocation ${context.invocationId})`,
      context.invocationId,
    );
  }
  const run = auditResources({
    resources: inventory.resources,
    rules: a.rules,
    config: a.config,
    now: a.now(),
    version: a.version,
    extraSubscriptions: inventory.subscriptions,
    unreadable: inventory.unreadable,
  });
  const nothing = nothingAuditedReason(
    run.report,
    `${describeAuditScope(scope)} (${subscriptionsRead(inventory.subscriptions.length)})`,
    "is this the right scope, PEERGUARD_SUBSCRIPTIONS or PEERGUARD_MANAGEMENT_GROUP, and does the function app's identity have Reader on it?",
    'listed in unreadable',
  );
  if (nothing) {
    log.error(`on-demand audit: ${nothing}`);
    return {
      status: UPSTREAM_FAILED,
      jsonBody: {
        error: nothing,
        ...(isPartial(run.report) ? { unreadable: run.report.coverage.unreadable } : {}),
        invocationId: context.invocationId,
      },
    };
  }
  const partial = isPartial(run.report) ? `, PARTIAL (${run.report.coverage.unreadable.length} unreadable scopes)` : '';
  log.info(`on-demand audit: ${run.report.findings.length} findings, format ${format}${partial}`);
  return {
    status: 200,
    headers: { 'content-type': CONTENT_TYPES[format as Format] ?? 'text/plain' },
    // html lays out the topology asynchronously: renderReportAsync serves every format.
    body: await renderReportAsync(run.report, format as Format, run.extras, { rules: a.rules, colour: false }),
  };
}

app.http('audit', { methods: ['GET'], authLevel: 'function', route: 'audit', handler: audit });
