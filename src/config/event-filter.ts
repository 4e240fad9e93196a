// What the Event Grid handler accepts. infra/ filters the event subscription to exactly these
// (test/infra/contract.test.ts keeps the two in step).

export const ACCEPTED_EVENT_TYPES = [
  'Microsoft.Resources.ResourceWriteSuccess',
  'Microsoft.Resources.ResourceDeleteSuccess',
  'Microsoft.Resources.ResourceActionSuccess',
] as const;

/** Resource types whose changes can change a finding: peerings, VNets, gateways, route tables. */
export const WATCHED_RESOURCE_TYPES = [
  'Microsoft.Network/virtualNetworks',
  'Microsoft.Network/virtualNetworks/virtualNetworkPeerings',
  'Microsoft.Network/virtualNetworks/subnets',
  'Microsoft.Network/virtualNetworkGateways',
  'Microsoft.Network/routeTables',
  'Microsoft.Network/routeTables/routes',
  'Microsoft.Network/azureFirewalls',
  'Microsoft.Network/virtualHubs',
] as const;
