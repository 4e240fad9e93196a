import { resolveCloud, ResourceGraphInventory, ArmLiveReader, type ResourceGraphInventoryOptions, type ArmLiveReaderOptions } from '../../src/azure';
import type { StandIn } from '../azure-stand-in';

// Real SDK clients pointed at the stand-in: only the endpoint, the CA and the credential differ.

export const FAST_RETRY = { maxRetries: 3, retryDelayMs: 5, maxRetryDelayMs: 20 };

export function connectionTo(standIn: StandIn) {
  return { cloud: resolveCloud('AzurePublicCloud', standIn.endpoint), credential: standIn.credential, ca: standIn.ca, retry: FAST_RETRY };
}

export function inventoryReader(standIn: StandIn, options: Partial<ResourceGraphInventoryOptions> = {}): ResourceGraphInventory {
  return new ResourceGraphInventory({ ...connectionTo(standIn), backoffMs: 10, requestTimeoutMs: 5_000, ...options });
}

export function liveReader(standIn: StandIn, options: Partial<ArmLiveReaderOptions> = {}): ArmLiveReader {
  return new ArmLiveReader({ ...connectionTo(standIn), requestTimeoutMs: 5_000, ...options });
}
