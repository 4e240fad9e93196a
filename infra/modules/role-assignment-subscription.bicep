// One role assignment at the scope of the subscription this module is deployed to.
targetScope = 'subscription'

param principalId string
@description('Role definition GUID: built-in, or custom with this subscription in its assignable scopes.')
param roleDefinitionGuid string
param description string = ''

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, roleDefinitionGuid)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleDefinitionGuid)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: description
  }
}
