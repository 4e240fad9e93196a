import type { Location, Log, Notification, ReportingDescriptor, Result } from 'sarif';
import type { Finding } from '../engine/audit';
import { keyOf, nameOf } from '../model/ids';
import type { Rule, Severity } from '../rules/rule';
import type { AuditReport, ReportExtras } from './report';

// SARIF 2.1.0 (OASIS): one run, the whole rule catalog as the driver's rules, one result per
// finding. Azure resources have no file to point at, so locations are logical (the resource id).
// Strings from Azure go into JSON string values only, so JSON.stringify is the whole escaping, but
// for the braces of a message's text (messageText).

export const SARIF_SCHEMA_URI = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

/**
 * Where a SARIF consumer sends a user who wants to know what peerguard is. The project has no
 * public home page yet: this is the Microsoft Learn page on VNet peering, which every rule rests on.
 */
export const PEERGUARD_INFORMATION_URI = 'https://learn.microsoft.com/azure/virtual-network/virtual-network-peering-overview';

/** The key of `result.partialFingerprints`: bump the version if the fingerprint recipe changes. */
export const FINGERPRINT_KEY = 'peerguard/v1';

/** design.md: "Severity maps to SARIF error/warning/note". */
export const SARIF_LEVELS: Readonly<Record<Severity, 'error' | 'warning' | 'note'>> = {
  error: 'error',
  warning: 'warning',
  info: 'note',
};

/**
 * GitHub code scanning rejects a run with more results ("SARIF support for code scanning",
 * limits): the first ones (findings come sorted, errors first) are kept, the rest counted.
 */
export const MAX_SARIF_RESULTS = 25_000;

export interface SarifOptions {
  informationUri?: string;
}

export function buildSarif(
  report: AuditReport,
  extras: ReportExtras,
  rules: readonly Rule[],
  options: SarifOptions = {},
): Log {
  const ruleIndex = new Map(rules.map((r, i) => [r.meta.id, i]));
  const descriptors: ReportingDescriptor[] = rules.map((r) => ({
    id: r.meta.id,
    name: pascalCase(r.meta.id),
    shortDescription: { text: r.meta.title },
    fullDescription: { text: r.meta.description },
    helpUri: r.meta.docsUrl,
    help: { text: `${r.meta.description} See ${r.meta.docsUrl}` },
    defaultConfiguration: { level: SARIF_LEVELS[r.meta.defaultSeverity] },
    properties: { category: r.meta.category, fix: r.meta.fix, tags: ['azure', 'vnet-peering', r.meta.category] },
  }));

  // SARIF appendix I: a run whose invocation carries an error-level execution notification may be
  // incomplete. That is exactly a partial audit: the tool ran (executionSuccessful stays true),
  // but some scopes could not be read, so their findings are unknown.
  const executionNotifications: Notification[] = report.coverage.unreadable.map((u) => ({
    level: 'error',
    descriptor: { id: 'unreadable-scope' },
    message: messageText(`Partial audit: scope ${u.scope} could not be read (${u.reason}); findings there are unknown.`),
    locations: [{ logicalLocations: [{ fullyQualifiedName: u.scope, name: u.scope }] }],
    properties: { scope: u.scope, reason: u.reason },
  }));
  const configurationNotifications: Notification[] = extras.notices.map((n) => ({
    level: 'warning',
    descriptor: { id: n.kind },
    message: messageText(n.message),
  }));
  const kept = report.findings.slice(0, MAX_SARIF_RESULTS);
  const omitted = report.findings.length - kept.length;
  if (omitted > 0) {
    executionNotifications.push({
      level: 'warning',
      descriptor: { id: 'results-omitted' },
      message: messageText(
        `${omitted} of ${report.findings.length} findings are left out: GitHub code scanning takes at most ${MAX_SARIF_RESULTS} results per run. The JSON report holds them all.`,
      ),
      properties: { resultsOmitted: omitted },
    });
  }

  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'peerguard',
            version: report.tool.version,
            semanticVersion: /^\d+\.\d+\.\d+/.test(report.tool.version) ? report.tool.version : undefined,
            informationUri: options.informationUri ?? PEERGUARD_INFORMATION_URI,
            rules: descriptors,
          },
        },
        invocations: [
          {
            executionSuccessful: true,
            ...(executionNotifications.length > 0 ? { toolExecutionNotifications: executionNotifications } : {}),
            ...(configurationNotifications.length > 0 ? { toolConfigurationNotifications: configurationNotifications } : {}),
          },
        ],
        results: kept.map((f) => resultOf(f, ruleIndex.get(f.ruleId))),
        properties: {
          generatedAt: report.generatedAt,
          partial: report.coverage.unreadable.length > 0,
          summary: report.summary,
          coverage: report.coverage,
          suppressedFindings: extras.suppressed.length,
          resultsOmitted: omitted,
        },
      },
    ],
  };
}

/** The SARIF log as a JSON document (stdout of `--format sarif`). */
export function renderSarif(report: AuditReport, extras: ReportExtras, rules: readonly Rule[], options: SarifOptions = {}): string {
  return JSON.stringify(buildSarif(report, extras, rules, options), null, 2) + '\n';
}

function resultOf(finding: Finding, index: number | undefined): Result {
  return {
    ruleId: finding.ruleId,
    ...(index === undefined ? {} : { ruleIndex: index }),
    level: SARIF_LEVELS[finding.severity],
    kind: 'fail',
    message: messageText(finding.message),
    locations: [{ physicalLocation: resourcePath(finding.resourceId), ...logicalLocation(finding.resourceId) }],
    ...(finding.relatedResourceIds.length > 0
      ? { relatedLocations: finding.relatedResourceIds.map((id, i) => ({ id: i, ...logicalLocation(id) })) }
      : {}),
    partialFingerprints: { [FINGERPRINT_KEY]: finding.fingerprint },
    properties: {
      relatedResourceIds: finding.relatedResourceIds,
      fix: finding.fix,
    },
  };
}

/**
 * A message object's plain text. SARIF 2.1.0 §3.11.5: `{n}` is a placeholder, so a literal brace
 * is written doubled (a name like `PCI {0} zone` would otherwise be an argument that is not there).
 * Rule descriptions are multiformatMessageStrings (§3.12), not messages: they are left as written.
 */
function messageText(text: string): { text: string } {
  return { text: text.replace(/[{}]/g, '$&$&') };
}

/**
 * GitHub code scanning refuses a whole file when a result's location has no
 * `physicalLocation.artifactLocation.uri`, a relative path (a URL scheme is refused too), and shows
 * a result only with a `region.startLine`. A resource has no file: its path is its lower-cased id
 * (stable across runs, as GitHub needs to match alerts), segments percent-encoded, on line 1.
 */
function resourcePath(resourceId: string): NonNullable<Location['physicalLocation']> {
  const uri = keyOf(resourceId).split('/').filter(Boolean).map(encodeURIComponent).join('/');
  return { artifactLocation: { uri }, region: { startLine: 1 } };
}

function logicalLocation(resourceId: string): Location {
  return { logicalLocations: [{ fullyQualifiedName: resourceId, name: nameOf(resourceId), kind: 'resource' }] };
}

function pascalCase(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('');
}
