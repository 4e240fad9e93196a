import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/engine/config';
import { auditResources } from '../../src/engine/pipeline';
import { eventGridTrigger } from '../../src/functions/eventGridTrigger';
import { scheduledAudit } from '../../src/functions/scheduledAudit';
import { RULES } from '../../src/rules';
import { inventoryReader } from '../azure/harness';
import { startApp, timer, type App } from '../reliability/harness';
import { context, eventAbout } from './harness';

// Which findings an event decides, through the real handler (live reads with the SDKs against the
// stand-in, alert state in Azurite, mail through Communication Services): only those whose every
// input it read. Transit findings need their hub's whole neighbourhood (issue 10); a route's
// finding is decided by events about the route, its table and the VNet whose subnets use it (issue 3).

const SUB_DEV = 'cccccccc-0000-0000-0000-000000000003';
/** Peered with both hubs; its peering to the west hub drops what the firewall there forwards. */
const SPOKE12 = `/subscriptions/${SUB_DEV}/resourceGroups/rg-spoke12-dev/providers/Microsoft.Network/virtualNetworks/vnet-spoke12-dev`;
const SPOKE7 = `/subscriptions/${SUB_DEV}/resourceGroups/rg-spoke7-dev/providers/Microsoft.Network/virtualNetworks/vnet-spoke7-dev`;
const TABLE = `/subscriptions/${SUB_DEV}/resourceGroups/rg-spoke7-dev/providers/Microsoft.Network/routeTables/rt-spoke7-dev`;
const ROUTE = `${TABLE}/routes/to-legacy-dc`;
const GATEWAY = '/subscriptions/aaaaaaaa-0000-0000-0000-000000000001/resourceGroups/rg-hub-weu/providers/Microsoft.Network/virtualNetworkGateways/vgw-hub-weu';

