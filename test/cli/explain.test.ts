import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { nva, routeTable, SUB_A, vnet, vnetId } from '../support/estate';
import { scratchDir } from '../support/scratch';

// `explain --intent` says what in the intent names nothing in the input: a group that matches no
// VNet (a typo in a name pattern) or ids that are not in the input. Those statements are not
// checked, so the intent is not shown to hold: exit 1, with the gaps on stderr.

const HUB_WEU = '/subscriptions/aaaaaaaa-0000-0000-0000-000000000001/resourceGroups/rg-hub-weu/providers/Microsoft.Network/virtualNetworks/vnet-hub-weu';
const MISSING = '/subscriptions/aaaaaaaa-0000-0000-0000-000000000001/resourceGroups/rg-hub-weu/providers/Microsoft.Network/virtualNetworks/vnet-hub-wue';

const { file } = scratchDir('peerguard-explain-');

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(['node', 'peerguard', ...args], { stdout: (t) => (out += t), stderr: (t) => (err += t), isTty: false, now: () => new Date('2026-11-25T00:00:00Z') });
  return { code, out, err };
}

const holds = file(
  'holds.yaml',
  `groups:
  hub: { names: [vnet-hub-weu] }
  spokes: { names: [vnet-spoke1, vnet-spoke2-prod] }
statements:
  - reach: { from: spokes, to: hub }
`,
);

const typo = file(
  'typo.yaml',
  `groups:
  hub: { names: [vnet-hub-weu] }
  prod: { names: ["vnet-prdo-*"] }
statements:
  - reach: { from: prod, to: hub }
`,
);

const unknownId = file(
  'unknown-id.yaml',
  `groups:
  hub: { ids: ["${HUB_WEU}", "${MISSING}"] }
  spokes: { names: [vnet-spoke1] }
statements:
  - reach: { from: spokes, to: hub }
`,
);

describe('explain --intent: groups and ids that name nothing in the input', () => {
  it('an intent whose groups all match and whose statements hold: exit 0, nothing on stderr', async () => {
    const run = await cli(['explain', '--input', 'examples/estate', '--intent', holds]);
    expect(run.err).toBe('');
    expect(run.out.split('\n').filter((l) => l.startsWith('ok  '))).toHaveLength(2);
    expect(run.code).toBe(0);
  });

  it('a group that matches no VNet is named, and the intent is not shown to hold (exit 1)', async () => {
    const run = await cli(['explain', '--input', 'examples/estate', '--intent', typo]);
    expect(run.out).toBe('');
    expect(run.err).toBe('peerguard: intent group "prod" matches no VNet in the input\n');
    expect(run.code).toBe(1);
  });

  it('ids a group names that are not in the input are listed (exit 1), though every checked pair holds', async () => {
    const run = await cli(['explain', '--input', 'examples/estate', '--intent', unknownId]);
    expect(run.out).toContain('ok   [spokes reach hub] "vnet-spoke1" → "vnet-hub-weu"');
    expect(run.out).not.toContain('FAIL');
    expect(run.err).toBe(`peerguard: intent group "hub" names VNets that were not read from the input: ${MISSING}\n`);
    expect(run.code).toBe(1);
  });

  it('with a pair, the gaps are shown too, and the exit code stays the verdict', async () => {
    const run = await cli(['explain', 'vnet-spoke1', 'vnet-hub-weu', '--input', 'examples/estate', '--intent', typo]);
    expect(run.out).toBe('"vnet-spoke1" → "vnet-hub-weu": reachable: "vnet-spoke1" → "vnet-hub-weu" (peering "spoke1-to-hub")\n');
    expect(run.err).toBe('peerguard: intent group "prod" matches no VNet in the input\n');
    expect(run.code).toBe(0);
  });
});

// A statement whose groups match one VNet only, the same, pairs it with nothing: it checks nothing.
describe('explain --intent: a statement that forms no pair', () => {
  const lonely = file(
    'lonely.yaml',
    `groups:
  hub: { names: [vnet-hub-weu] }
  spokes: { names: [vnet-spoke1, vnet-spoke2-prod] }
  one: { names: [vnet-spoke1] }
statements:
  - reach: { from: spokes, to: hub }
  - reach-each-other: one
`,
  );
  const line = 'peerguard: intent statement "one reach each other" (statements[1]) checks nothing: group "one" matches only VNet "vnet-spoke1", and a VNet is not paired with itself\n';

  it('is named on stderr, and the intent is not shown to hold (exit 1)', async () => {
    const run = await cli(['explain', '--input', 'examples/estate', '--intent', lonely]);
    expect(run.out).not.toContain('FAIL');
    expect(run.err).toBe(line);
    expect(run.code).toBe(1);
  });

  it('with a pair, it is named too, and the exit code stays the verdict', async () => {
    const run = await cli(['explain', 'vnet-spoke1', 'vnet-hub-weu', '--input', 'examples/estate', '--intent', lonely]);
    expect(run.err).toBe(line);
    expect(run.code).toBe(0);
  });
});

