import { describe, expect, it } from 'vitest';

import { eventGridTrigger } from '../../src/functions/eventGridTrigger';
import { keyOf } from '../../src/model/ids';
import type { RawResource } from '../../src/model/snapshot';
import type { Inventory } from '../../src/ports';
import { vnet, vnetId } from '../support/estate';
import { context, eventAbout, install, RecordingMailer, SUB, testEnv } from '../functions/harness';
import { useAzurite } from '../support/use-azurite';

// A storage write that fails half-way through an event's alert writes: the event is retried within
// the invocation, and every alert it opened must still be mailed by the invocation that
// acknowledges the event. The rows written before the failure carry this invocation's short claim
// on their mail; a retry finds them open and claimed, so only the failed attempt can send them.

const A = vnetId('vnet-a', SUB);
const B = vnetId('vnet-b', SUB);

describe('an alert write that fails after others landed (Azurite)', () => {
  const azurite = useAzurite();

  it('mails what the landed writes opened, and the retry mails the rest: each alert once', async () => {
    let estate: RawResource[] = [vnet({ id: A, prefixes: ['10.1.0.0/16'], peerings: [{ remote: B, name: 'a-to-b' }] }), vnet({ id: B, prefixes: ['10.2.0.0/16'], peerings: [{ remote: A, name: 'b-to-a' }] })];
    const live = {
      readNeighbourhood: async (): Promise<Inventory> => ({ resources: estate.map((resource) => ({ resource: structuredClone(resource), source: 'live' })), subscriptions: [SUB], unreadable: [], sought: [A, B].map(keyOf) }),
    };
    const mailer = new RecordingMailer();
    const adapters = install(testEnv(azurite().connectionString), { live }, { mailer });
    const event = (id: string) => eventAbout(`${A}/virtualNetworkPeerings/a-to-b`, 'write', id);
    await eventGridTrigger(event('healthy'), context('eventGridTrigger'));
    expect(mailer.sent).toEqual([]);

    // a-to-b now uses B's gateways, which B neither has nor offers: two errors open at once.
    estate = [vnet({ id: A, prefixes: ['10.1.0.0/16'], peerings: [{ remote: B, name: 'a-to-b', useRemoteGateways: true }] }), estate[1] as RawResource];
    const store = adapters.store;
    const write = store.writeUnlessMarked.bind(store);
    let writes = 0;
    store.writeUnlessMarked = async (row, kind) => {
      writes += 1;
      if (writes === 2) throw Object.assign(new Error('Service Unavailable'), { name: 'RestError', statusCode: 503 });
      return write(row, kind);
    };
    const [result] = await eventGridTrigger(event('change'), context('eventGridTrigger'));
    expect(result?.status).toBe('processed');
    expect(mailer.sent.map((m) => m.subject.split(':')[0]).sort()).toEqual(['[peerguard] ERROR gateway-transit-remote-has-no-gateway', '[peerguard] ERROR gateway-transit-remote-not-allowed']);
    expect(await store.pendingRows()).toEqual([]);
  });
});
