import { HttpRequest } from '@azure/functions';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit } from '../../src/functions/audit';
import { buildAdapters, REPORT_CONTAINER, useAdapters } from '../../src/functions/composition';
import { eventGridTrigger } from '../../src/functions/eventGridTrigger';
import { scheduledAudit } from '../../src/functions/scheduledAudit';
import { readSnapshot } from '../../src/io/snapshot-files';
import { nameOf } from '../../src/model/ids';
import { FORMATS } from '../../src/report/render';
import { startStandIn, type StandIn } from '../azure-stand-in';
import { FAST_RETRY } from '../azure/harness';
import { bulkVnets, hubWithSpokes } from '../azure/realistic-estate';
import { appSettings, ESTATE, HUB_PEERING, PEERING, timer } from '../reliability/harness';
import { startAzurite, type AzuriteInstance } from '../support/azurite';
import { gateway, vnet } from '../support/estate';
import { context, eventAbout, fixture, resourceGroupDeleted, SETTLE_OFF, SUB } from './harness';

// The Functions app end to end through the real SDKs: ARM and Resource Graph (@azure/arm-network,
// @azure/arm-resourcegraph) and Communication Services (@azure/communication-email) against the
// local Azure stand-in, alert state and reports in Azurite. Only the endpoint, the CA and the
// credential differ from a run in Azure; nothing is recorded in-process.

/** The estate's own subscriptions; the partner's (ffffffff-...) is outside the audit's scope. */
const ESTATE_SUBSCRIPTIONS = [SUB, 'bbbbbbbb-0000-0000-0000-000000000002', 'cccccccc-0000-0000-0000-000000000003'].join(',');
const mail = (kind: 'ERROR' | 'WARNING' | 'RESOLVED', rule: string, names = '') => expect.stringMatching(new RegExp(`^\\[peerguard\\] ${kind} ${rule}: .*${names}`));
/**
 * spoke1's peering deleted: the hub's side is Disconnected, and spoke1's route to the firewall in
 * the hub points at an appliance spoke1 can no longer reach. Nothing routes spoke2's traffic into
 * the hub any more, so spoke2's peering without forwarded traffic drops nothing (a RESOLVED mail
 * when its alert was mailed).
 */
const ALERTS_ON_DELETE = [mail('ERROR', 'peering-disconnected'), mail('ERROR', 'transit-next-hop-unreachable', 'vnet-spoke1')];
/** Re-created: both resolved; spoke2's peering drops what the firewall forwards again (a new alert). */
const MAILS_ON_RECREATE = [mail('ERROR', 'transit-forwarded-traffic-blocked', 'vnet-spoke2-prod'), mail('RESOLVED', 'peering-disconnected'), mail('RESOLVED', 'transit-next-hop-unreachable')];
/** The mails sent, in any order (the store lists resolved rows by fingerprint). */
const expectMails = (sent: readonly { subject: string }[], expected: readonly unknown[]) => {
  expect(sent.map((m) => m.subject)).toHaveLength(expected.length);
  expect(sent.map((m) => m.subject)).toEqual(expect.arrayContaining([...expected]));
};

/** Re-peering as an operator must after a one-sided delete: the hub's Disconnected side re-created, then the spoke's. */
function recreate(standIn: StandIn, hubSide: unknown, spokeSide: unknown): void {
  standIn.state.deletePeering(HUB_PEERING);
  standIn.state.putPeering(HUB_PEERING, hubSide as Record<string, unknown>, { syncRemoteAddressSpace: false });
  standIn.state.putPeering(PEERING, spokeSide as Record<string, unknown>, { syncRemoteAddressSpace: false });
}

/** Calls to Azure Resource Manager (ARM itself and Resource Graph, an ARM provider), by kind. */
function managementCalls(standIn: StandIn): Record<string, number> {
  return Object.fromEntries(Object.entries(standIn.requests.counts()).filter(([kind]) => kind.startsWith('arm') || kind === 'resourceGraph' || kind === 'subscriptions'));
}

