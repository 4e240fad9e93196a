import type { TokenCredential } from '@azure/core-auth';
import type * as Identity from '@azure/identity';
import type { CloudSettings } from './clouds';

// The identity peerguard reads Azure with: DefaultAzureCredential (environment, workload identity,
// managed identity, Azure CLI, ...) against the cloud's authority; a user-assigned managed
// identity when its client id is configured.

// Required on first use (not at start-up): see connection.ts.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const identity = () => require('@azure/identity') as typeof Identity;

export function createCredential(options: { cloud: CloudSettings; managedIdentityClientId?: string | undefined }): TokenCredential {
  return new (identity().DefaultAzureCredential)({
    authorityHost: options.cloud.authorityHost,
    ...(options.managedIdentityClientId ? { managedIdentityClientId: options.managedIdentityClientId } : {}),
  });
}
