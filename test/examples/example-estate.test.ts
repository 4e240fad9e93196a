import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseAuditConfig } from '../../src/engine/config';
import { auditResources } from '../../src/engine/pipeline';
import { readSnapshot } from '../../src/io/snapshot-files';
import { RULES } from '../../src/rules';
import { runCli } from '../support/cli';

// The bundled example estate (examples/estate) with its configuration: the findings it must give,
// so that the example can never rot, and at least one finding of every rule in the catalog.

const root = resolve(__dirname, '../..');
const now = new Date('2026-11-25T08:00:00Z');

async function auditExample() {
  const configPath = resolve(root, 'examples/peerguard.yaml');
  const config = parseAuditConfig(parseYaml(readFileSync(configPath, 'utf8')), RULES.map((r) => r.meta.id), configPath);
  const resources = await readSnapshot([resolve(root, 'examples/estate')]);
  return auditResources({ resources, rules: RULES, config, now, version: 'test' });
}

/** `rule-id  <last three segments of the resource id>` */
const EXPECTED = `
gateway-transit-local-gateway-conflict     vnet-spoke11-prod/virtualNetworkPeerings/spoke11-to-hubneu
gateway-transit-multiple-remote            Microsoft.Network/virtualNetworks/vnet-spoke12-dev
gateway-transit-remote-has-no-gateway      vnet-spoke13-dev/virtualNetworkPeerings/spoke13-to-shared
gateway-transit-remote-not-allowed         vnet-spoke3-prod/virtualNetworkPeerings/spoke3-to-hub
gateway-transit-remote-not-allowed         vnet-spoke6-dev/virtualNetworkPeerings/spoke6-to-hub
peering-address-overlap                    vnet-hub-weu/virtualNetworkPeerings/hub-to-spoke8
peering-disconnected                       vnet-spoke4-prod/virtualNetworkPeerings/spoke4-to-hub
peering-one-sided                          vnet-spoke3-prod/virtualNetworkPeerings/spoke3-to-hub
peering-provisioning-failed                vnet-hub-weu/virtualNetworkPeerings/hub-to-spoke7
peering-remote-vnet-missing                vnet-hub-weu/virtualNetworkPeerings/hub-to-spoke14-retired
transit-forwarded-traffic-blocked          vnet-spoke2-prod/virtualNetworkPeerings/spoke2-to-hub
transit-forwarded-traffic-blocked          vnet-spoke12-dev/virtualNetworkPeerings/spoke12-to-hub
transit-forwarded-traffic-blocked          vnet-spoke5-dev/virtualNetworkPeerings/spoke5-to-hub
transit-forwarded-traffic-blocked          vnet-spoke6-dev/virtualNetworkPeerings/spoke6-to-hub
transit-forwarded-traffic-blocked          vnet-spoke7-dev/virtualNetworkPeerings/spoke7-to-hub
transit-forwarded-traffic-blocked          vnet-spoke8-dev/virtualNetworkPeerings/spoke8-to-hub
transit-intent-unreachable                 Microsoft.Network/virtualNetworks/vnet-spoke1
transit-intent-unreachable                 Microsoft.Network/virtualNetworks/vnet-spoke2-prod
transit-intent-unreachable                 Microsoft.Network/virtualNetworks/vnet-spoke2-prod
transit-intent-unreachable                 Microsoft.Network/virtualNetworks/vnet-spoke7-dev
transit-intent-unreachable                 Microsoft.Network/virtualNetworks/vnet-spoke8-dev
transit-intent-violated                    Microsoft.Network/virtualNetworks/vnet-spoke12-dev
transit-next-hop-unreachable               rt-spoke7-dev/routes/to-legacy-dc
gateway-transit-allowed-without-gateway    vnet-shared-dev/virtualNetworkPeerings/shared-to-spoke13
gateway-transit-basic-gateway              vnet-spoke11-prod/virtualNetworkPeerings/spoke11-to-hubneu
gateway-transit-basic-gateway              vnet-spoke12-dev/virtualNetworkPeerings/spoke12-to-hubneu
gateway-transit-offered-not-used           vnet-spoke2-prod/virtualNetworkPeerings/spoke2-to-hub
peering-access-asymmetric                  vnet-spoke9-dev/virtualNetworkPeerings/spoke9-to-hub
peering-address-space-out-of-sync          vnet-hub-weu/virtualNetworkPeerings/hub-to-spoke5
peering-address-space-out-of-sync          vnet-spoke5-dev/virtualNetworkPeerings/spoke5-to-hub
peering-limit-near                         Microsoft.Network/virtualNetworks/vnet-hub-weu
peering-remote-out-of-scope                vnet-hub-weu/virtualNetworkPeerings/hub-to-partner
transit-not-transitive                     vnet-spoke7-dev/virtualNetworkPeerings/spoke7-to-hub
transit-not-transitive                     vnet-spoke8-dev/virtualNetworkPeerings/spoke8-to-hub
`
  .trim()
  .split('\n')
  .map((line) => line.trim().split(/\s+/).join('  '))
  .sort();

/** `npm run audit`, as the README's first line runs it (JSON instead of the table). */
async function npmRunAudit() {
  const { code, stdout, stderr } = await runCli([
    'audit',
    '--input', resolve(root, 'examples/estate'),
    '--config', resolve(root, 'examples/peerguard.yaml'),
    '--intent', resolve(root, 'examples/intent.yaml'),
    '--fail-on', 'none',
    '--format', 'json',
  ]);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return JSON.parse(stdout) as { findings: Array<{ ruleId: string; resourceId: string }> };
}

it('npm run audit runs exactly this command line', () => {
  const script = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')).scripts.audit as string;
  expect(script).toContain('audit --input examples/estate --config examples/peerguard.yaml --intent examples/intent.yaml --fail-on none');
});

describe('the bundled example estate', () => {
  it('gives exactly the expected findings', async () => {
    const report = await npmRunAudit();
    const actual = report.findings
      .map((f) => `${f.ruleId}  ${f.resourceId.split('/').slice(-3).join('/')}`)
      .sort();
    expect(actual).toEqual(EXPECTED);
  });

  it('shows every rule of the catalog at least once', async () => {
    const report = await npmRunAudit();
    const shown = new Set(report.findings.map((f) => f.ruleId));
    const missing = RULES.map((r) => r.meta.id).filter((id) => !shown.has(id));
    expect(missing).toEqual([]);
  });

  it('spans three subscriptions and two regions, with a hub holding a VPN gateway and a firewall', async () => {
    const { report, extras } = await auditExample();
    expect(report.coverage.subscriptions).toHaveLength(3);
    const vnets = [...extras.topology.vnets.values()];
    expect(new Set(vnets.map((v) => v.location).filter(Boolean))).toEqual(new Set(['westeurope', 'northeurope']));
    const hub = vnets.find((v) => v.name === 'vnet-hub-weu');
    expect(hub?.gateways.map((g) => g.kind)).toContain('Vpn');
    expect(hub?.appliances.map((a) => a.kind)).toContain('AzureFirewall');
    expect(vnets.filter((v) => v.name.startsWith('vnet-spoke')).length).toBeGreaterThanOrEqual(12);
  });

  it('applies its configuration: a re-rated rule, an active and an expired suppression', async () => {
    const { report, extras } = await auditExample();
    expect(report.findings.find((f) => f.ruleId === 'gateway-transit-offered-not-used')?.severity).toBe('warning');
    expect(extras.suppressed.map((s) => s.finding.ruleId)).toEqual(['gateway-transit-basic-gateway']);
    expect(extras.notices.map((n) => n.message).join()).toContain('expired on 2026-01-31');
  });
});