describe('explain over a snapshot that records unreadable scopes (a partial export --live)', () => {
  const forbidden = { scope: '/subscriptions/cccccccc-0000-0000-0000-000000000003', reason: 'AuthorizationFailed' };
  const partial = file('partial.json', JSON.stringify({ data: [], count: 0, unreadable: [forbidden] }));
  const notRead = `peerguard: not read (as the snapshot records): ${forbidden.scope}: ${forbidden.reason}\n`;

  it('a pair: the scopes not read are on stderr, and the exit code stays the verdict', async () => {
    const run = await cli(['explain', 'vnet-spoke1', 'vnet-hub-weu', '--input', 'examples/estate', '--input', partial]);
    expect(run.out).toContain('"vnet-spoke1" → "vnet-hub-weu": reachable');
    expect(run.err).toBe(notRead);
    expect(run.code).toBe(0);
  });

  it('an intent that holds over what was read is not confirmed (exit 1): the scopes not read are named', async () => {
    const run = await cli(['explain', '--input', 'examples/estate', '--input', partial, '--intent', holds]);
    expect(run.out).not.toContain('FAIL');
    expect(run.err).toBe(notRead);
    expect(run.code).toBe(1);
  });
});

// Input without a VNet is refused as audit refuses it (exit 2, the same message), not answered
// with "intent group ... matches no VNet" (exit 1), which blamed the intent for a wrong export.
describe('explain over input that holds no VNet', () => {
  const empty = file('no-vnet.json', '[]');
  const nothing = `peerguard: no virtual networks in ${empty}: nothing to audit (is this the right export?)\n`;

  it('with an intent: exit 2, nothing to audit, no intent gaps', async () => {
    expect(await cli(['explain', '--input', empty, '--intent', holds])).toEqual({ code: 2, out: '', err: nothing });
  });

  it('with a pair: the same', async () => {
    expect(await cli(['explain', 'vnet-spoke1', 'vnet-hub-weu', '--input', empty])).toEqual({ code: 2, out: '', err: nothing });
  });

  it('a snapshot of scopes not read and no VNet: nothing was audited, the scopes named first', async () => {
    const unread = file('no-vnet-unread.json', JSON.stringify({ data: [], unreadable: [{ scope: '/subscriptions/cccccccc-0000-0000-0000-000000000003', reason: '403' }] }));
    expect(await cli(['explain', '--input', unread, '--intent', holds])).toEqual({
      code: 2,
      out: '',
      err:
        'peerguard: not read (as the snapshot records): /subscriptions/cccccccc-0000-0000-0000-000000000003: 403\n' +
        `peerguard: no virtual networks read from ${unread}: 1 scope could not be read (listed above), so nothing was audited\n`,
    });
  });
});

// A VNet asked about itself is a usage error, not a verdict: the engine has no path to report
// (it answered "AVNM mesh group" for a VNet in no mesh group). Compared after the names resolve,
// so a name and an id, or two casings, of one VNet are caught too.
describe('explain: VNET_A and VNET_B the same VNet', () => {
  const same = `peerguard: VNET_A and VNET_B name the same VNet (${HUB_WEU})\n`;

  it('the same name twice: exit 2, nothing on stdout', async () => {
    const run = await cli(['explain', 'vnet-hub-weu', 'vnet-hub-weu', '--input', 'examples/estate', '--via', 'firewall']);
    expect(run.out).toBe('');
    expect(run.err).toBe(same);
    expect(run.code).toBe(2);
  });

  it('a name and the id in other casing: exit 2', async () => {
    const run = await cli(['explain', 'VNET-HUB-WEU', HUB_WEU.toLowerCase(), '--input', 'examples/estate']);
    expect(run.out).toBe('');
    expect(run.err).toBe(same);
    expect(run.code).toBe(2);
  });
});

// Without VNETs each intent statement sets its own `via`: a --via that would be ignored is refused.
describe('explain --intent without VNETs: options that apply only to a pair', () => {
  it('--via is refused (exit 2), naming both options', async () => {
    const run = await cli(['explain', '--input', 'examples/estate', '--intent', holds, '--via', 'firewall']);
    expect(run.out).toBe('');
    expect(run.err).toBe('peerguard: --via applies to a pair (VNET_A VNET_B), not to an intent alone: there each statement sets its own via\n');
    expect(run.code).toBe(2);
  });

  it('with a pair, --via and --intent go together', async () => {
    const run = await cli(['explain', 'vnet-spoke1', 'vnet-hub-weu', '--input', 'examples/estate', '--intent', holds, '--via', 'firewall']);
    expect(run.out).toContain('"vnet-spoke1" → "vnet-hub-weu": not reachable (not-through-appliance)');
    expect(run.out).toContain('intent "spokes reach hub" expects reachable: holds\n');
    expect(run.err).toBe('');
    expect(run.code).toBe(1);
  });
});

