import type * as CoreRestPipeline from '@azure/core-rest-pipeline';
import { clientOptions, retryOf, type AzureConnection } from './connection';
import { backOffOrThrow, realSleep } from './errors';

// GET /subscriptions: the subscriptions the identity can see (Reader or any role on them).

const API_VERSION = '2022-12-01';

// Required on first use (not at start-up): see connection.ts.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const corePipeline = () => require('@azure/core-rest-pipeline') as typeof CoreRestPipeline;

export interface SubscriptionEntry {
  subscriptionId: string;
  displayName?: string;
  state?: string;
}

export interface ListSubscriptionsOptions {
  /** Attempts per page on top of the pipeline's own retries (timeouts, retries exhausted). Default 3. */
  pageAttempts?: number;
  /** Back-off between those attempts: base × 2^(attempt-1). Default 2,000 ms. */
  backoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
  signal?: AbortSignal | undefined;
}

/**
 * Every page of the list. A page that fails transiently is asked for again, from its own nextLink:
 * a tenant-wide audit reads what this returns, so one lost answer must not leave it empty.
 */
export async function listSubscriptions(connection: AzureConnection, options: ListSubscriptionsOptions = {}): Promise<SubscriptionEntry[]> {
  const { bearerTokenAuthenticationPolicy, createDefaultHttpClient, createPipelineFromOptions, createPipelineRequest, RestError } = corePipeline();
  const client = clientOptions(connection);
  const retry = retryOf(connection);
  const attempts = Math.max(1, options.pageAttempts ?? 3);
  const backoff = { attempts, backoffMs: options.backoffMs ?? 2_000, sleep: options.sleep ?? realSleep, signal: options.signal };
  const pipeline = createPipelineFromOptions({
    retryOptions: { maxRetries: retry.maxRetries, retryDelayInMs: retry.retryDelayMs, maxRetryDelayInMs: retry.maxRetryDelayMs },
    userAgentOptions: client.userAgentOptions,
    ...(connection.ca ? { tlsOptions: { ca: connection.ca } } : {}),
  });
  pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential: connection.credential, scopes: connection.cloud.armScope }));
  const http = createDefaultHttpClient();
  const result: SubscriptionEntry[] = [];
  let url: string | undefined = `${connection.cloud.armEndpoint}/subscriptions?api-version=${API_VERSION}`;
  const readPage = async (pageUrl: string): Promise<{ value?: SubscriptionEntry[]; nextLink?: string }> => {
    const request = createPipelineRequest({ url: pageUrl, method: 'GET', timeout: connection.requestTimeoutMs ?? 60_000, ...(options.signal ? { abortSignal: options.signal } : {}) });
    const response = await pipeline.sendRequest(http, request);
    if (response.status !== 200) {
      let message = response.bodyAsText ?? '';
      try {
        const body = JSON.parse(message) as { error?: { code?: string; message?: string } };
        message = `${body.error?.code ?? ''} ${body.error?.message ?? ''}`.trim();
      } catch {
        // keep the text
      }
      throw new RestError(`listing subscriptions failed: ${message}`, { statusCode: response.status, response });
    }
    return JSON.parse(response.bodyAsText ?? '{}') as { value?: SubscriptionEntry[]; nextLink?: string };
  };
  while (url) {
    let body: { value?: SubscriptionEntry[]; nextLink?: string };
    for (let attempt = 1; ; attempt += 1) {
      try {
        body = await readPage(url);
        break;
      } catch (error) {
        await backOffOrThrow(error, attempt, backoff);
      }
    }
    for (const s of body.value ?? []) if (typeof s.subscriptionId === 'string') result.push({ ...s, subscriptionId: s.subscriptionId.toLowerCase() });
    url = body.nextLink || undefined;
  }
  return result;
}
