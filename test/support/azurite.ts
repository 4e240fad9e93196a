import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

// Azurite for tests and the local demo: started from node_modules (the PID held is the server
// itself, not an npx grandchild), on free ports, with its data in a directory that survives a
// restart, so tests can prove that alert state is durable.

const AZURITE_MAIN = path.resolve(__dirname, '../../node_modules/azurite/dist/src/azurite.js');

// Azurite's well-known development account (public, documented; not a secret).
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteInstance {
  /** `DefaultEndpointsProtocol=http;AccountName=...;BlobEndpoint=...;QueueEndpoint=...;TableEndpoint=...` */
  connectionString: string;
  location: string;
  ports: { blob: number; queue: number; table: number };
  /** Stops the server and starts it again on the same directory and ports. */
  restart(): Promise<void>;
  /** Stops the server; removes the directory when it was created here and `keepData` is not set. */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what}: Azurite exited with code ${child.exitCode}`);
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: Azurite did not answer within ${timeoutMs} ms`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

// A free port is only free until someone listens on it: a test server of another worker can take
// it between freePort() and Azurite's listen. A start that loses that race tries new ports.
const PORT_ATTEMPTS = 5;

async function pickPorts(choosePort: () => Promise<number>): Promise<AzuriteInstance['ports']> {
  const chosen = new Set<number>();
  while (chosen.size < 3) chosen.add(await choosePort());
  const [blob, queue, table] = [...chosen] as [number, number, number];
  return { blob, queue, table };
}

export async function startAzurite(
  options: { location?: string; timeoutMs?: number; choosePort?: () => Promise<number> } = {},
): Promise<AzuriteInstance> {
  const owned = options.location === undefined;
  const location = options.location ?? (await mkdtemp(path.join(tmpdir(), 'peerguard-azurite-')));
  const choosePort = options.choosePort ?? freePort;
  let ports = await pickPorts(choosePort);
  const timeoutMs = options.timeoutMs ?? 20_000;
  let child: ChildProcess;
  let stderr = '';

  const launch = async () => {
    stderr = '';
    child = spawn(
      process.execPath,
      [
        AZURITE_MAIN,
        '--silent',
        '--disableTelemetry',
        '--skipApiVersionCheck',
        '--location', location,
        '--blobHost', '127.0.0.1', '--blobPort', String(ports.blob),
        '--queueHost', '127.0.0.1', '--queuePort', String(ports.queue),
        '--tableHost', '127.0.0.1', '--tablePort', String(ports.table),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      for (const port of Object.values(ports)) await waitUntil(() => answers(port), `port ${port}`, timeoutMs, child);
    } catch (error) {
      await stopChild(child);
      throw new Error(`${(error as Error).message}${stderr ? `\n${stderr}` : ''}`, { cause: error });
    }
  };
  for (let attempt = 1; ; attempt++) {
    try {
      await launch();
      break;
    } catch (error) {
      if (attempt === PORT_ATTEMPTS || !stderr.includes('EADDRINUSE')) throw error;
      ports = await pickPorts(choosePort);
    }
  }

  const host = 'http://127.0.0.1';
  const connectionString = [
    'DefaultEndpointsProtocol=http',
    `AccountName=${DEV_ACCOUNT}`,
    `AccountKey=${DEV_KEY}`,
    `BlobEndpoint=${host}:${ports.blob}/${DEV_ACCOUNT}`,
    `QueueEndpoint=${host}:${ports.queue}/${DEV_ACCOUNT}`,
    `TableEndpoint=${host}:${ports.table}/${DEV_ACCOUNT}`,
  ].join(';') + ';';

  return {
    connectionString,
    location,
    ports,
    async restart() {
      await stopChild(child);
      await launch();
    },
    async stop(stopOptions = {}) {
      await stopChild(child);
      if (owned && !stopOptions.keepData) await rm(location, { recursive: true, force: true });
    },
  };
}