// An isolated statement is symmetric: `explain A B --intent` shows it whichever order the pair and
// the statement's groups are given in, once even when both groups hold both VNets (QA c6).
describe('explain A B --intent: an isolated statement for the pair in either order', () => {
  const isolated = (between: string, groups = 'spoke: { names: [vnet-spoke1] }\n  hub: { names: [vnet-hub-weu] }') =>
    file(`isolated-${between.replace(/\W/g, '')}.yaml`, `groups:\n  ${groups}\nstatements:\n  - name: apart\n    isolated: { between: [${between}] }\n`);
  const violated = 'intent "apart" expects isolated: VIOLATED\n';

  it.each([
    ['the groups in the order of the pair', ['vnet-spoke1', 'vnet-hub-weu'], isolated('spoke, hub')],
    ['the groups the other way round', ['vnet-spoke1', 'vnet-hub-weu'], isolated('hub, spoke')],
    ['the pair the other way round', ['vnet-hub-weu', 'vnet-spoke1'], isolated('spoke, hub')],
    ['both groups holding both VNets', ['vnet-spoke1', 'vnet-hub-weu'], isolated('x, y', 'x: { names: [vnet-spoke1, vnet-hub-weu] }\n  y: { names: [vnet-spoke1, vnet-hub-weu] }')],
  ])('%s: shown once', async (_name, pair, intentFile) => {
    const run = await cli(['explain', ...pair, '--input', 'examples/estate', '--intent', intentFile]);
    expect(run.out.split('\n')[0]).toContain(': reachable: ');
    expect(run.out.split('\n').filter((l) => l.startsWith('intent '))).toEqual([violated.trimEnd()]);
    expect(run.code).toBe(0);
  });
});

// Out through a router NVA in a hub and back over a direct peering: no path for `reach` (a stateful
// device sees one direction only), yet the VNets are connected, which an isolated statement denies:
// the intent line says what connects them.
describe('explain A B --intent: an isolated statement violated by ways that differ', () => {
  const [a, c, hub] = [vnetId('vnet-a'), vnetId('vnet-c'), vnetId('vnet-hub')];
  const rt = `/subscriptions/${SUB_A}/resourceGroups/rg-rt/providers/Microsoft.Network/routeTables/rt-a`;
  const p = (remote: string) => ({ remote, allowForwardedTraffic: true });
  const estate = file(
    'asymmetric.json',
    JSON.stringify([
      vnet({ id: hub, prefixes: ['10.0.0.0/16'], subnets: [{ name: 'nvasubnet', prefix: '10.0.3.0/24' }], peerings: [p(a), p(c)] }),
      nva('nic-router', hub, 'nvasubnet', '10.0.3.4'),
      vnet({ id: a, prefixes: ['10.1.0.0/16'], subnets: [{ name: 'app', prefix: '10.1.0.0/24', routeTable: rt }], peerings: [p(hub), p(c)] }),
      vnet({ id: c, prefixes: ['10.2.0.0/16'], subnets: [{ name: 'app', prefix: '10.2.0.0/24' }], peerings: [p(hub), p(a)] }),
      routeTable('rt-a', SUB_A, 'rg-rt', [{ name: 'to-c', prefix: '10.2.0.0/16', nextHopType: 'VirtualAppliance', nextHopIp: '10.0.3.4' }], [`${a}/subnets/app`]),
    ]),
  );
  const intent = file('apart.yaml', 'groups:\n  a: { names: [vnet-a] }\n  c: { names: [vnet-c] }\nstatements:\n  - name: apart\n    isolated: { between: [a, c] }\n');

  it('prints the isolation verdict: connected, not the same way both ways', async () => {
    const run = await cli(['explain', 'vnet-a', 'vnet-c', '--input', estate, '--intent', intent]);
    const [pair, line] = run.out.split('\n');
    expect(pair).toContain('"vnet-a" → "vnet-c": not reachable (return-path-missing)');
    expect(line).toBe(
      'intent "apart" expects isolated: VIOLATED: connected, not the same way both ways: "vnet-a" → appliance "nic-router" in "vnet-hub" → "vnet-c" for all of "vnet-c", ' +
        'and back "vnet-c" → "vnet-a" (peering "vnet-c-to-vnet-a") for all of "vnet-a"; not reachable as a whole (return-path-missing): ' +
        'the return path differs from the way out (out: "vnet-a" → appliance "nic-router" in "vnet-hub" → "vnet-c"; back: "vnet-c" → "vnet-a" (peering "vnet-c-to-vnet-a")): an appliance sees one direction only and drops the flow.',
    );
    expect(run.code).toBe(1);
  });
});

