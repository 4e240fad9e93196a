import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { runAudit, type Finding } from '../../src/engine/audit';
import { auditConfigSchema, DEFAULT_CONFIG } from '../../src/engine/config';
import { auditResources, type AuditRun } from '../../src/engine/pipeline';
import { readSnapshot } from '../../src/io/snapshot-files';
import type { RawResource } from '../../src/model/snapshot';
import { buildReport } from '../../src/report/report';
import { RULES } from '../../src/rules';
import { firewall, gateway, SUB_A, SUB_B, SUB_C, topologyOf, vnet, vnetId } from '../support/estate';

// Estates for the HTML report tests (unit and browser): the bundled example, a hostile one and a
// large one. Findings come from the rules that exist; where a test needs a kind of finding that
// no rule may produce yet, it is written out here with the rule id the catalog fixes.

export const ROOT = join(__dirname, '..', '..');
export const NOW = new Date('2026-11-25T08:00:00Z');
export const HOSTILE = '<img src=x onerror=alert(1)>';

/** The example estate with its configuration (rule ids the catalog does not know yet are dropped). */
export async function exampleRun(): Promise<AuditRun> {
  const resources = await readSnapshot([join(ROOT, 'examples', 'estate')]);
  const document = parseYaml(await readFile(join(ROOT, 'examples', 'peerguard.yaml'), 'utf8')) as Record<string, unknown>;
  const known = new Set(RULES.map((r) => r.meta.id));
  const parsed = auditConfigSchema.parse(document);
  const config = {
    ...parsed,
    rules: Object.fromEntries(Object.entries(parsed.rules).filter(([id]) => known.has(id))),
    suppressions: parsed.suppressions.filter((s) => s.rule === '*' || known.has(s.rule)),
  };
  return auditResources({ resources, rules: RULES, config, now: NOW, version: '0.0.0-test' });
}

function finding(ruleId: string, severity: Finding['severity'], resourceId: string, message: string): Finding {
  return { ruleId, severity, resourceId, relatedResourceIds: [], message, fingerprint: `${ruleId}-${resourceId.length}-${message.length}`.replace(/[^a-z0-9-]/g, ''), fix: null };
}

/** Runs the rules over resources, then adds hand-written findings. */
function runOf(resources: RawResource[], extra: Finding[] = [], unreadable: { scope: string; reason: string }[] = []): AuditRun {
  const topology = topologyOf(resources);
  const outcome = runAudit(topology, RULES, DEFAULT_CONFIG, NOW);
  const findings = [...outcome.findings, ...extra];
  const report = buildReport({ version: '0.0.0-test', now: NOW, topology, findings, unreadable });
  return { report, extras: { suppressed: outcome.suppressed, notices: outcome.notices, topology } };
}

/** A hub and spokes whose names, tags and messages try to inject markup and script. */
export function hostileRun(): AuditRun {
  const hub = vnetId('hub', SUB_A);
  const evil = vnetId(HOSTILE, SUB_B, 'rg-"><script>alert(2)</script>');
  const quote = vnetId(`x' onmouseover='alert(3)`, SUB_B);
  const resources: RawResource[] = [
    vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: evil }, { remote: quote }] }),
    vnet({ id: evil, prefixes: ['10.1.0.0/16'], tags: { owner: '</script><script>alert(4)</script>' } }), // one-sided
    vnet({ id: quote, prefixes: ['10.2.0.0/16'], peerings: [{ remote: hub, name: '"><svg onload=alert(5)>' }] }),
    gateway('vgw-hub', hub),
  ];
  const message = `VNet "${HOSTILE}" says </script><!-- \u2028 & more`;
  return runOf(resources, [finding('peering-disconnected', 'error', `${quote}/virtualNetworkPeerings/"><svg onload=alert(5)>`, message)], [
    { scope: SUB_C, reason: `AuthorizationFailed for ${HOSTILE}` },
  ]);
}

/**
 * `vnets` VNets in three subscriptions: two hubs with a gateway and a firewall, every other VNet a
 * spoke of one of them. Every tenth spoke has a broken link: one-sided (no peering back, found by
 * the rule) or Disconnected (finding written here).
 */
export function largeRun(vnets = 300): { run: AuditRun; broken: { spoke: string; hub: string }[] } {
  const subs = [SUB_A, SUB_B, SUB_C];
  const hubs = [vnetId('hub-weu', SUB_A, 'rg-hub'), vnetId('hub-neu', SUB_A, 'rg-hub')];
  const hubPeerings: { remote: string; state?: 'Disconnected' }[][] = [[], []];
  const resources: RawResource[] = [];
  const extra: Finding[] = [];
  const broken: { spoke: string; hub: string }[] = [];
  for (let i = 0; i < vnets - 2; i++) {
    const h = i % 2;
    const hub = hubs[h] as string;
    const name = `spoke-${String(i).padStart(3, '0')}`;
    const id = vnetId(name, subs[i % 3], `rg-${name}`);
    const prefix = `10.${1 + Math.floor(i / 200)}.${i % 200}.0/24`;
    if (i % 10 === 3) {
      // one-sided: the spoke peers to the hub, the hub has no peering back
      resources.push(vnet({ id, prefixes: [prefix], peerings: [{ remote: hub }] }));
      broken.push({ spoke: name, hub: h === 0 ? 'hub-weu' : 'hub-neu' });
    } else if (i % 10 === 7) {
      resources.push(vnet({ id, prefixes: [prefix], peerings: [{ remote: hub, state: 'Disconnected' }] }));
      hubPeerings[h]?.push({ remote: id, state: 'Disconnected' });
      extra.push(finding('peering-disconnected', 'error', `${id}/virtualNetworkPeerings/${name}-to-${h === 0 ? 'hub-weu' : 'hub-neu'}`, `${name} is Disconnected`));
      broken.push({ spoke: name, hub: h === 0 ? 'hub-weu' : 'hub-neu' });
    } else {
      resources.push(vnet({ id, prefixes: [prefix], peerings: [{ remote: hub, useRemoteGateways: i % 4 === 0 }] }));
      hubPeerings[h]?.push({ remote: id });
    }
  }
  hubs.forEach((hub, h) => {
    resources.push(vnet({ id: hub, prefixes: [`10.${200 + h}.0.0/16`], subnets: [{ name: 'AzureFirewallSubnet', prefix: `10.${200 + h}.1.0/26` }], peerings: (hubPeerings[h] ?? []).map((p) => ({ ...p, allowGatewayTransit: true })) }));
    resources.push(gateway(`vgw-${h}`, hub));
    resources.push(firewall(`afw-${h}`, hub, `10.${200 + h}.1.4`));
  });
  return { run: runOf(resources, extra), broken };
}
