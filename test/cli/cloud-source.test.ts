import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../support/cli';

// A cloud name or endpoint that cannot be used is a usage error (exit 2) that says where it came
// from: the flag, or the environment variable the live commands fall back on, which may have been
// set long before the command was typed.

let calls = 0;
const credential: TokenCredential = {
  getToken: async (): Promise<AccessToken> => {
    calls += 1;
    return { token: 'test', expiresOnTimestamp: Date.now() + 3_600_000 };
  },
};
const run = (args: string[]) => runCli(args, { azure: { credential, retry: { maxRetries: 0, retryDelayMs: 1, maxRetryDelayMs: 1 }, pageAttempts: 1, backoffMs: 0, requestTimeoutMs: 2_000 } });
const SUB = '--subscription=aaaaaaaa-0000-0000-0000-000000000001';
const EXPECTED = 'expected AzurePublicCloud, AzureUSGovernment or AzureChinaCloud';

afterEach(() => {
  vi.unstubAllEnvs();
  calls = 0;
});

describe('live commands: an unknown cloud names its source', () => {
  it.each([['audit'], ['export'], ['fix']])('%s --live with PEERGUARD_CLOUD=mars names the environment variable', async (command) => {
    vi.stubEnv('PEERGUARD_CLOUD', 'mars');
    const result = await run([command, '--live', SUB]);
    expect(result).toEqual({ code: 2, stdout: '', stderr: `peerguard: environment variable PEERGUARD_CLOUD: unknown Azure cloud "mars": ${EXPECTED}\n` });
    expect(calls).toBe(0);
  });

  it('--cloud mars names the flag, whatever the environment says', async () => {
    vi.stubEnv('PEERGUARD_CLOUD', 'AzureChinaCloud');
    expect(await run(['audit', '--live', SUB, '--cloud', 'mars'])).toEqual({ code: 2, stdout: '', stderr: `peerguard: --cloud: unknown Azure cloud "mars": ${EXPECTED}\n` });
    vi.stubEnv('PEERGUARD_CLOUD', 'mars');
    expect(await run(['audit', '--live', SUB, '--cloud', 'Venus'])).toEqual({ code: 2, stdout: '', stderr: `peerguard: --cloud: unknown Azure cloud "Venus": ${EXPECTED}\n` });
    expect(calls).toBe(0);
  });

  it('an endpoint that is not https names PEERGUARD_ARM_ENDPOINT or --endpoint', async () => {
    vi.stubEnv('PEERGUARD_ARM_ENDPOINT', 'http://127.0.0.1:9');
    const fromEnv = await run(['audit', '--live', SUB]);
    expect(fromEnv).toEqual({
      code: 2,
      stdout: '',
      stderr: 'peerguard: environment variable PEERGUARD_ARM_ENDPOINT: the Resource Manager endpoint must use https (access tokens are never sent over http): "http://127.0.0.1:9/"\n',
    });
    const fromFlag = await run(['audit', '--live', SUB, '--endpoint', 'http://127.0.0.1:8']);
    expect(fromFlag.stderr).toBe('peerguard: --endpoint: the Resource Manager endpoint must use https (access tokens are never sent over http): "http://127.0.0.1:8/"\n');
    expect(calls).toBe(0);
  });
});
