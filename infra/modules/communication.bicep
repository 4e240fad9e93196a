// Azure Communication Services and the email domain it sends from. The app identity sends with
// Entra ID, never a key.
//
// By default: an Email Communication Service of its own with an Azure-managed domain
// (xxxx.azurecomm.net: no DNS to verify). Azure-managed domains have a sandbox quota (about 5 mails
// a minute and 10 an hour per subscription, Communication Services service limits, Email), below a
// hub incident's burst of alerts: for production, pass customDomainId, an existing custom domain
// that is verified (Domain, SPF, DKIM, DKIM2). It is linked to this Communication Services resource
// and nothing is created or changed in its resource group (an azd environment must not own it).
param communicationServiceName string
param emailServiceName string
@description('Where email data is stored at rest, e.g. Europe, United States. With customDomainId: the same as that domain\'s Email Communication Service (Azure links domains of the same data location only).')
param dataLocation string
param tags object = {}
@description('Resource id of an existing, verified custom domain: /subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Communication/emailServices/<service>/domains/<domain>. Empty: an Azure-managed domain of its own (sandbox quota).')
param customDomainId string = ''
@description('Sender username on customDomainId (its MailFrom addresses: DoNotReply exists on every domain; others must be added to the domain first). An Azure-managed domain sends only as DoNotReply, so this is not used without customDomainId.')
param senderUsername string = 'DoNotReply'
@description('Principal allowed to send mail (the app identity).')
param senderPrincipalId string
@description('builtin: Communication and Email Service Owner on this resource only. custom: a role with the actions Learn documents for Entra-authenticated sending.')
@allowed(['builtin', 'custom'])
param senderRole string = 'builtin'
param environmentName string

// Communication and Email Service Owner (built-in).
var communicationAndEmailServiceOwner = '09976791-48a7-449e-bb21-39d1a415f350'
var useCustomDomain = !empty(customDomainId)
// A custom domain's resource name is the domain itself (notify.contoso.com): its MailFrom addresses
// are <username>@<that name>.
var customDomainName = last(split(customDomainId, '/'))

resource emailService 'Microsoft.Communication/emailServices@2023-04-01' = if (!useCustomDomain) {
  name: emailServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
  }
}

resource domain 'Microsoft.Communication/emailServices/domains@2023-04-01' = if (!useCustomDomain) {
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
    linkedDomains: [useCustomDomain ? customDomainId : domain.id]
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
// ARM evaluates only the branch the condition selects, so the managed domain is not read when absent.
output senderAddress string = useCustomDomain ? '${senderUsername}@${customDomainName}' : 'DoNotReply@${domain.properties.mailFromSenderDomain}'
output communicationServiceId string = communicationService.id
