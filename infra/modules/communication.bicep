// Azure Communication Services with an Email Communication Service and an Azure-managed domain
// (xxxx.azurecomm.net: no DNS to verify). The app identity sends with Entra ID, never a key.
param communicationServiceName string
param emailServiceName string
@description('Where email data is stored at rest, e.g. Europe, United States.')
param dataLocation string
param tags object = {}
@description('Azure-managed domains allow only their default sender, DoNotReply; custom usernames need a custom domain.')
param senderUsername string = 'DoNotReply'
@description('Principal allowed to send mail (the app identity).')
param senderPrincipalId string
@description('builtin: Communication and Email Service Owner on this resource only. custom: a role with the actions Learn documents for Entra-authenticated sending.')
@allowed(['builtin', 'custom'])
param senderRole string = 'builtin'
param environmentName string

// Communication and Email Service Owner (built-in).
var communicationAndEmailServiceOwner = '09976791-48a7-449e-bb21-39d1a415f350'

resource emailService 'Microsoft.Communication/emailServices@2023-04-01' = {
  name: emailServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
  }
}

resource domain 'Microsoft.Communication/emailServices/domains@2023-04-01' = {
  parent: emailService
  name: 'AzureManagedDomain'
  location: 'global'
  tags: tags
  properties: {
    domainManagement: 'AzureManaged'
    userEngagementTracking: 'Disabled'
  }
}

resource communicationService 'Microsoft.Communication/communicationServices@2023-04-01' = {
  name: communicationServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
    linkedDomains: [domain.id]
  }
}

resource senderCustomRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (senderRole == 'custom') {
  name: guid(communicationService.id, 'peerguard-email-sender')
  properties: {
    roleName: 'peerguard email sender (${environmentName}, ${take(uniqueString(communicationService.id), 6)})'
    description: 'Send email through one Communication Services resource with Microsoft Entra ID.'
    type: 'CustomRole'
    assignableScopes: [resourceGroup().id]
    permissions: [
      {
        actions: [
          'Microsoft.Communication/CommunicationServices/Read'
          'Microsoft.Communication/CommunicationServices/Write'
          'Microsoft.Communication/EmailServices/write'
        ]
        notActions: []
      }
    ]
  }
}

resource senderAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(communicationService.id, senderPrincipalId, senderRole)
  scope: communicationService
  properties: {
    roleDefinitionId: senderRole == 'custom'
      ? subscriptionResourceId('Microsoft.Authorization/roleDefinitions', senderCustomRole.name)
      : subscriptionResourceId('Microsoft.Authorization/roleDefinitions', communicationAndEmailServiceOwner)
    principalId: senderPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output endpoint string = 'https://${communicationService.properties.hostName}'
// An Azure-managed domain comes with its DoNotReply sender (emailServices/domains/senderUsernames
// 'donotreply'); adding senderUsernames is refused there, so the address is composed, not created.
output senderAddress string = '${senderUsername}@${domain.properties.mailFromSenderDomain}'
output communicationServiceId string = communicationService.id
