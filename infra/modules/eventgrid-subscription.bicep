// Azure Resource Manager events of ONE audited subscription, delivered to the app's Event Grid
// function. Deploy it once per subscription: main.bicep loops it over `subscriptions`, or run it
// on its own with `az deployment sub create --subscription <id> --template-file
// infra/modules/eventgrid-subscription.bicep ...` (see README.md, Deploying to Azure).
//
// Azure allows one Azure Subscription system topic per subscription, so the resource group and the
// topic are SHARED by every peerguard environment auditing this subscription: each deployment
// writes them identically (shared tags, no azd-env-name; the topic's own system-assigned identity
// dead-letters for all of them), and adds only what carries its eventSubscriptionPrefix: its two
// event subscriptions, and a role for the topic's identity on its own dead-letter container.
//
// The filter must equal what the handler accepts (src/config/event-filter.ts);
// test/infra/contract.test.ts fails when the two lists below drift from the code.
targetScope = 'subscription'

@description('Resource group (created in this subscription) that holds the shared system topic.')
param resourceGroupName string = 'rg-peerguard-events'
@description('Region of that resource group; the system topic itself is global. A group keeps its region: every environment must pass the one it was created in.')
param location string
@description('This environment\'s names: its event subscriptions are <prefix> and <prefix>-rg-deletes, its nested deployments start with it. main.bicep passes peerguard-<token>, the token of its function app (func-peerguard-<token>).')
@minLength(3)
@maxLength(40)
param eventSubscriptionPrefix string
@description('Labels on this environment\'s event subscriptions (main.bicep: peerguard and the environment name).')
param labels array = ['peerguard']
@description('Resource id of the peerguard Function App.')
param functionAppId string
@description('Name of the Event Grid-triggered function, as the code registers it.')
param functionName string = 'eventGridTrigger'
@description('Storage account that holds the dead-letter container.')
param deadLetterStorageAccountId string
param deadLetterContainerName string = 'deadletter'
@description('False on the first provisioning: Event Grid validates the function endpoint, which exists only once the code is deployed.')
param createEventSubscription bool = true
@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 30

// = ACCEPTED_EVENT_TYPES (src/config/event-filter.ts)
var includedEventTypes = [
  'Microsoft.Resources.ResourceWriteSuccess'
  'Microsoft.Resources.ResourceDeleteSuccess'
  'Microsoft.Resources.ResourceActionSuccess'
]

// = WATCHED_RESOURCE_TYPES (src/config/event-filter.ts)
var watchedResourceTypes = [
  'Microsoft.Network/virtualNetworks'
  'Microsoft.Network/virtualNetworks/virtualNetworkPeerings'
  'Microsoft.Network/virtualNetworks/subnets'
  'Microsoft.Network/virtualNetworkGateways'
  'Microsoft.Network/routeTables'
  'Microsoft.Network/routeTables/routes'
  'Microsoft.Network/azureFirewalls'
  'Microsoft.Network/virtualHubs'
  'Microsoft.Network/virtualHubs/ipConfigurations'
]

// The subject is the resource id. A child type's id runs through its parent's segment
// (/providers/Microsoft.Network/virtualNetworks/{vnet}/virtualNetworkPeerings/{name}), so one
// StringContains value per top-level type covers the children: 5 values, well inside Event
// Grid's 25 advanced filter values. (data.operationName would also do, but values are matched
// per operation, e.g. .../virtualNetworkPeerings/write, and need one per verb.)
var topLevelTypePaths = map(watchedResourceTypes, t => '/providers/${split(t, '/')[0]}/${split(t, '/')[1]}/')
var subjectContains = filter(topLevelTypePaths, (p, i) => indexOf(topLevelTypePaths, p) == i)

// = RESOURCE_GROUP_DELETE (src/config/event-filter.ts). Deleting a resource group deletes its VNets
// with one event whose subject is the group, which the subject filter above cannot match (Event
// Grid ANDs advanced filters): a second event subscription takes exactly that operation.
var resourceGroupDelete = {
  eventType: 'Microsoft.Resources.ResourceDeleteSuccess'
  operationName: 'Microsoft.Resources/subscriptions/resourceGroups/delete'
}

// Tags of the shared group and topic: the same from every environment, and no azd-env-name (no
// environment owns them; azd versions that check that tag before deleting a group leave it alone).
var sharedTags = { application: 'peerguard', 'peerguard-shared': 'event-grid-system-topic' }

resource rg 'Microsoft.Resources/resourceGroups@2022-09-01' = {
  name: resourceGroupName
  location: location
  tags: sharedTags
}

module topic 'eventgrid-system-topic.bicep' = {
  name: '${eventSubscriptionPrefix}-topic'
  scope: rg
  params: {
    tags: sharedTags
    eventSubscriptionPrefix: eventSubscriptionPrefix
    labels: labels
    subscriptionId: subscription().subscriptionId
    functionResourceId: '${functionAppId}/functions/${functionName}'
    includedEventTypes: includedEventTypes
    subjectContains: subjectContains
    resourceGroupDelete: resourceGroupDelete
    deadLetterStorageAccountId: deadLetterStorageAccountId
    deadLetterContainerName: deadLetterContainerName
    createEventSubscription: createEventSubscription
    maxDeliveryAttempts: maxDeliveryAttempts
  }
}

output systemTopicId string = topic.outputs.systemTopicId
output eventSubscriptionNames array = topic.outputs.eventSubscriptionNames
