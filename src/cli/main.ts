import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../engine/config';
import { resolveIntent } from '../intent/resolve';
import { IntentError } from '../intent/schema';
import { auditResources, auditTopology, type AuditRun } from '../engine/pipeline';
import { readSnapshotEstate } from '../io/snapshot-files';
import { isVnetResource } from '../model/build';
import { InputError } from '../model/snapshot';
import { MARKDOWN_CHARS_RANGE, MARKDOWN_MAX_CHARS } from '../report/markdown';
import { FORMATS, renderReportAsync, type Format } from '../report/render';
import { exitCodeFor, scopesNotRead, subscriptionsRead, type FailOn } from '../report/report';
import { RULES } from '../rules';
import { VERSION } from '../version';
import { loadConfigFile } from './config-file';
import { ExplainUsageError, loadIntentFile, registerExplain, reportIntentGaps } from './explain';
import { escapeTerminal } from '../report/escape';
import { registerFix } from './fix';
import { checkInputOptions, checkOutputWritable, describeScope, LiveUsageError, printSnapshotNotes, readLiveInventory, writeSnapshot, type AzureCliOverrides, type LiveOptions } from './live';
import { NothingToAuditError, requireVnets } from './nothing-audited';
import { redactSecrets } from '../redact';

// The command-line program: a composition root. Exit codes follow linters (design.md):
// 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage or input error.

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTty: boolean;
  now: () => Date;
  /** Progress of live reads is shown when stderr is a terminal. */
  stderrIsTty?: boolean;
  /**
   * The writer of the live-read progress line, which is redrawn with '\r': stderr as the terminal
   * takes it, unescaped, so it is for peerguard's own counts only, never for text from the input.
   * main() gives its commands the terminal's stderr here (or this writer, when its caller sets one).
   */
  progress?: (text: string) => void;
  /** Substitutes for live Azure reads (tests: the stand-in's credential and CA). */
  azure?: AzureCliOverrides;
}

const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTty: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
  now: () => new Date(),
  stderrIsTty: Boolean(process.stderr.isTTY),
};

class UsageError extends Error {}

