import { readFileSync } from 'node:fs';
import { main } from '../../src/cli/main';

// `peerguard ARGS` as a process of its own (fix-cli-interrupt.test.ts signals it), against the
// stand-in: its CA from FIX_CLI_CHILD_CA (a PEM file), any bearer token accepted.

const ca = readFileSync(process.env.FIX_CLI_CHILD_CA as string, 'utf8');
void main(process.argv, {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTty: false,
  now: () => new Date(),
  azure: {
    credential: { getToken: async () => ({ token: 'stand-in-token', expiresOnTimestamp: Date.now() + 3_600_000 }) },
    ca,
    retry: { maxRetries: 1, retryDelayMs: 5, maxRetryDelayMs: 10 },
    backoffMs: 10,
    pollIntervalMs: 50,
  },
}).then((code) => {
  process.exitCode = code;
});
