import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAdapters, useAdapters } from '../../src/functions/composition';
import { eventGridTrigger } from '../../src/functions/eventGridTrigger';
import { keyOf, nameOf } from '../../src/model/ids';
import { startStandIn, type StandIn } from '../azure-stand-in';
import { FAST_RETRY } from '../azure/harness';
import { appSettings } from '../reliability/harness';
import { startAzurite, type AzuriteInstance } from '../support/azurite';
import { vnet } from '../support/estate';
import { context, eventAbout, SUB } from './harness';

// A new Route Server through the real handler: Bicep, the CLI and Terraform create it in two
// writes, the virtualHub first (nothing ties it to a VNet yet: its event is unmapped), then its
// ipConfiguration in the VNet's RouteServerSubnet. That second event must place it and resolve the
// spokes' gateway-transit-remote-has-no-gateway at once; deleting the ipConfiguration reopens it.
// The real SDKs read ARM and Resource Graph from the stand-in and alert state lives in Azurite. The
// stand-in serves no virtualHubs/{hub}/ipConfigurations, so a small HTTPS front answers those (as
// ARM does: GET one, list them) and passes every other request through to the stand-in unchanged.

const HUB = `/subscriptions/${SUB}/resourceGroups/rg-rs-hub/providers/Microsoft.Network/virtualNetworks/vnet-rs-hub`;
const SPOKE = `/subscriptions/${SUB}/resourceGroups/rg-rs-spoke/providers/Microsoft.Network/virtualNetworks/vnet-rs-spoke`;
const ROUTE_SERVER = `/subscriptions/${SUB}/resourceGroups/rg-rs-hub/providers/Microsoft.Network/virtualHubs/rs-hub`;
const IP_CONFIG = `${ROUTE_SERVER}/ipConfigurations/ipconfig1`;
const RS_SUBNET = `${HUB}/subnets/RouteServerSubnet`;

/** The virtualHub of a Route Server as ARM returns it (2024-05-01) before its ipConfiguration exists. */
const routeServerHub = {
  id: ROUTE_SERVER,
  name: 'rs-hub',
  type: 'Microsoft.Network/virtualHubs',
  location: 'westeurope',
  properties: { provisioningState: 'Succeeded', sku: 'Standard', virtualRouterAsn: 65515, virtualRouterIps: [], allowBranchToBranchTraffic: false, hubRoutingPreference: 'ExpressRoute' },
};

/** Its ipConfiguration as ARM returns it: the child resource whose subnet places the Route Server. */
const ipConfiguration = {
  id: IP_CONFIG,
  name: 'ipconfig1',
  type: 'Microsoft.Network/virtualHubs/ipConfigurations',
  etag: 'W/"6a1c0b7e-0000-0000-0000-000000000001"',
  properties: { provisioningState: 'Succeeded', privateIPAllocationMethod: 'Dynamic', subnet: { id: RS_SUBNET } },
};

interface HubIpConfigurations {
  endpoint: string;
  /** PEM of its certificate. */
  ca: string;
  /** The ipConfigurations it serves, by lower-cased id. */
  configs: Map<string, Record<string, unknown>>;
  /** Requests it answered itself (GET or list of ipConfigurations). */
  answered: number;
  stop(): Promise<void>;
}

/** The HTTPS front: virtualHubs' ipConfigurations answered here, anything else passed to the stand-in. */
async function startHubIpConfigurations(standIn: StandIn): Promise<HubIpConfigurations> {
  const pems = await generate([{ name: 'commonName', value: 'peerguard-test-hub-ipconfigurations' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });
  const upstream = new URL(standIn.endpoint);
  const front: HubIpConfigurations = { endpoint: '', ca: pems.cert, configs: new Map(), answered: 0, stop: async () => undefined };
  const server: Server = createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'https://127.0.0.1').pathname).replace(/\/+$/, '');
    const own = /\/providers\/Microsoft\.Network\/virtualHubs\/[^/]+\/ipConfigurations(\/[^/]+)?$/i.exec(path);
    if (own) {
      front.answered += 1;
      req.resume();
      const one = own[1] !== undefined;
      const found = one ? front.configs.get(keyOf(path)) : { value: [...front.configs.values()].filter((c) => keyOf(String(c.id)).startsWith(`${keyOf(path)}/`)) };
      const [status, body] = found ? [200, found] : [404, { error: { code: 'NotFound', message: `Resource ${path} not found.` } }];
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'x-ms-request-id': crypto.randomUUID() });
      res.end(JSON.stringify(body));
      return;
    }
    const forward = request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, host: upstream.host }, ca: standIn.ca }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  front.endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  front.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return front;
}

const mail = (kind: 'ERROR' | 'WARNING' | 'RESOLVED', rule: string) => expect.stringMatching(new RegExp(`^\\[peerguard\\] ${kind} ${rule}: `));

