// A user-assigned managed identity. peerguard uses two: the app's (reads the estate, sends mail,
// uses its storage) and Event Grid's (writes undeliverable events to the dead-letter container).
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
