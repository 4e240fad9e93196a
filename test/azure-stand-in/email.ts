import { randomUUID } from 'node:crypto';
import { armError, type Ctx, type Reply, type Route } from './http';
import type { Json, SentEmail } from './state';

// Azure Communication Services email: POST /emails:send → 202 with an absolute Operation-Location;
// GET of that URL → Running (for `emailRunningPolls` polls), then the outcome (Succeeded unless an
// outcome was queued with `EmailControl.failNext`). HMAC requests must carry x-ms-date,
// x-ms-content-sha256 and an `HMAC-SHA256` Authorization header; the signature is not verified.
// Bearer tokens (identity auth) are accepted too.

interface EmailOperation {
  id: string;
  pollsLeft: number;
  outcome: { status: 'Succeeded' } | { status: 'Failed' | 'Canceled'; error: { code: string; message: string } };
}

/** Controls of the email part, exposed as `standIn.email`. */
export class EmailControl {
  /** Accepted messages, in arrival order (the same array as `standIn.state.emails`). */
  readonly sent: SentEmail[];
  private readonly operations = new Map<string, EmailOperation>();
  private readonly queuedFailures: Array<{ code: string; message: string; status: 'Failed' | 'Canceled' }> = [];

  constructor(
    sent: SentEmail[],
    private readonly endpointOf: () => string,
  ) {
    this.sent = sent;
  }

  /** `endpoint=https://127.0.0.1:PORT/;accesskey=...` for `new EmailClient(connectionString, { tlsOptions: { ca } })`. */
  get connectionString(): string {
    return `endpoint=${this.endpointOf()}/;accesskey=${Buffer.from('stand-in-access-key').toString('base64')}`;
  }

  /** The next `times` accepted sends end `Failed` (or `Canceled`) when polled, like `EmailDropped`. */
  failNext(times = 1, error: { code?: string; message?: string; status?: 'Failed' | 'Canceled' } = {}): void {
    for (let i = 0; i < times; i += 1) {
      this.queuedFailures.push({ code: error.code ?? 'EmailDropped', message: error.message ?? 'Email was dropped after several attempts to deliver.', status: error.status ?? 'Failed' });
    }
  }

  /** Forget sent mail, operations and queued failures. */
  reset(): void {
    this.sent.length = 0;
    this.operations.clear();
    this.queuedFailures.length = 0;
  }

  send(ctx: Ctx): Reply {
    if (!ctx.query['api-version']) return armError(400, 'MissingApiVersion', 'api-version is required');
    const auth = String(ctx.headers.authorization ?? '');
    const hmac = /^HMAC-SHA256\s/i.test(auth);
    if (hmac && (!ctx.headers['x-ms-date'] || !ctx.headers['x-ms-content-sha256'])) {
      return { status: 401, body: { error: { code: 'Denied', message: 'HMAC auth needs x-ms-date and x-ms-content-sha256 headers.' } } };
    }
    if (!hmac && !/^Bearer\s+\S+/i.test(auth)) return { status: 401, body: { error: { code: 'Denied', message: 'Denied by the resource provider.' } } };
    const body = ctx.body ?? {};
    const content = (body.content ?? {}) as Json;
    const recipients = (body.recipients ?? {}) as Json;
    const addresses = (v: unknown): string[] => (Array.isArray(v) ? v.map((r) => String((r as Json).address ?? '')) : []);
    const to = addresses(recipients.to);
    if (typeof body.senderAddress !== 'string' || typeof content.subject !== 'string' || to.length + addresses(recipients.cc).length + addresses(recipients.bcc).length === 0) {
      return { status: 400, body: { error: { code: 'BadRequest', message: 'senderAddress, content.subject and at least one recipient are required.' } } };
    }
    const header = ctx.headers['operation-id'];
    const id = typeof header === 'string' && header !== '' ? header : randomUUID();
    if (!this.operations.has(id)) {
      const failure = this.queuedFailures.shift();
      this.operations.set(id, {
        id,
        pollsLeft: ctx.options.emailRunningPolls,
        outcome: failure ? { status: failure.status, error: { code: failure.code, message: failure.message } } : { status: 'Succeeded' },
      });
      this.sent.push({
        id,
        senderAddress: body.senderAddress,
        to,
        cc: addresses(recipients.cc),
        bcc: addresses(recipients.bcc),
        subject: content.subject,
        ...(typeof content.plainText === 'string' ? { plainText: content.plainText } : {}),
        ...(typeof content.html === 'string' ? { html: content.html } : {}),
        attachments: Array.isArray(body.attachments) ? (body.attachments as SentEmail['attachments']) : [],
        raw: body,
        receivedAt: new Date(),
        auth: hmac ? 'hmac' : 'bearer',
      });
    }
    const location = `${ctx.endpoint}/emails/operations/${id}?api-version=${encodeURIComponent(ctx.query['api-version'])}`;
    return { status: 202, headers: { 'Operation-Location': location, 'operation-id': id }, body: { id, status: 'Running' } };
  }

  poll(ctx: Ctx, id: string): Reply {
    const op = this.operations.get(id);
    if (!op) return { status: 404, body: { error: { code: 'NotFound', message: `Operation ${id} not found.` } } };
    if (op.pollsLeft > 0) {
      op.pollsLeft -= 1;
      return { status: 200, body: { id, status: 'Running' } };
    }
    return { status: 200, body: { id, ...op.outcome } };
  }
}

export function emailRoute(method: string, path: string, control: EmailControl): Route | undefined {
  if (method === 'POST' && /^\/emails:send\/?$/i.test(path)) return { kind: 'emailSend', subscriptions: [], handle: (ctx) => control.send(ctx) };
  const op = /^\/emails\/operations\/([^/]+)$/i.exec(path);
  if (method === 'GET' && op) return { kind: 'emailOperation', subscriptions: [], handle: (ctx) => control.poll(ctx, decodeURIComponent(op[1] ?? '')) };
  return undefined;
}
