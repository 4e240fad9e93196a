// What the Event Grid handler accepts. infra/ filters the event subscription to exactly these
// (test/infra/contract.test.ts keeps the two in step).

export const ACCEPTED_EVENT_TYPES = [
  'Microsoft.Resources.ResourceWriteSuccess',
  'Microsoft.Resources.ResourceDeleteSuccess',
  'Microsoft.Resources.ResourceActionSuccess',
] as const;

/**
 * Resource types whose changes can change a finding: peerings, VNets, gateways, route tables.
 * A Route Server is a virtualHub tied to its VNet by a child ipConfiguration in the VNet's
 * RouteServerSubnet; Bicep, the CLI and Terraform write that after the hub, whose own event finds
 * no VNet yet: the ipConfiguration's write (and delete) is what places (and removes) it.
 */
export const WATCHED_RESOURCE_TYPES = [
  'Microsoft.Network/virtualNetworks',
  'Microsoft.Network/virtualNetworks/virtualNetworkPeerings',
  'Microsoft.Network/virtualNetworks/subnets',
  'Microsoft.Network/virtualNetworkGateways',
  'Microsoft.Network/routeTables',
  'Microsoft.Network/routeTables/routes',
  'Microsoft.Network/azureFirewalls',
  'Microsoft.Network/virtualHubs',
  'Microsoft.Network/virtualHubs/ipConfigurations',
] as const;

/**
 * Deleting a resource group deletes its VNets with one event, for the group (ARM sends one per
 * request, its subject the request's target): watched too, so that their peers' Disconnected
 * peerings are reported within seconds. infra/ subscribes to it separately (by operation name).
 */
export const RESOURCE_GROUP_DELETE = {
  eventType: 'Microsoft.Resources.ResourceDeleteSuccess',
  operationName: 'Microsoft.Resources/subscriptions/resourceGroups/delete',
  /** ArmEvent.resourceType of such an event. */
  resourceType: 'Microsoft.Resources/resourceGroups',
} as const;
