import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli';
import { SUB_A, SUB_B, vnet, vnetId } from '../support/estate';

const repo = resolve(__dirname, '../..');

const run = (args: string[]) => runCli(args);

const dir = mkdtempSync(join(tmpdir(), 'peerguard-cli-'));
const hub = vnetId('vnet-hub', SUB_A);
const spoke = vnetId('vnet-spoke', SUB_B);
const oneSided = join(dir, 'one-sided.json');
writeFileSync(
  oneSided,
  JSON.stringify([
    vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke, state: 'Initiated' }] }),
    vnet({ id: spoke, prefixes: ['10.1.0.0/16'] }),
  ]),
);
const healthy = join(dir, 'healthy.json');
writeFileSync(healthy, JSON.stringify({ value: [vnet({ id: hub, prefixes: ['10.0.0.0/16'] })] }));

describe('peerguard audit', () => {
  it('writes the JSON report of the contract and exits 1 on an error finding', async () => {
    const { code, stdout } = await run(['audit', '--input', oneSided, '--format', 'json']);
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(Object.keys(report)).toEqual(['tool', 'generatedAt', 'summary', 'coverage', 'findings']);
    expect(report.tool.name).toBe('peerguard');
    expect(report.generatedAt).toBe('2026-11-25T08:00:00.000Z');
    expect(report.summary).toEqual({ vnets: 2, peerings: 1, findings: { error: 1, warning: 0, info: 0 } });
    expect(report.coverage).toEqual({ subscriptions: [SUB_A, SUB_B], unreadable: [] });
    const [finding] = report.findings;
    expect(Object.keys(finding)).toEqual(['ruleId', 'severity', 'resourceId', 'relatedResourceIds', 'message', 'fingerprint', 'fix']);
    expect(finding.resourceId).toBe(`${hub}/virtualNetworkPeerings/vnet-hub-to-vnet-spoke`);
    expect(finding.fix.operations[0]).toMatchObject({ method: 'PUT', apiVersion: expect.any(String) });
  });

  it('exits 0 below --fail-on and for a clean estate', async () => {
    expect((await run(['audit', '--input', oneSided, '--fail-on', 'none'])).code).toBe(0);
    const clean = await run(['audit', '--input', healthy]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('No findings');
  });

  it('prints a table grouped by severity that names both VNets', async () => {
    const { stdout } = await run(['audit', '--input', oneSided]);
    expect(stdout).toMatch(/ERRORS \(1\)[\s\S]*peering-one-sided/);
    expect(stdout).toContain('"vnet-hub"');
    expect(stdout).toContain('"vnet-spoke"');
    expect(stdout).not.toContain('\u001b['); // no colour when not a TTY
  });

  it('reads a directory of files and declared-but-empty subscriptions', async () => {
    const tree = join(dir, 'tree');
    mkdirSync(join(tree, 'nested'), { recursive: true });
    writeFileSync(join(tree, 'a.json'), JSON.stringify([vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke }] })]));
    writeFileSync(join(tree, 'nested', 'b.json'), JSON.stringify({ data: [vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub }] })] }));
    writeFileSync(join(tree, 'notes.txt'), 'ignored');
    const { code, stdout } = await run(['audit', '--input', tree, '--format', 'json', '--subscription', '44444444-4444-4444-4444-444444444444']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.summary.peerings).toBe(2);
    expect(report.coverage.subscriptions).toContain('44444444-4444-4444-4444-444444444444');
  });

  it.each([
    [['audit'], 'needs --input'],
    [['audit', '--input', join(dir, 'nope.json')], 'nope.json: no such file or directory'],
    [['audit', '--input', healthy, '--format', 'pdf'], "argument 'pdf' is invalid"],
    [['audit', '--input', healthy, '--bogus'], "unknown option '--bogus'"],
  ])('usage errors exit 2: %j', async (args, message) => {
    const { code, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it('malformed input names the file and the entry, exits 2', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ data: [vnet({ id: hub, prefixes: ['10.0.0.0/16'] }), { name: 'x' }] }));
    const { code, stderr } = await run(['audit', '--input', bad]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/bad\.json at \.data\[1\]: resource \(name "x"\) has no "id" string/);
  });

  it('a bad config file names the key, exits 2', async () => {
    const config = join(dir, 'peerguard.yaml');
    writeFileSync(config, 'peeringLimit: many\n');
    const { code, stderr } = await run(['audit', '--input', healthy, '--config', config]);
    expect(code).toBe(2);
    expect(stderr).toContain('peerguard.yaml: peeringLimit:');
  });
});

describe('the peerguard binary', () => {
  beforeAll(() => {
    // `npm test` builds before running the suite; the binary runs the compiled CLI.
    if (!existsSync(join(repo, 'dist/src/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  });

  it('exits 2 without a stack trace on invalid JSON', () => {
    const bad = join(dir, 'truncated.json');
    writeFileSync(bad, '[{"id": "/subscriptions/x/res');
    const result = spawnSync(process.execPath, [join(repo, 'bin/peerguard.js'), 'audit', '--input', bad], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^peerguard: .*truncated\.json: not valid JSON/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 1 on findings', () => {
    const result = spawnSync(process.execPath, [join(repo, 'bin/peerguard.js'), 'audit', '--input', oneSided], { encoding: 'utf8' });
    expect(result.status).toBe(1);
  });
});