describe("explain --intent ''", () => {
  const empty = 'peerguard: --intent is empty: name an intent file (YAML or JSON), or leave the option out\n';

  it('is refused (exit 2), naming the option, with a pair or without one', async () => {
    const input = file('pair.json', '[]');
    expect(await cli(['explain', '--input', input, '--intent', ''])).toEqual({ code: 2, out: '', err: empty });
    expect(await cli(['explain', 'vnet-a', 'vnet-b', '--input', input, '--intent='])).toEqual({ code: 2, out: '', err: empty });
  });
});

// docs/intent.md: the intent comes from --intent or from the intent: section of the configuration,
// and --intent overrides it. explain takes --config as audit does (loaded and validated the same way).
describe('explain --config: the intent: section of the configuration', () => {
  const indent = (text: string) => text.replace(/^/gm, '  ');
  const config = (name: string, intentText: string) => file(name, `peeringLimit: 500\nintent:\n${indent(intentText)}`);
  const holdsText = `groups:\n  hub: { names: [vnet-hub-weu] }\n  spokes: { names: [vnet-spoke1, vnet-spoke2-prod] }\nstatements:\n  - reach: { from: spokes, to: hub }\n`;
  const typoText = `groups:\n  hub: { names: [vnet-hub-weu] }\n  prod: { names: ["vnet-prdo-*"] }\nstatements:\n  - reach: { from: prod, to: hub }\n`;

  it('without VNETs, every pair the section names is answered', async () => {
    const run = await cli(['explain', '--input', 'examples/estate', '--config', config('cfg-holds.yaml', holdsText)]);
    expect(run.out.split('\n').filter((l) => l.startsWith('ok  '))).toHaveLength(2);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
  });

  it('with a pair, the section\'s statements about the pair are shown', async () => {
    const run = await cli(['explain', 'vnet-spoke1', 'vnet-hub-weu', '--input', 'examples/estate', '--config', config('cfg-pair.yaml', holdsText)]);
    expect(run.out).toContain('intent "spokes reach hub" expects reachable: holds\n');
    expect(run.code).toBe(0);
  });

  it('--intent overrides the section', async () => {
    const cfg = config('cfg-typo.yaml', typoText);
    const fromConfig = await cli(['explain', '--input', 'examples/estate', '--config', cfg]);
    expect(fromConfig.err).toBe('peerguard: intent group "prod" matches no VNet in the input\n');
    expect(fromConfig.code).toBe(1);
    const overridden = await cli(['explain', '--input', 'examples/estate', '--config', cfg, '--intent', holds]);
    expect(overridden).toMatchObject({ code: 0, err: '' });
    expect(overridden.out.split('\n').filter((l) => l.startsWith('ok  '))).toHaveLength(2);
  });

  it('is validated as audit validates it: an error names the file and the key (exit 2)', async () => {
    const bad = file('cfg-bad.yaml', 'rules: { no-such-rule: off }\n');
    const explain = await cli(['explain', '--input', 'examples/estate', '--config', bad]);
    const audit = await cli(['audit', '--input', 'examples/estate', '--config', bad]);
    expect(explain).toEqual({ code: 2, out: '', err: `peerguard: ${bad}: rules.no-such-rule: unknown rule id (see \`peerguard rules\`)\n` });
    expect(explain).toEqual(audit);
    const badIntent = config('cfg-bad-intent.yaml', 'groups: {}\nstatements:\n  - reach: { from: a, to: b }\n');
    const refused = await cli(['explain', '--input', 'examples/estate', '--config', badIntent]);
    expect(refused.code).toBe(2);
    expect(refused.err).toBe((await cli(['audit', '--input', 'examples/estate', '--config', badIntent])).err);
    expect(refused.err).toBe(`peerguard: ${badIntent}: intent: statements[0].reach.from: unknown group "a" (groups: none)\n`);
    expect(await cli(['explain', '--input', 'examples/estate', '--config', ''])).toMatchObject({ code: 2, err: expect.stringContaining('--config is empty') });
  });

  it('a configuration without an intent: section and no VNETs: usage error (exit 2) saying where an intent comes from', async () => {
    const plain = file('cfg-plain.yaml', 'peeringLimit: 500\n');
    const run = await cli(['explain', '--input', 'examples/estate', '--config', plain]);
    expect(run).toEqual({
      code: 2,
      out: '',
      err: `peerguard: explain needs two VNets (VNET_A VNET_B), or an intent (--intent FILE, or --config FILE with an intent: section) to answer every pair it names; ${plain} has no intent: section\n`,
    });
  });
});
