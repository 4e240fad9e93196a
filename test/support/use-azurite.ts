import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { useAdapters } from '../../src/functions/composition';
import { startAzurite, type AzuriteInstance } from './azurite';

// Apart from azurite.ts and the Functions harness, which `npm run demo` imports outside Vitest:
// importing 'vitest' there makes the demo fail at load.

/**
 * An Azurite for the enclosing describe block, started before each test (or once, for 'all') and
 * stopped after it with the adapters installed on it; the getter returns the running one.
 */
export function useAzurite(scope: 'each' | 'all' = 'each'): () => AzuriteInstance {
  let azurite: AzuriteInstance | undefined;
  const [before, after] = scope === 'each' ? [beforeEach, afterEach] : [beforeAll, afterAll];
  before(async () => {
    azurite = await startAzurite();
  });
  after(async () => {
    useAdapters(undefined);
    await azurite?.stop();
  });
  return () => {
    if (!azurite) throw new Error('Azurite is not running: useAzurite() belongs in a describe block');
    return azurite;
  };
}
