import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli';

// --management-group takes the group's ID, as Resource Graph does, and is checked as the Functions
// app checks PEERGUARD_MANAGEMENT_GROUP: a resource id or a display name is refused before any call
// to Azure (it would be refused there, leaving nothing audited), naming the option and the fix.

const RESOURCE_ID = '/providers/Microsoft.Management/managementGroups/mg1';

// Without the check, a read would be attempted: fail it fast rather than at the test's timeout.
const FAST = { retry: { maxRetries: 0, retryDelayMs: 1, maxRetryDelayMs: 1 }, pageAttempts: 1, backoffMs: 0, requestTimeoutMs: 2_000 };

function recordingCredential(): { credential: TokenCredential; calls: () => number } {
  let calls = 0;
  return {
    credential: {
      getToken: async (): Promise<AccessToken> => {
        calls += 1;
        return { token: 'test', expiresOnTimestamp: Date.now() + 3_600_000 };
      },
    },
    calls: () => calls,
  };
}

describe('--management-group that is not a management group ID', () => {
  it.each([
    [['audit', '--live']],
    [['export', '--live']],
    [['fix', '--live']],
  ])('%j with a resource id: usage error naming the option and its last segment (exit 2), no Azure call', async (args) => {
    const { credential, calls } = recordingCredential();
    // An endpoint nothing listens on: a call that got that far would fail differently.
    const result = await runCli([...args, '--endpoint', 'https://127.0.0.1:9', '--management-group', RESOURCE_ID], { azure: { ...FAST, credential } });
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr:
        `peerguard: --management-group "${RESOURCE_ID}": expected the management group ID (its name, not its display name): 1-90 letters, digits, hyphens, underscores, periods or parentheses, not ending with a period, e.g. mg-landing-zones; this is a resource id: give its last segment, "mg1"\n`,
    });
    expect(calls()).toBe(0);
  });

  it('a display name with a space is refused the same way', async () => {
    const { credential, calls } = recordingCredential();
    const result = await runCli(['audit', '--live', '--endpoint', 'https://127.0.0.1:9', '--management-group', 'Landing zones'], { azure: { ...FAST, credential } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^peerguard: --management-group "Landing zones": expected the management group ID/);
    expect(result.stderr).not.toContain('resource id');
    expect(calls()).toBe(0);
  });
});
