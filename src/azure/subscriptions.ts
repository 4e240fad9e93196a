import type * as CoreRestPipeline from '@azure/core-rest-pipeline';
import { clientOptions, retryOf, type AzureConnection } from './connection';

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

export async function listSubscriptions(connection: AzureConnection): Promise<SubscriptionEntry[]> {
  const { bearerTokenAuthenticationPolicy, createDefaultHttpClient, createPipelineFromOptions, createPipelineRequest, RestError } = corePipeline();
  const options = clientOptions(connection);
  const retry = retryOf(connection);
  const pipeline = createPipelineFromOptions({
    retryOptions: { maxRetries: retry.maxRetries, retryDelayInMs: retry.retryDelayMs, maxRetryDelayInMs: retry.maxRetryDelayMs },
    userAgentOptions: options.userAgentOptions,
    ...(connection.ca ? { tlsOptions: { ca: connection.ca } } : {}),
  });
  pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential: connection.credential, scopes: connection.cloud.armScope }));
  const http = createDefaultHttpClient();
  const result: SubscriptionEntry[] = [];
  let url: string | undefined = `${connection.cloud.armEndpoint}/subscriptions?api-version=${API_VERSION}`;
  while (url) {
    const response = await pipeline.sendRequest(http, createPipelineRequest({ url, method: 'GET', timeout: connection.requestTimeoutMs ?? 60_000 }));
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
    const body = JSON.parse(response.bodyAsText ?? '{}') as { value?: SubscriptionEntry[]; nextLink?: string };
    for (const s of body.value ?? []) if (typeof s.subscriptionId === 'string') result.push({ ...s, subscriptionId: s.subscriptionId.toLowerCase() });
    url = body.nextLink || undefined;
  }
  return result;
}
