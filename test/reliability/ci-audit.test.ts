import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

// CI audits the production dependencies before it runs the suite (issue 10): `.ci/run` runs with a
// stand-in `npm` (and `chromium`) first on PATH, which records each call and answers `npm audit` as
// the registry would. A high or critical advisory fails CI before `npm test`; a registry without the
// audit endpoint is a loud warning, and the suite still runs.

const CI_RUN = path.resolve(__dirname, '../../.ci/run');

const AUDIT_ANSWERS = {
  clean: { out: 'found 0 vulnerabilities', rc: 0 },
  high: { out: '# npm audit report\n\nsome-lib  <2.0.1\nSeverity: high\n\n1 high severity vulnerability', rc: 1 },
  unreachable: { out: 'npm error audit endpoint returned an error', rc: 1 },
} as const;

function runCi(answer: keyof typeof AUDIT_ANSWERS): { status: number | null; output: string; calls: string[] } {
  const bin = mkdtempSync(path.join(tmpdir(), 'peerguard-ci-'));
  const log = path.join(bin, 'calls.log');
  const { out, rc } = AUDIT_ANSWERS[answer];
  writeFileSync(
    path.join(bin, 'npm'),
    [
      '#!/usr/bin/env bash',
      `echo "npm $*" >> '${log}'`,
      'case "$1" in',
      `  audit) printf '%s\\n' '${out.replace(/'/g, "'\\''")}'; exit ${rc} ;;`,
      '  *) exit 0 ;;',
      'esac',
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(bin, 'chromium'), '#!/usr/bin/env bash\nexit 0\n');
  chmodSync(path.join(bin, 'npm'), 0o755);
  chmodSync(path.join(bin, 'chromium'), 0o755);
  const result = spawnSync('bash', [CI_RUN], { env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` }, encoding: 'utf8', timeout: 20_000 });
  let calls: string[];
  try {
    calls = readFileSync(log, 'utf8').trim().split('\n');
  } catch {
    calls = [];
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
  return { status: result.status, output: `${result.stdout}${result.stderr}`, calls };
}

describe('CI: production dependencies audited before the suite runs', () => {
  it('audits production dependencies at high and above, then runs the suite', () => {
    const { status, calls } = runCi('clean');
    expect(status).toBe(0);
    const audit = calls.findIndex((c) => c.startsWith('npm audit'));
    expect(audit).toBeGreaterThanOrEqual(0);
    expect(calls[audit]).toMatch(/--omit=dev/);
    expect(calls[audit]).toMatch(/--audit-level=high/);
    expect(calls.indexOf('npm test')).toBeGreaterThan(audit);
  });

  it('a high or critical advisory fails CI, and the suite does not run', () => {
    const { status, output, calls } = runCi('high');
    expect(status).not.toBe(0);
    expect(output).toContain('1 high severity vulnerability');
    expect(calls).not.toContain('npm test');
  });

  it('a registry without the audit endpoint is a warning that nothing was audited; the suite still runs', () => {
    const { status, output, calls } = runCi('unreachable');
    expect(status).toBe(0);
    expect(output).toMatch(/::warning::.*NOT audited/);
    expect(calls).toContain('npm test');
  });
});
