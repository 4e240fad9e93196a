import type { Finding } from '../engine/audit';
import { keyOf, subscriptionOf, type ResourceKey } from '../model/ids';
import type { Severity } from '../rules/rule';

// The alert state's own types: one row per finding that is open (or resolved and not yet mailed
// or purged), keyed by fingerprint. Adapters (the Table store) map these to entities.

/** Who changed what, and when: from an ARM event, or the scheduled audit. */
export interface ChangeContext {
  /** `settle-recheck`: alertFlush's live read at the end of a held alert's settle period (no change seen; event-path.ts, recheckHeldAlert). */
  source: 'event' | 'scheduled-audit' | 'on-demand-audit' | 'settle-recheck';
  eventId?: string;
  eventType?: string;
  operationName?: string;
  /** ISO time of the change (the event's time). */
  eventTime?: string;
  subject?: string;
  correlationId?: string;
  caller?: { name?: string; upn?: string; appId?: string };
}

export type AlertStatus = 'open' | 'resolved';

export interface AlertRow {
  fingerprint: string;
  status: AlertStatus;
  ruleId: string;
  severity: Severity;
  resourceId: string;
  relatedResourceIds: string[];
  message: string;
  /** The VNet whose neighbourhood decides the finding (scope.ts): how scopes select rows. */
  anchor: ResourceKey;
  subscriptionId: string;
  firstSeen: string;
  lastSeen: string;
  /** Start of the live read that last decided this row (a staler view never overrides it). */
  observedAt: string;
  resolvedAt?: string;
  finding: Finding;
  openedBy?: ChangeContext;
  resolvedBy?: ChangeContext;
  mailedOpenAt?: string;
  mailedResolvedAt?: string;
  /** An open mail is owed (set when the row is written; cleared once sent). */
  pendingOpen: boolean;
  /** A resolution mail is owed. */
  pendingResolved: boolean;
  /**
   * The open mail was handed to the sender and no verdict came back (its status poll outlived the
   * invocation, or no answer): it may have gone out, so its resolution is mailed (alerting.ts,
   * openMayBeMailed). Cleared by a sent mail.
   */
  openOutcomeUnknown?: boolean;
  /** Whoever holds the claim until this time is sending the owed mail. */
  claimUntil?: string;
  /** Sends that ended with the service's own verdict (failed): each moves the mail to a new Operation-Id. */
  sendAttempts: number;
  lastSendError?: string;
  /** Sends that failed in a row, of any kind (cleared by a sent mail): how far the next try is put off. */
  sendFailures?: number;
  /** A failed mail is not tried again before this time (retryDelayMs), so that a failing sender is not hammered. */
  retryAt?: string;
  /**
   * The Operation-Id of the digest this row's mail is in, saved before the send and kept until its
   * outcome is known: a retry that finds exactly that group due sends it again, so under the same
   * id, which Communication Services de-duplicates, rather than regroup it (a new id: a duplicate).
   * A group that changed is regrouped (alerting.ts, sendAll).
   */
  mailOperation?: string;
  /** Optimistic concurrency: the store's ETag of the version read. */
  etag?: string;
}

const VNET_PREFIX = /^(\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.network\/virtualnetworks\/[^/]+)/;

/** The VNet that holds a resource (a peering, a subnet, the VNet itself), else the resource itself. */
export function anchorOf(resourceId: string): ResourceKey {
  const key = keyOf(resourceId);
  return (VNET_PREFIX.exec(key)?.[1] ?? key) as ResourceKey;
}

/** Whether the id is (or is inside) a VNet. */
export function vnetIdOf(resourceId: string): string | undefined {
  const match = /^(\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+)/i.exec(resourceId.trim());
  return match?.[1];
}

/** The parts of a finding that place it: which rule, on what resource, naming what. */
export type Placed = Pick<Finding, 'ruleId' | 'resourceId' | 'relatedResourceIds'>;

/**
 * What an evaluation covered. A stored row (and a current finding) takes part only when its anchor
 * is one of `keys` or its subscription is one of `subscriptions`: the event path evaluates a few
 * VNets, the full audit whole subscriptions (minus those it could not read).
 */
export interface AlertScope {
  keys: ReadonlySet<string>;
  subscriptions: ReadonlySet<string>;
  /** A current finding's anchor (default: `anchorOf` its resource); see scope.ts. */
  anchorOf?: (finding: Placed) => ResourceKey;
  /** Narrows the scope to the findings whose every input the evaluation read (the event path). */
  decides?: (finding: Placed) => boolean;
}

/** The anchor a current finding gets in this scope. */
export function placeOf(scope: AlertScope, finding: Placed): ResourceKey {
  return scope.anchorOf?.(finding) ?? anchorOf(finding.resourceId);
}

/** Whether the evaluation decides a finding or row with this anchor. */
export function inScope(scope: AlertScope, finding: Placed, anchor: ResourceKey): boolean {
  const subscription = subscriptionOf(finding.resourceId);
  const covered = scope.keys.has(anchor) || (subscription !== undefined && scope.subscriptions.has(subscription));
  return covered && (scope.decides?.(finding) ?? true);
}
