import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli';
import { SUB_A, SUB_B, SUB_C } from '../support/estate';
import { FAST_RETRY, useStandIn } from './harness';
import { realisticEstate } from './realistic-estate';

// `peerguard audit --live` / `export --live` end to end, in-process, against the stand-in: the
// real SDK clients, only the endpoint, the CA and the credential differ from a run against Azure.

const dir = mkdtempSync(join(tmpdir(), 'peerguard-live-'));
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

  it('audit --live reports what audit --input reports for the same estate', async () => {
    const live = await run(['audit', '--live', '--endpoint', standIn().endpoint, ...subs, '--format', 'json', '--fail-on', 'none']);
    expect(live.stderr).toBe('');
    expect(live.code).toBe(0);
    const file = await run(['audit', '--input', estateFile, '--format', 'json', '--fail-on', 'none']);
    const a = JSON.parse(live.stdout);
    const b = JSON.parse(file.stdout);
    expect(a.findings.map((f: { fingerprint: string }) => f.fingerprint)).toEqual(b.findings.map((f: { fingerprint: string }) => f.fingerprint));
    expect(a.summary).toEqual(b.summary);
    expect(a.coverage).toEqual({ subscriptions: [SUB_A, SUB_B, SUB_C].sort(), unreadable: [] });
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
