import type { Finding } from '../../src/engine/audit';
import { DEFAULT_CONFIG } from '../../src/engine/config';
import { auditResources, type AuditRun } from '../../src/engine/pipeline';
import type { AuditReport, ReportExtras } from '../../src/report/report';
import { RULES } from '../../src/rules';
import type { Rule, RuleMeta } from '../../src/rules/rule';
import { SUB_A, SUB_B, vnet, vnetId } from '../support/estate';

// A small hand-made report for the sarif, markdown and csv renderers: one finding per severity,
// names from a hostile Azure (markup, pipes, backticks, brackets, newlines, formulas), a fix plan
// with a body, suppressed findings, a notice; plus a real audit through the pipeline and RULES.

export const HOSTILE_VNET = '<img src=x onerror=alert(1)>';
export const PIPE_NAME = 'a|b';

const rg = `/subscriptions/${SUB_A}/resourceGroups/rg-hub/providers/Microsoft.Network/virtualNetworks`;
export const HOSTILE_VNET_ID = `${rg}/${HOSTILE_VNET}`;
export const HOSTILE_PEERING_ID = `${HOSTILE_VNET_ID}/virtualNetworkPeerings/${PIPE_NAME}`;
export const SPOKE_ID = `/subscriptions/${SUB_B}/resourceGroups/rg-spoke/providers/Microsoft.Network/virtualNetworks/spoke\`code\`[x](javascript:alert(1))`;
export const FORMULA_ID = `/subscriptions/${SUB_B}/resourceGroups/rg-spoke/providers/Microsoft.Network/virtualNetworks/=HYPERLINK(A1&"x";"y")`;

function meta(id: string, defaultSeverity: RuleMeta['defaultSeverity'], fix: RuleMeta['fix'] = 'none'): Rule {
  return {
    meta: {
      id,
      title: `Title of ${id}`,
      category: 'peering-lifecycle',
      defaultSeverity,
      description: `Description of ${id}.`,
      docsUrl: `https://learn.microsoft.com/azure/virtual-network/${id}`,
      fix,
    },
    evaluate: () => [],
  };
}

/** A catalog of four rules; `rule-re-rated` defaults to info but is configured up to warning. */
export const SAMPLE_RULES: readonly Rule[] = [
  meta('rule-error', 'error', 'safe'),
  meta('rule-re-rated', 'info'),
  meta('rule-info', 'info'),
  meta('rule-warning-unused', 'warning'),
];

export const ERROR_FINDING: Finding = {
  ruleId: 'rule-error',
  severity: 'error',
  resourceId: HOSTILE_PEERING_ID,
  relatedResourceIds: [HOSTILE_VNET_ID, SPOKE_ID],
  message: `Peering "${PIPE_NAME}" of VNet "${HOSTILE_VNET}" is one-sided:\n"${SPOKE_ID.slice(SPOKE_ID.lastIndexOf('/') + 1)}" has no | peering back.`,
  fingerprint: '0123456789abcdef0123456789abcdef',
  fix: {
    description: `Create the reverse peering on "${HOSTILE_VNET}" | now`,
    destructive: false,
    operations: [
      {
        method: 'PUT',
        resourceId: `${SPOKE_ID}/virtualNetworkPeerings/back-to-${HOSTILE_VNET}`,
        apiVersion: '2024-05-01',
        body: { properties: { remoteVirtualNetwork: { id: HOSTILE_VNET_ID }, note: '```\n</script><b>x</b>' } },
      },
    ],
  },
};

export const WARNING_FINDING: Finding = {
  ruleId: 'rule-re-rated',
  severity: 'warning',
  resourceId: SPOKE_ID,
  relatedResourceIds: [],
  message: '-2+3 looks like a formula, and so does this one.',
  fingerprint: 'fedcba9876543210fedcba9876543210',
  fix: null,
};

export const INFO_FINDING: Finding = {
  ruleId: 'rule-info',
  severity: 'info',
  resourceId: FORMULA_ID,
  relatedResourceIds: ['@SUM(A1:A9)'],
  message: '=1+1',
  fingerprint: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  fix: {
    description: '+cmd|\' /C calc\'!A0',
    destructive: true,
    operations: [{ method: 'DELETE', resourceId: `${FORMULA_ID}/virtualNetworkPeerings/p`, apiVersion: '2024-05-01' }],
  },
};

export function sampleReport(overrides: Partial<AuditReport> = {}): AuditReport {
  return {
    tool: { name: 'peerguard', version: '1.2.3' },
    generatedAt: '2026-11-25T08:00:00.000Z',
    summary: { vnets: 3, peerings: 2, findings: { error: 1, warning: 1, info: 1 } },
    coverage: { subscriptions: [SUB_A, SUB_B], unreadable: [], outOfScope: [] },
    findings: [ERROR_FINDING, WARNING_FINDING, INFO_FINDING],
    ...overrides,
  };
}

export const UNREADABLE = [
  { scope: '33333333-3333-3333-3333-333333333333', reason: 'AuthorizationFailed: no Reader role' },
  { scope: `/providers/Microsoft.Management/managementGroups/${HOSTILE_VNET}`, reason: 'denied | `x`' },
];

export function partialReport(): AuditReport {
  return sampleReport({ coverage: { subscriptions: [SUB_A, SUB_B], unreadable: UNREADABLE, outOfScope: [] } });
}

export function sampleExtras(overrides: Partial<ReportExtras> = {}): ReportExtras {
  return { suppressed: [], notices: [], ...overrides };
}

/** A real audit: a one-sided peering (error, with a fix) between two subscriptions. */
export function realRun(unreadable: AuditRun['report']['coverage']['unreadable'] = []): AuditRun {
  const hub = vnetId('vnet-hub', SUB_A);
  const spoke = vnetId('vnet-spoke', SUB_B);
  return auditResources({
    resources: [
      vnet({ id: hub, prefixes: ['10.0.0.0/16'], peerings: [{ remote: spoke, state: 'Initiated' }] }),
      vnet({ id: spoke, prefixes: ['10.1.0.0/16'] }),
    ].map((resource) => ({ resource, source: 'test' })),
    rules: RULES,
    config: DEFAULT_CONFIG,
    now: new Date('2026-11-25T08:00:00Z'),
    version: '0.1.0',
    unreadable,
  });
}
