import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startStandIn, type StandIn } from '../azure-stand-in';
import { configFile, exampleEstate, liveArgs, liveFindings, runCli, writesSeen } from './harness';

// `peerguard fix` end to end, in-process, against the stand-in serving the example estate.

describe('peerguard fix against the stand-in (example estate)', () => {
  let standIn: StandIn;
  beforeEach(async () => {
    standIn = await startStandIn({ resources: await exampleEstate() });
  });
  afterEach(async () => {
    await standIn?.stop();
  });

  it('fix --apply repairs every safe finding and nothing else', async () => {
    const before = await liveFindings(standIn);
    const safe = before.filter((f) => f.fix && !f.fix.destructive);
    const destructive = before.filter((f) => f.fix?.destructive);
    expect(safe.length).toBeGreaterThan(3);
    expect(destructive.length).toBeGreaterThan(0);
    standIn.requests.clear();
    const run = await runCli(standIn, ['fix', ...liveArgs(standIn), '--config', configFile(), '--apply']);
    expect(run.code).toBe(0);
    expect(standIn.requests.count('armDelete')).toBe(0);
    const after = await liveFindings(standIn);
    expect(after.filter((f) => f.fix && !f.fix.destructive)).toEqual([]);
    expect(after.filter((f) => f.fix?.destructive).map((f) => f.fingerprint).sort()).toEqual(destructive.map((f) => f.fingerprint).sort());
  });
});
