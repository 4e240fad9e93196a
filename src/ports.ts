import type { SourcedResource } from './model/snapshot';
import type { UnreadableScope } from './report/report';

// Ports between the core use cases and the Azure adapters (src/azure implements them; tests may
// pass the real adapters pointed at the local Azure stand-in).

/** What an audit could see: the resources, the subscriptions read, and what could not be read. */
export interface Inventory {
  resources: SourcedResource[];
  /** Lower-cased subscription ids that were read (even if empty). */
  subscriptions: string[];
  unreadable: UnreadableScope[];
}

export type AuditScope =
  | { kind: 'subscriptions'; subscriptionIds: string[] }
  | { kind: 'managementGroup'; managementGroupId: string }
  | { kind: 'tenant' };

/** Progress of a long read: Resource Graph pages and rows so far, subscriptions done of those in scope. */
export interface InventoryProgress {
  pages: number;
  rows: number;
  subscriptionsDone?: number;
  subscriptionsTotal?: number;
}

/** The full estate, through Azure Resource Graph. */
export interface InventoryReader {
  readInventory(scope: AuditScope, onProgress?: (progress: InventoryProgress) => void): Promise<Inventory>;
}

/**
 * Live ARM state of a neighbourhood, for the event path and remediation: the named VNets, their
 * peerings, the VNets they peer with, and the gateways, route tables, firewalls and NICs that
 * touch them. Never the whole estate (Resource Graph lags ARM after a write).
 */
export interface LiveReader {
  readNeighbourhood(vnetIds: readonly string[]): Promise<Inventory>;
}
