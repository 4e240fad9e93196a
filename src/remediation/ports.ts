import type { ArmOperation } from '../rules/rule';

// Ports of remediation (issue 5). The pure side (plan, apply) speaks to Azure and to the journal
// only through these; src/azure/arm-writer.ts and the journals implement them.

/** A peering (or other resource) as ARM returns it: wire JSON, `properties` nested, with its ETag. */
export interface LiveResource {
  id: string;
  etag: string | undefined;
  properties: Record<string, unknown>;
}

/** The precondition of a write: the ETag it must still carry, or that it must not exist yet. */
export type WriteCondition = { ifMatch: string } | { ifNoneMatch: '*' };

/** `If-Match <etag>` or `If-None-Match: *`, as journal reasons and the CLI show a write's condition. */
export function conditionText(condition: WriteCondition): string {
  return 'ifMatch' in condition ? `If-Match ${condition.ifMatch}` : 'If-None-Match: *';
}

export interface RemediationWriter {
  /** GET by id; undefined when ARM answers 404. */
  read(resourceId: string): Promise<LiveResource | undefined>;
  /**
   * Performs one planned operation (PUT or DELETE of a peering) with its condition and its query
   * (`syncRemoteAddressSpace`), and waits for the long-running operation to finish. Returns the
   * resource as the operation left it (undefined after a DELETE). Throws on any failure, a 412
   * (condition not met) included, and as soon as `signal` aborts (the wait is given up; ARM may
   * still finish the operation).
   */
  write(operation: ArmOperation, condition: WriteCondition, signal?: AbortSignal): Promise<LiveResource | undefined>;
}

/** Who or what started a remediation run. */
export type RemediationTrigger =
  | { kind: 'cli'; user: string }
  | { kind: 'event'; eventId: string; caller?: string | undefined }
  | { kind: 'schedule'; scheduledAt?: string | undefined };

export type JournalStatus = 'planned' | 'applied' | 'skipped' | 'failed' | 'not-attempted' | 'deferred';

/** One line of the remediation journal: a planned, applied, skipped or failed operation (or item). */
export interface JournalRecord {
  runId: string;
  /** Order within the run. */
  seq: number;
  at: string;
  trigger: RemediationTrigger;
  mode: 'disabled' | 'dry-run' | 'apply';
  ruleId: string;
  fingerprint: string;
  findingResourceId: string;
  status: JournalStatus;
  reason: string;
  /** The operation, when the record is about one (an item-level record leaves it out). */
  operation?: ArmOperation | undefined;
  /** Live state read right before the write, and after it (undefined: absent). */
  before?: LiveResource | undefined;
  after?: LiveResource | undefined;
}

export interface RemediationJournal {
  record(entry: JournalRecord): Promise<void>;
}

/** Status label a trigger is shown with: `cli user alice`, `event 123 by bob@contoso`, `schedule`. */
export function describeTrigger(trigger: RemediationTrigger): string {
  if (trigger.kind === 'cli') return `cli user ${trigger.user}`;
  if (trigger.kind === 'event') return `event ${trigger.eventId}${trigger.caller ? ` by ${trigger.caller}` : ''}`;
  return `schedule${trigger.scheduledAt ? ` ${trigger.scheduledAt}` : ''}`;
}
