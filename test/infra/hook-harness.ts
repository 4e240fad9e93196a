// What the azd hook tests share (predown-hook.test.ts, event-subscriptions-hook.test.ts): a hook runs
// as azd runs it, a Node process given the azd env values, here with a stand-in `azd` first on PATH
// and a stand-in Resource Manager on the loopback interface.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, beforeEach } from 'vitest';

export type Reply = { status: number; body: unknown };
export type ArmRequest = { method: string; path: string; authorization: string | undefined };
export type HookRun = { status: number | null; stdout: string; stderr: string; azd: string[][] };

/** The tenant of the environments azdEnv() describes. */
export const TENANT = '33333333-3333-3333-3333-333333333333';

/** What the stand-in Resource Manager answers for a path no route names. */
export const notFound: Reply = { status: 404, body: { error: { code: 'ResourceNotFound' } } };

/**
 * The stand-in azd: records its arguments in FAKE_AZD_LOG, one JSON array a line. Every call fails
 * with FAKE_AZD_FAIL set; `azd env ...` succeeds quietly (fails with FAKE_AZD_ENV_SET_FAIL set);
 * anything else (`azd auth token`) prints a token.
 */
const FAKE_AZD = [
  '#!/usr/bin/env node',
  "const fs = require('node:fs');",
  "fs.appendFileSync(process.env.FAKE_AZD_LOG, JSON.stringify(process.argv.slice(2)) + '\\n');",
  "if (process.env.FAKE_AZD_FAIL) { process.stderr.write('ERROR: not logged in, run `azd auth login`'); process.exit(1); }",
  "if (process.argv[2] === 'env' && process.env.FAKE_AZD_ENV_SET_FAIL) { process.stderr.write('ERROR: environment not found'); process.exit(1); }",
  "if (process.argv[2] === 'env') process.exit(0);",
  "process.stdout.write(JSON.stringify({ token: 't0k3n', expiresOn: '2030-01-01T00:00:00Z' }));",
].join('\n');

export interface HookHarness {
  /** The stand-in Resource Manager's endpoint (known once the file's tests begin). */
  readonly endpoint: string;
  /**
   * Replies by `path?page` (the `page` query parameter, empty when absent), else by path; a list is
   * answered in turn, its last reply repeated; anything else is `notFound`. Emptied before each test.
   */
  readonly routes: Map<string, Reply | Reply[]>;
  /** What the stand-in Resource Manager received, in order. Emptied before each test. */
  readonly requests: ArmRequest[];
  /**
   * The azd env values of an environment named staging, in tenant 3333…, on the stand-in Resource
   * Manager, with `values` and then `overrides` applied (an override of undefined unsets the value).
   */
  azdEnv(values: Record<string, string>, overrides?: Record<string, string | undefined>): Record<string, string>;
  /** Forgets the azd calls recorded so far (done before each test too). */
  clearAzdLog(): void;
  /**
   * Runs `hook` as azd does, asynchronously (the stand-in Resource Manager answers from this
   * process): `values` are the azd env values, `extra` more environment (FAKE_AZD_* switches).
   * `azd` is every call of the stand-in azd recorded since the log was last cleared.
   */
  run(values: Record<string, string>, extra?: Record<string, string>): Promise<HookRun>;
}

/** The stand-ins for the test file's tests, and a runner of `hook` against them. */
export function hookHarness(hook: string): HookHarness {
  const routes = new Map<string, Reply | Reply[]>();
  const requests: ArmRequest[] = [];
  let server: Server | undefined;
  let endpoint = '';
  let bin = '';
  const log = () => join(bin, 'log');
  const clearAzdLog = () => writeFileSync(log(), '');

  beforeAll(async () => {
    const listening = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      requests.push({ method: req.method ?? '', path: url.pathname, authorization: req.headers.authorization });
      const route = routes.get(`${url.pathname}?${url.searchParams.get('page') ?? ''}`) ?? routes.get(url.pathname);
      const reply = Array.isArray(route) ? (route.length > 1 ? route.shift()! : route[0]!) : (route ?? notFound);
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply.body));
    });
    server = listening;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(listening.address() as AddressInfo).port}/`;
    bin = mkdtempSync(join(tmpdir(), 'peerguard-azd-'));
    writeFileSync(join(bin, 'azd'), FAKE_AZD);
    chmodSync(join(bin, 'azd'), 0o755);
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    if (bin) rmSync(bin, { recursive: true, force: true });
  });

  beforeEach(() => {
    routes.clear();
    requests.length = 0;
    clearAzdLog();
  });

  const run = (values: Record<string, string>, extra: Record<string, string> = {}): Promise<HookRun> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [hook], {
        env: { PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`, FAKE_AZD_LOG: log(), ...extra, ...values },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (status) => {
        const azd = readFileSync(log(), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as string[]);
        resolve({ status, stdout, stderr, azd });
      });
    });

  return {
    get endpoint() {
      return endpoint;
    },
    routes,
    requests,
    azdEnv(values, overrides = {}) {
      const env = { AZURE_ENV_NAME: 'staging', AZURE_TENANT_ID: TENANT, AZURE_RESOURCE_MANAGER_ENDPOINT: endpoint, ...values, ...overrides };
      return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
    },
    clearAzdLog,
    run,
  };
}
