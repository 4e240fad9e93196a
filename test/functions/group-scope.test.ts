import { describe, expect, it } from 'vitest';
import type { Logger } from '../../src/alerts/alerting';
import { handleArmEvent } from '../../src/alerts/event-path';
import { buildAdapters, eventPathDeps, GROUP_SUBSCRIPTIONS_TTL_MS } from '../../src/functions/composition';
import type { Inventory } from '../../src/ports';
import { deleteEvent, useEventPath } from '../reliability/harness';
import { SUB } from './harness';

// PEERGUARD_MANAGEMENT_GROUP names the audited scope instead of PEERGUARD_SUBSCRIPTIONS: the event
// path then judges the group's subscriptions only, as the scheduled audit reads them, so that a
// peer outside the group is out of scope on both paths (not read on one and judged on the other).

const quiet: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const OTHER = 'ffffffff-0000-0000-0000-00000000000f';
const noEstate = async (): Promise<Inventory> => ({ resources: [], subscriptions: [], unreadable: [] });

describe('the management group\'s subscriptions, for the event path', () => {
  it('are listed once per 15 minutes, and again after a failure', async () => {
    let now = new Date('2026-03-02T06:00:00.000Z');
    const listed: string[] = [];
    let fail = false;
    const adapters = buildAdapters(
      { AzureWebJobsStorage: 'UseDevelopmentStorage=true', PEERGUARD_MANAGEMENT_GROUP: 'mg-net' },
      {
        now: () => now,
        readers: {
          live: { readNeighbourhood: noEstate },
          inventory: { readInventory: noEstate },
          groupSubscriptions: async (group) => {
            listed.push(group);
            if (fail) throw new Error('403 AuthorizationFailed');
            return [SUB];
          },
        },
      },
    );
    const scope = eventPathDeps(adapters, quiet).scopeSubscriptions;
    expect(await scope?.()).toEqual([SUB]);
    expect(await scope?.()).toEqual([SUB]);
    expect(listed).toEqual(['mg-net']);
    now = new Date(now.getTime() + GROUP_SUBSCRIPTIONS_TTL_MS);
    fail = true;
    await expect(scope?.()).rejects.toThrow('403');
    fail = false;
    expect(await scope?.()).toEqual([SUB]);
    expect(listed).toEqual(['mg-net', 'mg-net', 'mg-net']);
  });

  it('are not asked for without a management group', () => {
    const adapters = buildAdapters({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', PEERGUARD_SUBSCRIPTIONS: SUB }, { readers: { live: { readNeighbourhood: noEstate }, inventory: { readInventory: noEstate }, groupSubscriptions: async () => [SUB] } });
    expect(eventPathDeps(adapters, quiet).scopeSubscriptions).toBeUndefined();
  });
});

describe('an event judged within the management group (Azurite)', () => {
  const app = useEventPath();
  // The settings of a management group: no PEERGUARD_SUBSCRIPTIONS, the group's subscriptions from the deps.
  const handle = (scopeSubscriptions: () => Promise<readonly string[]>, log = quiet) => {
    const deps = eventPathDeps(app.adapters, log);
    return handleArmEvent({ ...deps, filter: { ...deps.filter, subscriptions: [] }, scopeSubscriptions }, deleteEvent());
  };

  it('a VNet outside the group is not judged: no alert', async () => {
    app.estate.spokePeeringDeleted();
    const result = await handle(async () => [OTHER]);
    expect(result.status).toBe('processed');
    expect(app.mailer.sent).toEqual([]);
  });

  it('a VNet in the group is: the alert is mailed', async () => {
    app.estate.spokePeeringDeleted();
    await handle(async () => [SUB]);
    expect(app.mailer.sent.map((m) => m.subject)).toEqual([expect.stringMatching(/^\[peerguard\] ERROR peering-disconnected: /)]);
  });

  it('when the group cannot be listed, the event is judged as before, and the failure logged', async () => {
    app.estate.spokePeeringDeleted();
    const warnings: string[] = [];
    const result = await handle(() => Promise.reject(new Error('403 AuthorizationFailed')), { ...quiet, warn: (text: string) => void warnings.push(text) });
    expect(result.status).toBe('processed');
    expect(app.mailer.sent.map((m) => m.subject)).toEqual([expect.stringMatching(/^\[peerguard\] ERROR peering-disconnected: /)]);
    expect(warnings).toEqual([expect.stringContaining("the management group's subscriptions could not be listed, so VNets outside it are judged too: 403 AuthorizationFailed")]);
  });
});
