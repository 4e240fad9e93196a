import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationIdFor, SendError } from '../../src/alerts/mailer';
import { mailerFrom } from '../../src/functions/composition';
import { loadAppSettings } from '../../src/config/app-settings';
import { startStandIn, type StandIn } from '../azure-stand-in';

// CommunicationMailer with a signal (the event path's deadline): the send and its status polls stop
// when it aborts, as an unknown outcome (the service may have accepted the mail), and the retry under
// the same Operation-Id is de-duplicated by the service (here the stand-in, which does the same).

describe('CommunicationMailer: an aborted send (stand-in)', () => {
  let standIn: StandIn;
  beforeAll(async () => {
    // The operation stays Running for 40 status polls (20 ms apart): the abort comes first.
    standIn = await startStandIn({ options: { emailRunningPolls: 40 } });
  }, 60_000);
  afterAll(async () => {
    await standIn?.stop();
  });

  it('stops polling at the abort with a SendError of unknown outcome; the resend under the same Operation-Id sends no second mail', async () => {
    const settings = loadAppSettings({
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      PEERGUARD_EMAIL_CONNECTION_STRING: standIn.email.connectionString,
      PEERGUARD_EMAIL_SENDER: 'peerguard@contoso.example',
    });
    const mailer = mailerFrom(settings, { ca: standIn.ca, pollIntervalMs: 20 });
    if (!mailer) throw new Error('no mailer');
    const message = { to: ['netops@contoso.example'], subject: 'aborted', html: '<p>x</p>', text: 'x', operationId: operationIdFor('aborted-send') };

    const started = Date.now();
    const failure = await mailer.send(message, { signal: AbortSignal.timeout(200) }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(Date.now() - started).toBeLessThan(600);
    expect(failure).toBeInstanceOf(SendError);
    expect((failure as SendError).definitive).toBe(false);
    expect(standIn.email.sent).toHaveLength(1);

    await expect(mailer.send(message)).resolves.toMatchObject({ id: message.operationId });
    expect(standIn.email.sent).toHaveLength(1);
  });
});
