// The Azure Subscription system topic (Microsoft.Resources.Subscriptions, location global) and one
// environment's event subscriptions to its function. Azure allows one such system topic per
// subscription, so the topic is shared by every peerguard environment auditing the subscription:
// its properties, tags and identity (system-assigned, one for all) are the same from each; the
// event subscriptions and the dead-letter role carry eventSubscriptionPrefix. If a system topic of
// another name exists already, delete it or add the event subscriptions to it by hand (README.md,
// Deploying to Azure).
param tags object = {}
@description('This environment\'s event subscriptions: <prefix> (watched resources) and <prefix>-rg-deletes (resource groups deleted).')
param eventSubscriptionPrefix string
param labels array = ['peerguard']
param subscriptionId string
param functionResourceId string
param includedEventTypes array
param subjectContains array
@description('The event type and operation name of a resource group\'s deletion.')
param resourceGroupDelete object
@description('Storage account of this environment\'s dead-letter container (its resource group may be in another subscription).')
param deadLetterStorageAccountId string
param deadLetterContainerName string
param createEventSubscription bool
param maxDeliveryAttempts int

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: 'peerguard-arm-${subscriptionId}'
  location: 'global'
  tags: tags
  // System-assigned: shared by every environment's event subscriptions. A user-assigned identity
  // per environment cannot work here: each deployment would replace the topic's identities with its own.
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: '/subscriptions/${subscriptionId}'
    topicType: 'Microsoft.Resources.Subscriptions'
  }
}

// The topic's identity may write to this environment's dead-letter container (Storage Blob Data
// Contributor on the container only), granted where the storage account is.
module deadLetterWriter 'deadletter-writer.bicep' = {
  name: '${eventSubscriptionPrefix}-deadletter-${take(uniqueString(subscriptionId), 8)}'
  scope: resourceGroup(split(deadLetterStorageAccountId, '/')[2], split(deadLetterStorageAccountId, '/')[4])
  params: {
    storageAccountName: last(split(deadLetterStorageAccountId, '/'))
    containerName: deadLetterContainerName
    principalId: systemTopic.identity.principalId
  }
}

// Two event subscriptions to the one function: changes to watched resources (by subject), and
// resource groups deleted (by operation name). Event Grid ANDs advanced filters, so one cannot take both.
var filters = [
  {
    name: eventSubscriptionPrefix
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
    name: '${eventSubscriptionPrefix}-rg-deletes'
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
  dependsOn: [deadLetterWriter]
  properties: {
    labels: labels
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
        type: 'SystemAssigned'
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
output eventSubscriptionNames array = map(filters, f => f.name)
