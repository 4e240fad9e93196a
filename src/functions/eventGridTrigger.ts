import { app, type InvocationContext } from '@azure/functions';
import { handleArmEvent, type EventResult } from '../alerts/event-path';
import { adapters, eventPathDeps, loggerOf } from './composition';

// Azure Resource Manager events (Event Grid schema or CloudEvents 1.0). A bad or unrelated event
// is acknowledged; an event that still fails after its attempts in the invocation is thrown (see
// src/alerts/event-path.ts). The Event Grid extension answers Event Grid 500 for a failed
// invocation and 202 for a successful one, so a throw makes Event Grid redeliver.

export async function eventGridTrigger(event: unknown, context: InvocationContext): Promise<EventResult[]> {
  const deps = eventPathDeps(adapters(), loggerOf(context));
  const events = Array.isArray(event) ? event : [event];
  const results: EventResult[] = [];
  const failures: Error[] = [];
  // Every event of a batch is handled before the invocation fails: Event Grid redelivers the whole
  // batch, and the events already handled are harmless to handle again (alerts go out on transitions).
  for (const e of events) {
    try {
      results.push(await handleArmEvent(deps, e));
    } catch (error) {
      failures.push(error as Error);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new Error(`${failures.length} of ${events.length} events failed: ${failures.map((f) => f.message).join('; ')}`, { cause: failures[0] });
  return results;
}

app.eventGrid('eventGridTrigger', { handler: eventGridTrigger });
