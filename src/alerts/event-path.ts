import { RESOURCE_GROUP_DELETE, WATCHED_RESOURCE_TYPES } from '../config/event-filter';
import type { Finding } from '../engine/audit';
import type { AuditConfig } from '../engine/config';
import { auditResources } from '../engine/pipeline';
import { keyOf, parseResourceId, subscriptionOf } from '../model/ids';
import type { Topology } from '../model/types';
import { realSleep } from '../azure/errors';
import type { Inventory, LiveReader } from '../ports';
import type { RemediationRunner } from '../remediation/runner';
import type { Rule } from '../rules/rule';
import type { AlertOutcome, Alerting, Logger } from './alerting';
import type { DeadLetter, DeadLetterStore } from './archive';
import { parseArmEvent, type ArmEvent, type EventFilter } from './events';
import { inScope, placeOf, type AlertRow } from './model';
import { markedVnets, neighbourhoodScope } from './scope';
import type { AlertStore, IndexEntry, NeighbourhoodIndex } from './store';
import { configQuiet } from './transitions';
import { redactSecrets } from '../redact';

// The event path (design.md): map the event to the VNets it can change, read where it happened
// fresh from ARM and the neighbourhood around it from Resource Graph, evaluate only that, compare
// the findings whose inputs the read covered with their stored state, mail the transitions.
// Failures are retried in the invocation. One that still fails is thrown, so that the invocation
// fails and Event Grid redelivers (for up to 24 h, then its own dead-letter destination): a storage
// or Azure outage longer than the invocation's attempts must delay the alert, never lose it. Only
// what no redelivery can change (a malformed event, a request Azure refuses as malformed) is
// acknowledged and kept in our dead-letter store with its reason; when that store fails too, the
// handler throws: an event is never silently dropped.

export interface EventPathDeps {
  live: LiveReader;
  index: NeighbourhoodIndex;
  store: AlertStore;
  alerting: Alerting;
  deadLetters: DeadLetterStore;
  rules: readonly Rule[];
  config: AuditConfig;
  version: string;
  filter: EventFilter;
  now: () => Date;
  /** When a live read begins (orders the alert rows it decides): strictly increasing. */
  observe: () => Date;
  log: Logger;
  /**
   * The audited subscriptions when the settings name a management group rather than subscriptions
   * (`filter.subscriptions` empty): its subscriptions, so that a peer outside the group is out of
   * scope on events as for the scheduled audit. When they cannot be listed, nothing is filtered (logged).
   */
  scopeSubscriptions?: () => Promise<readonly string[]>;
  /** Reads a gateway, route table, firewall or Route Server from ARM and names the VNets it sits in or serves (composition.ts: ArmLiveReader.locate). */
  locate?: (resourceId: string) => Promise<string[]>;
  maxAttempts?: number;
  retryDelayMs?: number;
  /**
   * How long the invocation works on one event before it leaves it to Event Grid (default
   * EVENT_DEADLINE_MS): the live read and the mails give up at it, and no attempt starts that would end past it.
   */
  deadlineMs?: number;
  /** A mail is sent only with at least this much of the deadline left (default EVENT_MAIL_MIN_MS); else it is left to alertFlush. */
  mailMinMs?: number;
  /** Remediation after the evaluation (runs when remediation.enabled and onEvent; journalled, reported in the next report mail). */
  remediation?: RemediationRunner;
}

export type EventStatus = 'processed' | 'ignored' | 'malformed' | 'unmapped' | 'dead-lettered';

/** A failure that no redelivery can change: the event is dead-lettered by us and acknowledged. */
export class PermanentEventError extends Error {
  override readonly name = 'PermanentEventError';
}

/** The event failed for a reason a later delivery may not meet: thrown, so that Event Grid redelivers. */
export class RetryableEventError extends Error {
  override readonly name = 'RetryableEventError';
}

/**
 * Answers that say the request itself is wrong (bad request, too large, unprocessable): the same
 * event makes the same request on every delivery. Everything else (throttling, 5xx, timeouts,
 * dropped connections, 401/403 that a role assignment can mend, errors we cannot classify) may
 * pass, so Event Grid retries it.
 */
const PERMANENT_STATUSES = new Set([400, 413, 414, 422]);

/**
 * Event Grid waits 30 s for the answer to a delivery, then counts it failed and queues the event
 * again (delivery-and-retry), while this invocation may still be working on it: a read throttled
 * past that would be read again by the redelivery, on the same quota. So an event's attempts stop
 * here, leaving time to answer; a read still running is aborted, and the event is answered 500 for
 * Event Grid to redeliver it with its own backoff (10 s, 30 s, 1 min...).
 */
