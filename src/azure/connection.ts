import type { TokenCredential } from '@azure/core-auth';
import type * as ArmNetwork from '@azure/arm-network';
import type { NetworkManagementClient } from '@azure/arm-network';
import type * as ArmResourceGraph from '@azure/arm-resourcegraph';
import type { ResourceGraphClient } from '@azure/arm-resourcegraph';
import type { CloudSettings } from './clouds';

// How the adapters reach Azure: one credential, one cloud, the SDK pipeline's retry settings, and
// (for the local stand-in or a TLS-intercepting proxy) an extra trusted CA.

export interface RetrySettings {
  /** Retries of the SDK pipeline per request (429 with Retry-After, 5xx, 408, connection resets). */
  maxRetries: number;
  /** First back-off delay and its cap (exponential, with jitter) for 5xx and connection errors. */
  retryDelayMs: number;
  maxRetryDelayMs: number;
}

export const DEFAULT_RETRY: RetrySettings = { maxRetries: 4, retryDelayMs: 800, maxRetryDelayMs: 30_000 };

export interface AzureConnection {
  credential: TokenCredential;
  cloud: CloudSettings;
  /** Extra trusted certificate authority (PEM). */
  ca?: string | undefined;
  retry?: Partial<RetrySettings> | undefined;
  /** Per-request timeout in ms (a slow answer past it is aborted and retried by the adapter). Default 60 s. */
  requestTimeoutMs?: number | undefined;
}

export function retryOf(connection: AzureConnection): RetrySettings {
  return { ...DEFAULT_RETRY, ...(connection.retry ?? {}) };
}

export function clientOptions(connection: AzureConnection) {
  const retry = retryOf(connection);
  return {
    endpoint: connection.cloud.armEndpoint,
    retryOptions: { maxRetries: retry.maxRetries, retryDelayInMs: retry.retryDelayMs, maxRetryDelayInMs: retry.maxRetryDelayMs },
    userAgentOptions: { userAgentPrefix: 'peerguard' },
    ...(connection.ca ? { tlsOptions: { ca: connection.ca } } : {}),
  };
}

// The SDKs are required on first use, not when this module loads: @azure/arm-network alone costs a
// Functions cold start hundreds of milliseconds, and most invocations need one of the two at most.
/* eslint-disable @typescript-eslint/no-require-imports */
const armNetwork = () => require('@azure/arm-network') as typeof ArmNetwork;
const armResourceGraph = () => require('@azure/arm-resourcegraph') as typeof ArmResourceGraph;
/* eslint-enable @typescript-eslint/no-require-imports */

export function resourceGraphClient(connection: AzureConnection): ResourceGraphClient {
  return new (armResourceGraph().ResourceGraphClient)(connection.credential, { ...clientOptions(connection), credentials: { scopes: [connection.cloud.armScope] } });
}

export function networkClient(connection: AzureConnection, subscriptionId: string): NetworkManagementClient {
  return new (armNetwork().NetworkManagementClient)(connection.credential, subscriptionId, { ...clientOptions(connection), credentialScopes: [connection.cloud.armScope] });
}