describe('event scope: an event decides the findings whose inputs it read (stand-in + Azurite)', () => {
  let app: App;
  let sequence = 0;
  const deliver = async (subject: string, kind: 'write' | 'delete' = 'write') => {
    sequence += 1;
    app.clock.now = new Date(Date.UTC(2026, 2, 2, 7, sequence));
    const [result] = await eventGridTrigger(eventAbout(subject, kind, `scope-${sequence}`), context('eventGridTrigger'));
    expect(result?.status).toBe('processed');
  };
  const mails = () => app.standIn.email.sent.map((m) => m.subject);
  const openRows = async () => (await app.adapters.store.rowsFor('all')).filter((r) => r.status === 'open');
  /** The open alerts are the findings of a full audit of the stand-in's estate now. */
  const expectFullAudit = async () => {
    const inventory = await inventoryReader(app.standIn).readInventory({ kind: 'tenant' });
    const findings = auditResources({ resources: inventory.resources, rules: RULES, config: DEFAULT_CONFIG, now: app.clock.now, version: 't', extraSubscriptions: inventory.subscriptions }).report.findings;
    const describe = (f: { ruleId: string; resourceId: string }) => `${f.ruleId} ${f.resourceId.split('/providers/')[1]}`;
    const open = await openRows();
    expect(open.filter((r) => !findings.some((f) => f.fingerprint === r.fingerprint)).map(describe), 'open, not in the full audit').toEqual([]);
    expect(findings.filter((f) => !open.some((r) => r.fingerprint === f.fingerprint)).map(describe), 'in the full audit, not open').toEqual([]);
  };

  beforeAll(async () => {
    app = await startApp();
    await scheduledAudit(timer, context('scheduledAudit'));
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
  });
  beforeEach(() => app.standIn.email.reset());

  it("an event about a spoke and its other hub leaves the first hub's transit findings alone: no flap (issue 10)", async () => {
    const forwarded = async () => (await openRows()).find((r) => r.ruleId === 'transit-forwarded-traffic-blocked' && r.resourceId.toLowerCase().startsWith(SPOKE12.toLowerCase()));
    const before = await forwarded();
    // spoke1's route sends spoke12's space to the west hub's firewall; spoke12's peering to that hub
    // does not allow forwarded traffic. spoke1 is two hops from spoke12.
    expect(before?.resourceId).toMatch(/spoke12-to-hub$/);
    expect(before?.relatedResourceIds.some((id) => /vnet-spoke1$/.test(id))).toBe(true);
    // Nothing changes in Azure. A write of spoke12's peering to the north hub reads spoke12, the
    // north hub and its spokes, not spoke1: it used to resolve the finding from that half view, and
    // the write of spoke12's peering to the west hub after it re-opened it, with an alert mail.
    await deliver(`${SPOKE12}/virtualNetworkPeerings/spoke12-to-hubneu`);
    expect((await forwarded())?.firstSeen).toBe(before?.firstSeen);
    await deliver(`${SPOKE12}/virtualNetworkPeerings/spoke12-to-hub`);
    expect(mails()).toEqual([]);
    expect((await forwarded())?.firstSeen).toBe(before?.firstSeen);
    await expectFullAudit();
  });

  it("a route's finding is decided by events about the route, its table and the VNet whose subnets use it (issue 3)", async () => {
    const routeRow = async () => (await openRows()).find((r) => r.ruleId === 'transit-next-hop-unreachable');
    expect((await routeRow())?.resourceId).toBe(ROUTE);
    const table = () => app.standIn.state.raw(TABLE)!;
    const nextHop = (ip: string) => {
      const route = (table().properties.routes as { properties: Record<string, unknown> }[])[0]!;
      route.properties.nextHopIpAddress = ip;
    };

    // The route now points at the hub firewall, which spoke7 reaches over its peering: resolved (it
    // was never mailed, so quietly).
    nextHop('10.0.1.4');
    await deliver(ROUTE);
    expect(await routeRow()).toBeUndefined();
    expect(mails()).toEqual([]);

    // Back to an address nobody holds, by a write of the table: a new alert.
    nextHop('10.250.0.4');
    await deliver(TABLE);
    expect(mails()).toEqual([expect.stringMatching(/^\[peerguard\] ERROR transit-next-hop-unreachable: .*vnet-spoke7-dev/)]);
    await deliver(TABLE); // a second write of the same state: nothing new
    expect(mails()).toHaveLength(1);

    // The subnet stops using the table (a subnet write in spoke7): a table used by no subnet routes
    // nothing, so the finding is resolved, and its mailed alert gets its resolution.
    const spoke7 = app.standIn.state.get(SPOKE7)!;
    const subnets = (spoke7.properties.subnets as { id: string; name: string; properties: Record<string, unknown> }[]).map(({ properties: { routeTable: _table, ...rest }, ...s }) => ({ ...s, properties: rest }));
    app.standIn.state.putResource(SPOKE7, { ...spoke7, properties: { ...spoke7.properties, subnets } });
    await deliver(`${SPOKE7}/subnets/snet-app`);
    expect(mails().slice(1)).toEqual([expect.stringMatching(/^\[peerguard\] RESOLVED transit-next-hop-unreachable: /)]);
    expect(await routeRow()).toBeUndefined();
    await expectFullAudit();
  });

  it("a hub's gateway deleted, then back: the event judges the hub and the VNets peered with it, whose peerings use its gateway", async () => {
    const saved = structuredClone(app.standIn.state.get(GATEWAY)!);
    app.standIn.state.deleteResource(GATEWAY);
    await deliver(GATEWAY, 'delete');
    // spoke1, spoke6 and spoke12 use the hub's gateway through their peerings (anchored at the
    // spokes); the hub offers transit it no longer has (anchored at the hub).
    const spokes = ['vnet-spoke1', 'vnet-spoke6-dev', 'vnet-spoke12-dev'];
    // Seven alerts at once: one digest, which lists each.
    expect(mails()).toEqual(['[peerguard] 7 new findings (4 ERROR, 3 WARNING): vnet-hub-weu']);
    const opened = app.standIn.email.sent[0]?.plainText ?? '';
    for (const s of spokes) expect(opened).toMatch(new RegExp(`^- ERROR gateway-transit-remote-has-no-gateway \\(.*\\): ${s} <-> vnet-hub-weu$`, 'm'));
    expect(opened).toMatch(/^- WARNING gateway-transit-allowed-without-gateway \(.*\): vnet-hub-weu/m);
    await expectFullAudit();
    app.standIn.email.reset();
    app.standIn.state.seed(saved);
    await deliver(GATEWAY);
    expect(mails()).toEqual(['[peerguard] 7 resolved: vnet-hub-weu']);
    const resolved = app.standIn.email.sent[0]?.plainText ?? '';
    for (const s of spokes) expect(resolved).toMatch(new RegExp(`^- gateway-transit-remote-has-no-gateway \\(.*\\): ${s} <-> vnet-hub-weu$`, 'm'));
    await expectFullAudit();
  });

  it('a neighbourhood Resource Graph cannot answer decides nothing: the event is retried, then thrown for Event Grid to redeliver', async () => {
    app.standIn.faults.fail('resourceGraph', 503, Infinity);
    try {
      await expect(eventGridTrigger(eventAbout(`${SPOKE12}/virtualNetworkPeerings/spoke12-to-hub`, 'write', 'graph-down'), context('eventGridTrigger'))).rejects.toThrow(/left to Event Grid to redeliver: .*Resource Graph \(503 /);
    } finally {
      app.standIn.faults.clear();
    }
    expect(mails()).toEqual([]);
    await expectFullAudit();
  }, 60_000);
});