/** `--max-chars`: a whole number of characters within MARKDOWN_CHARS_RANGE. */
function parseMaxChars(value: string): number {
  const { min, max } = MARKDOWN_CHARS_RANGE;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number of characters from ${min} to ${max}, got "${value}"`);
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export async function main(argv: readonly string[], terminal: CliIo = processIo): Promise<number> {
  // Messages and the plain-text outputs quote names and ids from the input: their control characters
  // are shown escaped, line breaks kept (the table report and fix's plan escape their own values).
  // Only the progress line of a live read, our own counts, keeps its '\r'.
  const io: CliIo = { ...terminal, stderr: (text) => terminal.stderr(escapeTerminal(text, ['\n'])), progress: terminal.progress ?? terminal.stderr };
  const textIo: CliIo = { ...io, stdout: (text) => terminal.stdout(escapeTerminal(text, ['\n'])) };
  let exitCode = 0;
  const program = new Command()
    .name('peerguard')
    .description('Audit Azure virtual network peerings')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  program
    .command('audit')
    .description('audit an estate and report findings')
    .option('-i, --input <path>', 'snapshot file or directory of Azure JSON (repeatable)', collect, [])
    .option('-c, --config <file>', 'configuration file (YAML or JSON)')
    .option('-s, --subscription <id>', 'a subscription that was read, even if it holds no resources (repeatable)', collect, [])
    .addOption(new Option('-f, --format <format>', 'output format').choices([...FORMATS]).default('table'))
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at or above').choices(['error', 'warning', 'info', 'none']).default('error'))
    .option('--live', 'read the estate from Azure (Resource Graph) instead of files')
    .option('--management-group <id>', 'with --live: audit the subscriptions under this management group')
    .option('--cloud <name>', 'with --live: AzurePublicCloud, AzureUSGovernment or AzureChinaCloud')
    .addOption(new Option('--endpoint <url>', 'with --live: Resource Manager endpoint override').hideHelp())
    .option('--intent <file>', 'intent file (docs/intent.md): which VNets must and must not reach each other')
    .option(
      '--max-chars <n>',
      `with --format markdown: cut the report to this many characters (default ${MARKDOWN_MAX_CHARS}, a GitHub pull-request comment; 150000 for Azure DevOps, ${MARKDOWN_CHARS_RANGE.max} for a GitHub job summary)`,
      parseMaxChars,
    )
    .action(async (opts: { input: string[]; config?: string; subscription: string[]; format: Format; failOn: FailOn; intent?: string; maxChars?: number } & LiveOptions) => {
      if (opts.input.length === 0 && !opts.live) throw new UsageError('audit needs --input PATH (a snapshot file or directory) or --live');
      if (opts.maxChars !== undefined && opts.format !== 'markdown') throw new UsageError(`--max-chars applies to --format markdown only (the format is ${opts.format})`);
      if (opts.input.length > 0 && opts.live) throw new UsageError('use --input or --live, not both');
      checkInputOptions(opts);
      const config = await loadConfigFile(opts.config);
      // --intent overrides the configuration's intent: section.
      const intent = opts.intent !== undefined ? await loadIntentFile(opts.intent) : config.intent;
      const live = opts.live ? await readLiveInventory(opts, io) : undefined;
      const common = { rules: RULES, config, now: io.now(), version: VERSION, ...(intent ? { intent } : {}) };
      let run: AuditRun;
      if (live) {
        run = auditResources({ ...common, resources: live.resources, extraSubscriptions: live.subscriptions, unreadable: live.unreadable });
        requireVnets(run.report, { liveScope: `${describeScope(opts)} (${subscriptionsRead(live.subscriptions.length)})` });
      } else {
        // A snapshot written by `export --live` lists the scopes its read could not reach: the audit
        // of the file is as partial as the live read was.
        const snapshot = await readSnapshotEstate(opts.input, { extraSubscriptions: opts.subscription });
        printSnapshotNotes(snapshot, io.stderr);
        run = auditTopology({ ...common, topology: snapshot.topology, unreadable: snapshot.unreadable });
        requireVnets(run.report, { input: opts.input });
      }
      // The intent narrows transit findings to the pairs it names: say which of its groups name nothing.
      if (intent) reportIntentGaps(run.extras.topology, intent, io);
      // A statement whose group matches no VNet checks nothing, and ids that were not read are VNets
      // the intent names but cannot check: the intent is not shown to hold, so the audit fails
      // (exit 1, whatever --fail-on), as explain does. A group no statement uses may match nothing
      // by name, tag or subscription without failing it.
      // The audit's notices say which (runAudit, for every shell); stderr shows them whatever the format.
      const unchecked = run.extras.notices.filter((n) => n.kind === 'intent-unchecked');
      for (const notice of unchecked) io.stderr(`peerguard: ${notice.message}\n`);
      const idsNotRead = intent ? resolveIntent(intent, run.extras.topology).unmatchedIds.size > 0 : false;
      io.stdout(await renderReportAsync(run.report, opts.format, run.extras, { rules: RULES, colour: io.isTty, ...(opts.maxChars !== undefined ? { markdownMaxChars: opts.maxChars } : {}) }));
      exitCode = unchecked.length > 0 || idsNotRead ? Math.max(1, exitCodeFor(run.report, opts.failOn)) : exitCodeFor(run.report, opts.failOn);
    });

  program
    .command('export')
    .description('write the live estate as a snapshot that audit --input reads')
    .requiredOption('--live', 'read the estate from Azure (Resource Graph)')
    .option('-o, --output <file>', 'snapshot file to write (default: stdout)')
    .option('-s, --subscription <id>', 'a subscription to read (repeatable)', collect, [])
    .option('--management-group <id>', 'read the subscriptions under this management group')
    .option('--cloud <name>', 'AzurePublicCloud, AzureUSGovernment or AzureChinaCloud')
    .addOption(new Option('--endpoint <url>', 'Resource Manager endpoint override').hideHelp())
    .action(async (opts: LiveOptions & { output?: string }) => {
      checkInputOptions(opts);
      const file = opts.output !== '-' ? opts.output : undefined;
      if (file) await checkOutputWritable(file);
      const inventory = await readLiveInventory(opts, io);
      if (!inventory.resources.some(({ resource }) => isVnetResource(resource))) {
        // No VNet: a snapshot that audit --input refuses; an existing one at the output path is worth more.
        const unread = inventory.unreadable.length > 0 ? ` (${scopesNotRead(inventory.unreadable.length)}, listed above)` : '';
        throw new NothingToAuditError(`no virtual networks read from ${describeScope(opts)}${unread}: nothing to export; ${file ? `${file} was not written` : 'nothing was written'}`);
      }
      await writeSnapshot(inventory, opts.output, io);
      exitCode = inventory.unreadable.length > 0 ? 1 : 0;
    });

  program
    .command('rules')
    .description('list the rule catalog')
    .action(() => {
      for (const rule of RULES) {
        io.stdout(`${rule.meta.id.padEnd(42)} ${rule.meta.defaultSeverity.padEnd(8)} ${rule.meta.fix.padEnd(12)} ${rule.meta.title}\n`);
      }
    });

  registerFix(program, io, (code) => (exitCode = code));
  registerExplain(program, textIo, (code) => (exitCode = code));

  try {
    await program.parseAsync([...argv], { from: 'node' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof InputError || error instanceof NothingToAuditError || error instanceof ConfigError || error instanceof UsageError || error instanceof LiveUsageError || error instanceof ExplainUsageError || error instanceof IntentError) {
      io.stderr(`peerguard: ${redactSecrets(error.message)}\n`);
      return 2;
    }
    io.stderr(`peerguard: unexpected error: ${redactSecrets((error as Error).message)}\n`);
    return 2;
  }
}
