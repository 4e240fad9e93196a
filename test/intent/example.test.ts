import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { main } from '../../src/cli/main';
import { evaluateIntent } from '../../src/intent/evaluate';
import { IntentError, parseIntent } from '../../src/intent/schema';
import { readSnapshot } from '../../src/io/snapshot-files';
import { buildTopology } from '../../src/model/build';
import { RULES } from '../../src/rules';
import { DEFAULT_RULE_OPTIONS } from '../../src/rules/rule';

// The example estate ships an intent: `explain` answers every pair it names with the right verdict
// and reason, and the audit shows both intent rules.

const intent = parseIntent(parseYaml(readFileSync('examples/intent.yaml', 'utf8')), 'examples/intent.yaml');

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(['node', 'peerguard', ...args], { stdout: (t) => (out += t), stderr: (t) => (err += t), isTty: false, now: () => new Date('2026-11-25T00:00:00Z') });
  return { code, out, err };
}

describe('examples/intent.yaml', () => {
  it('every pair it names gets the expected verdict and reason', async () => {
    const topology = buildTopology(await readSnapshot(['examples/estate']), { extraSubscriptions: [] });
    const checks = evaluateIntent(topology, intent);
    const failing = checks.filter((c) => !c.holds).map((c) => `${c.statement.index} ${c.from.name} → ${c.to?.name ?? 'on-premises'}: ${c.verdict.missing?.kind ?? c.verdict.path?.kind}`);
    expect(failing).toEqual([
      '1 vnet-spoke1 → vnet-spoke2-prod: forwarded-traffic-not-allowed',
      '1 vnet-spoke2-prod → vnet-spoke1: return-path-missing',
      '2 vnet-spoke2-prod → on-premises: gateway-transit-not-used',
      '4 vnet-spoke12-dev → vnet-hub-neu: peering',
      '6 vnet-spoke7-dev → vnet-spoke8-dev: no-peering',
      '6 vnet-spoke8-dev → vnet-spoke7-dev: no-peering',
    ]);
    // Every other pair holds; isolation holds for lack of a peering or a route through an appliance.
    const byStatement = (i: number) => checks.filter((c) => c.statement.index === i);
    expect(byStatement(0).every((c) => c.verdict.path?.kind === 'peering')).toBe(true);
    expect(byStatement(3).length).toBe(8 * 6);
    expect(byStatement(3).every((c) => c.holds && c.verdict.missing?.kind === 'no-peering')).toBe(true);
    expect(byStatement(5).map((c) => c.verdict.path?.kind)).toEqual(['mesh', 'mesh']);
  });

  it('explain answers a pair with the path or the missing piece, exit 0 / 1', async () => {
    const ok = await cli(['explain', 'vnet-spoke1', 'vnet-hub-weu', '--input', 'examples/estate']);
    expect(ok.code).toBe(0);
    expect(ok.out).toBe('"vnet-spoke1" → "vnet-hub-weu": reachable: "vnet-spoke1" → "vnet-hub-weu" (peering "spoke1-to-hub")\n');
    const no = await cli(['explain', 'vnet-spoke1', 'vnet-spoke2-prod', '--input', 'examples/estate', '--intent', 'examples/intent.yaml']);
    expect(no.code).toBe(1);
    expect(no.out).toContain('not reachable (forwarded-traffic-not-allowed): peering "spoke2-to-hub" from "vnet-spoke2-prod" to "vnet-hub-weu" does not allow forwarded traffic');
    expect(no.out).toContain('intent "West Europe prod spokes reach each other through the hub firewall" expects reachable: VIOLATED');
    const all = await cli(['explain', '--input', 'examples/estate', '--intent', 'examples/intent.yaml']);
    expect(all.code).toBe(1);
    expect(all.out.split('\n').filter((l) => l.startsWith('FAIL'))).toHaveLength(6);
  });

  it('usage errors exit 2: unknown VNet, missing input, bad intent file naming the key', async () => {
    expect((await cli(['explain', 'nope', 'vnet-spoke1', '--input', 'examples/estate'])).err).toContain('no VNet named or with id "nope"');
    expect((await cli(['explain', 'a', 'b'])).code).toBe(2);
    expect(() => parseIntent({ groups: { a: { names: ['x'] } }, statements: [{ reach: { from: 'a', to: 'b' } }] }, 'i.yaml')).toThrow(
      new IntentError('i.yaml: statements[0].reach.to: unknown group "b" (groups: a)'),
    );
    expect(() => parseIntent({ groups: { a: { name: ['x'] } }, statements: [] }, 'i.yaml')).toThrow(/i\.yaml: groups\.a: unknown key "name"; allowed: description, ids, names, tags, subscriptions/);
  });

  it('audit --intent shows both intent rules on the example', async () => {
    const run = await cli(['audit', '--input', 'examples/estate', '--intent', 'examples/intent.yaml', '--format', 'json', '--fail-on', 'none']);
    expect(run.code).toBe(0);
    const ids = (JSON.parse(run.out) as { findings: Array<{ ruleId: string; message: string }> }).findings.map((f) => f.ruleId);
    expect(ids).toContain('transit-intent-unreachable');
    expect(ids).toContain('transit-intent-violated');
  });

  it('without an intent both intent rules are silent', async () => {
    const topology = buildTopology(await readSnapshot(['examples/estate']), { extraSubscriptions: [] });
    for (const id of ['transit-intent-unreachable', 'transit-intent-violated']) {
      expect(RULES.find((r) => r.meta.id === id)?.evaluate(topology, DEFAULT_RULE_OPTIONS)).toEqual([]);
    }
  });
});
