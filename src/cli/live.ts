import { groupBy } from '../collections';
import type { TokenCredential } from '@azure/core-auth';
import { fstatSync, type Stats } from 'node:fs';
import { access, chmod, constants, lstat, readlink, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { CloudError, createCredential, isCredentialError, resolveCloud, ResourceGraphInventory, type AzureConnection, type RetrySettings } from '../azure';
import { managementGroupIdProblem } from '../config/app-settings';
import type { SnapshotFilesRead } from '../io/snapshot-files';
import { GUID } from '../model/ids';
import type { AuditScope, Inventory, InventoryProgress } from '../ports';
import { describeAuditScope, firstFew } from '../report/report';

// The live wiring of the CLI: `audit --live` and `export --live` read the estate through Resource
// Graph with the identity DefaultAzureCredential finds (az login, environment, managed identity).

export interface LiveOptions {
  live?: boolean;
  subscription: string[];
  managementGroup?: string;
  endpoint?: string;
  cloud?: string;
}

/** What tests (or an embedding program) may substitute: the credential, a trusted CA, retry pacing. */
export interface AzureCliOverrides {
  credential?: TokenCredential;
  ca?: string;
  retry?: Partial<RetrySettings>;
  requestTimeoutMs?: number;
  pageAttempts?: number;
  backoffMs?: number;
  /** Poll interval of long-running writes (remediation) when ARM sends no Retry-After. */
  pollIntervalMs?: number;
}

export class LiveUsageError extends Error {}

/** `-o ''` names no file: refused, not taken as stdout (which only `-o -` or no -o means). */
function checkOutputNamed(output: string | undefined): void {
  if (output === '') throw new LiveUsageError('-o needs a file name');
}

/**
 * Options that make sense only for a live read are refused without --live instead of being
 * ignored, and every --subscription must be a subscription id (a GUID): one that is not can match
 * nothing, so the audit would silently treat it as read and empty. An empty `-o` (export) is
 * refused here, before any read.
 */
export function checkInputOptions(options: LiveOptions & { output?: string }): void {
  checkOutputNamed(options.output);
  // An empty name would read every subscription the identity sees instead of the group's.
  if (options.managementGroup === '') throw new LiveUsageError('--management-group is empty: name a management group, or leave the option out to read the whole tenant');
  // Checked as the Functions app checks PEERGUARD_MANAGEMENT_GROUP: a resource id or a display name
  // would be sent to Resource Graph as is, refused there, and leave nothing audited.
  const groupProblem = options.managementGroup !== undefined ? managementGroupIdProblem(options.managementGroup) : undefined;
  if (groupProblem) throw new LiveUsageError(`--management-group ${JSON.stringify(options.managementGroup)}: ${groupProblem}`);
  for (const id of options.subscription) {
    if (!GUID.test(id)) throw new LiveUsageError(`--subscription "${id}" is not a subscription id (a GUID such as 00000000-0000-0000-0000-000000000000)`);
  }
  if (options.live) return;
  const liveOnly = [options.managementGroup !== undefined && '--management-group', options.cloud !== undefined && '--cloud', options.endpoint !== undefined && '--endpoint'].filter(Boolean);
  if (liveOnly.length > 0) throw new LiveUsageError(`${liveOnly.join(', ')} ${liveOnly.length === 1 ? 'applies' : 'apply'} only with --live`);
}

/** The file `output` names: symbolic links followed, also to a file that does not exist yet. */
async function outputTarget(output: string): Promise<string> {
  let path = output;
  // 40: Linux's limit of links followed in one path lookup (ELOOP beyond it).
  for (let hops = 0; hops < 40; hops += 1) {
    if (!(await lstat(path).catch(() => undefined))?.isSymbolicLink()) return path;
    path = resolve(dirname(path), await readlink(path));
  }
  throw new LiveUsageError(`cannot write ${output}: symbolic link loop (too many levels of links)`);
}

/**
 * Whether `info` is this process's stdout (`-o /dev/stdout`, `/dev/fd/1`): written through stdout as
 * `-o -` is, whatever it is (a socket cannot be reopened by path; a file opened for appending stays so).
 */
function isStdout(info: Stats): boolean {
  try {
    const stdout = fstatSync(1);
    return stdout.dev === info.dev && stdout.ino === info.ino;
  } catch {
    return false; // stdout is closed
  }
}

/**
 * What `-o` names now, every link followed by the kernel: /proc/self/fd links (/dev/stdout,
 * /dev/fd/N, `>(…)`) may read as `pipe:[…]`, which no path lookup of ours could follow.
 */
async function existingOutput(output: string): Promise<Stats | undefined> {
  return stat(output).catch(() => undefined);
}

/**
 * Fails before a long live read when the output could not be written afterwards, or should not
 * be: an existing file its owner made read-only is refused, although the write (a new file renamed
 * over it) would replace it regardless of its mode.
 */
export async function checkOutputWritable(output: string): Promise<void> {
  const existing = await existingOutput(output);
  if (existing && isStdout(existing)) return;
  if (existing?.isDirectory()) throw new LiveUsageError(`cannot write ${output}: it is a directory`);
  if (existing && !existing.isFile()) {
    // A FIFO or a device is written in place (writeSnapshot).
    // open(2) refuses a socket (ENXIO): the write would fail only after the read.
    if (existing.isSocket()) throw new LiveUsageError(`cannot write ${output}: it is a socket, which cannot be opened as a file (use -o - to write to stdout)`);
    try {
      await access(output, constants.W_OK);
    } catch {
      throw new LiveUsageError(`cannot write ${output}: it is not writable`);
    }
    return;
  }
  const target = await outputTarget(output);
  if (existing) {
    try {
      await access(target, constants.W_OK);
    } catch {
      throw new LiveUsageError(`cannot write ${output}: it is read-only`);
    }
  }
  const directory = dirname(target);
  let info;
  try {
    info = await stat(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new LiveUsageError(`cannot write ${output}: directory ${directory} does not exist`);
  }
  if (!info?.isDirectory()) throw new LiveUsageError(`cannot write ${output}: ${directory} is not a directory`);
  try {
    await access(directory, constants.W_OK);
  } catch {
    throw new LiveUsageError(`cannot write ${output}: ${directory} is not writable`);
  }
}

export function scopeFrom(options: LiveOptions): AuditScope {
  if (options.managementGroup && options.subscription.length > 0) throw new LiveUsageError('use --subscription or --management-group, not both');
  if (options.managementGroup) return { kind: 'managementGroup', managementGroupId: options.managementGroup };
  if (options.subscription.length > 0) return { kind: 'subscriptions', subscriptionIds: options.subscription };
  return { kind: 'tenant' };
}

/** The scope of a live read in words, for messages: "subscriptions a, b", "management group mg", "the tenant ...". */
export function describeScope(options: LiveOptions): string {
  return describeAuditScope(scopeFrom(options));
}

function progressPrinter(write: (text: string) => void): (p: InventoryProgress) => void {
  return (p) => {
    const subs = p.subscriptionsTotal !== undefined ? `, subscriptions ${p.subscriptionsDone ?? 0}/${p.subscriptionsTotal}` : '';
    write(`\rpeerguard: Resource Graph pages ${p.pages}, rows ${p.rows}${subs}   `);
  };
}

/** The connection the live commands use: the cloud (and endpoint override), the credential, and test overrides. */
export function liveConnection(options: Pick<LiveOptions, 'cloud' | 'endpoint'>, overrides: AzureCliOverrides = {}): AzureConnection {
  // A flag wins over its environment variable; an empty variable is unset, as in the Functions app's settings.
  const cloudName = options.cloud ?? (process.env.PEERGUARD_CLOUD || undefined);
  const endpoint = options.endpoint ?? (process.env.PEERGUARD_ARM_ENDPOINT || undefined);
  let cloud;
  try {
    cloud = resolveCloud(cloudName ?? 'AzurePublicCloud', endpoint);
  } catch (error) {
    if (!(error instanceof CloudError)) throw error;
    // The message names where the bad value came from: a flag, or an environment variable set long ago.
    const source =
      error.subject === 'cloud'
        ? options.cloud !== undefined ? '--cloud' : 'environment variable PEERGUARD_CLOUD'
        : options.endpoint !== undefined ? '--endpoint' : 'environment variable PEERGUARD_ARM_ENDPOINT';
    throw new LiveUsageError(`${source}: ${error.message}`);
  }
  return {
    cloud,
    credential: overrides.credential ?? createCredential({ cloud, managedIdentityClientId: process.env.AZURE_CLIENT_ID }),
    ...(overrides.ca ? { ca: overrides.ca } : {}),
    ...(overrides.retry ? { retry: overrides.retry } : {}),
    ...(overrides.requestTimeoutMs ? { requestTimeoutMs: overrides.requestTimeoutMs } : {}),
  };
}

/**
 * Reads the live estate for the options given; progress on stderr when it is a terminal, through
 * `io.progress` when given (the line is redrawn with '\r', which an escaping stderr would not pass).
 */
export async function readLiveInventory(
  options: LiveOptions,
  io: { stderr: (text: string) => void; stderrIsTty?: boolean; progress?: (text: string) => void; azure?: AzureCliOverrides },
): Promise<Inventory> {
  const scope = scopeFrom(options);
  const overrides = io.azure ?? {};
  const connection = liveConnection(options, overrides);
  // A read that got nothing because no credential ever got a token says how to get one.
  let gotToken = false;
  let tokenFailure: unknown;
  const credential: TokenCredential = {
    getToken: async (scopes, tokenOptions) => {
      try {
        const token = await connection.credential.getToken(scopes, tokenOptions);
        gotToken = true;
        return token;
      } catch (error) {
        tokenFailure = error;
        throw error;
      }
    },
  };
  const reader = new ResourceGraphInventory({
    ...connection,
    credential,
    ...(overrides.pageAttempts ? { pageAttempts: overrides.pageAttempts } : {}),
    ...(overrides.backoffMs !== undefined ? { backoffMs: overrides.backoffMs } : {}),
  });
  const progressLine = io.progress ?? io.stderr;
  const onProgress = io.stderrIsTty ? progressPrinter(progressLine) : undefined;
  const inventory = await reader.readInventory(scope, onProgress);
  if (onProgress) progressLine('\n');
  // One line per reason: a refused token or an outage gives every subscription the same one.
  for (const [reason, unreadable] of groupBy(inventory.unreadable, (u) => u.reason)) io.stderr(`peerguard: not read: ${firstFew(unreadable.map((u) => u.scope))}: ${reason}\n`);
  if (inventory.subscriptions.length === 0 && !gotToken && isCredentialError(tokenFailure)) {
    io.stderr('peerguard: no credential got a token: sign in with az login, set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or run with a managed identity\n');
  }
  return inventory;
}

/**
 * What snapshot files say beside their resources, one stderr line each: warnings about the files
 * (one named as an input that holds nothing), then the scopes a snapshot records as not read
 * (`export --live` of a partial read).
 */
export function printSnapshotNotes({ unreadable, warnings }: SnapshotFilesRead, stderr: (text: string) => void): void {
  for (const w of warnings) stderr(`peerguard: warning: ${w}\n`);
  for (const u of unreadable) stderr(`peerguard: not read (as the snapshot records): ${u.scope}: ${u.reason}\n`);
}

/**
 * Writes `text` to the regular file `output` names (or a new one) beside it and renames it over:
 * a failed write leaves the old file whole. A link is followed (the file it names is replaced) and
 * an existing file keeps its mode.
 */
async function replaceFile(output: string, text: string): Promise<void> {
  const target = await outputTarget(output);
  const mode = (await stat(target).catch(() => undefined))?.mode;
  const partial = `${target}.${process.pid}.partial`;
  try {
    await writeFile(partial, text, 'utf8');
    if (mode !== undefined) await chmod(partial, mode & 0o7777);
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { force: true });
    throw new LiveUsageError(`cannot write ${output}: ${(error as Error).message}`);
  }
}

/**
 * `export --live -o FILE`: a snapshot `audit --input` reads back (a Resource Graph `{ data: [...] }`
 * document). A partial read does not replace an existing file: it is written beside it, as
 * `<name>.partial`, and stderr names both.
 */
export async function writeSnapshot(inventory: Inventory, output: string | undefined, io: { stdout: (text: string) => void; stderr: (text: string) => void }): Promise<void> {
  checkOutputNamed(output);
  // Subscriptions read appear as Azure's own subscription rows, so that an empty one still counts as read.
  const containers = inventory.subscriptions.map((s) => ({ id: `/subscriptions/${s}`, type: 'Microsoft.Resources/subscriptions', subscriptionId: s }));
  const document = {
    data: [...containers, ...inventory.resources.map((r) => r.resource)],
    count: inventory.resources.length,
    subscriptions: inventory.subscriptions,
    unreadable: inventory.unreadable,
  };
  const text = `${JSON.stringify(document, null, 2)}\n`;
  const existing = output && output !== '-' ? await existingOutput(output) : undefined;
  if (!output || output === '-' || (existing && isStdout(existing))) return io.stdout(text);
  if (existing && !existing.isFile()) {
    // A FIFO or a device is written in place: a file renamed over it would take its place (as root, over /dev/null).
    try {
      await writeFile(output, text, 'utf8');
    } catch (error) {
      throw new LiveUsageError(`cannot write ${output}: ${(error as Error).message}`);
    }
    return;
  }
  if (existing && inventory.unreadable.length > 0) {
    // The file there may be a complete snapshot: a partial one must not take its place.
    // Not a .json name: a directory audit (which reads .json files only) must not merge it with the
    // snapshot kept; named with --input, it is read like any file.
    const beside = `${output}.partial`;
    await replaceFile(beside, text);
    io.stderr(`peerguard: the read was partial: ${output} was kept as it was; the partial snapshot was written to ${beside}\n`);
    return;
  }
  await replaceFile(output, text);
}
