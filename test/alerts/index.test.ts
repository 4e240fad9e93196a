import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableAlertStore } from '../../src/alerts/store';
import { startAzurite, type AzuriteInstance } from '../support/azurite';

// The neighbourhood index in Table Storage (Azurite): what the event path asks it about a resource
// and about a deleted resource group.

const SUB = '/subscriptions/aaaaaaaa-0000-0000-0000-000000000001';
const vnetIn = (group: string, name: string) => `${SUB}/resourceGroups/${group}/providers/Microsoft.Network/virtualNetworks/${name}`;
const HUB = vnetIn('rg-hub', 'vnet-hub');
const SPOKE_A = vnetIn('rg-a', 'vnet-a');
const SPOKE_AB = vnetIn('rg-ab', 'vnet-ab');
/** Known only as a peering's remote: its own peerings were never read. */
const REMOTE_ONLY = vnetIn('RG-A', 'vnet-a2');

describe('TableAlertStore as the neighbourhood index (Azurite)', () => {
  let azurite: AzuriteInstance;
  let index: TableAlertStore;
  beforeAll(async () => {
    azurite = await startAzurite();
    index = new TableAlertStore(TableClient.fromConnectionString(azurite.connectionString, 'peerguardindex', { allowInsecureConnection: true }));
    await index.record([
      { kind: 'peering', resourceId: `${HUB}/virtualNetworkPeerings/to-a`, vnetIds: [HUB], remoteVnetId: SPOKE_A },
      { kind: 'peering', resourceId: `${SPOKE_A}/virtualNetworkPeerings/to-hub`, vnetIds: [SPOKE_A], remoteVnetId: HUB },
      { kind: 'peering', resourceId: `${HUB}/virtualNetworkPeerings/to-ab`, vnetIds: [HUB], remoteVnetId: SPOKE_AB },
      { kind: 'peering', resourceId: `${HUB}/virtualNetworkPeerings/to-a2`, vnetIds: [HUB], remoteVnetId: REMOTE_ONLY },
      { kind: 'attachment', resourceId: `${SUB}/resourceGroups/rg-a/providers/Microsoft.Network/routeTables/rt-a`, vnetIds: [SPOKE_A] },
    ]);
  }, 60_000);
  afterAll(async () => {
    await azurite?.stop();
  });

  it("a VNet's peers, either direction", async () => {
    expect((await index.vnetsRelatedTo(HUB)).sort()).toEqual([SPOKE_A, SPOKE_AB, REMOTE_ONLY].sort());
    expect(await index.vnetsRelatedTo(SPOKE_AB.toUpperCase())).toEqual([HUB]);
  });

  it("a resource group's VNets, at either end of a peering, whatever the casing; not those of a group whose name starts the same", async () => {
    expect((await index.vnetsInResourceGroup(`${SUB}/resourcegroups/rg-a`)).sort()).toEqual([SPOKE_A, REMOTE_ONLY].sort());
    expect(await index.vnetsInResourceGroup(`${SUB}/resourceGroups/RG-AB/`)).toEqual([SPOKE_AB]);
    expect(await index.vnetsInResourceGroup(`${SUB}/resourceGroups/rg-none`)).toEqual([]);
  });
});
