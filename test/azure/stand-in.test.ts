import { EmailClient } from '@azure/communication-email';
import { NetworkManagementClient } from '@azure/arm-network';
import { ResourceGraphClient } from '@azure/arm-resourcegraph';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { neighbourhoodQuery } from '../../src/azure/resource-graph';
import { startStandIn, type StandIn } from '../azure-stand-in';
import { SUB_A, SUB_B, peeredPair, vnet, vnetId } from '../support/estate';

// The stand-in itself, driven by the real SDK clients (nothing stubbed).

const hub = vnetId('hub');
const spoke = vnetId('spoke', SUB_B);
const lonely = vnetId('lonely');

describe('Azure stand-in', () => {
  let standIn: StandIn;
  let network: (sub: string) => NetworkManagementClient;
  beforeAll(async () => {
    standIn = await startStandIn({
      resources: [
        ...peeredPair({ id: hub, prefixes: ['10.0.0.0/16'] }, { id: spoke, prefixes: ['10.1.0.0/16'] }),
        vnet({ id: lonely, prefixes: ['10.2.0.0/16'] }),
      ],
    });
    network = (sub) =>
      new NetworkManagementClient(standIn.credential, sub, {
        endpoint: standIn.endpoint,
        tlsOptions: { ca: standIn.ca },
        retryOptions: { retryDelayInMs: 5, maxRetryDelayInMs: 20 },
      });
  });
  afterAll(async () => {
    await standIn?.stop();
  });

  it('serves VNets with their peerings inline and pages peering lists by absolute nextLink', async () => {
    standIn.options.armPageSize = 1;
    const client = network(SUB_A);
    const got = await client.virtualNetworks.get('rg-hub', 'hub');
    expect(got.virtualNetworkPeerings?.[0]?.peeringState).toBe('Connected');
    const list = [];
    for await (const p of client.virtualNetworkPeerings.list('rg-hub', 'hub')) list.push(p);
    expect(list).toHaveLength(1);
    standIn.options.armPageSize = 50;
  });

  it('creates, connects, syncs and deletes peerings as Azure does (long-running, ETags)', async () => {
    const client = network(SUB_A);
    const created = await client.virtualNetworkPeerings.beginCreateOrUpdateAndWait('rg-lonely', 'lonely', 'lonely-to-hub', {
      remoteVirtualNetwork: { id: hub },
      allowVirtualNetworkAccess: true,
    });
    expect(created.peeringState).toBe('Initiated');
    expect(standIn.requests.count('armOperation')).toBeGreaterThanOrEqual(1);
    const reverse = await client.virtualNetworkPeerings.beginCreateOrUpdateAndWait('rg-hub', 'hub', 'hub-to-lonely', { remoteVirtualNetwork: { id: lonely } });
    expect(reverse.peeringState).toBe('Connected');
    expect((await client.virtualNetworkPeerings.get('rg-lonely', 'lonely', 'lonely-to-hub')).peeringState).toBe('Connected');

    await expect(
      client.virtualNetworkPeerings.beginCreateOrUpdateAndWait('rg-hub', 'hub', 'hub-to-lonely', { remoteVirtualNetwork: { id: lonely } }, { requestOptions: { customHeaders: { 'If-Match': 'W/"stale"' } } }),
    ).rejects.toMatchObject({ statusCode: 412 });

    // Address space change on lonely: out of sync until the hub's peering is synced.
    const lonelyVnet = await client.virtualNetworks.get('rg-lonely', 'lonely');
    await client.virtualNetworks.beginCreateOrUpdateAndWait('rg-lonely', 'lonely', { ...lonelyVnet, addressSpace: { addressPrefixes: ['10.2.0.0/16', '10.3.0.0/16'] } });
    const stale = await client.virtualNetworkPeerings.get('rg-hub', 'hub', 'hub-to-lonely');
    // Azure's labels (Azure PowerShell's Test-VirtualNetworkPeeringSync): the link holding a stale
    // copy of the changed space says LocalNotInSync, the changed VNet's own link RemoteNotInSync.
    expect(stale.peeringSyncLevel).toBe('LocalNotInSync');
    expect((await client.virtualNetworkPeerings.get('rg-lonely', 'lonely', 'lonely-to-hub')).peeringSyncLevel).toBe('RemoteNotInSync');
    const synced = await client.virtualNetworkPeerings.beginCreateOrUpdateAndWait('rg-hub', 'hub', 'hub-to-lonely', stale, { syncRemoteAddressSpace: 'true' });
    expect(synced.peeringSyncLevel).toBe('FullyInSync');
    expect(synced.remoteAddressSpace?.addressPrefixes).toEqual(['10.2.0.0/16', '10.3.0.0/16']);
    expect(standIn.requests.of('armPut').some((r) => r.query.syncRemoteAddressSpace === 'true')).toBe(true);

    const etag = (await client.virtualNetworkPeerings.get('rg-lonely', 'lonely', 'lonely-to-hub')).etag;
    await client.virtualNetworkPeerings.beginDeleteAndWait('rg-lonely', 'lonely', 'lonely-to-hub', { requestOptions: { customHeaders: { 'If-Match': etag ?? '' } } });
    expect((await client.virtualNetworkPeerings.get('rg-hub', 'hub', 'hub-to-lonely')).peeringState).toBe('Disconnected');
    await expect(
      client.virtualNetworkPeerings.beginCreateOrUpdateAndWait('rg-lonely', 'lonely', 'lonely-to-hub', { remoteVirtualNetwork: { id: hub } }),
    ).rejects.toMatchObject({ statusCode: 400 });
  });

  it('answers Resource Graph with lower-cased types, paged by $skipToken', async () => {
    const client = new ResourceGraphClient(standIn.credential, { endpoint: standIn.endpoint, tlsOptions: { ca: standIn.ca } });
    const first = await client.resources({
      subscriptions: [SUB_A, SUB_B],
      query: "resources | where type in~ ('microsoft.network/virtualnetworks') | project id, name, type, properties | order by id asc",
      options: { top: 2, resultFormat: 'objectArray' },
    });
    expect(first.totalRecords).toBe(3);
    expect(first.skipToken).toBeTruthy();
    expect((first.data as Array<{ type: string }>)[0]?.type).toBe('microsoft.network/virtualnetworks');
    const second = await client.resources({
      subscriptions: [SUB_A, SUB_B],
      query: "resources | where type in~ ('microsoft.network/virtualnetworks') | project id, name, type, properties | order by id asc",
      options: { top: 2, skipToken: first.skipToken, resultFormat: 'objectArray' },
    });
    expect(second.count).toBe(1);
    expect(second.skipToken).toBeUndefined();
  });

  it("recognises peerguard's neighbourhood query stage by stage, and refuses a stage it does not know", async () => {
    const client = new ResourceGraphClient(standIn.credential, { endpoint: standIn.endpoint, tlsOptions: { ca: standIn.ca } });
    const ask = (query: string) => client.resources({ query, options: { resultFormat: 'objectArray' } });
    const answer = await ask(neighbourhoodQuery([hub], [SUB_A, '99999999-9999-9999-9999-999999999999']));
    // The hub (its id), the spoke is not asked for; the subscription row of the visible subscription only.
    expect((answer.data as Array<{ id: string }>).map((r) => r.id)).toEqual([`/subscriptions/${SUB_A}`, hub]);
    const both = await ask(neighbourhoodQuery([hub, spoke], []));
    expect((both.data as Array<{ id: string }>).map((r) => r.id).sort()).toEqual([hub, spoke].sort());
    await expect(ask(`${neighbourhoodQuery([hub], [])}\n| where name == 'hub'`)).rejects.toMatchObject({ statusCode: 400, message: expect.stringMatching(/where name == 'hub'/) });
  });

  it('sends email with Operation-Location polling and captures it', async () => {
    const client = new EmailClient(standIn.email.connectionString, { tlsOptions: { ca: standIn.ca } });
    const poller = await client.beginSend(
      { senderAddress: 'peerguard@contoso.com', content: { subject: 'hello', plainText: 'hi' }, recipients: { to: [{ address: 'ops@contoso.com' }] } },
      { updateIntervalInMs: 5 },
    );
    const result = await poller.pollUntilDone();
    expect(result.status).toBe('Succeeded');
    expect(standIn.email.sent.at(-1)).toMatchObject({ subject: 'hello', to: ['ops@contoso.com'], auth: 'hmac' });
    standIn.email.failNext();
    const failing = async () => {
      const poller = await client.beginSend(
        { senderAddress: 'peerguard@contoso.com', content: { subject: 'dropped', plainText: 'x' }, recipients: { to: [{ address: 'ops@contoso.com' }] } },
        { updateIntervalInMs: 5 },
      );
      return poller.pollUntilDone();
    };
    await expect(failing()).rejects.toThrow(/EmailDropped/);
    expect(standIn.requests.count('emailSend')).toBe(2);
  });
});
