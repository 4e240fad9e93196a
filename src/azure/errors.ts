// Classifying SDK failures: what is worth retrying, what means "no access", and a short reason for
// coverage.unreadable.

import { redactSecrets } from '../redact';

interface ErrorLike {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  status?: number;
  response?: { status?: number; headers?: { get?: (name: string) => string | undefined } };
  details?: { error?: { code?: string; message?: string; details?: Array<{ code?: string; message?: string }> } };
}

const asError = (error: unknown): ErrorLike => (typeof error === 'object' && error !== null ? (error as ErrorLike) : { message: String(error) });

export function statusOf(error: unknown): number | undefined {
  const e = asError(error);
  return e.statusCode ?? e.status ?? e.response?.status;
}

/** ARM's error code, e.g. `SubscriptionNotFound`, `ResourceNotFound`. */
export function codeOf(error: unknown): string | undefined {
  const e = asError(error);
  return e.details?.error?.code ?? e.code;
}

/**
 * A 404 that says nothing about the resource: the subscription does not exist or is not in the
 * caller's tenant. Its resources are unknown, not absent.
 */
export function isSubscriptionNotFound(error: unknown): boolean {
  return statusOf(error) === 404 && codeOf(error) === 'SubscriptionNotFound';
}

/**
 * ARM's 401 for a subscription of another Entra tenant than the token's ("The access token is from
 * the wrong issuer ... It must match the tenant ... associated with this subscription"): as with
 * one not found, its resources are unknown, not refused. Only this code says where the subscription
 * is: any other 401 (an expired or invalid token) refuses the token itself.
 */
export function isInAnotherTenant(error: unknown): boolean {
  return statusOf(error) === 401 && codeOf(error) === 'InvalidAuthenticationTokenTenant';
}

/** 401/403: the identity may not read the scope. Retrying does not help. */
export function isAccessDenied(error: unknown): boolean {
  const status = statusOf(error);
  return status === 401 || status === 403;
}

/** 401: the token itself was refused (wrong tenant, expired), for every scope alike: not one scope's permissions. */
export function isTokenRefused(error: unknown): boolean {
  return statusOf(error) === 401;
}

/** Names of @azure/identity's errors: no credential could get a token, so no request was sent. */
const CREDENTIAL_ERRORS = new Set(['CredentialUnavailableError', 'AuthenticationError', 'AggregateAuthenticationError']);

/**
 * The identity got no token: not signed in, no managed identity, a wrong secret, or a blip of the
 * token endpoint (a managed identity reports network errors this way too, so these are retried
 * like any status-less failure).
 */
export function isCredentialError(error: unknown): boolean {
  return CREDENTIAL_ERRORS.has(asError(error).name ?? '');
}

/** Throttling, server errors, timeouts, dropped connections: worth another attempt later. */
export function isTransient(error: unknown): boolean {
  const status = statusOf(error);
  if (status !== undefined && status !== 0) return status === 408 || status === 429 || status >= 500;
  return true; // no HTTP answer at all: a timeout (AbortError), a reset or refused connection
}

/** Retry-After of a throttled answer, in ms, when the error carries the response. */
export function retryAfterMsOf(error: unknown): number | undefined {
  const headers = asError(error).response?.headers;
  const ms = Number(headers?.get?.('retry-after-ms') ?? headers?.get?.('x-ms-retry-after-ms'));
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const seconds = Number(headers?.get?.('retry-after'));
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/** `403 AuthorizationFailed: The client ...` / `timed out` / `ECONNRESET: socket hang up`. */
export function describeError(error: unknown): string {
  const e = asError(error);
  const status = statusOf(error);
  const code = codeOf(error);
  // Resource Graph's outer message can be a support stub; the reason is then in the inner details.
  const inner = (e.details?.error?.details ?? []).slice(0, 2).map((d) => `${d.code ? `${d.code}: ` : ''}${d.message ?? ''}`);
  const message = redactSecrets([(e.details?.error?.message ?? e.message ?? String(error)).split('\n')[0], ...inner].join('; ')).slice(0, 500);
  if (e.name === 'AbortError') return 'no answer within the request timeout';
  if (isCredentialError(error)) return `no token for Azure (${message})`;
  if (status) return `${status}${code ? ` ${code}` : ''}: ${message}`;
  return code ? `${code}: ${message}` : message;
}

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `start()`'s result, cut short by `signal`: throws the signal's reason as soon as it aborts (at
 * once, without starting, when it already has); the work started is left to settle on its own.
 * For waits that do not listen to the signal themselves (a back-off sleep, an SDK poller's pause).
 */
export async function untilAborted<T>(start: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return start();
  signal.throwIfAborted();
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([start(), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * After attempt `attempt` (1-based) of a request failed with `error`: rethrows it unless it is
 * transient, attempts remain and `signal` has not aborted; else waits before the next attempt, as
 * long as Retry-After says or `backoffMs` × 2^(attempt-1), whichever is longer.
 */
export async function backOffOrThrow(
  error: unknown,
  attempt: number,
  retry: { attempts: number; backoffMs: number; sleep: (ms: number) => Promise<void>; signal: AbortSignal | undefined },
): Promise<void> {
  if (!isTransient(error) || attempt >= retry.attempts || retry.signal?.aborted) throw error;
  const delay = Math.max(retryAfterMsOf(error) ?? 0, retry.backoffMs * 2 ** (attempt - 1));
  await untilAborted(() => retry.sleep(delay), retry.signal);
}
