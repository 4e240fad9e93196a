import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import type * as FsPromises from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { checkOutputWritable } from '../../src/cli/live';
import { FAST_RETRY, useStandIn } from '../azure/harness';
import { realisticEstate } from '../azure/realistic-estate';
import { runCli } from '../support/cli';
import { SUB_A, SUB_B, SUB_C } from '../support/estate';
import { scratchDir } from '../support/scratch';

// `export --live` of a partial read, audited back with `--input`: the same coverage as the live
// audit, PARTIAL and never compliant. And a live read that finds no VNet at all: like a file with
// none, nothing to audit (exit 2), unless some scope could not be read.

// access(W_OK) as the file system answers it, except for the paths in `deniedWrite`: as root it
// always succeeds, so a read-only target is also tested with a refusal the kernel would give a user.
const fsStub = vi.hoisted(() => ({ deniedWrite: new Set<string>() }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof FsPromises>();
  const access: typeof actual.access = async (path, mode) => {
    if (fsStub.deniedWrite.has(String(path)) && mode !== undefined && (mode & actual.constants.W_OK) !== 0) {
      throw Object.assign(new Error(`EACCES: permission denied, access '${String(path)}'`), { code: 'EACCES' });
    }
    return actual.access(path, mode);
  };
  return { ...actual, access, default: { ...actual, access } };
});

const { dir } = scratchDir('peerguard-live-snapshot-');
const emptyExport = scratchDir('peerguard-empty-export-');

describe('a partial live read written as a snapshot', () => {
  const standIn = useStandIn(() => ({ resources: realisticEstate() }));
  const run = (args: string[]) => runCli(args, { azure: { credential: standIn().credential, ca: standIn().ca, retry: FAST_RETRY, backoffMs: 10 } });
  const subs = ['--subscription', SUB_A, '--subscription', SUB_B, '--subscription', SUB_C];

  it('reads back to the live audit: findings, summary and coverage, unreadable scopes included', async () => {
    standIn().faults.forbid(SUB_C, { listed: true });
    const out = join(dir, 'partial.json');
    const exported = await run(['export', '--live', '--endpoint', standIn().endpoint, ...subs, '-o', out]);
    expect(exported.code).toBe(1);
    expect(JSON.parse(readFileSync(out, 'utf8')).unreadable).toEqual([{ scope: SUB_C, reason: expect.stringContaining('access denied') }]);
    // A new file is written where -o says, partial or not: there is nothing there to keep.
    expect(existsSync(join(dir, 'partial.partial.json'))).toBe(false);

    const live = await run(['audit', '--live', '--endpoint', standIn().endpoint, ...subs, '--format', 'json', '--fail-on', 'none']);
    const back = await run(['audit', '--input', out, '--format', 'json', '--fail-on', 'none']);
    expect(back.code).toBe(live.code);
    const [a, b] = [JSON.parse(live.stdout), JSON.parse(back.stdout)];
    expect(a.coverage.unreadable).toHaveLength(1);
    expect(b.coverage).toEqual(a.coverage);
    expect(b.summary).toEqual(a.summary);
    expect(b.findings).toEqual(a.findings);
    expect(back.stderr).toMatch(new RegExp(`not read \\(as the snapshot records\\): ${SUB_C}: access denied`));

    const table = await run(['audit', '--input', out, '--fail-on', 'none']);
    expect(table.stdout).toMatch(/PARTIAL AUDIT: 1 scope\(s\) could not be read/);
    expect(table.stdout).not.toContain('compliant');
  });
});

