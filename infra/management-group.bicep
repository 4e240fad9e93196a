// Roles at a management group, for PEERGUARD_MANAGEMENT_GROUP audits. A subscription-scope
// deployment (main.bicep) cannot assign roles at a management group, so this is a deployment of
// its own, run after main.bicep with the identity it output:
//
//   az deployment mg create --management-group-id <mg> --location <region> \
//     --template-file infra/management-group.bicep \
//     --parameters principalId=<AZURE_PRINCIPAL_ID> environmentName=<env> [remediationEnabled=true]
targetScope = 'managementGroup'

@description('Principal id of the peerguard identity (main.bicep output AZURE_PRINCIPAL_ID).')
param principalId string
param environmentName string
@description('Assign the custom peering-remediation role too. Off unless you opt in.')
param remediationEnabled bool = false

var reader = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
// Nested deployment names of this environment: two environments auditing one management group must
// not take over each other's deployments there.
var suffix = uniqueString(environmentName, principalId)

module readerAssignment 'modules/role-assignment-management-group.bicep' = {
  name: 'peerguard-reader-${suffix}'
  params: {
    principalId: principalId
    roleDefinitionId: tenantResourceId('Microsoft.Authorization/roleDefinitions', reader)
    description: 'peerguard: read the estate (Resource Graph, ARM) under this management group.'
  }
}

resource remediationRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (remediationEnabled) {
  name: guid(managementGroup().id, 'peerguard-peering-remediator', environmentName)
  properties: {
    roleName: 'peerguard peering remediator (${environmentName}, ${take(uniqueString(managementGroup().id), 6)})'
    description: 'Create, sync and delete virtual network peerings; nothing else. Assigned only when peerguard remediation is enabled.'
    type: 'CustomRole'
    assignableScopes: [managementGroup().id]
    permissions: [
      {
        actions: loadJsonContent('modules/remediation-actions.json')
        notActions: []
      }
    ]
  }
}

module remediationAssignment 'modules/role-assignment-management-group.bicep' = if (remediationEnabled) {
  name: 'peerguard-remediator-${suffix}'
  params: {
    principalId: principalId
    roleDefinitionId: remediationRole.id
    description: 'peerguard: opt-in peering remediation under this management group.'
  }
}
