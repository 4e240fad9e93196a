// A user-assigned managed identity: the app's (reads the estate, sends mail, uses its storage).
// Event Grid dead-letters with the system-assigned identity of each shared system topic
// (eventgrid-system-topic.bicep).
param name string
param location string
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