describe('export --live -o refused before reading anything', () => {
  const standIn = useStandIn(() => ({ resources: realisticEstate() }));
  const run = (args: string[]) => runCli(args, { azure: { credential: standIn().credential, ca: standIn().ca, retry: FAST_RETRY, backoffMs: 10 } });
  const exportTo = (output: string) => run(['export', '--live', '--endpoint', standIn().endpoint, '--subscription', SUB_A, '-o', output]);
  const asRoot = process.getuid?.() === 0;

  it.skipIf(asRoot)('a read-only file (mode 0444, the user\'s own) is kept, not replaced (skipped as root: access(W_OK) always succeeds for root)', async () => {
    const out = join(dir, 'ro.json');
    writeFileSync(out, '{"data":[]}');
    chmodSync(out, 0o444);
    const before = standIn().requests.counts();
    const { code, stdout, stderr } = await exportTo(out);
    expect({ code, stdout, stderr }).toEqual({ code: 2, stdout: '', stderr: `peerguard: cannot write ${out}: it is read-only\n` });
    expect(standIn().requests.counts()).toEqual(before);
    expect(readFileSync(out, 'utf8')).toBe('{"data":[]}');
    expect(statSync(out).mode & 0o777).toBe(0o444);
  });

  it('a file access(W_OK) refuses is read-only, whoever runs the test', async () => {
    const out = join(dir, 'denied.json');
    writeFileSync(out, '{"data":[]}');
    chmodSync(out, 0o444);
    fsStub.deniedWrite.add(out);
    try {
      await expect(checkOutputWritable(out)).rejects.toThrow(`cannot write ${out}: it is read-only`);
      const before = standIn().requests.counts();
      const { code, stderr } = await exportTo(out);
      expect({ code, stderr }).toEqual({ code: 2, stderr: `peerguard: cannot write ${out}: it is read-only\n` });
      expect(standIn().requests.counts()).toEqual(before);
      expect(readFileSync(out, 'utf8')).toBe('{"data":[]}');
    } finally {
      fsStub.deniedWrite.delete(out);
    }
  });

  it('a directory that does not exist is named as such; a file in the way is not a directory', async () => {
    const out = join(dir, 'nodir', 'x.json');
    const before = standIn().requests.counts();
    const missing = await exportTo(out);
    expect({ code: missing.code, stderr: missing.stderr }).toEqual({ code: 2, stderr: `peerguard: cannot write ${out}: directory ${join(dir, 'nodir')} does not exist\n` });
    expect(existsSync(join(dir, 'nodir'))).toBe(false);

    const file = join(dir, 'plain-file');
    writeFileSync(file, '');
    const under = join(file, 'x.json');
    const blocked = await exportTo(under);
    expect({ code: blocked.code, stderr: blocked.stderr }).toEqual({ code: 2, stderr: `peerguard: cannot write ${under}: ${file} is not a directory\n` });
    expect(standIn().requests.counts()).toEqual(before);
  });

  it("--management-group '' is a usage error (exit 2), not a read of the whole tenant", async () => {
    const before = standIn().requests.counts();
    const result = await run(['export', '--live', '--endpoint', standIn().endpoint, '--management-group', '', '-o', join(dir, 'mg.json')]);
    expect(result).toEqual({ code: 2, stdout: '', stderr: 'peerguard: --management-group is empty: name a management group, or leave the option out to read the whole tenant\n' });
    expect(standIn().requests.counts()).toEqual(before);
  });

  it("-o '' is a usage error (exit 2), not stdout", async () => {
    const before = standIn().requests.counts();
    for (const args of [['-o', ''], ['--output=']]) {
      const result = await run(['export', '--live', '--endpoint', standIn().endpoint, '--subscription', SUB_A, ...args]);
      expect(result).toEqual({ code: 2, stdout: '', stderr: 'peerguard: -o needs a file name\n' });
    }
    expect(standIn().requests.counts()).toEqual(before);
  });
});

describe('the progress line of a live read on a terminal', () => {
  const standIn = useStandIn(() => ({ resources: realisticEstate() }));
  const run = (args: string[]) => runCli(args, { stderrIsTty: true, azure: { credential: standIn().credential, ca: standIn().ca, retry: FAST_RETRY, backoffMs: 10 } });

  it("keeps its '\\r' (it is redrawn in place), in audit, export and fix, though stderr escapes every other one", async () => {
    for (const command of [['audit', '--fail-on', 'none'], ['export'], ['fix']]) {
      const { code, stderr } = await run([...command, '--live', '--endpoint', standIn().endpoint, '--subscription', SUB_A]);
      expect(code, command[0]).toBe(0);
      expect(stderr, command[0]).toMatch(/^(\rpeerguard: Resource Graph pages \d+, rows \d+, subscriptions \d\/1 {3})+\n$/);
    }
  });
});