function writeEvent(): Record<string, unknown> {
  const e = structuredClone(fixture('peering-delete-success.eventgrid.json')) as Record<string, unknown> & { data: Record<string, unknown> };
  e.id = 'recreate-0001';
  e.eventType = 'Microsoft.Resources.ResourceWriteSuccess';
  e.eventTime = '2018-07-19T19:02:11.000Z';
  e.data.operationName = 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings/write';
  return e;
}

describe('Functions app against the Azure stand-in (real SDKs) and Azurite', () => {
  let standIn: StandIn;
  let azurite: AzuriteInstance;
  let hubToSpoke1: unknown;
  let spoke1ToHub: unknown;
  let env: Record<string, string>;
  let now = new Date('2026-03-02T06:00:00.000Z');

  // Nothing but the settings, a stand-in's credential and its CA: the real adapters are built.
  const adaptersFor = (azure: StandIn) =>
    buildAdapters({ ...env, PEERGUARD_ARM_ENDPOINT: azure.endpoint, PEERGUARD_EMAIL_CONNECTION_STRING: azure.email.connectionString }, {
      azure: { credential: azure.credential, ca: azure.ca, retry: FAST_RETRY, requestTimeoutMs: 5_000 },
      emailPollMs: 5,
      retryDelayMs: 5,
      now: () => now,
    });
  const realAdapters = () => adaptersFor(standIn);
  beforeAll(async () => {
    const resources = (await readSnapshot([ESTATE])).map((r) => r.resource);
    [standIn, azurite] = await Promise.all([startStandIn({ resources }), startAzurite()]);
    spoke1ToHub = structuredClone(standIn.state.get(PEERING));
    hubToSpoke1 = structuredClone(standIn.state.get(HUB_PEERING));
    expect(spoke1ToHub).toBeDefined();
    expect(hubToSpoke1).toBeDefined();
    // Settle period off: the mails of each event are asserted as it is handled (see SETTLE_OFF).
    env = { ...appSettings(standIn, azurite), ...SETTLE_OFF, PEERGUARD_SUBSCRIPTIONS: ESTATE_SUBSCRIPTIONS };
    useAdapters(realAdapters());
  }, 60_000);
  afterAll(async () => {
    useAdapters(undefined);
    await Promise.all([standIn?.stop(), azurite?.stop()]);
  });

  it('scheduled audit via Resource Graph: report mail with JSON and CSV attached; JSON, CSV and HTML stored as dated blobs', async () => {
    standIn.requests.clear();
    await scheduledAudit(timer, context('scheduledAudit'));
    expect(standIn.requests.count('resourceGraph')).toBeGreaterThan(0);
    expect(standIn.email.sent).toHaveLength(1);
    const mail = standIn.email.sent[0]!;
    expect(mail.to).toEqual(['reports@contoso.example']);
    expect(mail.subject).toMatch(/^\[peerguard\] Compliance report 2026-03-02: \d+ errors/);
    expect(mail.attachments.map((a) => a.name).sort()).toEqual(['peerguard-report-2026-03-02.csv', 'peerguard-report-2026-03-02.json']);
    const json = JSON.parse(Buffer.from(mail.attachments.find((a) => a.name.endsWith('.json'))!.contentInBase64, 'base64').toString('utf8')) as { findings: unknown[] };
    expect(json.findings.length).toBeGreaterThan(0);
    const csv = Buffer.from(mail.attachments.find((a) => a.name.endsWith('.csv'))!.contentInBase64, 'base64').toString('utf8');
    expect(csv.split('\n').length).toBeGreaterThan(json.findings.length);
    expect(mail.html).toContain('vnet-spoke1');
    expect(mail.html).not.toMatch(/<script|<svg|<img/i);
    expect(mail.plainText).toContain('subscriptions read');

    const blobs = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(REPORT_CONTAINER);
    const names: string[] = [];
    for await (const b of blobs.listBlobsFlat({ prefix: 'reports/2026/03/02/' })) names.push(b.name);
    expect(names.sort()).toEqual(['json', 'csv', 'html'].map((x) => `reports/2026/03/02/2026-03-02T06-00-00-000Z.${x}`).sort());
    const page = (await blobs.getBlockBlobClient(names.find((n) => n.endsWith('.html'))!).downloadToBuffer()).toString('utf8');
    expect(page).toMatch(/^<!DOCTYPE html>/i);
  });

  it("Microsoft's delete event: both VNets from ARM, their neighbourhood in one Resource Graph page; alert mails (HTML and text); duplicate sends nothing; recreate sends the resolutions", async () => {
    standIn.email.reset();
    now = new Date('2026-03-02T09:14:05.000Z');
    // What Azure did before it published the event: the peering is gone, the hub's side Disconnected.
    expect(standIn.state.deletePeering(PEERING)).toBe(true);
    standIn.requests.clear();
    const [result] = await eventGridTrigger(fixture('peering-delete-success.eventgrid.json'), context('eventGridTrigger'));
    expect(result?.status).toBe('processed');
    // vnet-spoke1 and vnet-hub-weu fresh from ARM (peerings inline), then one Resource Graph page:
    // the hub's peers (the other spokes, the second hub) and the gateways, firewall and route tables
    // of all of them; the estate holds a network manager, so a second call reads its AVNM rows.
    expect(managementCalls(standIn)).toEqual({ armGet: 2, resourceGraph: 2 });

    // The partner's VNet (subscription outside PEERGUARD_SUBSCRIPTIONS) is out of scope on the live
    // path as on the scheduled one, so it does not open an alert of its own.
    expectMails(standIn.email.sent, ALERTS_ON_DELETE);
    const alert = standIn.email.sent.find((m) => /peering-disconnected/.test(m.subject))!;
    expect(alert.to).toEqual(['netops@contoso.example']);
    expect(alert.auth).toBe('hmac');
    expect(alert.subject).toMatch(/^\[peerguard\] ERROR peering-disconnected: .*vnet-hub-weu.*vnet-spoke1|^\[peerguard\] ERROR peering-disconnected: .*vnet-spoke1.*vnet-hub-weu/);
    for (const body of [alert.plainText!, alert.html!]) {
      expect(body).toContain('vnet-spoke1');
      expect(body).toContain('vnet-hub-weu');
      expect(body).toContain(SUB);
      expect(body).toContain('Microsoft.Network/virtualNetworks/virtualNetworkPeerings/delete');
      expect(body).toContain('2018-07-19T18:38:04.6117357Z');
      expect(body).toContain('full-name'); // the caller's name claim (Microsoft's sample has placeholders)
      expect(body).toContain('https://portal.azure.com/#@/resource/subscriptions/');
    }
    expect(alert.plainText).toMatch(/How to fix.*\n\s+1\. (PUT|DELETE) /);
    expect(alert.html).toContain('Fix plan');
    expect(alert.html).not.toMatch(/<script/i);

    // The same event again: nothing new to say.
    const before = standIn.email.sent.length;
    await eventGridTrigger(fixture('peering-delete-success.eventgrid.json'), context('eventGridTrigger'));
    expect(standIn.email.sent).toHaveLength(before);

    // Recreated (as Azure would: both sides Connected again) -> the resolution.
    now = new Date('2026-03-02T09:31:40.000Z');
    recreate(standIn, hubToSpoke1, spoke1ToHub);
    expect((standIn.state.get(HUB_PEERING)?.properties as { peeringState?: string }).peeringState).toBe('Connected');
    await eventGridTrigger(writeEvent(), context('eventGridTrigger'));
    expectMails(standIn.email.sent.slice(before), MAILS_ON_RECREATE);
    const resolved = standIn.email.sent.slice(before).filter((m) => /RESOLVED peering-disconnected/.test(m.subject));
    expect(resolved[0]!.plainText).toContain('Microsoft.Network/virtualNetworks/virtualNetworkPeerings/write');
    expect(resolved[0]!.html).toContain('vnet-hub-weu');
  });

  it('the ARM calls of one event do not grow with the estate (4,000 more VNets)', async () => {
    const resources = [...(await readSnapshot([ESTATE])).map((r) => r.resource), ...bulkVnets(4_000)];
    const large = await startStandIn({ resources });
    try {
      large.state.deletePeering(PEERING);
      useAdapters(adaptersFor(large));
      standIn.requests.clear();
      large.requests.clear();
      await eventGridTrigger(fixture('peering-delete-success.eventgrid.json'), context('eventGridTrigger'));
      expect(managementCalls(large)).toEqual({ armGet: 2, resourceGraph: 2 });
      expectMails(large.email.sent, [...ALERTS_ON_DELETE, mail('RESOLVED', 'transit-forwarded-traffic-blocked', 'vnet-spoke2-prod')]);
      // Leave the shared alert state as it was: re-peered, resolved.
      const before = large.email.sent.length;
      recreate(large, hubToSpoke1, spoke1ToHub);
      await eventGridTrigger(writeEvent(), context('eventGridTrigger'));
      expectMails(large.email.sent.slice(before), MAILS_ON_RECREATE);
    } finally {
      await large.stop();
      useAdapters(realAdapters());
    }
  }, 60_000);

  it("nor with the hub's peering count: a spoke's peering to a hub with 80 peers, written, then deleted", async () => {
    const big = hubWithSpokes(80, SUB);
    const hubbed = await startStandIn({ resources: big.resources });
    try {
      useAdapters(adaptersFor(hubbed));
      const spoke = big.spokes[7] as string;
      const peering = `${spoke}/virtualNetworkPeerings/${nameOf(spoke)}-to-hub-big`;
      // The spoke from ARM, then the hub its peering names; the hub's 80 spokes, their route tables,
      // the gateway and the firewall in one Resource Graph page.
      await eventGridTrigger(eventAbout(peering, 'write', 'big-hub-1'), context('eventGridTrigger'));
      expect(managementCalls(hubbed)).toEqual({ armGet: 2, resourceGraph: 1 });
      expect(hubbed.email.sent).toEqual([]);
      hubbed.state.deletePeering(peering);
      hubbed.requests.clear();
      await eventGridTrigger(eventAbout(peering, 'delete', 'big-hub-2'), context('eventGridTrigger'));
      expect(managementCalls(hubbed)).toEqual({ armGet: 2, resourceGraph: 1 });
      expectMails(hubbed.email.sent, [mail('ERROR', 'peering-disconnected', 'hub-big'), mail('ERROR', 'transit-next-hop-unreachable', nameOf(spoke))]);
    } finally {
      await hubbed.stop();
      useAdapters(realAdapters());
    }
  }, 60_000);

  it('a failing send (Communication Services ends the operation Failed) stays pending and goes out on the next run, once', async () => {
    standIn.email.reset();
    now = new Date('2026-03-02T10:00:00.000Z');
    standIn.state.deletePeering(PEERING);
    standIn.email.failNext(1);
    const logs: { level: string; text: string }[] = [];
    await eventGridTrigger(fixture('peering-delete-success.eventgrid.json'), context('eventGridTrigger', logs));
    expect(standIn.email.sent.filter((m) => /ERROR peering-disconnected/.test(m.subject))).toHaveLength(1); // accepted, then Failed
    expect(logs.some((l) => /stays pending/.test(l.text))).toBe(true);

    // The next run of anything (here the duplicate event) sends it with a new Operation-Id.
    now = new Date('2026-03-02T10:05:00.000Z');
    await eventGridTrigger(fixture('peering-delete-success.eventgrid.json'), context('eventGridTrigger'));
    const attempts = standIn.email.sent.filter((m) => /ERROR peering-disconnected/.test(m.subject));
    expect(attempts).toHaveLength(2);
    expect(attempts[0]!.id).not.toBe(attempts[1]!.id);
    await eventGridTrigger(fixture('peering-delete-success.eventgrid.json'), context('eventGridTrigger'));
    expect(standIn.email.sent.filter((m) => /ERROR peering-disconnected/.test(m.subject))).toHaveLength(2);

    recreate(standIn, hubToSpoke1, spoke1ToHub);
    await eventGridTrigger(writeEvent(), context('eventGridTrigger'));
    expect(standIn.email.sent.filter((m) => /RESOLVED peering-disconnected/.test(m.subject))).toHaveLength(1);
  });

  it('HTTP audit through Resource Graph: every format (html included) and a bad one', async () => {
    const formats = FORMATS.filter((f) => f !== 'table');
    for (const format of formats) {
      const res = await audit(new HttpRequest({ method: 'GET', url: `http://localhost/api/audit?format=${format}` }), context('audit'));
      expect(res.status, format).toBe(200);
      const body = String(res.body);
      expect(body.length, format).toBeGreaterThan(0);
      if (format === 'json') expect((JSON.parse(body) as { findings: unknown[] }).findings.length).toBeGreaterThan(0);
      if (format === 'sarif') expect((JSON.parse(body) as { version: string }).version).toBe('2.1.0');
      if (format === 'html') {
        expect(body).toMatch(/^<!DOCTYPE html>/i);
        expect((res.headers as Record<string, string>)['content-type']).toContain('text/html');
      }
    }
    const bad = await audit(new HttpRequest({ method: 'GET', url: 'http://localhost/api/audit?format=pdf' }), context('audit'));
    expect(bad.status).toBe(400);
    expect(String((bad.jsonBody as { error: string }).error)).toBe(`format "pdf" is not supported; use one of: ${formats.join(', ')}`);
  }, 60_000);

  it('HTTP audit when Resource Graph answers 403: for one subscription a PARTIAL report (200); for every one 502, nothing audited, each scope with its reason', async () => {
    const subscriptions = ESTATE_SUBSCRIPTIONS.split(',');
    try {
      standIn.faults.forbid(subscriptions[1]!, { listed: true });
      const partial = await audit(new HttpRequest({ method: 'GET', url: 'http://localhost/api/audit?format=json' }), context('audit'));
      expect(partial.status).toBe(200);
      const report = JSON.parse(String(partial.body)) as { coverage: { unreadable: { scope: string; reason: string }[] } };
      expect(report.coverage.unreadable.map((u) => u.scope)).toEqual([subscriptions[1]]);

      for (const s of subscriptions) standIn.faults.forbid(s, { listed: true });
      const none = await audit(new HttpRequest({ method: 'GET', url: 'http://localhost/api/audit?format=json' }), context('audit'));
      expect(none.status).toBe(502);
      const body = none.jsonBody as { error: string; unreadable: { scope: string; reason: string }[] };
      expect(body.error).toBe(`no virtual networks read from subscriptions ${subscriptions.join(', ')} (0 subscriptions read): 3 scopes could not be read (listed in unreadable), so nothing was audited`);
      expect(body.unreadable.map((u) => u.scope).sort()).toEqual([...subscriptions].sort());
      expect(body.unreadable.every((u) => u.reason.startsWith('access denied by Resource Graph (403'))).toBe(true);
    } finally {
      standIn.faults.clear();
    }
  }, 60_000);

  it("a resource group deleted with its VNet (one event, for the group): the VNet's peers are judged from the index; a group with no peered VNet is ignored", async () => {
    standIn.email.reset();
    now = new Date('2026-03-02T10:02:00.000Z');
    const group = `/subscriptions/${SUB}/resourcegroups/rg-spoke1`;
    // What Azure did before it published the event: vnet-spoke1 and its route table are gone, and
    // the hub's peering to it is Disconnected. No event was published for either resource.
    expect(standIn.state.deleteResource(PEERING.replace(/\/virtualNetworkPeerings\/.*$/, ''))).toBe(true);
    expect(standIn.state.deleteResource(`${group}/providers/Microsoft.Network/routeTables/rt-spoke1`)).toBe(true);
    expect((standIn.state.get(HUB_PEERING)?.properties as { peeringState?: string }).peeringState).toBe('Disconnected');
    standIn.requests.clear();
    const [result] = await eventGridTrigger(resourceGroupDeleted(group, 'rg-delete-0001'), context('eventGridTrigger'));
    expect(result?.status).toBe('processed');
    expect(result?.vnetIds?.map(nameOf).sort()).toEqual(expect.arrayContaining(['vnet-hub-weu', 'vnet-spoke1']));
    // vnet-spoke1 read fresh (gone), its peer the hub from Resource Graph, and the hub's row again
    // from ARM (its link to spoke1 Disconnected, which Resource Graph may not show yet).
    expect(managementCalls(standIn)).toEqual({ armGet: 2, resourceGraph: 2 });
    expectMails(standIn.email.sent, [mail('ERROR', 'peering-remote-vnet-missing', 'vnet-spoke1')]);
    const alert = standIn.email.sent[0]!;
    expect(alert.plainText).toContain('vnet-hub-weu');
    expect(alert.plainText).toContain('Microsoft.Resources/subscriptions/resourceGroups/delete');

    const [unrelated] = await eventGridTrigger(resourceGroupDeleted(`/subscriptions/${SUB}/resourceGroups/rg-no-network`, 'rg-delete-0002'), context('eventGridTrigger'));
    expect(unrelated?.status).toBe('ignored');
    expect(unrelated?.reason).toMatch(/no peered VNet was known in resource group .*rg-no-network/);
    expect(standIn.email.sent).toHaveLength(1);
  });

  it('a gateway the neighbourhood has never seen (a new one): located through ARM (its ipConfigurations\' subnet), its VNet and peers judged', async () => {
    standIn.email.reset();
    now = new Date('2026-03-02T10:03:00.000Z');
    const hub = `/subscriptions/${SUB}/resourceGroups/rg-hub-new/providers/Microsoft.Network/virtualNetworks/vnet-hub-new`;
    const spoke = `/subscriptions/${SUB}/resourceGroups/rg-spoke-new/providers/Microsoft.Network/virtualNetworks/vnet-spoke-new`;
    standIn.state.seed(vnet({ id: hub, prefixes: ['10.250.0.0/16'], subnets: [{ name: 'GatewaySubnet', prefix: '10.250.255.0/27' }], peerings: [{ remote: spoke, name: 'hub-to-spoke', allowGatewayTransit: true }] }));
    standIn.state.seed(vnet({ id: spoke, prefixes: ['10.251.0.0/16'], peerings: [{ remote: hub, name: 'spoke-to-hub' }] }));
    const [peered] = await eventGridTrigger(eventAbout(`${hub}/virtualNetworkPeerings/hub-to-spoke`, 'write', 'new-hub-0001'), context('eventGridTrigger'));
    expect(peered?.status).toBe('processed');
    expectMails(standIn.email.sent, [mail('WARNING', 'gateway-transit-allowed-without-gateway', 'vnet-hub-new')]);

    // The VPN gateway is created in the hub: nothing in the index names it.
    const gw = gateway('vgw-hub-new', hub);
    standIn.state.seed(gw);
    standIn.requests.clear();
    const [located] = await eventGridTrigger(eventAbout(String(gw.id), 'write', 'new-gw-0001'), context('eventGridTrigger'));
    expect(located?.status).toBe('processed');
    expect(located?.vnetIds?.map(nameOf).sort()).toEqual(['vnet-hub-new', 'vnet-spoke-new']);
    // The gateway located (1 GET), then read fresh with its VNet (2 GETs); the peers and the AVNM rows from Resource Graph.
    expect(managementCalls(standIn)).toEqual({ armGet: 3, resourceGraph: 2 });
    expectMails(standIn.email.sent, [mail('WARNING', 'gateway-transit-allowed-without-gateway'), mail('RESOLVED', 'gateway-transit-allowed-without-gateway', 'vnet-hub-new')]);

    // Known now: its next event costs no locating read.
    standIn.requests.clear();
    await eventGridTrigger(eventAbout(String(gw.id), 'write', 'new-gw-0002'), context('eventGridTrigger'));
    expect(managementCalls(standIn)).toEqual({ armGet: 2, resourceGraph: 2 });
  });
});
