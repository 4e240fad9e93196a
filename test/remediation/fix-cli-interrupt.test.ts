import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startStandIn, type StandIn } from '../azure-stand-in';
import { scratchDir } from '../support/scratch';
import { configFile, exampleEstate, liveArgs, runCli } from './harness';

// `peerguard fix --live --apply` interrupted (Ctrl-C, a kill) while ARM runs its second PUT (the
// first one done): the CLI runs as a process of its own, signalled once the stand-in holds that
// PUT's long-running operation in progress.

const { file } = scratchDir('peerguard-fix-interrupt-');
const CHILD = join(__dirname, 'fix-cli-child.ts');
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The CLI under test, killed after a test that did not see it exit. */
let running: ChildProcess | undefined;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The paths of the PUT done and of the PUT in flight when the signal was sent. */
  done: string;
  put: string;
}

async function interruptApply(standIn: StandIn, signal: NodeJS.Signals, format: 'table' | 'json'): Promise<Exit> {
  // From the second PUT on, ARM never finishes. A fault's predicate runs as the PUT arrives, before
  // the stand-in reads the option; this one only sets it and never matches (nothing is dropped).
  let puts = 0;
  const holdFromSecondPut = () => {
    if (++puts === 2) standIn.options.lroInProgressPolls = 1_000_000;
    return false;
  };
  standIn.faults.add({ kind: 'armPut', when: holdFromSecondPut }, { type: 'drop' });
  const ca = file('ca.pem', standIn.ca);
  const args = ['fix', ...liveArgs(standIn), '--config', configFile(), '--apply', '--format', format];
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { cwd: join(__dirname, '../..'), env: { ...process.env, FIX_CLI_CHILD_CA: ca }, stdio: ['ignore', 'pipe', 'pipe'] });
  running = child;
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('close', (code, sig) => done({ code, signal: sig })));
  // Answered, and its long-running operation polled: the CLI is waiting on ARM.
  let early: { code: number | null } | undefined;
  void exited.then((e) => (early = e));
  const polledSecondPut = () => {
    const second = standIn.requests.entries.filter((e) => e.kind === 'armPut')[1];
    return second !== undefined && standIn.requests.entries.slice(standIn.requests.entries.indexOf(second)).some((e) => e.kind === 'armOperation');
  };
  while (!polledSecondPut()) {
    if (early) throw new Error(`the CLI exited (${String(early.code)}) before its second write: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const [done, put] = standIn.requests.of('armPut').map((r) => r.path) as [string, string];
  child.kill(signal);
  return { ...(await exited), stdout, stderr, done, put };
}

describe('peerguard fix --apply interrupted during a write', () => {
  let standIn: StandIn;
  beforeEach(async () => {
    standIn = await startStandIn({ resources: await exampleEstate() });
  });
  afterEach(async () => {
    if (running?.exitCode === null && running.signalCode === null) running.kill('SIGKILL');
    running = undefined;
    await standIn?.stop();
  });

  it('Ctrl-C: the last lines printed are the write done and the write in flight; stderr says ARM may still complete it; exit 130', async () => {
    const run = await interruptApply(standIn, 'SIGINT', 'table');
    expect(run.signal).toBeNull();
    expect(run.code).toBe(130);
    expect(standIn.requests.count('armPut')).toBe(2);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.at(-2)).toMatch(new RegExp(`^ {2}\\[applied\\] PUT ${escape(run.done)}: `));
    expect(lines.at(-1)).toMatch(new RegExp(`^ {2}\\[writing\\] PUT ${escape(run.put)} \\((If-Match \\S+|If-None-Match: \\*)\\)$`));
    expect(run.stderr).toContain('interrupted (SIGINT)');
    expect(run.stderr).toContain(`PUT ${run.put} (`);
    expect(run.stderr).toContain('ARM may still complete it');
  });

  it('the handlers are there only while applying: a finished run leaves none behind', async () => {
    const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    const run = await runCli(standIn, ['fix', ...liveArgs(standIn), '--config', configFile({ maxWrites: 1 }), '--apply']);
    expect(run.stdout).toMatch(/\[applied\] PUT /);
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(before);
  });

  it('SIGTERM with --format json: stdout is empty (no half document); stderr has the write done and the one in flight as JSON lines; exit 143', async () => {
    const run = await interruptApply(standIn, 'SIGTERM', 'json');
    expect(run.signal).toBeNull();
    expect(run.code).toBe(143);
    expect(run.stdout).toBe('');
    const events = run.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { event: string; operation?: unknown; condition?: unknown; record?: { status: string; operation?: unknown } });
    expect(events.map((e) => e.event)).toEqual(['writing', 'record', 'writing']);
    expect(events[0]?.operation).toMatchObject({ method: 'PUT', resourceId: run.done });
    expect(events[1]?.record).toMatchObject({ status: 'applied', operation: { method: 'PUT', resourceId: run.done } });
    expect(events[2]?.operation).toMatchObject({ method: 'PUT', resourceId: run.put });
    expect(events[2]?.condition).toBeDefined();
    expect(run.stderr).toContain('interrupted (SIGTERM)');
    expect(run.stderr).toContain('ARM may still complete it');
  });
});
