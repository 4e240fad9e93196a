import type { RequestKind } from './requests';

// Faults on demand. A fault matches requests by kind (and optionally a predicate), fires for the
// next `times` matching requests, then is spent. The first matching live fault wins.

export type FaultAction =
  /** Answer with this status and an ARM error body; 429/503 carry Retry-After when given. */
  | { type: 'status'; status: number; code?: string; message?: string; retryAfterSeconds?: number; retryAfterMs?: number }
  /** Destroy the socket without answering (the client sees ECONNRESET / socket hang up). */
  | { type: 'drop' }
  /** Handle the request (a write takes effect), then destroy the socket: the answer is lost on the way back. */
  | { type: 'loseAnswer' }
  /** Wait, then answer normally (a client timeout shorter than this aborts the request). */
  | { type: 'delay'; ms: number };

export interface FaultMatch {
  kind?: RequestKind | readonly RequestKind[];
  /** Further narrowing, e.g. on the path or on the subscriptions of a Resource Graph query. */
  when?: (request: { method: string; path: string; subscriptions: readonly string[] }) => boolean;
}

export interface Fault extends FaultMatch {
  action: FaultAction;
  /** How many matching requests it fires for (default 1; Infinity for "until cleared"). */
  times: number;
  fired: number;
}

export interface ForbiddenSubscription {
  /** Whether `GET /subscriptions` still lists it (e.g. a deny assignment, or a role removed after the token was issued). */
  listed: boolean;
}

export class Faults {
  private readonly list: Fault[] = [];
  /** Lower-cased subscription id → how it is forbidden. */
  readonly forbidden = new Map<string, ForbiddenSubscription>();

  add(match: FaultMatch, action: FaultAction, times = 1): Fault {
    const fault: Fault = { ...match, action, times, fired: 0 };
    this.list.push(fault);
    return fault;
  }

  /** 429 Too Many Requests with `Retry-After` (seconds) and, when given, `retry-after-ms`. */
  throttle(kind: RequestKind | readonly RequestKind[], options: { times?: number; retryAfterSeconds?: number; retryAfterMs?: number } = {}): Fault {
    const action: FaultAction = { type: 'status', status: 429, code: 'RateLimiting', message: 'Too many requests. Please retry.', retryAfterSeconds: options.retryAfterSeconds ?? 1 };
    if (options.retryAfterMs !== undefined) action.retryAfterMs = options.retryAfterMs;
    return this.add({ kind }, action, options.times ?? 1);
  }

  /** A burst of server errors (500 InternalServerError or 503 ServiceUnavailable). */
  fail(kind: RequestKind | readonly RequestKind[], status: 500 | 502 | 503 | 504, times = 1): Fault {
    return this.add({ kind }, { type: 'status', status, code: status === 503 ? 'ServiceUnavailable' : 'InternalServerError', message: 'The server encountered an internal error.' }, times);
  }

  /** Drop the connection (socket destroyed before any byte of the answer). */
  drop(kind: RequestKind | readonly RequestKind[], times = 1): Fault {
    return this.add({ kind }, { type: 'drop' }, times);
  }

  /** Perform the request, then lose its answer (the socket is destroyed instead): the client retries a write that happened. */
  loseAnswer(kind: RequestKind | readonly RequestKind[], times = 1): Fault {
    return this.add({ kind }, { type: 'loseAnswer' }, times);
  }

  /** Answer late. */
  slow(kind: RequestKind | readonly RequestKind[], ms: number, times = 1): Fault {
    return this.add({ kind }, { type: 'delay', ms }, times);
  }

  /**
   * The caller may not read this subscription: ARM answers 403 AuthorizationFailed for its
   * resources, and Resource Graph answers 403 for a query that names it (see README).
   */
  forbid(subscriptionId: string, options: Partial<ForbiddenSubscription> = {}): void {
    this.forbidden.set(subscriptionId.toLowerCase(), { listed: options.listed ?? false });
  }

  isForbidden(subscriptionId: string | undefined): boolean {
    return subscriptionId !== undefined && this.forbidden.has(subscriptionId.toLowerCase());
  }

  /** Remove every fault and forbidden subscription. */
  clear(): void {
    this.list.length = 0;
    this.forbidden.clear();
  }

  /** Faults still armed. */
  pending(): readonly Fault[] {
    return this.list.filter((f) => f.fired < f.times);
  }

  /** The fault to apply to this request, if any (counts as fired). */
  take(kind: RequestKind, request: { method: string; path: string; subscriptions: readonly string[] }): FaultAction | undefined {
    for (const fault of this.list) {
      if (fault.fired >= fault.times) continue;
      const kinds = fault.kind === undefined ? undefined : typeof fault.kind === 'string' ? [fault.kind] : fault.kind;
      if (kinds && !kinds.includes(kind)) continue;
      if (fault.when && !fault.when(request)) continue;
      fault.fired += 1;
      return fault.action;
    }
    return undefined;
  }
}
