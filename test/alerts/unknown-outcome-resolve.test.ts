import { describe, expect, it } from 'vitest';
import { handleArmEvent } from '../../src/alerts/event-path';
import { SendError, type MailMessage } from '../../src/alerts/mailer';
import { eventPathDeps } from '../../src/functions/composition';
import { eventAbout, RecordingMailer } from '../functions/harness';
import { useAzurite } from '../support/use-azurite';
import { alertingOn, alertSubjects, disconnected, ERROR_MAIL, lifecycleApp, RESOLVED_MAIL, SPOKE_LINK } from './lifecycle-app';

// An open alert whose ERROR mail may have reached the on-call engineer (its outcome unknown, or a
// send that holds its claim and recorded nothing) counts as mailed: when it resolves, the RESOLVED
// mail goes too. Only an open mail known not to have gone out (a failure the service reported, a
// send put off) lets the alert resolve without a mail.

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** A recording mailer whose next send fails with `next`, once. */
class FailingOnce extends RecordingMailer {
  next: Error | undefined;

  override async send(message: MailMessage): Promise<{ id: string }> {
    const error = this.next;
    this.next = undefined;
    if (error) throw error;
    return super.send(message);
  }
}

describe('an open alert whose mail may have gone out, then resolved (Azurite)', () => {
  const azurite = useAzurite();

  it("accepted, its status poll past the event's deadline: the engineer who got the ERROR also gets the RESOLVED (the reviewer's case)", async () => {
    const a = lifecycleApp(azurite().connectionString);
    await a.event(SPOKE_LINK, 'learn');
    a.estate.spokePeeringDeleted();
    const send = a.mailer.send.bind(a.mailer);
    // Accepted (delivered), then the status poll hangs past the event's deadline.
    a.mailer.send = async (message: MailMessage) => {
      a.mailer.sent.push(message);
      return new Promise<never>(() => undefined);
    };
    a.at(10);
    const deps = { ...eventPathDeps(a.adapters, quiet), deadlineMs: 1_500, mailMinMs: 100 };
    const deleted = await handleArmEvent(deps, eventAbout(SPOKE_LINK, 'delete', 'deleted'));
    expect(deleted.outcome?.failed).toHaveLength(1);
    expect(await a.row()).toMatchObject({ status: 'open', pendingOpen: true, openOutcomeUnknown: true });
    a.mailer.send = send;

    // Fixed 20 s later, before alertFlush's next run resent the open mail.
    a.estate.healthy();
    a.at(30);
    const [fixed] = await a.event(SPOKE_LINK, 'recreated');
    expect(fixed?.outcome?.sent.map((m) => m.kind)).toEqual(['resolved']);
    for (let s = 60; s <= 600; s += 60) {
      a.at(s);
      await a.flush();
    }
    expect(alertSubjects(a.mailer.sent)).toEqual([ERROR_MAIL, RESOLVED_MAIL]);
    expect(await a.row()).toMatchObject({ status: 'resolved', pendingOpen: false, pendingResolved: false });
  });

  it('a send that got no answer (not the service\'s verdict): its resolution is mailed', async () => {
    const mailer = new FailingOnce();
    const { store, apply } = alertingOn(azurite().connectionString, mailer);
    mailer.next = new SendError('email was not sent: socket hang up');
    await apply(10, [disconnected]);
    expect(await store.get(disconnected.fingerprint)).toMatchObject({ pendingOpen: true, openOutcomeUnknown: true, mailedOpenAt: undefined });
    const outcome = await apply(30, []);
    expect(outcome.sent.map((m) => m.kind)).toEqual(['resolved']);
    expect(alertSubjects(mailer.sent)).toEqual([RESOLVED_MAIL]);
  });

  it('sent, but its outcome not recorded and its claim still held: the flush after the claim mails the resolution', async () => {
    const mailer = new RecordingMailer();
    const { store, alerting, at, apply } = alertingOn(azurite().connectionString, mailer);
    // The outcome's write fails (storage unavailable): the row stays owed, under the sender's claim.
    const replace = store.replace.bind(store);
    let failures = 1;
    store.replace = async (row) => {
      if (failures-- > 0) throw Object.assign(new Error('Service Unavailable'), { statusCode: 503 });
      return replace(row);
    };
    await apply(10, [disconnected]);
    expect(alertSubjects(mailer.sent)).toEqual([ERROR_MAIL]);
    expect(await store.get(disconnected.fingerprint)).toMatchObject({ pendingOpen: true, mailedOpenAt: undefined });

    at(30);
    const resolved = await apply(30, []);
    // The claim is the sender's: the resolution waits for it, then goes with a flush.
    expect(resolved.sent).toEqual([]);
    expect(await store.get(disconnected.fingerprint)).toMatchObject({ status: 'resolved', pendingResolved: true });
    at(300);
    expect((await alerting.flushPending()).sent.map((m) => m.kind)).toEqual(['resolved']);
    expect(alertSubjects(mailer.sent)).toEqual([ERROR_MAIL, RESOLVED_MAIL]);
  });

  it('an open mail the service reported failed was never seen: the alert resolves without a mail', async () => {
    const mailer = new FailingOnce();
    const { store, alerting, at, apply } = alertingOn(azurite().connectionString, mailer);
    mailer.next = new SendError('email ended Failed', { definitive: true });
    await apply(10, [disconnected]);
    const outcome = await apply(30, []);
    expect(outcome.sent).toEqual([]);
    at(3_600);
    await alerting.flushPending();
    expect(mailer.sent).toEqual([]);
    expect(await store.get(disconnected.fingerprint)).toMatchObject({ status: 'resolved', pendingOpen: false, pendingResolved: false });
  });
});
