import { hash } from 'node:crypto';
import { keyOf } from '../model/ids';
import type { Topology } from '../model/types';
import { checkEachPeering, type FixPlan, type Rule, type RuleOptions, type Severity } from '../rules/rule';
import { resolveIntent, statementsWithEmptyGroups, uncheckedStatementMessage } from '../intent/resolve';
import type { Intent } from '../intent/schema';
import type { AuditConfig, Suppression } from './config';

// Runs the rules over a topology and applies the configuration. Pure: the clock comes in as `now`.

export interface Finding {
  ruleId: string;
  severity: Severity;
  resourceId: string;
  relatedResourceIds: string[];
  message: string;
  fingerprint: string;
  fix: FixPlan | null;
}

export interface SuppressedFinding {
  finding: Finding;
  suppression: Suppression;
}

/**
 * What an audit says beside its findings, shown by every human format and mail (never the JSON
 * report or CSV). `expired-suppression`: a suppression expired and its findings are back.
 * `intent-unchecked`: an intent statement names a group that matches no VNet read, so it checks
 * nothing and the intent is not shown to hold (the CLI's audit fails on it).
 */
export interface AuditNotice {
  kind: 'expired-suppression' | 'intent-unchecked';
  message: string;
}

export interface AuditOutcome {
  findings: Finding[];
  suppressed: SuppressedFinding[];
  notices: AuditNotice[];
}

const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export function severityRank(severity: Severity): number {
  return SEVERITY_RANK[severity];
}

/** Stable across runs, input order and id casing: sha256 of the rule id and the lower-cased ids. */
export function fingerprintOf(ruleId: string, identityIds: readonly string[]): string {
  // One-shot hashing of the joined text: the same bytes as hashing the parts in turn, without a
  // Hash object per finding (tens of thousands in a large estate).
  let text = ruleId;
  for (const id of identityIds) text += `\n${keyOf(id)}`;
  return hash('sha256', text, 'hex').slice(0, 32);
}

/**
 * Sorts by severity, rule id, resource id (lower-cased, once per finding rather than per
 * comparison), then fingerprint: a stable order for every report.
 */
export function sortFindings<T>(items: T[], findingOf: (item: T) => Finding): void {
  const decorated = items.map((item) => {
    const finding = findingOf(item);
    return { item, finding, key: keyOf(finding.resourceId), rank: severityRank(finding.severity) };
  });
  decorated.sort(
    (a, b) =>
      a.rank - b.rank ||
      compareText(a.finding.ruleId, b.finding.ruleId) ||
      compareText(a.key, b.key) ||
      compareText(a.finding.fingerprint, b.finding.fingerprint),
  );
  for (let i = 0; i < decorated.length; i += 1) items[i] = (decorated[i] as { item: T }).item;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether the configuration turns a rule off: `off`, or `{ enabled: false }`. */
export function isRuleOff(config: AuditConfig, ruleId: string): boolean {
  const setting = config.rules[ruleId];
  return setting === 'off' || (typeof setting === 'object' && setting.enabled === false);
}

function effectiveSeverity(rule: Rule, config: AuditConfig): Severity | 'off' {
  if (isRuleOff(config, rule.meta.id)) return 'off';
  const setting = config.rules[rule.meta.id];
  if (setting === undefined) return rule.meta.defaultSeverity;
  if (typeof setting === 'string') return setting;
  return setting.severity ?? rule.meta.defaultSeverity;
}

/**
 * Whether a suppression covers a finding: by the finding's subject only. A scope (`/*`) covers the
 * resource itself and anything under it. Related resources never count: a hub team suppressing its
 * own resource group must not hide the errors of the spokes that peer with the hub.
 */
function suppressionMatches(s: Suppression, finding: Finding): boolean {
  if (s.rule !== '*' && s.rule !== finding.ruleId) return false;
  const target = keyOf(s.resource);
  const subject = keyOf(finding.resourceId);
  if (target.endsWith('/*')) {
    const scope = target.slice(0, -2);
    return subject === scope || subject.startsWith(`${scope}/`);
  }
  return subject === target;
}

/** An expiry date without a time means the end of that day (UTC). */
function expiryTime(expires: string): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(expires) ? Date.parse(`${expires}T23:59:59.999Z`) : Date.parse(expires);
}

export function runAudit(
  topology: Topology,
  rules: readonly Rule[],
  config: AuditConfig,
  now: Date,
  intent?: Intent,
): AuditOutcome {
  const findings: Finding[] = [];
  const suppressed: SuppressedFinding[] = [];
  const notices: AuditNotice[] = [];
  const active = config.suppressions.filter((s) => expiryTime(s.expires) >= now.getTime());
  const expired = config.suppressions.filter((s) => expiryTime(s.expires) < now.getTime());
  const expiredUsed = new Set<Suppression>();

  const declared = intent ?? config.intent;
  const options: RuleOptions = { peeringLimit: config.peeringLimit, ...(declared ? { intent: declared } : {}) };
  // A statement whose group matches no VNet read yields no finding: said here, so that every shell
  // (CLI, HTTP audit, scheduled report) shows it. Resolved once per (topology, intent), cached.
  if (declared) {
    for (const unchecked of statementsWithEmptyGroups(resolveIntent(declared, topology))) {
      notices.push({ kind: 'intent-unchecked', message: uncheckedStatementMessage(unchecked) });
    }
  }
  const enabled = rules.flatMap((rule) => {
    const severity = effectiveSeverity(rule, config);
    return severity === 'off' ? [] : [{ rule, severity }];
  });
  const checked = checkEachPeering(topology, enabled.map(({ rule }) => rule), options);
  for (const { rule, severity } of enabled) {
    for (const draft of checked.get(rule) ?? rule.evaluate(topology, options)) {
      const finding: Finding = {
        ruleId: rule.meta.id,
        severity,
        resourceId: draft.resourceId,
        relatedResourceIds: draft.relatedResourceIds,
        message: draft.message,
        fingerprint: fingerprintOf(rule.meta.id, draft.identity ?? [draft.resourceId, ...draft.relatedResourceIds]),
        fix: draft.fix ?? null,
      };
      const suppression = active.find((s) => suppressionMatches(s, finding));
      if (suppression) {
        suppressed.push({ finding, suppression });
        continue;
      }
      for (const s of expired) if (suppressionMatches(s, finding)) expiredUsed.add(s);
      findings.push(finding);
    }
  }
  for (const s of expiredUsed) {
    notices.push({
      kind: 'expired-suppression',
      message: `suppression of ${s.rule} for ${s.resource} expired on ${s.expires} ("${s.reason}"): its findings are reported again`,
    });
  }
  sortFindings(findings, (f) => f);
  sortFindings(suppressed, (s) => s.finding);
  return { findings, suppressed, notices };
}
