import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli';
import { scratchDir } from '../support/scratch';

// A remediation allow list that names no subscription id would skip every fix as "not on the allow
// list" and exit 0: `fix` refuses the configuration instead (exit 2), naming the key and index.

const { file } = scratchDir('peerguard-fix-config-');

describe('fix --config with a remediation.subscriptions entry that is not a GUID', () => {
  it('a resource id is refused before anything is planned (exit 2)', async () => {
    const config = file('resource-id.yaml', 'remediation:\n  enabled: true\n  subscriptions:\n    - /subscriptions/aaaaaaaa-0000-0000-0000-000000000001\n');
    const result = await runCli(['fix', '--input', 'examples/estate', '--config', config]);
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: `peerguard: ${config}: remediation.subscriptions[0]: expected a subscription id (a GUID such as 00000000-0000-0000-0000-000000000000), got "/subscriptions/aaaaaaaa-0000-0000-0000-0…"; this is a resource id: give its GUID, "aaaaaaaa-0000-0000-0000-000000000001"\n`,
    });
  });
});