export const EVENT_DEADLINE_MS = 25_000;

/**
 * The least time left before the event's deadline to start a mail: a send and its status polls take
 * a second or two normally. With less, the mail stays pending, unclaimed, and alertFlush (every
 * minute) sends it; a send still running at the deadline is aborted and recorded as of unknown
 * outcome, resent under the same Operation-Id (alerting.ts).
 */
export const EVENT_MAIL_MIN_MS = 5_000;

/** An error, or one of its causes, as the classifiers below read it. */
export type ErrorLink = { name?: unknown; statusCode?: unknown; status?: unknown; response?: { status?: unknown }; syscall?: unknown };

/** Whether `test` holds for the error or an error in its cause chain (at most 8 deep). */
export function anyCause(error: unknown, test: (link: ErrorLink) => boolean): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    if (test(current as ErrorLink)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Whether retrying cannot help: a PermanentEventError, or a permanent HTTP status that a service
 * answered (a RestError), anywhere in the cause chain. Only a service's answer counts: a token
 * endpoint or managed identity answers 400 too, intermittently, and that must be retried.
 */
export function isPermanent(error: unknown): boolean {
  return anyCause(error, (e) => {
    if (e instanceof PermanentEventError) return true;
    const status = e.statusCode ?? e.status ?? e.response?.status;
    return e.name === 'RestError' && typeof status === 'number' && PERMANENT_STATUSES.has(status);
  });
}

export interface EventResult {
  id: string | undefined;
  status: EventStatus;
  reason?: string;
  vnetIds?: string[];
  outcome?: AlertOutcome;
  deadLetter?: string;
}

/** What an event can change, and so what its evaluation reads and judges. */
export interface EventReach {
  /** The VNets whose findings the event can change: judged where their inputs were read (scope.ts). */
  vnetIds: string[];
  /** Read fresh from ARM: the VNets where the change happened. */
  fresh: string[];
  /** The resource that changed, when it is not one of them: read fresh as well. */
  changed?: string;
  /** Read from Resource Graph besides the fresh VNets' peers. */
  alsoRead: string[];
  /** Of those, the ones whose rows are read again from ARM (NeighbourhoodOptions.refresh). */
  refresh?: string[];
}

function unique(ids: readonly (string | undefined)[]): string[] {
  const found = new Map<string, string>();
  for (const id of ids) if (id && !found.has(keyOf(id))) found.set(keyOf(id), id);
  return [...found.values()];
}

/**
 * Peers of changed VNets whose rows are read again from ARM, at most: with the changed VNets' GETs
 * and the Resource Graph queries (the AVNM one included), a spoke's VNet event stays within 6 calls.
 */
export const MAX_REFRESHED_PEERS = 3;

/**
 * The reach of changed VNets (written, deleted, gone with their resource group): they and their
 * peers are judged, the peers read from Resource Graph. But Azure changed the peers' peerings with
 * them (Disconnected after a delete, a sync level after an address space change) and publishes no
 * event for those, while Resource Graph shows them as they were for seconds to minutes (no delay
 * is promised): judged from it, a deleted spoke's hub link still looked Connected (its orphan never
 * mailed), and a write to a spoke just after its peering was deleted resolved the alert that delete
 * had opened from ARM. So the peers' rows are read again from ARM, as a changed peering's two ends
 * are, up to MAX_REFRESHED_PEERS: a hub's hundreds of peers are not (docs/functions.md, What an
 * event reads).
 */
function withPeers(vnets: readonly string[], peers: readonly string[]): EventReach {
  const changed = unique(vnets);
  const others = unique(peers).filter((id) => !changed.some((v) => keyOf(v) === keyOf(id)));
  return { vnetIds: [...changed, ...others], fresh: changed, alsoRead: others, ...(others.length <= MAX_REFRESHED_PEERS ? { refresh: others } : {}) };
}

export async function reachOf(deps: Pick<EventPathDeps, 'index' | 'locate'>, event: Pick<ArmEvent, 'subject' | 'resourceType'>): Promise<EventReach> {
  const subject = event.subject.replace(/\/+$/, '');
  const parent = parseResourceId(subject)?.parentId;
  const related = (id: string) => deps.index.vnetsRelatedTo(id);
  // What the index has seen it serve; else (a new gateway, a table never seen) where it is now,
  // read from ARM. An attachment cannot move to another VNet, and a table's new subnets bring
  // their own subnet events, so a known one costs no read.
  const served = async (id: string) => {
    const known = await related(id);
    return unique(known.length > 0 || !deps.locate ? known : await deps.locate(id));
  };
  switch (event.resourceType) {
    case 'Microsoft.Network/virtualNetworks':
      return withPeers([subject], await related(subject));
    case 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings': {
      // The remote end: from the index after a delete; the reader finds it in the peering after a write.
      const vnets = unique([parent, ...(await related(subject))]);
      return { vnetIds: vnets, fresh: vnets, changed: subject, alsoRead: [] };
    }
    case RESOURCE_GROUP_DELETE.resourceType: {
      // Its VNets went with it, without events of their own: as if each VNet were deleted.
      const vnets = await deps.index.vnetsInResourceGroup(subject);
      return withPeers(vnets, (await Promise.all(vnets.map(related))).flat());
    }
    case 'Microsoft.Network/virtualNetworks/subnets': {
      const vnets = unique([parent]);
      return { vnetIds: vnets, fresh: vnets, alsoRead: [] };
    }
    case 'Microsoft.Network/routeTables':
    case 'Microsoft.Network/routeTables/routes': {
      // The table changed, not the VNets whose subnets use it: they and their peers come from
      // Resource Graph, so that their route findings can be judged whatever the number of VNets.
      const vnets = await served(event.resourceType === 'Microsoft.Network/routeTables' ? subject : (parent ?? subject));
      const peers = (await Promise.all(vnets.map(related))).flat();
      return { vnetIds: vnets, fresh: [], changed: subject, alsoRead: unique([...vnets, ...peers]) };
    }
    case 'Microsoft.Network/virtualHubs/ipConfigurations': {
      // A Route Server's ipConfiguration, which ties the hub to its VNet's RouteServerSubnet. Bicep,
      // the CLI and Terraform write it after the hub, whose own event found no VNet (nothing named
      // one yet): this is the event that places a new Route Server, and its delete the one that
      // removes it. Where it is now, read from ARM (one GET of the ipConfiguration: its subnet; none
      // once deleted), and where the index last saw the Route Server (a deleted one's VNet). That
      // VNet is read fresh (its RouteServerSubnet lists the ipConfiguration, which reveals the
      // Route Server), the hub with it; the VNets peered with it are judged too, as for the hub.
      const hub = parent ?? subject;
      const located = deps.locate ? await deps.locate(subject) : [];
      const vnets = unique([...located, ...(await related(hub))]);
      const peers = (await Promise.all(vnets.map(related))).flat();
      return { vnetIds: unique([...vnets, ...peers]), fresh: vnets, changed: hub, alsoRead: peers };
    }
    default: {
      // Gateways, firewalls, Route Servers: the VNets they served when last seen, and now; their
      // subnets changed with them (the ipConfigurations that reveal a gateway). The VNets peered
      // with them are judged too: whether a peering can use remote gateways depends on the remote.
      const vnets = await served(subject);
      const peers = (await Promise.all(vnets.map(related))).flat();
      return { vnetIds: unique([...vnets, ...peers]), fresh: vnets, changed: subject, alsoRead: peers };
    }
  }
}

