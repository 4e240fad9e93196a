import type { Command } from 'commander';
import { readYamlDocument } from '../config/yaml-document';
import { evaluateIntent } from '../intent/evaluate';
import { resolveIntent, statementsWithEmptyGroups, uncheckedStatementMessage } from '../intent/resolve';
import { IntentError, parseIntent, type Intent } from '../intent/schema';
import { readSnapshotEstate } from '../io/snapshot-files';
import { keyOf } from '../model/ids';
import type { Topology, Vnet } from '../model/types';
import { describeVerdict, reachability } from '../reachability/engine';
import { buildReport } from '../report/report';
import { VERSION } from '../version';
import { loadConfigFile } from './config-file';
import { printSnapshotNotes } from './live';
import { requireVnets } from './nothing-audited';

// `peerguard explain VNET_A VNET_B --input PATH [--intent FILE] [--config FILE]`: the verdict and
// the path or the first missing piece. Exit 0 reachable, 1 not reachable, 2 usage or input error.
// The intent is --intent's file, or else the `intent:` section of --config's file (loaded and
// validated as audit loads it). With an intent and no VNETs, every pair the intent names is answered (exit 1 when the intent does not hold, or
// when it names VNets the input lacks: a group that matches no VNet, or ids not in the input, leave
// statements unchecked, as does a statement whose groups match one VNet only, the same: no pair). Those gaps are written to stderr whenever there is an intent. Scopes a
// snapshot records as not read (a partial `export --live`) are written to stderr too: a verdict
// over them may miss a peering or a route; with an intent they leave the intent unconfirmed (exit 1).
// Refused (exit 2) rather than answered: the same VNet twice, --via without VNETs, and input that
// holds no VNet (as audit refuses it: a wrong export, not an intent that names nothing).

export class ExplainUsageError extends Error {}

/** Reads and validates an intent file (YAML or JSON); errors name the file and the key. An empty path (`--intent ''`) is refused. */
export async function loadIntentFile(path: string): Promise<Intent> {
  if (path === '') throw new IntentError('--intent is empty: name an intent file (YAML or JSON), or leave the option out');
  return parseIntent(await readYamlDocument(path, 'intent file', IntentError), path);
}

/** A VNet by id or by name (case-insensitive); an ambiguous name lists the candidates. */
export function findVnet(topology: Topology, text: string): Vnet {
  const byId = topology.vnets.get(keyOf(text));
  if (byId) return byId;
  const matches = [...topology.vnets.values()].filter((v) => v.name.toLowerCase() === text.toLowerCase());
  if (matches.length === 1) return matches[0] as Vnet;
  if (matches.length === 0) throw new ExplainUsageError(`no VNet named or with id "${text}" in the input`);
  throw new ExplainUsageError(`"${text}" names ${matches.length} VNets; give one by id:\n${matches.map((v) => `  ${v.id}`).join('\n')}`);
}

export interface ExplainIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** What in the intent names nothing in the input: groups without members, ids whose VNet was not read. */
function intentGaps(topology: Topology, intent: Intent): string[] {
  const resolved = resolveIntent(intent, topology);
  const gaps: string[] = [];
  for (const group of Object.keys(intent.groups)) {
    if ((resolved.members.get(group) ?? []).length === 0) gaps.push(`intent group "${group}" matches no VNet in the input`);
    const missing = resolved.unmatchedIds.get(group);
    if (missing && missing.length > 0) gaps.push(`intent group "${group}" names VNets that were not read from the input: ${missing.join(', ')}`);
  }
  return gaps;
}

/**
 * Writes to stderr the statements whose groups match VNets but form no pair (one VNet, the same in
 * each group): they check nothing. `audit` says so in its notices; returns how many.
 */
function reportPairlessStatements(topology: Topology, intent: Intent, io: Pick<ExplainIo, 'stderr'>): number {
  const pairless = statementsWithEmptyGroups(resolveIntent(intent, topology)).filter((u) => u.only);
  for (const unchecked of pairless) io.stderr(`peerguard: ${uncheckedStatementMessage(unchecked)}\n`);
  return pairless.length;
}

/** Writes the intent's gaps to stderr (`explain --intent`, `audit --intent`); returns how many. */
export function reportIntentGaps(topology: Topology, intent: Intent, io: Pick<ExplainIo, 'stderr'>): number {
  const gaps = intentGaps(topology, intent);
  for (const gap of gaps) io.stderr(`peerguard: ${gap}\n`);
  return gaps.length;
}

