import type { Intent } from '../intent/schema';
import { buildTopology } from '../model/build';
import type { SourcedResource } from '../model/snapshot';
import type { Topology } from '../model/types';
import { buildReport, type AuditReport, type ReportExtras, type UnreadableScope } from '../report/report';
import type { Rule } from '../rules/rule';
import { runAudit } from './audit';
import type { AuditConfig } from './config';

// One audit, from raw resources to the report: the use case every entry point shares.

export interface AuditRun {
  report: AuditReport;
  extras: ReportExtras & { topology: Topology };
}

export interface AuditInput {
  rules: readonly Rule[];
  config: AuditConfig;
  now: Date;
  version: string;
  unreadable?: UnreadableScope[];
  /** The declared intent (`--intent`); overrides the configuration's `intent:` section. */
  intent?: Intent;
}

export function auditResources(input: AuditInput & { resources: readonly SourcedResource[]; extraSubscriptions?: readonly string[] }): AuditRun {
  return auditTopology({ ...input, topology: buildTopology(input.resources, { extraSubscriptions: input.extraSubscriptions ?? [] }) });
}

export function auditTopology(input: AuditInput & { topology: Topology }): AuditRun {
  const { topology } = input;
  const outcome = runAudit(topology, input.rules, input.config, input.now, input.intent);
  const report = buildReport({
    version: input.version,
    now: input.now,
    topology,
    findings: outcome.findings,
    unreadable: input.unreadable ?? [],
  });
  return { report, extras: { suppressed: outcome.suppressed, notices: outcome.notices, topology } };
}
