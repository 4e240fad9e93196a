/**
 * Runs `create` (a table or container's create-if-missing) at most once while it succeeds: calls
 * share the pending or settled promise; after a failure the next call tries again, so a storage
 * outage at start-up is not remembered forever.
 */
export function createOnce(create: () => Promise<unknown>): () => Promise<void> {
  let ready: Promise<void> | undefined;
  return () => {
    ready ??= create().then(
      () => undefined,
      (error: unknown) => {
        ready = undefined;
        throw error;
      },
    );
    return ready;
  };
}