export async function runExplain(
  args: { a?: string; b?: string; input: string[]; intent?: string; config?: string; via?: string },
  io: ExplainIo,
): Promise<number> {
  if (args.input.length === 0) throw new ExplainUsageError('explain needs --input PATH (a snapshot file or directory)');
  if (args.via !== undefined && args.via !== 'firewall' && args.via !== 'appliance') throw new ExplainUsageError('--via is firewall or appliance');
  const pair = Boolean(args.a && args.b);
  const needsPairOrIntent = 'explain needs two VNets (VNET_A VNET_B), or an intent (--intent FILE, or --config FILE with an intent: section) to answer every pair it names';
  if (!pair && (args.a || (args.intent === undefined && args.config === undefined))) throw new ExplainUsageError(needsPairOrIntent);
  // Refused rather than ignored: without VNETs each intent statement sets its own `via`.
  if (!pair && args.via !== undefined) throw new ExplainUsageError('--via applies to a pair (VNET_A VNET_B), not to an intent alone: there each statement sets its own via');
  // The configuration is loaded and validated as audit's is; --intent overrides its intent: section.
  const config = await loadConfigFile(args.config);
  const intent = args.intent !== undefined ? await loadIntentFile(args.intent) : config.intent;
  if (!pair && !intent) throw new ExplainUsageError(`${needsPairOrIntent}; ${args.config} has no intent: section`);
  const snapshot = await readSnapshotEstate(args.input);
  printSnapshotNotes(snapshot, io.stderr);
  const { topology, unreadable } = snapshot;
  // audit's check and message, from an empty report of the same read.
  if (topology.vnets.size === 0) requireVnets(buildReport({ version: VERSION, now: new Date(), topology, findings: [], unreadable }), { input: args.input });
  if (!args.a || !args.b) {
    if (!intent) throw new ExplainUsageError(needsPairOrIntent);
    let failing = 0;
    for (const check of evaluateIntent(topology, intent)) {
      if (!check.holds) failing += 1;
      const to = check.to ? `"${check.to.name}"` : 'on-premises';
      io.stdout(`${check.holds ? 'ok  ' : 'FAIL'} [${check.statement.label}] "${check.from.name}" → ${to}: ${describeVerdict(check.verdict)}\n`);
    }
    const gaps = reportIntentGaps(topology, intent, io) + reportPairlessStatements(topology, intent, io);
    return failing > 0 || gaps > 0 || unreadable.length > 0 ? 1 : 0;
  }
  const a = findVnet(topology, args.a);
  const c = findVnet(topology, args.b);
  // Compared after resolving, so a name and an id (or two casings) of one VNet are caught too.
  if (a.key === c.key) throw new ExplainUsageError(`VNET_A and VNET_B name the same VNet (${a.id})`);
  const engine = reachability(topology);
  const verdict = engine.explain(a.key, c.key, args.via as 'firewall' | 'appliance' | undefined);
  const shown = describeVerdict(verdict);
  io.stdout(`"${a.name}" → "${c.name}": ${shown}\n`);
  if (intent) {
    // An isolated statement is symmetric: it is shown for the pair in either order, once.
    const isolatedShown = new Set<number>();
    for (const check of evaluateIntent(topology, intent)) {
      const same = check.from.key === a.key && check.to?.key === c.key;
      const reversed = check.from.key === c.key && check.to?.key === a.key;
      if (check.expected === 'isolated' ? !(same || reversed) || isolatedShown.has(check.statement.index) : !same) continue;
      if (check.expected === 'isolated') isolatedShown.add(check.statement.index);
      // An isolated statement asks for any part, any way out and any way back: what connects the
      // pair, unless the verdict above already says it (reachable as a whole, the same way).
      const isolation = check.expected === 'isolated' && !check.holds ? describeVerdict(engine.isolation(a.key, c.key)) : shown;
      io.stdout(`intent "${check.statement.label}" expects ${check.expected}: ${check.holds ? 'holds' : 'VIOLATED'}${isolation === shown ? '' : `: ${isolation}`}\n`);
    }
    reportIntentGaps(topology, intent, io);
    reportPairlessStatements(topology, intent, io);
  }
  return verdict.reachable ? 0 : 1;
}

/** Registers `explain` on the program; `setExit` receives the exit code. */
export function registerExplain(program: Command, io: ExplainIo, setExit: (code: number) => void): void {
  program
    .command('explain')
    .description('whether VNET_A reaches VNET_B, with the path or the first missing piece (exit 0 reachable, 1 not)')
    .argument('[vnetA]', 'VNet name or id')
    .argument('[vnetB]', 'VNet name or id')
    .option('-i, --input <path>', 'snapshot file or directory of Azure JSON (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .option('--intent <file>', 'intent file: without VNETs, answer every pair it names (overrides the intent: section of --config)')
    .option('-c, --config <file>', "configuration file (YAML or JSON): its intent: section is the intent unless --intent is given")
    .option('--via <kind>', 'require the path through an appliance: firewall or appliance')
    .action(async (a: string | undefined, b: string | undefined, opts: { input: string[]; intent?: string; config?: string; via?: string }) => {
      setExit(await runExplain({ a, b, ...opts }, io));
    });
}
