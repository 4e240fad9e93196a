import { app, type InvocationContext } from '@azure/functions';
import { handleArmEvent, type EventResult } from '../alerts/event-path';
import { adapters, eventPathDeps, loggerOf } from './composition';

// Azure Resource Manager events (Event Grid schema or CloudEvents 1.0). Never throws for a bad or
// unrelated event (a throw makes Event Grid redeliver), unless the dead-letter store that keeps a
// malformed or failed one cannot be written; see src/alerts/event-path.ts.

export async function eventGridTrigger(event: unknown, context: InvocationContext): Promise<EventResult[]> {
  const deps = eventPathDeps(adapters(), loggerOf(context));
  const events = Array.isArray(event) ? event : [event];
  const results: EventResult[] = [];
  for (const e of events) results.push(await handleArmEvent(deps, e));
  return results;
}

app.eventGrid('eventGridTrigger', { handler: eventGridTrigger });
