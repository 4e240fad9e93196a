import { afterAll, beforeAll, beforeEach } from 'vitest';
import { resolveCloud, ResourceGraphInventory, ArmLiveReader, type ResourceGraphInventoryOptions, type ArmLiveReaderOptions } from '../../src/azure';
import { startStandIn, type StandIn, type StandInConfig } from '../azure-stand-in';

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

/**
 * One stand-in shared by the tests of the enclosing describe block (call it there): started before
 * them with `config()` (built then, not when the file is collected), stopped after them, and before
 * each test put back to its start: no faults, an empty request log, Resource Graph caught up with ARM.
 * The estate itself is not reset: a test that changes it starts a stand-in of its own.
 * Returns the accessor; call it inside a test or hook. Call `useStandIn` again for a second stand-in.
 */
export function useStandIn(config: () => StandInConfig): () => StandIn {
  let started: StandIn | undefined;
  const standIn = (): StandIn => {
    if (!started) throw new Error('useStandIn: the stand-in is not running (read it inside a test or hook of its describe block)');
    return started;
  };
  beforeAll(async () => {
    started = await startStandIn(config());
  });
  afterAll(async () => {
    await started?.stop();
    started = undefined;
  });
  beforeEach(() => {
    const s = standIn();
    s.faults.clear();
    s.requests.clear();
    s.state.catchUpGraph();
  });
  return standIn;
}
