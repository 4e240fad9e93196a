/**
 * A `sleep` for the Azure adapters that records each wait it is asked for and returns at once: tests
 * assert the wait asked for (Retry-After, back-off), not the clock.
 */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; asked: number[] } {
  const asked: number[] = [];
  return {
    asked,
    sleep: (ms) => {
      asked.push(ms);
      return Promise.resolve();
    },
  };
}
