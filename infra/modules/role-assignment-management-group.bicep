// One role assignment at the scope of the management group this module is deployed to.
// A subscription-scope deployment cannot reach a management group, so infra/management-group.bicep
// (deployed with `az deployment mg create`) uses this module.
targetScope = 'managementGroup'

param principalId string
@description('Full role definition id: /providers/Microsoft.Authorization/roleDefinitions/<guid> for a built-in role, the management group\'s id for a custom one.')
param roleDefinitionId string
param description string = ''

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(managementGroup().id, principalId, roleDefinitionId)
  properties: {
    roleDefinitionId: roleDefinitionId
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: description
  }
}
