// The custom role for opt-in remediation (issue 5): the peering writes and nothing else, plus the
// reads needed to re-read live state before a write and verify it after. Defined once; assigned
// separately from Reader, and only when remediationEnabled is true (main.bicep /
// management-group.bicep). Deploy it at the subscription or management group that holds it.
// Its name and roleName carry the environment and its token (role names are unique in a tenant): the
// definition lives in the first audited subscription, which environments of one name deployed from
// different subscriptions or regions can share, and one definition would take each one's
// assignableScopes over the other's.
targetScope = 'subscription'

@description('Subscriptions or management groups where the role may be assigned.')
param assignableScopes array
param environmentName string
@description('The deploying environment\'s token (main.bicep: of its function app, func-peerguard-<token>). Two environments of one name, deployed from different subscriptions or regions, can define the role in the same audited subscription: the token keeps their definitions (and their assignableScopes) apart.')
@minLength(1)
param token string

output roleDefinitionGuid string = definition.name

resource definition 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(subscription().id, 'peerguard-peering-remediator', environmentName, token)
  properties: {
    roleName: 'peerguard peering remediator (${environmentName}, ${token}, ${take(uniqueString(subscription().id), 6)})'
    description: 'Create, sync and delete virtual network peerings; nothing else. Assigned only when peerguard remediation is enabled.'
    type: 'CustomRole'
    assignableScopes: assignableScopes
    permissions: [
      {
        actions: remediationActions
        notActions: []
      }
    ]
  }
}

// Shared with management-group.bicep through loadJsonContent, so both scopes grant the same set.
var remediationActions = loadJsonContent('remediation-actions.json')