describe('a live read that finds no virtual network', () => {
  const standIn = useStandIn(() => ({ resources: [], subscriptions: [SUB_A] }));
  const run = (args: string[]) => runCli(args, { azure: { credential: standIn().credential, ca: standIn().ca, retry: FAST_RETRY, backoffMs: 10 } });

  it('is nothing to audit: exit 2, naming the scope', async () => {
    const one = await run(['audit', '--live', '--endpoint', standIn().endpoint, '--subscription', SUB_A, '--format', 'json']);
    expect(one).toMatchObject({ code: 2, stdout: '' });
    expect(one.stderr).toBe(`peerguard: no virtual networks in subscription ${SUB_A} (1 subscription read): nothing to audit (is this the right scope, and does the identity have Reader on it?)\n`);
    const tenant = await run(['audit', '--live', '--endpoint', standIn().endpoint]);
    expect(tenant.code).toBe(2);
    expect(tenant.stderr).toContain('no virtual networks in the subscriptions the identity can see (1 subscription read): nothing to audit');
  });

  it('export of a readable scope without a VNet writes nothing (audit --input would refuse it) and exits 2', async () => {
    const out = join(emptyExport.dir, 'estate.json');
    writeFileSync(out, '{"data":[]}');
    const { code, stderr } = await run(['export', '--live', '--endpoint', standIn().endpoint, '--subscription', SUB_A, '-o', out]);
    expect({ code, stderr }).toEqual({ code: 2, stderr: `peerguard: no virtual networks read from subscription ${SUB_A}: nothing to export; ${out} was not written\n` });
    expect(readFileSync(out, 'utf8')).toBe('{"data":[]}');
  });

  it('with a scope that could not be read and none that holds a VNet: nothing was audited, exit 2, the scope named', async () => {
    const { code, stdout, stderr } = await run(['audit', '--live', '--endpoint', standIn().endpoint, '--subscription', SUB_A, '--subscription', SUB_B]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`peerguard: not read: ${SUB_B}: not visible to the identity`);
    expect(stderr).toContain(`peerguard: no virtual networks read from subscriptions ${SUB_A}, ${SUB_B} (1 subscription read): 1 scope could not be read (listed above), so nothing was audited\n`);
  });
});

describe('a live read of a tenant where the identity sees no subscription', () => {
  const standIn = useStandIn(() => ({ resources: [] }));

  it('is nothing to audit, not "compliant"', async () => {
    const { code, stdout, stderr } = await runCli(['audit', '--live', '--endpoint', standIn().endpoint], {
      azure: { credential: standIn().credential, ca: standIn().ca, retry: FAST_RETRY, backoffMs: 10 },
    });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('no virtual networks in the subscriptions the identity can see (0 subscriptions read): nothing to audit');
  });
});

