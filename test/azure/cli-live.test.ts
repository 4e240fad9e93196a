import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import type { TokenCredential } from '@azure/core-auth';
import { CredentialUnavailableError } from '@azure/identity';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from '../support/cli';
import { SUB_A, SUB_B, SUB_C } from '../support/estate';
import { scratchDir } from '../support/scratch';
import { FAST_RETRY, useStandIn } from './harness';
import { realisticEstate } from './realistic-estate';

// `peerguard audit --live` / `export --live` end to end, in-process, against the stand-in: the
// real SDK clients, only the endpoint, the CA and the credential differ from a run against Azure.

const { dir } = scratchDir('peerguard-live-');
const store = scratchDir('peerguard-store-').dir;
const estateFile = join(dir, 'estate-from-file.json');
writeFileSync(estateFile, JSON.stringify(realisticEstate()));

describe('peerguard --live', () => {
  const standIn = useStandIn(() => ({ resources: realisticEstate() }));

  const run = (args: string[], stderrIsTty = false) =>
    runCli(args, {
      stderrIsTty,
      now: () => new Date('2026-01-01T00:00:00Z'),
      azure: { credential: standIn().credential, ca: standIn().ca, retry: FAST_RETRY, backoffMs: 10 },
    });
  const subs = ['--subscription', SUB_A, '--subscription', SUB_B, '--subscription', SUB_C];

  it('a token Azure refuses (401) costs one Resource Graph query, and stderr says it once for all its subscriptions', async () => {
    const refused = { type: 'status' as const, status: 401, code: 'InvalidAuthenticationTokenTenant', message: 'The access token is from the wrong issuer.' };
    standIn().faults.add({ kind: 'resourceGraph' }, refused, Infinity);
    const many = [SUB_A, SUB_B, SUB_C, '44444444-4444-4444-4444-444444444444'];
    standIn().faults.add({ kind: 'subscriptions' }, refused, Infinity);
    const live = await run(['audit', '--live', '--endpoint', standIn().endpoint, ...many.flatMap((s) => ['--subscription', s]), '--fail-on', 'none']);
    expect(live.code).toBe(2);
    expect(standIn().requests.count('resourceGraph')).toBe(1);
    const notRead = live.stderr.split('\n').filter((l) => l.startsWith('peerguard: not read:'));
    expect(notRead).toEqual([
      `peerguard: not read: ${[...many].sort().slice(0, 3).join(', ')} and 1 more: access denied by Resource Graph (401 InvalidAuthenticationTokenTenant: The access token is from the wrong issuer.)`,
    ]);
    // The scope in words names a few subscriptions, not every one.
    expect(live.stderr).toContain(`no virtual networks read from subscriptions ${many.slice(0, 3).join(', ')} and 1 more (0 subscriptions read)`);
  });

  it('audit --live reports what audit --input reports for the same estate', async () => {
    const live = await run(['audit', '--live', '--endpoint', standIn().endpoint, ...subs, '--format', 'json', '--fail-on', 'none']);
    expect(live.stderr).toBe('');
    expect(live.code).toBe(0);
    const file = await run(['audit', '--input', estateFile, '--format', 'json', '--fail-on', 'none']);
    const a = JSON.parse(live.stdout);
    const b = JSON.parse(file.stdout);
    expect(a.findings.map((f: { fingerprint: string }) => f.fingerprint)).toEqual(b.findings.map((f: { fingerprint: string }) => f.fingerprint));
    expect(a.summary).toEqual(b.summary);
    expect(a.coverage).toEqual({ subscriptions: [SUB_A, SUB_B, SUB_C].sort(), unreadable: [], outOfScope: [] });
    expect(a.coverage).toEqual(b.coverage);
    expect(standIn().requests.counts()).toEqual({ subscriptions: 1, resourceGraph: 1 });
  });

  it('shows progress on a terminal and says PARTIAL when a subscription cannot be read', async () => {
    standIn().faults.forbid(SUB_C, { listed: true });
    const { code, stdout, stderr } = await run(['audit', '--live', '--endpoint', standIn().endpoint, ...subs, '--fail-on', 'none'], true);
    expect(code).toBe(0);
    expect(stderr).toMatch(/Resource Graph pages \d+, rows \d+, subscriptions 3\/3/);
    expect(stderr).toMatch(new RegExp(`not read: ${SUB_C}: access denied`));
    expect(stdout).toMatch(/PARTIAL AUDIT: 1 scope\(s\) could not be read/);
  });

  it('export --live writes a snapshot that audit --input reads back to the same findings', async () => {
    const out = join(dir, 'estate.json');
    const exported = await run(['export', '--live', '--endpoint', standIn().endpoint, ...subs, '-o', out]);
    expect(exported.code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).data.length).toBeGreaterThan(10);
    const back = await run(['audit', '--input', out, '--format', 'json', '--fail-on', 'none']);
    const live = await run(['audit', '--live', '--endpoint', standIn().endpoint, ...subs, '--format', 'json', '--fail-on', 'none']);
    expect(JSON.parse(back.stdout).findings).toEqual(JSON.parse(live.stdout).findings);
    expect(JSON.parse(back.stdout).coverage.subscriptions).toEqual([SUB_A, SUB_B, SUB_C].sort());
  });

  describe('an identity that gets no token (not signed in): nothing is read', () => {
    const noCredential: TokenCredential = {
      getToken: async () => {
        throw new CredentialUnavailableError('EnvironmentCredential is unavailable. No underlying credential could be used.');
      },
    };
    const unsigned = (args: string[]) => runCli(args, { azure: { credential: noCredential, ca: standIn().ca, retry: FAST_RETRY, backoffMs: 1, pageAttempts: 2 } });
    const signIn = 'peerguard: no credential got a token: sign in with az login, set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or run with a managed identity\n';

    it('audit --live exits 2, names the credential failure and says how to sign in', async () => {
      const { code, stdout, stderr } = await unsigned(['audit', '--live', '--endpoint', standIn().endpoint, '--subscription', SUB_A, '--format', 'json']);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toContain(`peerguard: not read: ${SUB_A}: Resource Graph query failed after 2 attempts (no token for Azure (EnvironmentCredential is unavailable.`);
      expect(stderr).toContain(signIn);
      expect(stderr).toContain('nothing was audited');
    });

    it('fix --live exits 2 instead of planning nothing', async () => {
      const { code, stderr } = await unsigned(['fix', '--live', '--endpoint', standIn().endpoint, '--subscription', SUB_A]);
      expect(code).toBe(2);
      expect(stderr).toContain(signIn);
      expect(stderr).toContain('nothing was audited');
    });

    it('export --live leaves an existing snapshot as it was and exits 2', async () => {
      const out = join(dir, 'kept.json');
      writeFileSync(out, '{"data":[{"id":"/subscriptions/x"}]}');
      const { code, stderr } = await unsigned(['export', '--live', '--endpoint', standIn().endpoint, '--subscription', SUB_A, '-o', out]);
      expect(code).toBe(2);
      expect(stderr).toContain(`peerguard: no virtual networks read from subscription ${SUB_A} (1 scope could not be read, listed above): nothing to export; ${out} was not written\n`);
      expect(readFileSync(out, 'utf8')).toBe('{"data":[{"id":"/subscriptions/x"}]}');
      expect(readdirSync(dir).filter((f) => f.includes('.partial'))).toEqual([]);
    });
  });

  it('a token that came on a retry: nothing read for another reason gets no sign-in line', async () => {
    let calls = 0;
    const flaky: TokenCredential = {
      getToken: async () => {
        calls += 1;
        if (calls === 1) throw new CredentialUnavailableError('ManagedIdentityCredential: network error');
        return standIn().credential.getToken();
      },
    };
    standIn().faults.forbid(SUB_A);
    const { code, stderr } = await runCli(['audit', '--live', '--endpoint', standIn().endpoint, '--subscription', SUB_A], {
      azure: { credential: flaky, ca: standIn().ca, retry: FAST_RETRY, backoffMs: 1 },
    });
    expect(code).toBe(2);
    expect(stderr).toContain('nothing was audited');
    expect(stderr).not.toContain('sign in');
  });

  it('export -o through a dangling symbolic link creates the file it names, and the link stays', async () => {
    const link = join(dir, 'dangling-link.json');
    symlinkSync(join(store, 'estate.json'), link);
    const { code } = await run(['export', '--live', '--endpoint', standIn().endpoint, ...subs, '-o', link]);
    expect(code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(JSON.parse(readFileSync(join(store, 'estate.json'), 'utf8')).data.length).toBeGreaterThan(10);
  });

  it('export -o through a symbolic link replaces the file it names and keeps its mode', async () => {
    const real = join(dir, 'real-estate.json');
    const link = join(dir, 'estate-link.json');
    writeFileSync(real, '{}', { mode: 0o600 });
    chmodSync(real, 0o600);
    symlinkSync(real, link);
    const { code } = await run(['export', '--live', '--endpoint', standIn().endpoint, ...subs, '-o', link]);
    expect(code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(statSync(real).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(real, 'utf8')).data.length).toBeGreaterThan(10);
  });

  it('export -o naming a directory fails before reading anything', async () => {
    const before = standIn().requests.counts();
    const { code, stderr } = await run(['export', '--live', '--endpoint', standIn().endpoint, ...subs, '-o', dir]);
    expect({ code, stderr }).toEqual({ code: 2, stderr: `peerguard: cannot write ${dir}: it is a directory\n` });
    expect(standIn().requests.counts()).toEqual(before);
  });

  it('export -o into a directory that does not exist fails before reading anything', async () => {
    const before = standIn().requests.counts();
    const out = join(dir, 'missing', 'estate.json');
    const { code, stderr } = await run(['export', '--live', '--endpoint', standIn().endpoint, ...subs, '-o', out]);
    expect(code).toBe(2);
    expect(stderr).toBe(`peerguard: cannot write ${out}: directory ${join(dir, 'missing')} does not exist\n`);
    expect(standIn().requests.counts()).toEqual(before);
    expect(existsSync(out)).toBe(false);
  });

  it('an empty PEERGUARD_CLOUD counts as unset, as in the Functions app', async () => {
    vi.stubEnv('PEERGUARD_CLOUD', '');
    try {
      const { code, stderr } = await run(['audit', '--live', '--endpoint', standIn().endpoint, ...subs, '--fail-on', 'none']);
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('rejects contradictory or unknown options with exit code 2', async () => {
    expect((await run(['audit', '--live', '--input', estateFile])).code).toBe(2);
    const both = await run(['audit', '--live', '--endpoint', standIn().endpoint, '--subscription', SUB_A, '--management-group', 'mg']);
    expect(both).toMatchObject({ code: 2, stderr: expect.stringMatching(/not both/) });
    const cloud = await run(['audit', '--live', '--cloud', 'Mars']);
    expect(cloud).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown Azure cloud "Mars"/) });
    const http = await run(['audit', '--live', '--endpoint', 'http://127.0.0.1:1']);
    expect(http).toMatchObject({ code: 2, stderr: expect.stringMatching(/must use https/) });
  });
});
