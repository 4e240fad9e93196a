import { createHash } from 'node:crypto';
import type { EmailClient } from '@azure/communication-email';
import type { Severity } from '../rules/rule';

// Sending through Azure Communication Services email: begin the send, poll until the operation is
// done, and treat anything but Succeeded as a failure (the caller keeps the alert pending).

export interface MailAttachment {
  name: string;
  contentType: string;
  content: string | Buffer;
}

export interface MailMessage {
  to: string[];
  subject: string;
  html: string;
  text: string;
  attachments?: MailAttachment[];
  /** Idempotency: the same id for a retried send of the same mail (Communication Services' Operation-Id). */
  operationId?: string;
}

export interface SendOptions {
  /** Stops the send and its status polls (an invocation's deadline): the outcome is then unknown. */
  signal?: AbortSignal;
}

export interface Mailer {
  send(message: MailMessage, options?: SendOptions): Promise<{ id: string }>;
}

export type Recipients = Record<Severity, string[]>;

/** A UUID-shaped id derived from the text: a stable Operation-Id for one mail. */
export function operationIdFor(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class SendError extends Error {
  /**
   * The service reported the send's final outcome (e.g. Failed). Otherwise (no answer, a failed status
   * poll) it may have been delivered: a retry must reuse the Operation-Id so that it is not sent twice.
   */
  readonly definitive: boolean;

  constructor(message: string, options?: { cause?: unknown; definitive?: boolean }) {
    super(message, options);
    this.name = 'SendError';
    this.definitive = options?.definitive ?? false;
  }
}

const LRO_ENDED = /^The long-running operation has failed|^Operation was canceled/;

export class CommunicationMailer implements Mailer {
  constructor(
    private readonly client: EmailClient,
    private readonly sender: string,
    private readonly pollIntervalMs = 1_000,
  ) {}

  async send(message: MailMessage, options: SendOptions = {}): Promise<{ id: string }> {
    if (message.to.length === 0) throw new SendError('no recipients');
    let result;
    let poller: Awaited<ReturnType<EmailClient['beginSend']>> | undefined;
    try {
      poller = await this.client.beginSend(
        {
          senderAddress: this.sender,
          content: { subject: message.subject, plainText: message.text, html: message.html },
          recipients: { to: message.to.map((address) => ({ address })) },
          attachments: (message.attachments ?? []).map((a) => ({
            name: a.name,
            contentType: a.contentType,
            contentInBase64: Buffer.from(a.content).toString('base64'),
          })),
        },
        {
          updateIntervalInMs: this.pollIntervalMs,
          ...(message.operationId ? { operationId: message.operationId } : {}),
          ...(options.signal ? { abortSignal: options.signal } : {}),
        },
      );
      // An abort ends the polls with the operation still running: an unknown outcome, not a failure.
      result = await poller.pollUntilDone(options.signal ? { abortSignal: options.signal } : undefined);
    } catch (error) {
      // core-lro throws this (from beginSend's first poll or later) when the service ended the operation
      // Failed or Canceled: a reported outcome. Anything else (no answer, a failed poll) is unknown.
      const status = poller?.getOperationState().status;
      const definitive = status === 'failed' || status === 'canceled' || LRO_ENDED.test((error as Error)?.message ?? '');
      throw new SendError(`email "${message.subject}" was not sent: ${(error as Error).message}`, { cause: error, definitive });
    }
    if (result.status !== 'Succeeded') {
      throw new SendError(`email "${message.subject}" ended ${result.status}${result.error?.message ? `: ${result.error.message}` : ''}`, { definitive: true });
    }
    return { id: result.id };
  }
}
