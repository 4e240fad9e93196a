import type { IncomingHttpHeaders } from 'node:http';
import type { Faults } from './faults';
import type { RequestKind } from './requests';
import type { Json, StandInState } from './state';

// What a handler sees and answers. Handlers are synchronous functions of the state.

export interface StandInOptions {
  /** Items per page of ARM collection lists (peerings, subscriptions). Default 50. */
  armPageSize: number;
  /** Polls of a long-running ARM operation that answer InProgress before Succeeded. Default 1. */
  lroInProgressPolls: number;
  /** Polls of an email operation that answer Running before the outcome. Default 0. */
  emailRunningPolls: number;
  /**
   * How Resource Graph treats a query naming a subscription the caller may not read:
   * `reject` (default) answers 403 AuthorizationFailed naming it; `omit` silently leaves it out.
   */
  resourceGraphForbidden: 'reject' | 'omit';
  /** Resource Graph user quota: queries per window, window length. */
  quota: { perWindow: number; windowMs: number; enforce: boolean };
}

export interface Ctx {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: Json | undefined;
  /** `https://127.0.0.1:PORT` (no trailing slash). */
  endpoint: string;
  state: StandInState;
  faults: Faults;
  options: StandInOptions;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface Route {
  kind: RequestKind;
  /** Subscriptions the request touches (for logging and the forbidden check). */
  subscriptions: string[];
  handle: (ctx: Ctx) => Reply;
}

export function armError(status: number, code: string, message: string, headers?: Record<string, string>): Reply {
  return { status, body: { error: { code, message } }, ...(headers ? { headers } : {}) };
}

export function hasApiVersion(ctx: Ctx): Reply | undefined {
  return ctx.query['api-version'] ? undefined : armError(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.");
}