// A rename over an existing FIFO, device or socket would put a regular file in its place (as root,
// `-o /dev/null` replaced /dev/null); /dev/stdout, a link to `pipe:[…]` or `socket:[…]`, failed only
// after the whole read (QA C1, C5).
describe('export --live -o a target that is not a regular file', () => {
  const standIn = useStandIn(() => ({ resources: realisticEstate() }));
  const run = (args: string[]) => runCli(args, { azure: { credential: standIn().credential, ca: standIn().ca, retry: FAST_RETRY, backoffMs: 10 } });
  const exportTo = (output: string) => run(['export', '--live', '--endpoint', standIn().endpoint, '--subscription', SUB_A, '-o', output]);
  const { dir: here } = scratchDir('peerguard-special-output-');

  it('a FIFO is written in place: the reader gets the snapshot, the FIFO stays a FIFO', async () => {
    const fifo = join(here, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
    let read = '';
    reader.stdout.on('data', (chunk: Buffer) => (read += chunk.toString('utf8')));
    const done = new Promise((settle) => reader.on('close', settle));
    try {
      const { code, stderr } = await exportTo(fifo);
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(lstatSync(fifo).isFIFO()).toBe(true);
      await done;
      expect(JSON.parse(read).subscriptions).toEqual([SUB_A]);
      expect(readdirSync(here)).toEqual(['fifo']);
    } finally {
      reader.kill();
    }
  });

  it('a character device (a /dev/null made with mknod) stays a device', async (context) => {
    const device = join(here, 'null');
    try {
      execFileSync('mknod', [device, 'c', '1', '3'], { stdio: 'ignore' });
    } catch {
      context.skip(); // mknod needs root (CAP_MKNOD)
    }
    const { code, stderr } = await exportTo(device);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(lstatSync(device).isCharacterDevice()).toBe(true);
  });

  it('/dev/stdout (a pipe or a socket here) is written as -o - is', async () => {
    const { code, stdout, stderr } = await exportTo('/dev/stdout');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(stdout).subscriptions).toEqual([SUB_A]);
  });

  it('a socket, which no path can open, is refused before the read and left as it is', async () => {
    const socket = join(here, 'sock');
    const server = createServer();
    await new Promise<void>((listening) => server.listen(socket, listening));
    try {
      const before = standIn().requests.counts();
      const result = await exportTo(socket);
      expect(result).toEqual({ code: 2, stdout: '', stderr: `peerguard: cannot write ${socket}: it is a socket, which cannot be opened as a file (use -o - to write to stdout)\n` });
      expect(standIn().requests.counts()).toEqual(before);
      expect(lstatSync(socket).isSocket()).toBe(true);
    } finally {
      await new Promise((closed) => server.close(closed));
    }
  });
});

// A partial read used to replace a complete snapshot at the same path (QA C2).
describe('export --live of a partial read over an existing snapshot', () => {
  const standIn = useStandIn(() => ({ resources: realisticEstate() }));
  const run = (args: string[]) => runCli(args, { azure: { credential: standIn().credential, ca: standIn().ca, retry: FAST_RETRY, backoffMs: 10 } });
  const subs = ['--subscription', SUB_A, '--subscription', SUB_B, '--subscription', SUB_C];
  const { dir: here } = scratchDir('peerguard-partial-over-');

  it('keeps the snapshot and writes the partial one beside it, naming both; exit 1', async () => {
    const out = join(here, 'estate.json');
    const full = await run(['export', '--live', '--endpoint', standIn().endpoint, ...subs, '-o', out]);
    expect(full.code).toBe(0);
    const complete = readFileSync(out, 'utf8');

    standIn().faults.forbid(SUB_C, { listed: true });
    const { code, stdout, stderr } = await run(['export', '--live', '--endpoint', standIn().endpoint, ...subs, '-o', out]);
    const beside = join(here, 'estate.json.partial');
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(`peerguard: not read: ${SUB_C}: access denied`);
    expect(stderr).toContain(`peerguard: the read was partial: ${out} was kept as it was; the partial snapshot was written to ${beside}\n`);
    expect(readFileSync(out, 'utf8')).toBe(complete);
    expect(JSON.parse(readFileSync(beside, 'utf8')).unreadable).toEqual([{ scope: SUB_C, reason: expect.stringContaining('access denied') }]);

    // An audit of the directory reads the snapshot kept, not the partial one beside it (it used to
    // merge both and report PARTIAL); named, the partial snapshot is audited, PARTIAL.
    const ofDir = await run(['audit', '--input', here, '--format', 'json', '--fail-on', 'none']);
    expect(ofDir.stderr).toBe('');
    expect(JSON.parse(ofDir.stdout).coverage.unreadable).toEqual([]);
    const named = await run(['audit', '--input', beside, '--format', 'json', '--fail-on', 'none']);
    expect(named.stderr).toContain(`not read (as the snapshot records): ${SUB_C}: access denied`);
    expect(JSON.parse(named.stdout).coverage.unreadable).toEqual([{ scope: SUB_C, reason: expect.stringContaining('access denied') }]);

    // A complete read replaces the snapshot again.
    standIn().faults.clear();
    expect((await run(['export', '--live', '--endpoint', standIn().endpoint, ...subs, '-o', out])).code).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).unreadable).toEqual([]);
  });
});