/** What the topology tells the index: peerings' ends, and which VNets each attachment serves. */
export function indexEntriesOf(topology: Topology): IndexEntry[] {
  const entries: IndexEntry[] = [];
  const routeTableVnets = new Map<string, { id: string; vnets: string[] }>();
  for (const vnet of topology.vnets.values()) {
    for (const p of vnet.peerings) entries.push({ kind: 'peering', resourceId: p.id, vnetIds: [p.vnetId], remoteVnetId: p.remoteVnetId });
    for (const g of vnet.gateways) entries.push({ kind: 'attachment', resourceId: g.id, vnetIds: [vnet.id] });
    for (const a of vnet.appliances) if (a.kind === 'AzureFirewall') entries.push({ kind: 'attachment', resourceId: a.id, vnetIds: [vnet.id] });
    for (const rt of vnet.routeTables) {
      const entry = routeTableVnets.get(rt.key) ?? { id: rt.id, vnets: [] };
      entry.vnets.push(vnet.id);
      routeTableVnets.set(rt.key, entry);
    }
  }
  for (const { id, vnets } of routeTableVnets.values()) entries.push({ kind: 'attachment', resourceId: id, vnetIds: vnets });
  return entries;
}

/**
 * The live read limited to the configured subscriptions (PEERGUARD_SUBSCRIPTIONS), as the scheduled
 * audit sees the estate: a remote VNet in a subscription outside that scope is out of scope on both
 * paths, never "read" on one and "unknown" on the other (that would open an alert on every event and
 * resolve it every morning).
 */
