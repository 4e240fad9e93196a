// The Azure Subscription system topic (Microsoft.Resources.Subscriptions, location global) and
// its event subscription to the function. Azure allows one such system topic per subscription:
// if one exists already, delete it or add the event subscription to it by hand (README.md, Deploying to Azure).
param tags object = {}
param subscriptionId string
param functionResourceId string
param includedEventTypes array
param subjectContains array
@description('The event type and operation name of a resource group\'s deletion.')
param resourceGroupDelete object
param deadLetterStorageAccountId string
param deadLetterContainerName string
param eventGridIdentityId string
param createEventSubscription bool
param maxDeliveryAttempts int

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: 'peerguard-arm-${subscriptionId}'
  location: 'global'
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${eventGridIdentityId}': {} }
  }
  properties: {
    source: '/subscriptions/${subscriptionId}'
    topicType: 'Microsoft.Resources.Subscriptions'
  }
}

// Two event subscriptions to the one function: changes to watched resources (by subject), and
// resource groups deleted (by operation name). Event Grid ANDs advanced filters, so one cannot take both.
var filters = [
  {
    name: 'peerguard'
    includedEventTypes: includedEventTypes
    advancedFilters: [
      {
        operatorType: 'StringContains'
        key: 'subject'
        values: subjectContains
      }
    ]
  }
  {
    name: 'peerguard-resource-group-deletes'
    includedEventTypes: [resourceGroupDelete.eventType]
    advancedFilters: [
      {
        operatorType: 'StringIn'
        key: 'data.operationName'
        values: [resourceGroupDelete.operationName]
      }
    ]
  }
]

// One at a time: event subscriptions written in parallel to one system topic can fail with Conflict (Azure/bicep#2549).
@batchSize(1)
resource toFunction 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = [for f in (createEventSubscription ? filters : []): {
  parent: systemTopic
  name: f.name
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: functionResourceId
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: f.includedEventTypes
      advancedFilters: f.advancedFilters
    }
    retryPolicy: {
      maxDeliveryAttempts: maxDeliveryAttempts
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'UserAssigned'
        userAssignedIdentity: eventGridIdentityId
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: deadLetterStorageAccountId
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}]

output systemTopicId string = systemTopic.id
