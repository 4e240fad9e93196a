import { NetworkManagementClient } from '@azure/arm-network';
import { createHttpHeaders, type PipelineRequest } from '@azure/core-rest-pipeline';
import { describe, expect, it } from 'vitest';
import { runAudit } from '../../src/engine/audit';
import { parseAuditConfig } from '../../src/engine/config';
import { planRemediation } from '../../src/remediation/plan';
import { NETWORK_API_VERSION, deletePeering, putPeering } from '../../src/rules/describe';
import { gatewayTransitRemoteNotAllowed } from '../../src/rules/gateway-transit-remote-not-allowed';
import { peeringAddressSpaceOutOfSync } from '../../src/rules/peering-address-space-out-of-sync';
import { peeringDisconnected } from '../../src/rules/peering-disconnected';
import { peeringOneSided } from '../../src/rules/peering-one-sided';
import { keyOf } from '../../src/model/ids';
import type { ArmOperation } from '../../src/rules/rule';
import type { Rule } from '../../src/rules/rule';
import type { RawResource } from '../../src/model/snapshot';
import { SUB_A, SUB_B, SUB_C, gateway, peeringResource, topologyOf, vnet, vnetId } from '../support/estate';

const hub = vnetId('vnet-hub', SUB_A);
const spokeB = vnetId('spoke-b', SUB_B);
const spokeC = vnetId('spoke-c', SUB_C);
const disconnectedLike: Rule = {
  meta: { ...peeringOneSided.meta, id: 'fake-destructive', fix: 'destructive' },
  evaluate: (t) =>
    peeringOneSided.evaluate(t, { peeringLimit: 500 }).map((d) => ({
      ...d,
      fix: { description: 'delete', destructive: true, operations: [{ method: 'DELETE', resourceId: d.resourceId, apiVersion: NETWORK_API_VERSION }] },
    })),
};

function plan(remediation: unknown, opts: { tags?: Record<string, string>; rules?: Rule[]; extra?: ReturnType<typeof vnet>[] } = {}) {
  const resources = [
    // Two one-sided peerings from spokes to the hub: the fixes create reverse peerings on the hub.
    vnet({ id: hub, prefixes: ['10.0.0.0/16'], tags: opts.tags ?? {} }),
    vnet({ id: spokeB, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub, state: 'Initiated' }] }),
    vnet({ id: spokeC, prefixes: ['10.2.0.0/16'], peerings: [{ remote: hub, state: 'Initiated' }] }),
    ...(opts.extra ?? []),
  ];
  const rules = opts.rules ?? [peeringOneSided];
  const config = parseAuditConfig({ remediation }, rules.map((r) => r.meta.id));
  const topology = topologyOf(resources);
  const { findings } = runAudit(topology, rules, config, new Date('2026-11-25T00:00:00Z'));
  return planRemediation(findings, topology, config.remediation);
}