export function withinScope(inventory: Inventory, subscriptions: readonly string[] | undefined): Inventory {
  if (!subscriptions || subscriptions.length === 0) return inventory;
  const allowed = new Set(subscriptions.map((s) => s.toLowerCase()));
  const inScope = (id: string) => allowed.has((subscriptionOf(id) ?? '').toLowerCase());
  return {
    resources: inventory.resources.filter((r) => inScope(String(r.resource.id ?? ''))),
    subscriptions: inventory.subscriptions.filter((s) => allowed.has(s.toLowerCase())),
    // An unreadable scope is a subscription id or a resource id.
    unreadable: inventory.unreadable.filter((u) => allowed.has(u.scope.toLowerCase()) || inScope(u.scope)),
    // A configured subscription the identity cannot see is unreadable (a role removed), as for the
    // scheduled audit; the others' entries are gone from `unreadable` above.
    ...(inventory.sought ? { sought: inventory.sought } : {}),
  };
}

/** The subscriptions the scheduled audit covers, where the settings tell them (`withinScope`). */
async function auditedSubscriptions(deps: EventPathDeps, eventId: string): Promise<readonly string[] | undefined> {
  if ((deps.filter.subscriptions?.length ?? 0) > 0 || !deps.scopeSubscriptions) return deps.filter.subscriptions;
  try {
    return await deps.scopeSubscriptions();
  } catch (error) {
    deps.log.warn(`event ${eventId}: the management group's subscriptions could not be listed, so VNets outside it are judged too: ${redactSecrets((error as Error).message)}`);
    return undefined;
  }
}

