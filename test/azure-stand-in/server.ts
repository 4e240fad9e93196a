import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { generate } from 'selfsigned';
import { armRoute } from './arm';
import { EmailControl, emailRoute } from './email';
import { Faults } from './faults';
import { armError, type Ctx, type Reply, type Route, type StandInOptions } from './http';
import { managementGroupsRoute } from './management-groups';
import { RequestLog } from './requests';
import { resourceGraphRoute } from './resource-graph';
import { StandInState, type Json } from './state';

// The HTTPS server and router: a self-signed certificate made in-process (IP SAN 127.0.0.1),
// bound to 127.0.0.1 on a free port. Each request is classified (Resource Graph, management
// groups, ARM, email), logged, passed through the armed faults, then answered from the state.

export interface StandInConfig {
  /** Azure JSON as in snapshots: ARM resources (VNets with inline peerings, gateways, ...). */
  resources?: readonly unknown[];
  /** Subscriptions that exist even if they hold nothing. */
  subscriptions?: readonly string[];
  /** Management group name → subscription ids under it (those of its child groups are added to it). */
  managementGroups?: Record<string, readonly string[]>;
  /** Child management group → its parent, for a hierarchy (Get Descendants lists the child groups too). */
  managementGroupParents?: Record<string, string>;
  options?: Partial<Omit<StandInOptions, 'quota'>> & { quota?: Partial<StandInOptions['quota']> };
}

export interface StandIn {
  /** `https://127.0.0.1:PORT` (no trailing slash): the ARM, Resource Graph and email endpoint. */
  endpoint: string;
  /** PEM of the self-signed certificate: pass as `tlsOptions: { ca }` (or write it for NODE_EXTRA_CA_CERTS). */
  ca: string;
  state: StandInState;
  requests: RequestLog;
  faults: Faults;
  email: EmailControl;
  options: StandInOptions;
  /** A credential whose token the stand-in accepts (any non-empty bearer token is accepted). */
  credential: { getToken: () => Promise<{ token: string; expiresOnTimestamp: number }> };
  stop(): Promise<void>;
}

let certificate: Promise<{ key: string; cert: string }> | undefined;

/** One certificate per process (generation costs ~100 ms). */
function certificateOnce(): Promise<{ key: string; cert: string }> {
  certificate ??= generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 2 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
    ],
  }).then((pems) => ({ key: pems.private, cert: pems.cert }));
  return certificate;
}

const DEFAULT_OPTIONS: StandInOptions = {
  armPageSize: 50,
  lroInProgressPolls: 1,
  emailRunningPolls: 0,
  resourceGraphForbidden: 'reject',
  quota: { perWindow: 15, windowMs: 5_000, enforce: false },
};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed) return;
  const headers: Record<string, string> = { 'x-ms-request-id': crypto.randomUUID(), ...(reply.headers ?? {}) };
  if (reply.body === undefined) {
    res.writeHead(reply.status, { ...headers, 'Content-Length': '0' });
    res.end();
    return;
  }
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a stand-in on 127.0.0.1 and a free port. Stop it with `stop()` (tests: in afterAll). */
export async function startStandIn(config: StandInConfig = {}): Promise<StandIn> {
  const { key, cert } = await certificateOnce();
  const state = new StandInState(config.resources ?? [], {
    ...(config.subscriptions ? { subscriptions: config.subscriptions } : {}),
    ...(config.managementGroups ? { managementGroups: config.managementGroups } : {}),
    ...(config.managementGroupParents ? { managementGroupParents: config.managementGroupParents } : {}),
  });
  const options: StandInOptions = { ...DEFAULT_OPTIONS, ...config.options, quota: { ...DEFAULT_OPTIONS.quota, ...(config.options?.quota ?? {}) } };
  const faults = new Faults();
  const requests = new RequestLog();
  let endpoint = '';
  const email = new EmailControl(state.emails, () => endpoint);

  const route = (method: string, path: string, body: Json | undefined): Route | undefined =>
    emailRoute(method, path, email) ?? resourceGraphRoute(method, path, body) ?? managementGroupsRoute(method, path) ?? armRoute(method, path);

  const server: Server = createServer({ key, cert }, (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', endpoint);
      const method = (req.method ?? 'GET').toUpperCase();
      const path = decodeURIComponent(url.pathname);
      const query = Object.fromEntries(url.searchParams.entries());
      const text = await readBody(req);
      let body: Json | undefined;
      try {
        body = text ? (JSON.parse(text) as Json) : undefined;
      } catch {
        body = undefined;
      }
      const found = route(method, path, body);
      const kind = found?.kind ?? 'unknown';
      const entry = { kind, method, path, query, status: 0, subscriptions: found?.subscriptions ?? [], body, headers: req.headers, at: new Date() };
      requests.add(entry);

      const isEmail = kind === 'emailSend' || kind === 'emailOperation';
      if (!isEmail && !/^Bearer\s+\S+/i.test(String(req.headers.authorization ?? ''))) {
        entry.status = 401;
        send(res, armError(401, 'AuthenticationFailed', 'Authentication failed. The Authorization header is missing.'));
        return;
      }
      const fault = faults.take(kind, { method, path, subscriptions: entry.subscriptions });
      if (fault?.type === 'drop') {
        req.socket.destroy();
        return;
      }
      if (fault?.type === 'delay') {
        await sleep(fault.ms);
        // The client gave up (its timeout): answer nothing, so that a late request cannot touch
        // state or the Resource Graph quota of whatever test runs next.
        if (req.socket.destroyed) return;
      }
      if (fault?.type === 'status') {
        const headers: Record<string, string> = {};
        if (fault.retryAfterSeconds !== undefined) headers['Retry-After'] = String(fault.retryAfterSeconds);
        if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
        entry.status = fault.status;
        send(res, armError(fault.status, fault.code ?? 'InjectedFault', fault.message ?? 'Injected fault', headers));
        return;
      }
      let reply: Reply;
      if (!found) {
        reply = armError(404, 'NotFound', `The stand-in does not serve ${method} ${path}`);
      } else {
        const ctx: Ctx = { method, path, query, headers: req.headers, body, endpoint, state, faults, options };
        reply = found.handle(ctx);
      }
      entry.status = reply.status;
      if (fault?.type === 'loseAnswer') {
        req.socket.destroy();
        return;
      }
      send(res, reply);
    })().catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) send(res, armError(500, 'StandInError', (error as Error).message));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    endpoint,
    ca: cert,
    state,
    requests,
    faults,
    email,
    options,
    credential: { getToken: async () => ({ token: 'stand-in-token', expiresOnTimestamp: Date.now() + 3_600_000 }) },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
