// The Azure Subscription system topic (Microsoft.Resources.Subscriptions, location global) and
// its event subscription to the function. Azure allows one such system topic per subscription:
// if one exists already, delete it or add the event subscription to it by hand (README.md, Deploying to Azure).
param tags object = {}
param subscriptionId string
param functionResourceId string
param includedEventTypes array
param subjectContains array
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

resource toFunction 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = if (createEventSubscription) {
  parent: systemTopic
  name: 'peerguard'
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
      includedEventTypes: includedEventTypes
      advancedFilters: [
        {
          operatorType: 'StringContains'
          key: 'subject'
          values: subjectContains
        }
      ]
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
}

output systemTopicId string = systemTopic.id
