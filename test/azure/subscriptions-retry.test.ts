import { describe, expect, it } from 'vitest';
import type { AuditScope } from '../../src/ports';
import { SUB_A, SUB_B, SUB_C, vnet, vnetId } from '../support/estate';
import { inventoryReader, useStandIn } from './harness';

// GET /subscriptions decides what a tenant-wide audit reads: a page that fails is retried like a
// Resource Graph page (pageAttempts, backoffMs), from that page's nextLink, not from the start.

const TENANT: AuditScope = { kind: 'tenant' };
const ALL = [SUB_A, SUB_B, SUB_C].sort();

describe('GET /subscriptions: a page that fails is retried with back-off', () => {
  // One subscription a page, so that the list has three pages.
  const standIn = useStandIn(() => ({
    resources: ALL.map((s, i) => vnet({ id: vnetId(`vnet-${i}`, s), prefixes: [`10.${i}.0.0/16`] })),
    options: { armPageSize: 1 },
  }));
  const pages = () => standIn().requests.of('subscriptions').map((r) => [r.query.$skiptoken ?? 'first', r.status]);

  it('an answer slower than the request timeout is asked for again', async () => {
    standIn().faults.slow('subscriptions', 2_000);
    const inventory = await inventoryReader(standIn(), { requestTimeoutMs: 300 }).readInventory(TENANT);
    expect(inventory.unreadable).toEqual([]);
    expect(inventory.subscriptions).toEqual(ALL);
  });

  it('a 503 burst longer than the SDK pipeline’s retries: waits, then resumes at the page that failed', async () => {
    // Every request from the second page on, 5 times: the pipeline makes 4 attempts (FAST_RETRY), the adapter another.
    let seen = 0;
    standIn().faults.add({ kind: 'subscriptions', when: () => ++seen > 1 }, { type: 'status', status: 503, code: 'ServiceUnavailable', message: 'busy' }, 5);
    const waits: number[] = [];
    const inventory = await inventoryReader(standIn(), { backoffMs: 7, sleep: async (ms) => void waits.push(ms) }).readInventory(TENANT);
    expect(inventory.unreadable).toEqual([]);
    expect(inventory.subscriptions).toEqual(ALL);
    expect(pages()).toEqual([
      ['first', 200],
      ...Array.from({ length: 5 }, () => ['1', 503]),
      ['1', 200],
      ['2', 200],
    ]);
    expect(waits).toEqual([7]);
  });

  it('a page that keeps failing: the tenant is unreadable after pageAttempts, naming the failure', async () => {
    standIn().faults.fail('subscriptions', 503, Infinity);
    const waits: number[] = [];
    const inventory = await inventoryReader(standIn(), { pageAttempts: 2, backoffMs: 7, sleep: async (ms) => void waits.push(ms) }).readInventory(TENANT);
    expect(inventory.subscriptions).toEqual([]);
    expect(inventory.unreadable).toEqual([{ scope: 'tenant', reason: expect.stringMatching(/^the subscriptions the identity can see could not be listed: 503/) }]);
    // 2 adapter attempts of 4 pipeline attempts each.
    expect(pages()).toEqual(Array.from({ length: 8 }, () => ['first', 503]));
    expect(waits).toEqual([7]);
  });

  it('a refusal (403) is not retried', async () => {
    standIn().faults.add({ kind: 'subscriptions' }, { type: 'status', status: 403, code: 'AuthorizationFailed', message: 'no' }, Infinity);
    const waits: number[] = [];
    const inventory = await inventoryReader(standIn(), { sleep: async (ms) => void waits.push(ms) }).readInventory(TENANT);
    expect(inventory.unreadable).toEqual([{ scope: 'tenant', reason: expect.stringMatching(/^the subscriptions the identity can see could not be listed: 403/) }]);
    expect(pages()).toEqual([['first', 403]]);
    expect(waits).toEqual([]);
  });
});
