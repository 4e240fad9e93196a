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
  /**
   * Lower-cased ids of the VNets a neighbourhood read looked for (a live read only): each one is in
   * `resources`, in an unreadable scope, or known to be absent. A VNet not looked for is unknown,
   * even in a subscription that was read.
   */
  sought?: string[];
  /**
   * Lower-cased ids of the subscriptions among `unreadable` that the identity cannot see at all (not
   * found, in another tenant, not listed by Resource Graph), as opposed to one that refused a read
   * (403): out of scope for the audit, like a subscription it is not configured for, unless it is
   * one it is configured for (a live read only).
   */
  outOfReach?: string[];
  /**
   * When the read began (ISO 8601), set by the scheduled audit: what it decides about an alert is
   * as old as its oldest data, so an event read during a long inventory read is not overruled.
   */
  observedAt?: string;
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

/**
 * Stops a read short without losing it: when `signal` aborts, the read sends no further query and
 * returns what it has read, each subscription not yet read among the unreadable with `reason`.
 */
export interface ReadStop {
  signal: AbortSignal;
  reason: string;
}

/** The full estate, through Azure Resource Graph. */
export interface InventoryReader {
  /**
   * `signal` aborts the read: it then throws (never a partial inventory), and sends no further
   * query. `stop` ends it early with a partial inventory (`ReadStop`); a stop before the scope's
   * subscriptions are known still throws, as nothing was read.
   */
  readInventory(scope: AuditScope, onProgress?: (progress: InventoryProgress) => void, signal?: AbortSignal, stop?: ReadStop): Promise<Inventory>;
}

/** What else a neighbourhood read covers besides the VNets it reads fresh. */
export interface NeighbourhoodOptions {
  /**
   * The resource that changed, when it is not one of the VNets: read fresh as well. A peering's
   * VNet and remote VNet are read fresh (Azure changed both sides); a route's route table, a
   * gateway, firewall, Route Server or route table itself.
   */
  changed?: string;
  /** Further VNets to read, with what sits in them, from Resource Graph (whose findings the caller judges too). */
  alsoRead?: readonly string[];
  /**
   * Of `alsoRead`, VNets whose Resource Graph rows are replaced by ARM's answer (Resource Graph lags):
   * the neighbourhood stays what Resource Graph gives, only those rows are fresher. A VNet ARM does not
   * find is left out; one ARM does not answer for (refused, throttled, down) keeps its row.
   */
  refresh?: readonly string[];
  /** Gives up the read (requests, retries, quota waits) when it aborts: the event path's deadline. */
  signal?: AbortSignal;
}

/**
 * The state around some VNets, for the event path and remediation: the VNets where the change
 * happened read fresh from ARM, their peers (the reverse peerings) and the gateways, firewalls,
 * NVAs and route tables of all of them from Resource Graph, in a handful of calls whatever the size
 * of the estate or of a hub. Never the whole estate.
 */
export interface LiveReader {
  readNeighbourhood(vnetIds: readonly string[], options?: NeighbourhoodOptions): Promise<Inventory>;
}
