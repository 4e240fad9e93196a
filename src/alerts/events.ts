import { ACCEPTED_EVENT_TYPES, RESOURCE_GROUP_DELETE, WATCHED_RESOURCE_TYPES } from '../config/event-filter';
import { keyOf, parseResourceId, subscriptionOf } from '../model/ids';
import type { ChangeContext } from './model';

// Azure Resource Manager events, in the Event Grid schema or CloudEvents 1.0, reduced to what the
// event path needs. Pure. Never throws: a bad event is "malformed" with a reason.

export interface ArmEvent {
  id: string;
  schema: 'EventGrid' | 'CloudEvents';
  eventType: string;
  /** The target resource id (the event subject). */
  subject: string;
  /** The watched type the subject is, as spelled in WATCHED_RESOURCE_TYPES, or a deleted resource group's. */
  resourceType: string;
  eventTime: string | undefined;
  subscriptionId: string | undefined;
  tenantId: string | undefined;
  operationName: string | undefined;
  change: ChangeContext;
}

export type ParsedEvent =
  | { kind: 'accepted'; event: ArmEvent }
  | { kind: 'ignored'; id: string | undefined; reason: string }
  | { kind: 'malformed'; id: string | undefined; reason: string };

export interface EventFilter {
  tenantId: string | undefined;
  subscriptions: readonly string[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

const UPN_CLAIM = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn';
const NAME_CLAIM = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name';

function callerOf(claims: unknown): ChangeContext['caller'] {
  if (!isObject(claims)) return undefined;
  const name = text(claims.name);
  const upn = text(claims[UPN_CLAIM]) ?? text(claims.upn) ?? text(claims[NAME_CLAIM]) ?? text(claims.unique_name);
  const appId = text(claims.appid) ?? text(claims.azp);
  if (!name && !upn && !appId) return undefined;
  return { ...(name ? { name } : {}), ...(upn ? { upn } : {}), ...(appId ? { appId } : {}) };
}

/** `/subscriptions/{id}/resourceGroups/{name}`, nothing under it (any casing: Microsoft's samples write `resourcegroups`). */
const RESOURCE_GROUP_PATTERN = /^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/?$/i;

/** `…/getLearnedRoutes/action`, `…/listKeys/action`: a POST that reads. */
const READ_ONLY_ACTION = /\/(get|list)[^/]*\/action$/i;

/** The watched type a resource id is (case-insensitive), e.g. a peering or a route. */
export function watchedTypeOf(resourceId: string): string | undefined {
  const type = parseResourceId(resourceId)?.type?.toLowerCase();
  return WATCHED_RESOURCE_TYPES.find((t) => t.toLowerCase() === type);
}

export function parseArmEvent(raw: unknown, filter: EventFilter): ParsedEvent {
  if (!isObject(raw)) return { kind: 'malformed', id: undefined, reason: 'the event is not a JSON object' };
  const id = text(raw.id);
  if (!id) return { kind: 'malformed', id: undefined, reason: 'the event has no "id"' };
  const cloud = text(raw.specversion) !== undefined;
  const eventType = cloud ? text(raw.type) : text(raw.eventType);
  if (!eventType) return { kind: 'malformed', id, reason: `the event has no "${cloud ? 'type' : 'eventType'}"` };
  if (!(ACCEPTED_EVENT_TYPES as readonly string[]).some((t) => t.toLowerCase() === eventType.toLowerCase())) {
    return { kind: 'ignored', id, reason: `event type ${eventType} is not watched` };
  }
  const data = raw.data;
  if (!isObject(data)) return { kind: 'malformed', id, reason: 'the event has no "data" object' };
  const subject = text(raw.subject) ?? text(data.resourceUri);
  if (!subject) return { kind: 'malformed', id, reason: 'the event has no "subject" or data.resourceUri' };
  let resourceType: string | undefined;
  const parsed = parseResourceId(subject);
  if (parsed) {
    resourceType = watchedTypeOf(subject);
    if (!resourceType) return { kind: 'ignored', id, reason: `resource type ${parsed.type} is not watched` };
  } else if (RESOURCE_GROUP_PATTERN.test(subject) && eventType.toLowerCase() === RESOURCE_GROUP_DELETE.eventType.toLowerCase()) {
    resourceType = RESOURCE_GROUP_DELETE.resourceType;
  } else if (subject.toLowerCase().startsWith('/subscriptions/')) {
    return { kind: 'ignored', id, reason: `subject ${subject} is not a provider resource or a deleted resource group` };
  } else {
    return { kind: 'malformed', id, reason: `subject "${subject}" is not an Azure resource id` };
  }

  // An action that only reads (a gateway's getLearnedRoutes or getBgpPeerStatus, which monitoring
  // polls) is published as ResourceActionSuccess too: nothing changed, and judging it would spend
  // the Resource Graph quota that events share.
  const operationName = text(data.operationName);
  if (operationName && READ_ONLY_ACTION.test(operationName)) return { kind: 'ignored', id, reason: `operation ${operationName} only reads` };

  // "The tenant ID of the resource" (event-schema-subscriptions), not the caller's: a change made
  // through Azure Lighthouse from a managing tenant still carries the audited tenant.
  const tenantId = text(data.tenantId);
  if (filter.tenantId && keyOf(tenantId ?? '') !== keyOf(filter.tenantId)) {
    return { kind: 'ignored', id, reason: `tenant ${tenantId ?? '(none)'} is not PEERGUARD_TENANT_ID` };
  }
  const subscriptionId = subscriptionOf(subject) ?? text(data.subscriptionId)?.toLowerCase();
  if (filter.subscriptions.length > 0 && !filter.subscriptions.some((s) => s.toLowerCase() === subscriptionId)) {
    return { kind: 'ignored', id, reason: `subscription ${subscriptionId} is not in PEERGUARD_SUBSCRIPTIONS` };
  }
  const eventTime = text(cloud ? raw.time : raw.eventTime);
  const caller = callerOf(data.claims);
  const correlationId = text(data.correlationId);
  return {
    kind: 'accepted',
    event: {
      id,
      schema: cloud ? 'CloudEvents' : 'EventGrid',
      eventType,
      subject,
      resourceType,
      eventTime,
      subscriptionId,
      tenantId,
      operationName,
      change: {
        source: 'event',
        eventId: id,
        eventType,
        subject,
        ...(operationName ? { operationName } : {}),
        ...(eventTime ? { eventTime } : {}),
        ...(correlationId ? { correlationId } : {}),
        ...(caller ? { caller } : {}),
      },
    },
  };
}
