import { main, type CliIo } from '../../src/cli/main';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with captured output, a fixed clock and no TTY (overridable). */
export async function runCli(args: readonly string[], io: Partial<Omit<CliIo, 'stdout' | 'stderr'>> = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'peerguard', ...args], {
    isTty: false,
    now: () => new Date('2026-11-25T08:00:00Z'),
    ...io,
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  return { code, stdout, stderr };
}
