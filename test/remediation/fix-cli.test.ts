import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startStandIn, type StandIn } from '../azure-stand-in';
import { peeringResource } from '../support/estate';
import { scratchDir } from '../support/scratch';
import { configFile, exampleEstate, HUB, liveArgs, liveFindings, runCli, spokePeering, SUB_DEV, SUB_HUB, SUB_PROD, writesSeen } from './harness';

// `peerguard fix` end to end, in-process, against the stand-in serving the example estate.

const partialSnapshot = scratchDir('peerguard-fix-');
// spoke8's address space overlaps the hub's: the planner skips its fix (ARM refuses to peer them).
const SPOKE8 = spokePeering(SUB_DEV, 'dev', 8);

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
    // Nothing else: every write the stand-in received is one the plan printed, each once.
    // One write per fix: spoke5's space grew, so only the hub's link to it (LocalNotInSync) is synced.
    const written = writesSeen(standIn);
    expect(written).toHaveLength(8);
    for (const w of written) expect(run.stdout).toContain(`${w}?api-version=`);
    expect(run.stdout).toMatch(/8 applied, 4 skipped, 0 failed, 0 not attempted; 8 write\(s\)/);
    const after = await liveFindings(standIn);
    expect(after.filter((f) => f.fix && !f.fix.destructive).map((f) => f.resourceId)).toEqual([SPOKE8]);
    expect(after.filter((f) => f.fix?.destructive).map((f) => f.fingerprint).sort()).toEqual(destructive.map((f) => f.fingerprint).sort());
  });

  it('re-running an applied plan is a no-op: nothing left to fix, no write', async () => {
    const config = configFile();
    expect((await runCli(standIn, ['fix', ...liveArgs(standIn), '--config', config, '--apply'])).code).toBe(0);
    standIn.requests.clear();
    const again = await runCli(standIn, ['fix', ...liveArgs(standIn), '--config', config, '--apply']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/0 planned \(0 write\(s\)/);
    expect(writesSeen(standIn)).toEqual([]);
  });

  it('with --allow-destructive the disconnected and orphaned peerings are repaired too', async () => {
    const run = await runCli(standIn, ['fix', ...liveArgs(standIn), '--config', configFile(), '--apply', '--allow-destructive']);
    expect(run.stdout).toMatch(/0 failed, 0 not attempted/);
    expect(run.code).toBe(0);
    expect(standIn.requests.count('armDelete')).toBe(2); // spoke4's Disconnected link, the hub's orphan
    expect((await liveFindings(standIn)).filter((f) => f.fix).map((f) => f.resourceId)).toEqual([SPOKE8]);
    const spoke4 = standIn.state.get(spokePeering(SUB_PROD, 'prod', 4));
    expect(spoke4?.properties.peeringState).toBe('Connected');
    expect(standIn.state.get(`${HUB}/virtualNetworkPeerings/hub-to-spoke14-retired`)).toBeUndefined();
  });

  it('a dry run performs no write (request log) and says so', async () => {
    const run = await runCli(standIn, ['fix', ...liveArgs(standIn), '--config', configFile({ apply: true }), '--allow-destructive']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Remediation plan: dry run \(nothing is written\); 12 fix\(es\): 10 planned/);
    expect(run.stdout).toContain('DELETE /subscriptions/');
    expect(writesSeen(standIn)).toEqual([]);
    expect(standIn.requests.count('armGet')).toBe(0);
  });

  it('the write limit holds', async () => {
    const run = await runCli(standIn, ['fix', ...liveArgs(standIn), '--config', configFile({ maxWrites: 3 }), '--apply']);
    expect(run.code).toBe(0);
    expect(writesSeen(standIn)).toHaveLength(3);
    expect(run.stdout).toMatch(/write limit of 3 per run reached/);
  });

  it('a failing write stops the run: it is reported, the rest is not attempted', async () => {
    const spoke2 = spokePeering(SUB_PROD, 'prod', 2);
    standIn.faults.add({ kind: 'armPut', when: (r) => r.path === spoke2 }, { type: 'status', status: 409, code: 'AnotherOperationInProgress', message: 'Another operation on this peering is in progress.' }, Infinity);
    const run = await runCli(standIn, ['fix', ...liveArgs(standIn), '--config', configFile(), '--apply']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/\[failed\] PUT \S+spoke2-to-hub: 409 AnotherOperationInProgress/);
    expect(run.stdout).toMatch(/Stopped at the first failure/);
    expect(run.stdout).toMatch(/2 applied, 4 skipped, 1 failed, 5 not attempted; 2 write\(s\)/);
    // Nothing was written after the failing PUT.
    const puts = standIn.requests.of('armPut').map((r) => r.path);
    expect(puts.slice(puts.indexOf(spoke2)).every((p) => p === spoke2)).toBe(true);
  });

  it('never writes a VNet carrying the opt-out tag, nor a subscription off the allow list', async () => {
    const spoke6 = spokePeering(SUB_DEV, 'dev', 6).replace(/\/virtualNetworkPeerings\/.*$/, '');
    const vnet = standIn.state.raw(spoke6);
    // The example tags it peerguard-remediation=opt-in; an operator turns that into an opt-out (tag names are case-insensitive).
    if (vnet) vnet.tags = { env: 'dev', 'PeerGuard-Remediation': 'Opt-Out' };
    const run = await runCli(standIn, ['fix', ...liveArgs(standIn), '--config', configFile({ subscriptions: [SUB_HUB, SUB_DEV] }), '--apply', '--allow-destructive']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`subscription ${SUB_PROD} is not on the remediation allow list`);
    expect(run.stdout).toContain('carries the opt-out tag peerguard-remediation=opt-out');
    const written = writesSeen(standIn);
    expect(written.length).toBeGreaterThan(0);
    expect(written.filter((w) => w.toLowerCase().includes(SUB_PROD) || w.toLowerCase().includes('/virtualnetworks/vnet-spoke6-dev/'))).toEqual([]);
  });

  it('refuses to apply from a snapshot, or without remediation.enabled and an allow list', async () => {
    const fromFile = await runCli(standIn, ['fix', '--input', 'examples/estate', '--config', configFile(), '--apply']);
    expect(fromFile).toMatchObject({ code: 2, stderr: expect.stringMatching(/--input can plan but never apply/) });
    const disabled = await runCli(standIn, ['fix', ...liveArgs(standIn), '--config', configFile({ enabled: false }), '--apply']);
    expect(disabled).toMatchObject({ code: 2, stderr: expect.stringMatching(/--apply needs remediation.enabled: true/) });
    const noList = await runCli(standIn, ['fix', ...liveArgs(standIn), '--config', configFile({ subscriptions: [] }), '--apply']);
    expect(noList).toMatchObject({ code: 2, stderr: expect.stringMatching(/needs remediation.subscriptions/) });
    expect(writesSeen(standIn)).toEqual([]);
    const plan = await runCli(standIn, ['fix', '--input', 'examples/estate', '--config', configFile(), '--format', 'json']);
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.stdout).plan.mode).toBe('dry-run');
  });

  it('never plans a write to a VNet known only from a standalone peering of it (its tags and tenant unknown)', async () => {
    // An orphan peering of vnet-a, exported alone (az network vnet peering list): vnet-a itself was
    // not read, so neither its opt-out tag nor its tenant is known. Its subscription is allow-listed.
    const vnetA = `/subscriptions/${SUB_HUB}/resourceGroups/rg-a/providers/Microsoft.Network/virtualNetworks/vnet-a`;
    const gone = `/subscriptions/${SUB_HUB}/resourceGroups/rg-a/providers/Microsoft.Network/virtualNetworks/vnet-gone`;
    const file = join(partialSnapshot.dir, 'standalone-peering.json');
    writeFileSync(file, JSON.stringify(peeringResource(vnetA, { remote: gone, name: 'a-to-gone', state: 'Disconnected' })));
    const run = await runCli(standIn, ['fix', '--input', file, '--config', configFile({ subscriptions: [SUB_HUB] }), '--allow-destructive']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/1 fix\(es\): 0 planned \(0 write\(s\), limit 30\), 1 skipped/);
    expect(run.stdout).toContain(`[skipped] peering-remote-vnet-missing ${vnetA}/virtualNetworkPeerings/a-to-gone`);
    expect(run.stdout).toContain(`why skipped: VNet ${vnetA.toLowerCase()} was not read, so its tenant and tags are unknown`);
  });

  it('plans from a partial snapshot saying which scopes it lacks, as audit does', async () => {
    const file = join(partialSnapshot.dir, 'partial.json');
    const unreadable = [{ scope: '/subscriptions/00000000-0000-4000-8000-00000000dead', reason: 'AuthorizationFailed (403)' }];
    writeFileSync(file, JSON.stringify({ data: await exampleEstate(), unreadable }));
    const plan = await runCli(standIn, ['fix', '--input', file, '--config', configFile(), '--format', 'json']);
    expect(plan.code).toBe(0);
    expect(plan.stderr).toContain(`peerguard: not read (as the snapshot records): ${unreadable[0]?.scope}: AuthorizationFailed (403)`);
    expect(JSON.parse(plan.stdout).plan.items.length).toBeGreaterThan(0);
  });
});
