import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeSnapshot } from '../../src/cli/live';
import { DEFAULT_CONFIG } from '../../src/engine/config';
import { auditResources } from '../../src/engine/pipeline';
import { RULES } from '../../src/rules';
import { VERSION } from '../../src/version';
import { runCli } from '../support/cli';
import { SUB_A, SUB_B, SUB_C, gateway, peeringResource, vnet, vnetId } from '../support/estate';
import { scratchDir } from '../support/scratch';

const repo = resolve(__dirname, '../..');

const run = (args: string[]) => runCli(args);

const { dir } = scratchDir('peerguard-cli-');
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
/** Two VNets peered both ways, Connected: pairs for an intent to check. */
const healthyPair = join(dir, 'healthy-pair.json');
writeFileSync(
  healthyPair,
  JSON.stringify([
    vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke, state: 'Connected' }] }),
    vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub, state: 'Connected' }] }),
  ]),
);

describe('peerguard audit', () => {
  it('--max-chars cuts a Markdown report to that many characters; a bad value or another format is refused (exit 2)', async () => {
    const estate = join(repo, 'examples/estate');
    const cut = await run(['audit', '--input', estate, '--format', 'markdown', '--max-chars', '5000', '--fail-on', 'none']);
    expect(cut.code).toBe(0);
    expect(cut.stdout.length).toBeLessThanOrEqual(5000);
    expect(cut.stdout).toMatch(/\*\*Cut to fit --max-chars \(5000 characters\); not shown: \d+ of \d+ findings/);
    for (const value of ['12k', '3999', '1048577', '-5', '1e5']) {
      const bad = await run(['audit', '--input', estate, '--format', 'markdown', '--max-chars', value]);
      expect(bad.code, value).toBe(2);
      expect(bad.stderr).toContain(`option '--max-chars <n>' argument '${value}' is invalid. expected a whole number of characters from 4000 to 1048576, got "${value}"`);
    }
    const table = await run(['audit', '--input', estate, '--max-chars', '5000']);
    expect(table.code).toBe(2);
    expect(table.stderr).toContain('--max-chars applies to --format markdown only (the format is table)');
  });

  it('writes the JSON report of the contract and exits 1 on an error finding', async () => {
    const { code, stdout } = await run(['audit', '--input', oneSided, '--format', 'json']);
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(Object.keys(report)).toEqual(['tool', 'generatedAt', 'summary', 'coverage', 'findings']);
    expect(report.tool.name).toBe('peerguard');
    expect(report.generatedAt).toBe('2026-11-25T08:00:00.000Z');
    expect(report.summary).toEqual({ vnets: 2, peerings: 1, findings: { error: 1, warning: 0, info: 0 } });
    expect(report.coverage).toEqual({ subscriptions: [SUB_A, SUB_B], unreadable: [], outOfScope: [] });
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
    [['audit', '--input', healthy, '--input', ''], '(empty path): an input path is empty: name a snapshot file or directory'],
    [['audit', '--input', healthy, '--config', dir], `${dir}: cannot read the configuration file: it is a directory`],
    [['audit', '--input', healthy, '--format', 'pdf'], "argument 'pdf' is invalid"],
    [['audit', '--input', healthy, '--bogus'], "unknown option '--bogus'"],
  ])('usage errors exit 2: %j', async (args, message) => {
    const { code, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it('lists peerings to subscriptions that were not read under coverage, even with peering-remote-out-of-scope off', async () => {
    const partner = vnetId('vnet-partner', SUB_C);
    const input = join(dir, 'out-of-scope.json');
    writeFileSync(input, JSON.stringify([vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: partner }] })]));
    const config = join(dir, 'out-of-scope-off.yaml');
    writeFileSync(config, 'rules:\n  peering-remote-out-of-scope: off\n');
    const json = await run(['audit', '--input', input, '--config', config, '--format', 'json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).coverage).toEqual({ subscriptions: [SUB_A], unreadable: [], outOfScope: [{ subscription: SUB_C, reason: 'subscription-not-read', peerings: 1 }] });
    const table = await run(['audit', '--input', input, '--config', config]);
    expect(table.stdout).toContain('No findings: every peering read is compliant, but 1 peering to 1 subscription not read, whose pairs are unverified.');

    // A classic VNet in the subscription that was read: never read itself, but its subscription was.
    const classic = `/subscriptions/${SUB_A}/resourceGroups/rg-old/providers/Microsoft.ClassicNetwork/virtualNetworks/old`;
    writeFileSync(input, JSON.stringify([vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: classic }] })]));
    const withClassic = await run(['audit', '--input', input, '--config', config, '--format', 'json']);
    expect(JSON.parse(withClassic.stdout).coverage.outOfScope).toEqual([{ subscription: SUB_A, reason: 'classic-vnet', peerings: 1 }]);
  });

  it("an empty --config or --intent (a variable that was not set) is refused, naming the option, not read as none", async () => {
    const config = 'peerguard: --config is empty: name a configuration file (YAML or JSON), or leave the option out\n';
    const intent = 'peerguard: --intent is empty: name an intent file (YAML or JSON), or leave the option out\n';
    for (const [args, stderr] of [
      [['audit', '--input', healthy, '--config', ''], config],
      [['audit', '--input', healthy, '--config='], config],
      [['fix', '--input', healthy, '--config', ''], config],
      [['audit', '--input', healthy, '--intent', ''], intent],
    ] as const) {
      expect(await run([...args]), args.join(' ')).toEqual({ code: 2, stdout: '', stderr });
    }
  });

  it('malformed input names the file and the entry, exits 2', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ data: [vnet({ id: hub, prefixes: ['10.0.0.0/16'] }), { name: 'x' }] }));
    const { code, stderr } = await run(['audit', '--input', bad]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/bad\.json at \.data\[1\]: resource \(name "x"\) has no "id" string/);
  });

  describe('a snapshot that records unreadable scopes (a partial export --live)', () => {
    const forbidden = { scope: SUB_C, reason: 'access denied by Resource Graph (403 AuthorizationFailed)' };
    const partial = join(dir, 'partial.json');
    writeFileSync(partial, JSON.stringify({ data: [vnet({ id: hub, prefixes: ['10.0.0.0/16'] })], count: 1, unreadable: [forbidden] }));

    it('is audited as partial: coverage lists the scopes, the table never says compliant', async () => {
      const json = await run(['audit', '--input', partial, '--format', 'json']);
      expect(json.code).toBe(0); // as for a live partial read: the exit code follows the findings
      expect(JSON.parse(json.stdout).coverage).toEqual({ subscriptions: [SUB_A], unreadable: [forbidden], outOfScope: [] });
      expect(json.stderr).toBe(`peerguard: not read (as the snapshot records): ${SUB_C}: ${forbidden.reason}\n`);
      const table = await run(['audit', '--input', partial]);
      expect(table.stdout).toMatch(/PARTIAL AUDIT: 1 scope\(s\) could not be read/);
      expect(table.stdout).toContain(`${SUB_C}: ${forbidden.reason}`);
      expect(table.stdout).not.toContain('compliant');
      const sarif = JSON.parse((await run(['audit', '--input', partial, '--format', 'sarif'])).stdout);
      expect(sarif.runs[0].invocations[0].toolExecutionNotifications).toHaveLength(1);
    });

    it('export writes the live read\'s unreadable scopes; audit --input reads them back to the live coverage', async () => {
      const resources = [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke }, { remote: vnetId('vnet-c', SUB_C) }] }), vnet({ id: spoke, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub }] })];
      const inventory = {
        resources: resources.map((resource) => ({ resource, source: `Resource Graph row ${resource.id}` })),
        subscriptions: [SUB_A, SUB_B],
        unreadable: [forbidden, { scope: 'mg-landing-zones', reason: 'its subscriptions could not be listed: 429' }],
      };
      const out = join(dir, 'exported-partial.json');
      await writeSnapshot(inventory, out, { stdout: () => undefined, stderr: () => undefined });
      expect(JSON.parse(readFileSync(out, 'utf8')).unreadable).toEqual(inventory.unreadable);
      const back = await run(['audit', '--input', out, '--format', 'json']);
      expect(back.code).toBe(0);
      const report = JSON.parse(back.stdout);
      // What `audit --live` reports for this inventory: the live branch's call, with its unreadable scopes.
      const live = auditResources({ rules: RULES, config: DEFAULT_CONFIG, now: new Date(), version: VERSION, resources: inventory.resources, extraSubscriptions: inventory.subscriptions, unreadable: inventory.unreadable });
      expect(report.coverage).toEqual(live.report.coverage);
      expect(report.coverage.unreadable).toHaveLength(2);
      expect(report.findings.map((f: { ruleId: string }) => f.ruleId)).toEqual(['peering-remote-out-of-scope']);
      expect(report.summary).toEqual(live.report.summary);
      expect(report.findings).toEqual(JSON.parse(JSON.stringify(live.report.findings)));
    });

    it('a malformed unreadable entry names the file and the entry, exits 2', async () => {
      const bad = join(dir, 'bad-unreadable.json');
      writeFileSync(bad, JSON.stringify({ data: [vnet({ id: hub, prefixes: ['10.0.0.0/16'] })], unreadable: [forbidden, { scope: SUB_B }] }));
      const { code, stderr, stdout } = await run(['audit', '--input', bad]);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toMatch(/bad-unreadable\.json at \.unreadable\[1\]: unreadable entry for "2{8}-[-2]+" has no "reason" string/);
    });
  });

  describe('input that holds no virtual network', () => {
    const write = (name: string, document: unknown) => {
      const path = join(dir, name);
      writeFileSync(path, JSON.stringify(document));
      return path;
    };
    const cases: Array<[string, () => string]> = [
      ['an empty array', () => write('empty.json', [])],
      ['an empty Resource Graph result', () => write('empty-data.json', { data: [], count: 0, skip_token: null })],
      ['an empty ARM list', () => write('empty-value.json', { value: [] })],
      ['only resources that are not networks', () => write('storage.json', { data: [{ id: `/subscriptions/${SUB_A}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1`, type: 'Microsoft.Storage/storageAccounts' }] })],
      ['only a gateway and subscription rows', () => write('gateway-only.json', { data: [{ id: `/subscriptions/${SUB_A}`, type: 'Microsoft.Resources/subscriptions', subscriptionId: SUB_A }, gateway('gw', hub)] })],
      // The builder knows the subnet's VNet from its id: that is no VNet read ("1 VNets ... compliant" before).
      ['only a subnet list (az network vnet subnet list)', () => write('subnets-only.json', [{ id: `${hub}/subnets/default`, name: 'default', type: 'Microsoft.Network/virtualNetworks/subnets', addressPrefix: '10.0.0.0/24' }])],
      [
        'a directory of empty exports',
        () => {
          const tree = join(dir, 'empty-tree');
          mkdirSync(tree, { recursive: true });
          writeFileSync(join(tree, 'a.json'), '[]');
          writeFileSync(join(tree, 'b.json'), '{"data": []}');
          return tree;
        },
      ],
    ];

    it.each(cases)('%s: an input error naming the input, exit 2, no report', async (_, make) => {
      const path = make();
      const { code, stdout, stderr } = await run(['audit', '--input', path, '--format', 'json', '--subscription', SUB_B]);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toBe(`peerguard: no virtual networks in ${path}: nothing to audit (is this the right export?)\n`);
    });

    it('names every input', async () => {
      const a = write('empty-a.json', []);
      const b = write('empty-b.json', { value: [] });
      const { code, stderr } = await run(['audit', '--input', a, '--input', b]);
      expect(code).toBe(2);
      expect(stderr).toContain(`no virtual networks in ${a}, ${b}: nothing to audit`);
    });

    it('a snapshot of scopes that could not be read, and no VNet: nothing was audited, exit 2 (a CI gate must not pass)', async () => {
      const path = write('all-unreadable.json', { data: [], count: 0, unreadable: [{ scope: SUB_A, reason: '403' }] });
      const { code, stdout, stderr } = await run(['audit', '--input', path]);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toBe(
        `peerguard: not read (as the snapshot records): ${SUB_A}: 403\n` +
          `peerguard: no virtual networks read from ${path}: 1 scope could not be read (listed above), so nothing was audited\n`,
      );
    });
  });

  it.each([
    [['--management-group', 'mg-prod'], '--management-group applies only with --live'],
    [['--cloud', 'AzureChinaCloud', '--endpoint', 'https://127.0.0.1:1'], '--cloud, --endpoint apply only with --live'],
    [['--subscription', 'prod-subscription'], '--subscription "prod-subscription" is not a subscription id (a GUID such as 00000000-0000-0000-0000-000000000000)'],
  ])('options a snapshot audit cannot honour are refused, not ignored: %j', async (options, message) => {
    const { code, stdout, stderr } = await run(['audit', '--input', healthy, ...options]);
    expect({ code, stdout, stderr }).toEqual({ code: 2, stdout: '', stderr: `peerguard: ${message}\n` });
  });

  // The intent comes from --intent or from the configuration's intent: section (--intent wins):
  // the groups that name nothing are listed the same way for either (QA cfg-typo).
  const typoIntent = 'groups:\n  hub: { names: [vnet-hub] }\n  prod: { names: ["vnet-prdo-*"] }\nstatements:\n  - reach: { from: prod, to: hub }\n';
  const typoFile = join(dir, 'typo-intent.yaml');
  writeFileSync(typoFile, typoIntent);
  const typoConfig = join(dir, 'typo-config.yaml');
  writeFileSync(typoConfig, `intent:\n${typoIntent.replace(/^/gm, '  ')}`);
  const typoStatement = 'intent statement "prod reach hub" (statements[0]) checks nothing: group "prod" matches no VNet in the input';
  const goodFile = join(dir, 'good-intent.yaml');
  writeFileSync(goodFile, 'groups:\n  both: { names: [vnet-hub, vnet-spoke] }\nstatements:\n  - reach-each-other: both\n');

  it('an intent from --intent overrides the configuration whose group names nothing: no gap, the report and exit code as usual', async () => {
    const { code, stdout, stderr } = await run(['audit', '--input', healthyPair, '--config', typoConfig, '--intent', goodFile]);
    expect(stderr).toBe('');
    expect(stdout).toContain('No findings');
    expect(code).toBe(0);
  });

  // QA intent defect 3: a statement whose group matches nothing checks nothing, and the audit said "No findings", exit 0.
  it.each([
    ['--intent', ['--intent', typoFile]],
    ["the configuration's intent: section", ['--config', typoConfig]],
    ['--intent, with --fail-on none', ['--intent', typoFile, '--fail-on', 'none']],
  ])('an intent statement whose group matches no VNet read, from %s: the audit fails (exit 1), naming the group and the statement', async (_from, options) => {
    const { code, stderr } = await run(['audit', '--input', healthy, ...options]);
    expect(stderr).toContain('peerguard: intent group "prod" matches no VNet in the input\n');
    expect(stderr).toContain('peerguard: intent statement "prod reach hub" (statements[0]) checks nothing: group "prod" matches no VNet in the input\n');
    expect(code).toBe(1);
  });

  // The sentence comes from the audit's notice (runAudit), which every report format shows: the
  // stderr line once, and the same sentence in the report on stdout.
  it.each([
    ['table', (stdout: string) => expect(stdout).toContain(`notice: ${typoStatement}\n`)],
    ['sarif', (stdout: string) => expect(JSON.parse(stdout).runs[0].invocations[0].toolConfigurationNotifications).toEqual([{ level: 'warning', descriptor: { id: 'intent-unchecked' }, message: { text: typoStatement } }])],
  ] as const)('a statement that checks nothing is a notice of the --format %s report too, and one stderr line', async (format, check) => {
    const { code, stdout, stderr } = await run(['audit', '--input', healthy, '--intent', typoFile, '--format', format]);
    check(stdout);
    expect(stderr.split(`peerguard: ${typoStatement}\n`)).toHaveLength(2);
    expect(code).toBe(1);
  });

  // QA C9: ids of a group that were not read left the audit at exit 0 (explain exits 1 for them).
  it('a group whose ids are partly not read: the audit fails (exit 1, whatever --fail-on), naming the ids, as explain does', async () => {
    const gone = vnetId('vnet-gone', SUB_A);
    const path = join(dir, 'partial-ids.yaml');
    writeFileSync(path, `groups:\n  hub: { ids: ["${hub}", "${gone}"] }\n  spoke: { names: [vnet-spoke] }\nstatements:\n  - reach: { from: spoke, to: hub }\n`);
    const gap = `peerguard: intent group "hub" names VNets that were not read from the input: ${gone}\n`;
    for (const failOn of ['error', 'none']) {
      const { code, stderr } = await run(['audit', '--input', healthyPair, '--intent', path, '--fail-on', failOn]);
      expect({ code, stderr }, failOn).toEqual({ code: 1, stderr: gap });
    }
    const explained = await run(['explain', '--input', healthyPair, '--intent', path]);
    expect({ code: explained.code, stderr: explained.stderr }).toEqual({ code: 1, stderr: gap });
  });

  it('a group no statement names may match nothing: listed on stderr, the audit does not fail for it', async () => {
    const path = join(dir, 'unused-group.yaml');
    writeFileSync(path, 'groups:\n  hub: { names: [vnet-hub] }\n  spoke: { names: [vnet-spoke] }\n  spare: { names: [vnet-nothing] }\nstatements:\n  - reach: { from: spoke, to: hub }\n');
    const { code, stderr } = await run(['audit', '--input', healthyPair, '--intent', path]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: 'peerguard: intent group "spare" matches no VNet in the input\n' });
  });

  it('a standalone peering list (az network vnet peering list) is audited: its VNet comes from its id', async () => {
    const path = join(dir, 'peering-list.json');
    writeFileSync(path, JSON.stringify([peeringResource(hub, { remote: spoke, state: 'Initiated' })]));
    const { code, stdout } = await run(['audit', '--input', path, '--format', 'json']);
    expect(code).toBe(1);
    expect(JSON.parse(stdout).summary).toMatchObject({ vnets: 1, peerings: 1 });
  });

  it('the table header says 1 VNet, 1 peering, 1 subscription (not "1 VNets")', async () => {
    const single = join(dir, 'single.json');
    writeFileSync(single, JSON.stringify([vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: vnetId('vnet-other', SUB_A), state: 'Initiated' }] })]));
    expect((await run(['audit', '--input', single])).stdout).toContain(' · 1 VNet, 1 peering, 1 subscription · ');
    expect((await run(['audit', '--input', oneSided])).stdout).toContain(' · 2 VNets, 1 peering, 2 subscriptions · ');
    expect((await run(['audit', '--input', healthy])).stdout).toContain(' · 1 VNet, 0 peerings, 1 subscription · ');
  });

  // `az graph query` returns 100 rows unless given --first: audited as the estate, a page reported
  // every peering to a VNet on a later page as missing, with a DELETE as the fix.
  it.each([
    ['an az graph query page', { data: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke }] })], count: 1, total_records: 2, skip_token: 'ew0KICAiJGlkIjogIjEi' }, '"skip_token" is set', 'az graph query --first 1000'],
    ['an ARM list page', { value: [vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke }] })], nextLink: 'https://management.azure.com/next' }, '"nextLink" is set', 'az network vnet list'],
  ])('%s is refused, exit 2, naming the file, the key and how to export every page; no report', async (_name, document, key, how) => {
    const path = join(dir, 'page.json');
    writeFileSync(path, JSON.stringify(document));
    const { code, stdout, stderr } = await run(['audit', '--input', path, '--format', 'json']);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toContain(`peerguard: ${relative(process.cwd(), path)}: one page of a longer`);
    expect(stderr).toContain(key);
    expect(stderr).toContain(how);
    expect(stderr).not.toContain('peering-remote-vnet-missing');
  });

  it('reads a UTF-16LE export (Windows PowerShell 5.1: az network vnet list > estate.json)', async () => {
    const path = join(dir, 'utf16.json');
    writeFileSync(path, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(readFileSync(oneSided, 'utf8'), 'utf16le')]));
    const { code, stdout, stderr } = await run(['audit', '--input', path, '--format', 'json']);
    expect({ code, stderr }).toEqual({ code: 1, stderr: '' });
    expect(JSON.parse(stdout).summary).toMatchObject({ vnets: 2, peerings: 1 });
  });

  it('a VNet or peering whose name is not a string is refused, naming the file and the entry (no "[object Object]" in a plan)', async () => {
    const path = join(dir, 'name-object.json');
    const spokeRead = vnet({ id: spoke, prefixes: ['10.1.0.0/16'] });
    writeFileSync(path, JSON.stringify([vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke, state: 'Initiated' }] }), { ...spokeRead, name: { x: 1 } }]));
    const { code, stdout, stderr } = await run(['audit', '--input', path, '--format', 'json']);
    expect({ code, stdout, stderr }).toEqual({ code: 2, stdout: '', stderr: `peerguard: ${relative(process.cwd(), path)} at [1]: "name" of resource "${spoke}" must be a non-empty string, found an object\n` });
  });

  it('entries of types peerguard does not read are ignored: a management group row, a resource with null properties', async () => {
    const path = join(dir, 'with-containers.json');
    const mg = { id: '/providers/Microsoft.Management/managementGroups/mg1', name: 'mg1', type: 'microsoft.management/managementgroups', properties: {} };
    const storage = { id: `/subscriptions/${SUB_A}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1`, type: 'Microsoft.Storage/storageAccounts', properties: null };
    writeFileSync(path, JSON.stringify({ data: [mg, JSON.parse(readFileSync(healthy, 'utf8')).value[0], storage], count: 3, total_records: 3, skip_token: null }));
    const { code, stdout, stderr } = await run(['audit', '--input', path, '--format', 'json']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(stdout).summary).toMatchObject({ vnets: 1, peerings: 0 });
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

  it('a report that cannot be written (a full disk) is named, exit 2, no stack trace', () => {
    const full = openSync('/dev/full', 'w');
    const result = spawnSync(process.execPath, [join(repo, 'bin/peerguard.js'), 'audit', '--input', oneSided, '--format', 'json'], { encoding: 'utf8', stdio: ['ignore', full, 'pipe'] });
    closeSync(full);
    expect(result.stderr).toMatch(/^peerguard: cannot write the output: ENOSPC/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.status).toBe(2);
  });

  it('a reader that stops early (| head) ends the run quietly', async () => {
    const child = spawn(process.execPath, [join(repo, 'bin/peerguard.js'), 'rules'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise((done) => child.on('close', done));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('exits 1 on findings', () => {
    const result = spawnSync(process.execPath, [join(repo, 'bin/peerguard.js'), 'audit', '--input', oneSided], { encoding: 'utf8' });
    expect(result.status).toBe(1);
  });
});

describe('control characters from the input', () => {
  // A VNet name that would clear the screen, open a C1 control sequence and return to the line's
  // start if written raw (names come from the id's last segment).
  const name = 'vnet-\u001b[2J\u009b\revil';
  const shown = '"vnet-\\u001b[2J\\u009b\\u000devil"';
  const evil = vnetId(name, SUB_A);
  const evilFile = join(dir, 'evil.json');
  writeFileSync(evilFile, JSON.stringify([vnet({ id: evil, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke, state: 'Initiated' }] }), vnet({ id: spoke, prefixes: ['10.1.0.0/16'] })]));
  // eslint-disable-next-line no-control-regex -- the characters the terminal output must not hold
  const raw = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
  // eslint-disable-next-line no-control-regex -- the characters JSON.stringify never leaves raw
  const rawInJson = /[\u0000-\u0009\u000b-\u001f]/;

  it('are shown escaped in the table, in explain, in fix\'s plan and in error messages', async () => {
    const table = await run(['audit', '--input', evilFile]);
    expect(table.stdout).toContain(shown);
    expect(table.stdout).not.toMatch(raw);
    const explained = await run(['explain', evil, spoke, '--input', evilFile]);
    expect(explained.stdout).toContain(shown);
    expect(explained.stdout).not.toMatch(raw);
    const plan = await run(['fix', '--input', evilFile]);
    expect(plan.stdout).toContain('/virtualNetworks/vnet-\\u001b[2J\\u009b\\u000devil/');
    expect(plan.stdout).not.toMatch(raw);
    const bad = join(dir, 'evil-bad.json');
    writeFileSync(bad, JSON.stringify([vnet({ id: evil, prefixes: ['10.0.0.0/40'] })]));
    const failed = await run(['audit', '--input', bad]);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain(`virtual network ${shown} addressSpace has an invalid address prefix`);
    expect(failed.stderr).not.toMatch(raw);
  });

  it('reach JSON as they were read: JSON escapes for C0, C1 and DEL as JSON.stringify leaves them, in audit and fix alike', async () => {
    const audit = await run(['audit', '--input', evilFile, '--format', 'json']);
    const plan = await run(['fix', '--input', evilFile, '--format', 'json']);
    for (const { stdout } of [audit, plan]) {
      expect(stdout).not.toMatch(rawInJson);
      expect(stdout).toContain('\u009b'); // raw, as in export's snapshot: not a \\u009b escape
      expect(stdout).toBe(`${JSON.stringify(JSON.parse(stdout), null, 2)}\n`);
    }
    const report = JSON.parse(audit.stdout) as { findings: Array<{ message: string }> };
    expect(report.findings.some((f) => f.message.includes(`"${name}"`))).toBe(true);
    const { plan: fixPlan } = JSON.parse(plan.stdout) as { plan: { items: Array<{ findingResourceId: string }> } };
    expect(fixPlan.items.some((i) => i.findingResourceId.startsWith(`${evil}/`))).toBe(true);
  });
});

describe('an input file named on its own that holds nothing', () => {
  const empty = join(dir, 'empty-export.json');
  writeFileSync(empty, JSON.stringify({ data: [] }));
  const warning = `peerguard: warning: ${relative(process.cwd(), empty)}: holds no resource, so nothing was read from it (a failed export, or the wrong file?)`;

  it.each([
    // explain exits 1: the one-sided pair does not reach.
    ['audit', ['audit', '--input', oneSided, '--input', empty, '--fail-on', 'none'], 0],
    ['explain', ['explain', 'vnet-hub', 'vnet-spoke', '--input', oneSided, '--input', empty], 1],
    ['fix', ['fix', '--input', oneSided, '--input', empty], 0],
  ] as const)('%s says so on stderr, and reads the rest', async (_, args, exit) => {
    const { code, stdout, stderr } = await run([...args]);
    expect(stderr).toContain(warning);
    expect(code).toBe(exit);
    expect(stdout.length).toBeGreaterThan(0);
  });
});
