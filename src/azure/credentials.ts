import type { TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';
import type { CloudSettings } from './clouds';

// The identity peerguard reads Azure with: DefaultAzureCredential (environment, workload identity,
// managed identity, Azure CLI, ...) against the cloud's authority; a user-assigned managed
// identity when its client id is configured.

export function createCredential(options: { cloud: CloudSettings; managedIdentityClientId?: string | undefined }): TokenCredential {
  return new DefaultAzureCredential({
    authorityHost: options.cloud.authorityHost,
    ...(options.managedIdentityClientId ? { managedIdentityClientId: options.managedIdentityClientId } : {}),
  });
}