describe('a new Route Server (virtualHub, then its ipConfiguration) through the event path (stand-in + Azurite)', () => {
  let standIn: StandIn;
  let azurite: AzuriteInstance;
  let front: HubIpConfigurations;
  let sequence = 0;
  const deliver = async (subject: string, kind: 'write' | 'delete') => {
    sequence += 1;
    standIn.email.reset();
    standIn.requests.clear();
    front.answered = 0;
    const [result] = await eventGridTrigger(eventAbout(subject, kind, `route-server-${sequence}`), context('eventGridTrigger'));
    return result;
  };
  /** Calls to Azure Resource Manager (ARM and Resource Graph) the last event made, by kind. */
  const managementCalls = () => {
    const calls: Record<string, number> = Object.fromEntries(Object.entries(standIn.requests.counts()).filter(([kind]) => kind.startsWith('arm') || kind === 'resourceGraph' || kind === 'subscriptions'));
    if (front.answered > 0) calls.hubIpConfigurations = front.answered;
    return calls;
  };
  const mails = () => standIn.email.sent.map((m) => m.subject);
  /** Adds or removes the ipConfiguration as ARM does: the child resource, and its reference in the subnet. */
  const setIpConfiguration = (present: boolean) => {
    if (present) front.configs.set(keyOf(IP_CONFIG), structuredClone(ipConfiguration));
    else front.configs.delete(keyOf(IP_CONFIG));
    const subnets = standIn.state.raw(HUB)?.properties.subnets as { id: string; properties: Record<string, unknown> }[];
    const subnet = subnets.find((s) => keyOf(s.id) === keyOf(RS_SUBNET))!;
    subnet.properties.ipConfigurations = present ? [{ id: IP_CONFIG }] : [];
  };

  beforeAll(async () => {
    const resources = [
      vnet({ id: HUB, prefixes: ['10.60.0.0/16'], subnets: [{ name: 'RouteServerSubnet', prefix: '10.60.255.0/27' }], peerings: [{ remote: SPOKE, allowGatewayTransit: true }] }),
      vnet({ id: SPOKE, prefixes: ['10.61.0.0/16'], peerings: [{ remote: HUB, useRemoteGateways: true }] }),
    ];
    [standIn, azurite] = await Promise.all([startStandIn({ resources }), startAzurite()]);
    front = await startHubIpConfigurations(standIn);
    const env = { ...appSettings(standIn, azurite), PEERGUARD_ARM_ENDPOINT: front.endpoint, PEERGUARD_SUBSCRIPTIONS: SUB };
    useAdapters(
      buildAdapters(env, {
        // Both certificates: ARM and Resource Graph through the front, mail straight to the stand-in.
        azure: { credential: standIn.credential, ca: `${front.ca}\n${standIn.ca}`, retry: FAST_RETRY, requestTimeoutMs: 5_000 },
        emailPollMs: 5,
        retryDelayMs: 5,
      }),
    );
  }, 60_000);
  afterAll(async () => {
    useAdapters(undefined);
    await Promise.all([front?.stop(), standIn?.stop(), azurite?.stop()]);
  });

  it('the spoke uses remote gateways of a hub that has none: an alert is open', async () => {
    const result = await deliver(`${SPOKE}/virtualNetworkPeerings/vnet-rs-spoke-to-vnet-rs-hub`, 'write');
    expect(result?.status).toBe('processed');
    expect(mails()).toEqual(expect.arrayContaining([mail('ERROR', 'gateway-transit-remote-has-no-gateway')]));
  });

  it("the hub's write comes first: no ipConfiguration yet, so no VNet is known for it (unmapped)", async () => {
    standIn.state.seed(routeServerHub);
    const result = await deliver(ROUTE_SERVER, 'write');
    expect(result?.status).toBe('unmapped');
    expect(mails()).toEqual([]);
  });

  it("the ipConfiguration's write places the Route Server in the hub VNet: the alert resolves at once, in at most 6 ARM calls", async () => {
    setIpConfiguration(true);
    const result = await deliver(IP_CONFIG, 'write');
    expect(result?.status, result?.reason).toBe('processed');
    expect(result?.vnetIds?.map(nameOf).sort()).toEqual(['vnet-rs-hub', 'vnet-rs-spoke']);
    expect(mails()).toEqual(expect.arrayContaining([mail('RESOLVED', 'gateway-transit-remote-has-no-gateway')]));
    expect(mails()).not.toEqual(expect.arrayContaining([mail('ERROR', 'gateway-transit-remote-has-no-gateway')]));
    // The ipConfiguration (1 GET: its subnet), then the hub VNet and the Route Server fresh (2 GETs); the spoke from Resource Graph.
    expect(managementCalls()).toEqual({ hubIpConfigurations: 1, armGet: 2, resourceGraph: 1 });
  });

  it("the ipConfiguration's delete removes it: the VNet the index saw it in is read again and the alert reopens", async () => {
    setIpConfiguration(false);
    const result = await deliver(IP_CONFIG, 'delete');
    expect(result?.status, result?.reason).toBe('processed');
    expect(result?.vnetIds?.map(nameOf).sort()).toEqual(['vnet-rs-hub', 'vnet-rs-spoke']);
    expect(mails()).toEqual(expect.arrayContaining([mail('ERROR', 'gateway-transit-remote-has-no-gateway')]));
    // The GET of the ipConfiguration answers 404; the index names the hub VNet.
    expect(managementCalls()).toEqual({ hubIpConfigurations: 1, armGet: 2, resourceGraph: 1 });
  });
});