/** `mail`: send the mails owed once the event is decided (a re-check of held alerts writes them for its caller's flush). */
async function processEvent(deps: EventPathDeps, event: ArmEvent, signal: AbortSignal, deadlineAt: number, mail = true): Promise<EventResult> {
  const reach = await reachOf(deps, event);
  if (reach.vnetIds.length === 0) {
    if (event.resourceType === RESOURCE_GROUP_DELETE.resourceType) {
      // Most resource groups hold no peered VNet: nothing to judge, and nothing the audit must catch up on.
      const reason = `no peered VNet was known in resource group ${event.subject}`;
      deps.log.info(`event ${event.id} ignored: ${reason}`);
      return { id: event.id, status: 'ignored', reason };
    }
    const reason = `no VNet is known for ${event.subject} yet; the scheduled audit will cover it`;
    deps.log.warn(`event ${event.id}: ${reason}`);
    return { id: event.id, status: 'unmapped', reason };
  }
  const observedAt = deps.observe();
  const read = await deps.live.readNeighbourhood(reach.fresh, {
    ...(reach.changed ? { changed: reach.changed } : {}),
    alsoRead: reach.alsoRead,
    ...(reach.refresh ? { refresh: reach.refresh } : {}),
    signal,
  });
  const inventory = withinScope(read, await auditedSubscriptions(deps, event.id));
  const run = auditResources({
    resources: inventory.resources,
    rules: deps.rules,
    config: deps.config,
    now: observedAt,
    version: deps.version,
    extraSubscriptions: inventory.subscriptions,
    unreadable: inventory.unreadable,
  });
  const topology = run.extras.topology;
  // A new peering's remote VNet is known from the read only.
  const vnetIds = unique([...reach.vnetIds, topology.peerings.get(keyOf(event.subject))?.remoteVnetId]);
  const scope = neighbourhoodScope({ topology, inventory, vnetIds }, deps.rules);
  await deps.index.record(indexEntriesOf(topology));
  // Marked before the rows are read: an older read's opening then either lands before this row
  // read (and is judged here) or meets the mark and opens nothing (store.ts).
  await deps.store.raiseReadMarks(markedVnets({ topology, inventory }, scope.keys), observedAt.toISOString());
  const rows = await deps.store.rowsFor([...scope.keys]);
  // The mails wait no longer than the event's deadline either: Event Grid must have its answer within 30 s.
  const sendWindow = { deadline: deadlineAt, minMs: deps.mailMinMs ?? EVENT_MAIL_MIN_MS };
  const outcome = await deps.alerting.apply({
    findings: run.report.findings,
    scope,
    rows,
    observedAt,
    change: event.change,
    mailOpened: true,
    quiet: configQuiet(deps.config, run.extras.suppressed),
    unlessMarked: true,
    sendNow: mail,
    sendWindow,
  });
  if (mail) await deps.alerting.flushPending(outcome, { sendWindow });
  const caller = event.change.caller;
  const trigger = { kind: 'event', eventId: event.id, caller: caller?.upn ?? caller?.name ?? caller?.appId } as const;
  if (deps.remediation?.runsFor(trigger)) {
    // After the alerting, never instead of it, and only for the findings it decided; a remediation
    // failure is journalled and logged, and does not retry the event.
    // A finding whose alert is held for its rule's settle period is left alone as long, as its mail
    // is: a peering is created and deleted one link at a time (Terraform, Bicep, the CLI), so a fix
    // of the first link's state would race the tool writing the second (a reverse peering of our own
    // makes the tool's PUT fail; a re-create undoes a teardown). alertFlush reads it again when the
    // hold ends (recheckHeldAlert), and the fix runs then if it is still there. Only held alerts wait:
    // nothing else brings an alert back at the end of the period. The rows are read after this
    // event's alert writes: a concurrent invocation may have held a finding whose insert beat ours.
    const holds = new Map<string, string>();
    const now = deps.now().toISOString();
    const waiting = (f: Finding): string | undefined => {
      const end = holds.get(f.fingerprint);
      if (end === undefined || end <= now) return undefined;
      return `its alert is held for the settle period of ${f.ruleId} (PEERGUARD_ALERT_SETTLE_SECONDS), until ${end}: a peering is created and deleted one link at a time, and a fix now would race the tool writing the other link; read again at the end of the period, it is fixed then if it is still there`;
    };
    try {
      for (const r of await deps.store.rowsFor([...scope.keys])) {
        const end = deps.alerting.holdEnd(r);
        if (end !== undefined) holds.set(r.fingerprint, end);
      }
      const fixed = await deps.remediation.run({
        findings: run.report.findings.filter((f) => inScope(scope, f, placeOf(scope, f))),
        topology,
        waiting,
        trigger,
        // What is left of the event's own deadline (EVENT_DEADLINE_MS from its start, Date.now()'s
        // clock, which the app's runner uses too): a slow write never holds the answer to Event Grid.
        deadline: new Date(deadlineAt),
      });
      if (fixed) deps.log.info(`event ${event.id}: remediation run ${fixed.runId}: ${fixed.writes} writes${fixed.stoppedBy ? `; stopped: ${fixed.stoppedBy}` : ''}`);
    } catch (error) {
      deps.log.error(`event ${event.id}: remediation failed: ${(error as Error).message}`);
    }
  }
  const p = outcome.plan;
  // Writes lost to a concurrent delivery (that invocation owns the mail) or to a newer read explain "N new, 0 mails sent".
  const lost = outcome.lostRaces > 0 ? `, ${outcome.lostRaces} alert writes lost to a concurrent invocation or a newer read` : '';
  // New alerts of rules that settle (a peering's first link, the survivor of a deleted pair) explain "N new, 0 mails sent" too.
  const held = outcome.held.length > 0 ? `, ${outcome.held.length} held for the settle period (alertFlush mails each still open at its end)` : '';
  const deferred = outcome.deferred.length > 0 ? `, ${outcome.deferred.length} mails left to alertFlush for lack of time` : '';
  deps.log.info(
    `event ${event.id} (${event.eventType} ${event.subject}): ${vnetIds.length} VNets evaluated, ${p.opened.length} new, ${p.resolved.length} resolved, ${p.unchanged.length} still open, ${outcome.sent.length} mails sent${held}${deferred}${lost}`,
  );
  return { id: event.id, status: 'processed', vnetIds, outcome };
}

/**
 * A held alert (a rule that settles) still open at the end of its settle period, decided again on a
 * live read of its resource's neighbourhood, as an event about the resource would be, before its
 * mail goes: the write that completes a two-step change may have raised no event we received, and
 * remediation, which leaves such a finding alone within the period, gets its turn now rather than
 * at the next event or scheduled run. Mails nothing itself: what it owes (the held alert, a finding
 * it finds new or resolved) is written for alertFlush's flush after its re-checks, whose mails say
 * "detected by a live read" rather than name a change. Undefined when the resource is of no watched type.
 */
