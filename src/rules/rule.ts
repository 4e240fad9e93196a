import type { Intent } from '../intent/schema';
import type { Peering, Topology } from '../model/types';

// A rule is data plus a pure function (ESLint's model): metadata, and `evaluate(topology)` that
// returns findings. A rule never performs a fix; it proposes one as a plan of ARM operations.

export type Severity = 'error' | 'warning' | 'info';

export type RuleCategory = 'peering-lifecycle' | 'gateway-transit' | 'transit';

export interface RuleMeta {
  /** Public contract: never rename one. */
  id: string;
  title: string;
  category: RuleCategory;
  defaultSeverity: Severity;
  /** One or two sentences: what the rule checks and why it matters. */
  description: string;
  /** The Microsoft Learn page the rule rests on. */
  docsUrl: string;
  /** Whether findings carry a fix, and whether it is safe or destructive (deletes, recreates). */
  fix: 'safe' | 'destructive' | 'none';
  /**
   * The finding describes a state that a routine two-step change passes through: creating a peering
   * (Terraform, Bicep, the CLI, PowerShell) writes its two links one after the other, seconds to
   * minutes apart, and deleting a pair deletes them one after the other. An alert of such a rule
   * opened by an event waits for the settle period (PEERGUARD_ALERT_SETTLE_SECONDS) before its
   * mail, and is mailed only if the finding is still open then (src/alerts/alerting.ts). Set it
   * only where the intermediate state is what the rule reports, and justify it at the rule.
   */
  settles?: boolean;
}

/** One ARM write: what remediation would send, never sent by a rule. */
export interface ArmOperation {
  method: 'PUT' | 'PATCH' | 'DELETE' | 'POST';
  resourceId: string;
  apiVersion: string;
  /** Extra query parameters, e.g. `{ syncRemoteAddressSpace: 'true' }`. */
  query?: Record<string, string>;
  body?: unknown;
}

export interface FixPlan {
  description: string;
  /** Destructive plans (deletes, recreates) need a separate opt-in to be applied. */
  destructive: boolean;
  /** Executed in order. */
  operations: ArmOperation[];
}

/** What a rule reports; the engine adds rule id, severity and fingerprint. */
export interface FindingDraft {
  /** The resource the finding is about, in the input's casing. */
  resourceId: string;
  relatedResourceIds: string[];
  /** A sentence in plain words that names both VNets of a broken pair. */
  message: string;
  fix?: FixPlan;
  /**
   * Ids that identify the finding for alert de-duplication. Defaults to resourceId plus
   * relatedResourceIds; set it when related ids grow with the estate (e.g. a hub's spoke list),
   * so that the fingerprint stays stable.
   */
  identity?: string[];
}

export interface RuleOptions {
  /** Peerings allowed per VNet (Azure's default limit is 500). */
  peeringLimit: number;
  /** The declared intent (which VNets must and must not reach each other); intent rules are silent without it. */
  intent?: Intent;
}

export const DEFAULT_RULE_OPTIONS: RuleOptions = { peeringLimit: 500 };

export interface Rule {
  meta: RuleMeta;
  evaluate(topology: Topology, options: RuleOptions): FindingDraft[];
  /** Set by `peeringRule`: the check of one peering, which the engine runs in its one pass over the peerings. */
  checkPeering?: PeeringCheck;
}

/** A rule's verdict on one peering: its finding, if any. */
export type PeeringCheck = (peering: Peering, topology: Topology, options: RuleOptions) => FindingDraft | undefined;

/**
 * A rule that judges each peering on its own, like an ESLint rule listening for one node type:
 * `evaluate` runs the check over every peering, and the engine runs the checks of all such rules
 * in one pass over the peerings rather than one pass per rule (each pass over 245k peerings at 50k
 * VNets streams every peering through the memory caches again).
 */
export function peeringRule(rule: { meta: RuleMeta; checkPeering: PeeringCheck }): Rule {
  const built: Rule = {
    ...rule,
    evaluate: (topology, options) => checkEachPeering(topology, [built], options).get(built) ?? [],
  };
  return built;
}

/**
 * The drafts of the rules that judge one peering at a time (`peeringRule`), from one pass over the
 * peerings: each rule's drafts in peering order. Other rules get no entry.
 */
export function checkEachPeering(topology: Topology, rules: readonly Rule[], options: RuleOptions): Map<Rule, FindingDraft[]> {
  const checks = rules.flatMap((rule) => (rule.checkPeering ? [{ rule, check: rule.checkPeering, drafts: [] as FindingDraft[] }] : []));
  if (checks.length > 0) {
    for (const peering of topology.peerings.values()) {
      for (const { check, drafts } of checks) {
        const draft = check(peering, topology, options);
        if (draft) drafts.push(draft);
      }
    }
  }
  return new Map(checks.map(({ rule, drafts }) => [rule, drafts]));
}