describe('remediation plan guards', () => {
  it('is off by default: nothing planned', () => {
    const p = plan({});
    expect(p.mode).toBe('disabled');
    expect(p.writes).toBe(0);
    expect(p.items.every((i) => i.status === 'skipped' && i.reason === 'remediation is disabled')).toBe(true);
  });

  it('plans a dry run unless apply is set', () => {
    expect(plan({ enabled: true, subscriptions: [SUB_A] }).mode).toBe('dry-run');
    expect(plan({ enabled: true, apply: true, subscriptions: [SUB_A] }).mode).toBe('apply');
  });

  it('writes only to allow-listed subscriptions', () => {
    const refused = plan({ enabled: true, subscriptions: [SUB_B] });
    expect(refused.items.map((i) => i.status)).toEqual(['skipped', 'skipped']);
    expect(refused.items[0]?.reason).toContain(`subscription ${SUB_A} is not on the remediation allow list`);
    const allowed = plan({ enabled: true, subscriptions: [SUB_A.toUpperCase()] });
    expect(allowed.items.map((i) => i.status)).toEqual(['planned', 'planned']);
    expect(allowed.writes).toBe(2);
  });

  it('honours the opt-in tag and never writes a VNet carrying the opt-out tag', () => {
    const optIn = { enabled: true, subscriptions: [SUB_A], optInTag: 'peerguard=yes' };
    expect(plan(optIn).items[0]?.reason).toContain('lacks the opt-in tag peerguard=yes');
    expect(plan(optIn, { tags: { PeerGuard: 'YES' } }).items[0]?.status).toBe('planned');
    const optedOut = plan({ enabled: true, subscriptions: [SUB_A] }, { tags: { 'peerguard-remediation': 'opt-out' } });
    expect(optedOut.items.every((i) => i.status === 'skipped' && i.reason.includes('opt-out'))).toBe(true);
  });

  it('never links to or unlinks from a VNet carrying the opt-out tag either: the hub is written, the opted-out spoke is its remote', () => {
    const optedOutSpoke = vnet({ id: vnetId('spoke-d', SUB_B), prefixes: ['10.3.0.0/16'], tags: { 'peerguard-remediation': 'opt-out' }, peerings: [{ remote: hub, state: 'Initiated' }] });
    const p = plan({ enabled: true, subscriptions: [SUB_A, SUB_B, SUB_C] }, { extra: [optedOutSpoke] });
    const toward = (spoke: string) => p.items.find((i) => i.findingResourceId.includes(`/${spoke}/`));
    expect(toward('spoke-d')).toMatchObject({ status: 'skipped', reason: expect.stringContaining('the remote VNet "spoke-d" carries the opt-out tag peerguard-remediation=opt-out') });
    expect(toward('spoke-c')?.status).toBe('planned');
  });

  it('needs allowDestructive for destructive fixes', () => {
    const rules = [disconnectedLike];
    const refused = plan({ enabled: true, subscriptions: [SUB_B, SUB_C] }, { rules });
    expect(refused.items.every((i) => i.reason.includes('needs allowDestructive'))).toBe(true);
    const allowed = plan({ enabled: true, subscriptions: [SUB_B, SUB_C], allowDestructive: true }, { rules });
    expect(allowed.items.map((i) => i.status)).toEqual(['planned', 'planned']);
  });

  it('never touches a VNet that was not read (another tenant, or a subscription outside the audit)', () => {
    const partner = vnetId('partner', '99999999-9999-9999-9999-999999999999');
    const p = plan(
      // Even with the partner's subscription allow-listed, its VNet was not read: no write toward it.
      { enabled: true, subscriptions: ['99999999-9999-9999-9999-999999999999', SUB_A, SUB_B] },
      { extra: [vnet({ id: vnetId('spoke-d', SUB_B), prefixes: ['10.3.0.0/16'], peerings: [{ remote: partner, state: 'Initiated' }] })] },
    );
    const towardPartner = p.items.find((i) => i.findingResourceId.includes('spoke-d'));
    expect(towardPartner?.status).toBe('skipped');
    expect(towardPartner?.reason).toContain('was not read');
  });

  it('stops at the write limit with whole fixes only', () => {
    const p = plan({ enabled: true, subscriptions: [SUB_A], maxWrites: 1 });
    expect(p.items.map((i) => i.status)).toEqual(['planned', 'deferred']);
    expect(p.items[1]?.reason).toContain('write limit of 1');
    expect(p.writes).toBe(1);
  });

  it('skips a fix larger than maxWrites, saying raising the limit is the only way (deferring it would repeat forever)', () => {
    const rules = [peeringDisconnected];
    const config = parseAuditConfig({ remediation: { enabled: true, subscriptions: [SUB_A, SUB_B], allowDestructive: true, maxWrites: 2 } }, rules.map((r) => r.meta.id));
    const topology = topologyOf([
      vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spokeB, state: 'Disconnected' }] }),
      vnet({ id: spokeB, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub }] }),
    ]);
    const p = planRemediation(runAudit(topology, rules, config, new Date('2026-11-25T00:00:00Z')).findings, topology, config.remediation);
    expect(p.items).toHaveLength(1);
    expect(p.items[0]).toMatchObject({ status: 'skipped', operations: expect.objectContaining({ length: 4 }) });
    expect(p.items[0]?.reason).toMatch(/^needs 4 writes, more than remediation\.maxWrites \(2\): raising maxWrites is the only way to apply it/);
    expect(p.writes).toBe(0);
  });

  it('builds a second PUT of the same peering on the first, and defers a conflicting one', () => {
    const onSpokeB = (id: string, op: (p: Parameters<typeof putPeering>[0]) => ArmOperation): Rule => ({
      meta: { ...peeringOneSided.meta, id },
      evaluate: (t) =>
        [...t.peerings.values()]
          .filter((p) => p.vnetKey === keyOf(spokeB))
          .map((p) => ({ resourceId: p.id, relatedResourceIds: [], message: id, fix: { description: id, destructive: false, operations: [op(p)] } })),
    });
    const rules = [
      onSpokeB('allow-forwarded', (p) => putPeering(p, { allowForwardedTraffic: true })),
      onSpokeB('sync', (p) => putPeering(p, {}, { syncRemoteAddressSpace: 'true' })),
      onSpokeB('subnets-a', (p) => putPeering(p, { localSubnetNames: ['a'] })),
      onSpokeB('subnets-b', (p) => putPeering(p, { localSubnetNames: ['b'] })),
      onSpokeB('remove', (p) => deletePeering(p.id)),
    ];
    const resources = [
      vnet({ id: hub, prefixes: ['10.0.0.0/16'] }),
      vnet({ id: spokeB, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub, state: 'Initiated', allowForwardedTraffic: false }] }),
    ];
    const config = parseAuditConfig({ remediation: { enabled: true, subscriptions: [SUB_B], allowDestructive: true } }, rules.map((r) => r.meta.id));
    const topology = topologyOf(resources);
    const { findings } = runAudit(topology, rules, config, new Date('2026-11-25T00:00:00Z'));
    const p = planRemediation(findings, topology, config.remediation);
    const byRule = new Map(p.items.map((i) => [i.ruleId, i]));
    expect(byRule.get('allow-forwarded')?.status).toBe('planned');
    // The sync keeps the forwarded-traffic change instead of writing the audited flag back.
    const sync = byRule.get('sync');
    expect(sync?.status).toBe('planned');
    expect(sync?.operations[0]?.query).toEqual({ syncRemoteAddressSpace: 'true' });
    expect(sync?.operations[0]?.body).toMatchObject({ properties: { allowForwardedTraffic: true } });
    expect(byRule.get('subnets-a')?.operations[0]?.body).toMatchObject({ properties: { allowForwardedTraffic: true, localSubnetNames: ['a'] } });
    expect(byRule.get('subnets-b')).toMatchObject({ status: 'deferred', reason: expect.stringMatching(/writes .* differently; left for the next run/) });
    expect(byRule.get('remove')).toMatchObject({ status: 'deferred' });
  });

  it('never deletes a peering whose remote is in a subscription that was not read (another tenant)', () => {
    const partner = vnetId('partner', '99999999-9999-9999-9999-999999999999');
    const spokeD = vnetId('spoke-d', SUB_B);
    const p = plan(
      { enabled: true, subscriptions: [SUB_B, SUB_C], allowDestructive: true },
      { rules: [disconnectedLike], extra: [vnet({ id: spokeD, prefixes: ['10.3.0.0/16'], peerings: [{ remote: partner, state: 'Initiated' }] })] },
    );
    const towardPartner = p.items.find((i) => i.findingResourceId.includes('spoke-d'));
    expect(towardPartner).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/in a subscription that was not read/) });
    expect(p.items.filter((i) => i.status === 'planned')).toHaveLength(2);
  });

  it('both links Disconnected: one re-create is planned, the other finding is a duplicate, not deferred', () => {
    const rules = [peeringDisconnected];
    const config = parseAuditConfig({ remediation: { enabled: true, subscriptions: [SUB_A, SUB_B], allowDestructive: true } }, rules.map((r) => r.meta.id));
    const topology = topologyOf([
      vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spokeB, state: 'Disconnected' }] }),
      vnet({ id: spokeB, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub, state: 'Disconnected' }] }),
    ]);
    const p = planRemediation(runAudit(topology, rules, config, new Date('2026-11-25T00:00:00Z')).findings, topology, config.remediation);
    expect(p.items.map((i) => [i.status, i.reason.startsWith('repairs') ? 'repairs' : i.reason])).toEqual([
      ['planned', 'repairs'],
      ['skipped', 'the same operations are planned for another finding'],
    ]);
    expect(p.writes).toBe(4);
  });

  it('a fix partly planned for an earlier finding keeps its whole fix beside the operations left to it; a whole one does not', () => {
    // hub→spoke-b is behind on spoke-b's space (LocalNotInSync): its fix syncs it. spoke-b→hub says
    // hub→spoke-b is behind (RemoteNotInSync) and recorded an old space of the hub: its fix syncs both.
    const rules = [peeringAddressSpaceOutOfSync];
    const config = parseAuditConfig({ remediation: { enabled: true, subscriptions: [SUB_A, SUB_B] } }, rules.map((r) => r.meta.id));
    const topology = topologyOf([
      vnet({ id: hub, prefixes: ['10.0.0.0/16', '10.8.0.0/16'], peerings: [{ remote: spokeB, syncLevel: 'LocalNotInSync', remoteAddressSpace: ['10.1.0.0/16'] }] }),
      vnet({ id: spokeB, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub, syncLevel: 'RemoteNotInSync', remoteAddressSpace: ['10.0.0.0/16'] }] }),
    ]);
    const p = planRemediation(runAudit(topology, rules, config, new Date('2026-11-25T00:00:00Z')).findings, topology, config.remediation);
    const synced = (ops: readonly ArmOperation[] | undefined) => ops?.map((op) => op.resourceId.split('/').pop());
    expect(p.items.map((i) => [i.status, synced(i.operations), synced(i.fixOperations)])).toEqual([
      ['planned', ['vnet-hub-to-spoke-b'], undefined],
      ['planned', ['spoke-b-to-vnet-hub'], expect.arrayContaining(['spoke-b-to-vnet-hub', 'vnet-hub-to-spoke-b'])],
    ]);
    expect(p.items[1]?.fixOperations).toHaveLength(2);
    expect(p.writes).toBe(2);
  });

  describe('a fix that would write useRemoteGateways where ARM refuses it is skipped, not left half done', () => {
    const gatewayAt = (vnetId: string) => gateway('vgw', vnetId);
    const planWith = (rules: Rule[], resources: RawResource[]) => {
      const config = parseAuditConfig({ remediation: { enabled: true, subscriptions: [SUB_A, SUB_B], allowDestructive: true } }, rules.map((r) => r.meta.id));
      const topology = topologyOf(resources);
      return planRemediation(runAudit(topology, rules, config, new Date('2026-11-25T00:00:00Z')).findings, topology, config.remediation);
    };
    const hubWithGateway = (peerings: Parameters<typeof vnet>[0]['peerings']) => [
      vnet({ id: hub, prefixes: ['10.0.0.0/16'], subnets: [{ name: 'GatewaySubnet', prefix: '10.0.255.0/27' }], peerings }),
      gatewayAt(hub),
    ];

    it('a Disconnected re-create whose peering back would not offer transit: skipped before both links are deleted', () => {
      const p = planWith([peeringDisconnected], [
        ...hubWithGateway([{ remote: spokeB, allowGatewayTransit: false }]),
        vnet({ id: spokeB, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub, state: 'Disconnected', useRemoteGateways: true }] }),
      ]);
      expect(p.items).toHaveLength(1);
      expect(p.items[0]).toMatchObject({ status: 'skipped', reason: '"spoke-b-to-vnet-hub" uses remote gateways, but the peering back from "vnet-hub" does not allow gateway transit: ARM refuses the write; allow transit there first' });
      expect(p.writes).toBe(0);
    });

    it('the same re-create where the peering back offers transit is planned, the transit side first', () => {
      const p = planWith([peeringDisconnected], [
        ...hubWithGateway([{ remote: spokeB, allowGatewayTransit: true }]),
        vnet({ id: spokeB, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub, state: 'Disconnected', useRemoteGateways: true }] }),
      ]);
      expect(p.items.map((i) => i.status)).toEqual(['planned']);
    });

    it('a sync of a link that uses the gateways of a VNet without one: skipped (RemoteVnetHasNoGateways)', () => {
      const p = planWith([peeringAddressSpaceOutOfSync], [
        vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spokeB, allowGatewayTransit: true }] }),
        vnet({ id: spokeB, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub, useRemoteGateways: true, syncLevel: 'LocalNotInSync' }] }),
      ]);
      const sync = p.items.find((i) => i.findingResourceId.endsWith('spoke-b-to-vnet-hub'));
      expect(sync).toMatchObject({ status: 'skipped', reason: expect.stringContaining('"vnet-hub" has no gateway or Route Server: ARM refuses the write (RemoteVnetHasNoGateways)') });
    });

    it('a peering back that an earlier planned fix creates with transit lets a later fix write the link', () => {
      const p = planWith([peeringOneSided, peeringAddressSpaceOutOfSync], [
        ...hubWithGateway([]),
        vnet({ id: spokeB, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub, state: 'Initiated', useRemoteGateways: true, syncLevel: 'LocalNotInSync' }] }),
      ]);
      expect(p.items.map((i) => [i.ruleId, i.status])).toEqual([
        ['peering-one-sided', 'planned'],
        ['peering-address-space-out-of-sync', 'planned'],
      ]);
    });

    it('a remote known from its standalone peering only was not read (gateways, tenant unknown): the write is not planned', () => {
      const standalone = peeringResource(hub, { remote: spokeB, allowGatewayTransit: true });
      const p = planWith([peeringAddressSpaceOutOfSync], [
        standalone,
        vnet({ id: spokeB, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub, useRemoteGateways: true, syncLevel: 'LocalNotInSync' }] }),
      ]);
      // The hub is in the topology (made from its peering's id), but its own resource was never read.
      expect(p.items.find((i) => i.findingResourceId.endsWith('spoke-b-to-vnet-hub'))).toMatchObject({
        status: 'skipped',
        reason: `remote VNet ${hub} was not read (another tenant or an unread subscription)`,
      });
    });

    it('a fix planned earlier that allows transit on the peering back lets a later one write the link', () => {
      const p = planWith([gatewayTransitRemoteNotAllowed, peeringAddressSpaceOutOfSync], [
        ...hubWithGateway([{ remote: spokeB, allowGatewayTransit: false }]),
        vnet({ id: spokeB, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub, useRemoteGateways: true, syncLevel: 'LocalNotInSync' }] }),
      ]);
      const byRule = new Map(p.items.map((i) => [i.ruleId, i]));
      expect(byRule.get('gateway-transit-remote-not-allowed')?.status).toBe('planned');
      expect(byRule.get('peering-address-space-out-of-sync')?.status).toBe('planned');
    });
  });
  describe('a write never repoints an existing peering', () => {
    // A rule (or a name clash) that PUTs an existing peering with another remote VNet.
    const pointAt = (remote: string): Rule => ({
      meta: { ...peeringOneSided.meta, id: 'point-at' },
      evaluate: (t) =>
        [...t.peerings.values()]
          .filter((p) => p.vnetKey === keyOf(spokeB))
          .map((p) => ({ resourceId: p.id, relatedResourceIds: [], message: 'point', fix: { description: 'point', destructive: false, operations: [putPeering(p, { remoteVirtualNetwork: { id: remote } })] } })),
    });
    const planWith = (rule: Rule) => {
      const config = parseAuditConfig({ remediation: { enabled: true, subscriptions: [SUB_A, SUB_B, SUB_C] } }, [rule.meta.id]);
      const topology = topologyOf([
        vnet({ id: hub, prefixes: ['10.0.0.0/16'] }),
        vnet({ id: spokeB, prefixes: ['10.1.0.0/16'], peerings: [{ remote: hub, state: 'Initiated' }] }),
        vnet({ id: spokeC, prefixes: ['10.2.0.0/16'] }),
      ]);
      return planRemediation(runAudit(topology, [rule], config, new Date('2026-11-25T00:00:00Z')).findings, topology, config.remediation);
    };

    it('a PUT naming another remote is skipped, with the peering and both remotes in the reason', () => {
      const p = planWith(pointAt(spokeC));
      expect(p.items[0]?.status).toBe('skipped');
      expect(p.items[0]?.reason).toContain('peering "spoke-b-to-vnet-hub" of VNet "spoke-b"');
      expect(p.items[0]?.reason).toContain(`points at VNet "vnet-hub" (subscription ${SUB_A}, rg-vnet-hub)`);
      expect(p.items[0]?.reason).toContain(`repoint it at VNet "spoke-c" (subscription ${SUB_C}, rg-spoke-c)`);
      expect(p.writes).toBe(0);
    });

    it('the same remote in another case is no repointing', () => {
      expect(planWith(pointAt(hub.toUpperCase())).items[0]?.status).toBe('planned');
    });
  });

  describe('a fix that would peer overlapping address spaces is skipped, not left half done', () => {
    const planDisconnected = (peering: Parameters<typeof vnet>[0]['peerings']) => {
      const rules = [peeringDisconnected];
      const config = parseAuditConfig({ remediation: { enabled: true, subscriptions: [SUB_A, SUB_B], allowDestructive: true, maxWrites: 10 } }, rules.map((r) => r.meta.id));
      const topology = topologyOf([
        vnet({ id: hub, prefixes: ['10.0.0.0/16'], subnets: [{ name: 'app', prefix: '10.0.1.0/24' }], peerings: peering }),
        vnet({ id: spokeB, prefixes: ['10.0.128.0/17'], subnets: [{ name: 'db', prefix: '10.0.200.0/24' }] }),
      ]);
      return planRemediation(runAudit(topology, rules, config, new Date('2026-11-25T00:00:00Z')).findings, topology, config.remediation);
    };

    it('a Disconnected re-create between overlapping VNets: skipped before the deletes, naming the prefixes', () => {
      const p = planDisconnected([{ remote: spokeB, state: 'Disconnected' }]);
      expect(p.items).toHaveLength(1);
      expect(p.items[0]).toMatchObject({
        status: 'skipped',
        reason: '"vnet-hub-to-spoke-b" would peer "vnet-hub" and "spoke-b", whose address spaces overlap (10.0.0.0/16 with 10.0.128.0/17): ARM refuses to peer overlapping address spaces; change one of them first',
      });
      expect(p.writes).toBe(0);
    });

    it('a subnet peering between overlapping VNets is left to ARM (its subnets may not overlap)', () => {
      const p = planDisconnected([{ remote: spokeB, state: 'Disconnected', peerCompleteVnets: false, localSubnetNames: ['app'], remoteSubnetNames: ['db'] }]);
      expect(p.items.map((i) => i.status)).toEqual(['planned']);
    });
  });

  it('plans the api-version the @azure/arm-network client sends (an SDK upgrade that changes it fails here)', async () => {
    // The client exposes no apiVersion property: it sends its own constant. Capture one request.
    let sent: PipelineRequest | undefined;
    const client = new NetworkManagementClient({ getToken: async () => ({ token: 't', expiresOnTimestamp: Date.now() + 3_600_000 }) }, SUB_A, {
      httpClient: {
        sendRequest: async (request) => {
          sent = request;
          return { request, status: 200, headers: createHttpHeaders({ 'content-type': 'application/json' }), bodyAsText: '{}' };
        },
      },
    });
    await client.virtualNetworkPeerings.get('rg', 'vnet', 'peering');
    expect(new URL(sent!.url).searchParams.get('api-version')).toBe(NETWORK_API_VERSION);
  });
});