export async function recheckHeldAlert(deps: EventPathDeps, row: Pick<AlertRow, 'fingerprint' | 'resourceId'>): Promise<EventResult | undefined> {
  const type = parseResourceId(row.resourceId)?.type?.toLowerCase();
  const resourceType = WATCHED_RESOURCE_TYPES.find((t) => t.toLowerCase() === type);
  if (!resourceType) return undefined;
  const id = `settled-${row.fingerprint}`;
  const event: ArmEvent = {
    id,
    schema: 'EventGrid',
    eventType: 'settle period ended: the state read again',
    subject: row.resourceId,
    resourceType,
    eventTime: undefined,
    subscriptionId: subscriptionOf(row.resourceId),
    tenantId: undefined,
    operationName: undefined,
    change: { source: 'settle-recheck', eventId: id },
  };
  const deadlineMs = deps.deadlineMs ?? EVENT_DEADLINE_MS;
  return processEvent(deps, event, AbortSignal.timeout(deadlineMs), Date.now() + deadlineMs, false);
}

/** Writes a dead letter; when the store fails, throws, so that Event Grid redelivers (and, after its own retries, uses its dead-letter destination). */
async function deadLetter(deps: EventPathDeps, letter: DeadLetter, id: string | undefined): Promise<string> {
  try {
    return await deps.deadLetters.put(letter);
  } catch (error) {
    throw new Error(`event ${id ?? '(no id)'}: ${letter.reason}; and the dead-letter store failed: ${redactSecrets((error as Error).message)}`, { cause: error });
  }
}

export async function handleArmEvent(deps: EventPathDeps, raw: unknown): Promise<EventResult> {
  const parsed = parseArmEvent(raw, deps.filter);
  if (parsed.kind === 'malformed') {
    // Kept as it came, with why it could not be read: retrying cannot help, and a schema change
    // upstream would otherwise leave nothing to look at but a log line.
    const letter = { reason: `malformed: ${parsed.reason}`, attempts: 0, failedAt: deps.now().toISOString(), eventId: parsed.id, event: raw };
    const name = await deadLetter(deps, letter, parsed.id);
    deps.log.warn(`malformed event ${parsed.id ?? '(no id)'} acknowledged and dead-lettered as ${name}: ${parsed.reason}`);
    return { id: parsed.id, status: 'malformed', reason: parsed.reason, deadLetter: name };
  }
  if (parsed.kind === 'ignored') {
    deps.log.info(`event ${parsed.id} ignored: ${parsed.reason}`);
    return { id: parsed.id, status: 'ignored', reason: parsed.reason };
  }
  const event = parsed.event;
  const maxAttempts = deps.maxAttempts ?? 3;
  const deadlineMs = deps.deadlineMs ?? EVENT_DEADLINE_MS;
  const started = Date.now();
  const signal = AbortSignal.timeout(deadlineMs);
  let lastError: unknown;
  let attempts = 0;
  let outOfTime = false;
  while (attempts < maxAttempts) {
    attempts += 1;
    try {
      return await processEvent(deps, event, signal, started + deadlineMs);
    } catch (error) {
      lastError = error;
      deps.log.warn(`event ${event.id}: attempt ${attempts} of ${maxAttempts} failed: ${(error as Error).message}`);
      if (isPermanent(error)) break;
      const delay = (deps.retryDelayMs ?? 1_000) * attempts;
      if (attempts < maxAttempts && (signal.aborted || Date.now() + delay >= started + deadlineMs)) {
        outOfTime = true;
        break;
      }
      if (attempts < maxAttempts) await realSleep(delay);
    }
  }
  const message = redactSecrets((lastError as Error)?.message ?? String(lastError));
  if (!isPermanent(lastError)) {
    // Not acknowledged: Event Grid redelivers with backoff for up to 24 h, then dead-letters it in
    // infra/'s container. A dead letter of ours would acknowledge it, and nothing replays those.
    const spent = outOfTime ? ` in ${((Date.now() - started) / 1000).toFixed(1)} s (the invocation's ${deadlineMs / 1000} s for an event)` : '';
    const reason = `failed after ${attempts} attempt${attempts === 1 ? '' : 's'}${spent}, left to Event Grid to redeliver: ${message}`;
    deps.log.error(`event ${event.id} ${reason}`);
    throw new RetryableEventError(`event ${event.id}: ${reason}`, { cause: lastError });
  }
  const reason = `failed permanently after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${message}`;
  const name = await deadLetter(deps, { reason, attempts, failedAt: deps.now().toISOString(), eventId: event.id, event: raw }, event.id);
  deps.log.error(`event ${event.id} dead-lettered as ${name}: ${reason}`);
  return { id: event.id, status: 'dead-lettered', reason, deadLetter: name };
}
