// peerguard: the whole app in one subscription-scope deployment (Azure Developer CLI layout).
//   azd up                                   (reads main.parameters.json, substitutes azd env values)
//   az deployment sub create --location <region> --template-file infra/main.bicep --parameters ...
// See README.md, Deploying to Azure. Validate with `az bicep build --file infra/main.bicep`.
targetScope = 'subscription'

// ---------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------

@minLength(1)
@maxLength(64)
@description('azd environment name; seeds resource names and tags.')
param environmentName string

@minLength(1)
@description('Region of the resource group and the app (one where Flex Consumption is offered).')
param location string

@description('Resource group for the app; default rg-<environmentName>.')
param resourceGroupName string = ''

@description('Subscriptions to audit, comma-separated. Reader is assigned on each and each gets the Event Grid wiring. Empty (and no management group): this subscription.')
param subscriptions string = ''

@description('Management group to audit instead of a subscription list. Roles there come from infra/management-group.bicep (az deployment mg create); list in `subscriptions` the ones whose events to wire.')
param managementGroupId string = ''

@description('Opt-in remediation (issue 5): define the custom peering role and assign it. Off by default.')
param remediationEnabled bool = false

@description('Create the Event Grid event subscriptions. Event Grid validates the function, which exists only after `azd deploy`: with azd, the preprovision hook sets it true only when the targeted function app has the function, and the postdeploy hook re-provisions with true after a deploy.')
param deployEventSubscriptions bool = false

@description('Name of the Event Grid-triggered function the code registers (src/functions).')
param eventGridFunctionName string = 'eventGridTrigger'

@description('Resource group, in each audited subscription, of its Event Grid system topic. Shared: Azure allows one system topic per source subscription, so every peerguard environment auditing a subscription uses the same group and topic, each with event subscriptions of its own.')
param eventGridResourceGroupName string = 'rg-peerguard-events'

@description('Region of that shared resource group (the system topic itself is global). A group keeps the region it was created in, so every environment auditing a subscription must pass the same one. Empty: location.')
param eventGridResourceGroupLocation string = ''

@description('NCRONTAB schedule of the compliance report: {second} {minute} {hour} {day} {month} {day-of-week}.')
param reportSchedule string = '0 0 6 * * *'

@description('Audit configuration (rules, suppressions, remediation) as inline JSON or YAML.')
param auditConfig string = ''

@description('Seconds an alert of peering-one-sided or peering-disconnected waits before its mail, which goes only if the finding is still open then (creating or deleting a peered pair writes its two links one after the other). 0: mailed at once.')
@minValue(0)
@maxValue(3600)
param alertSettleSeconds int = 300

@description('Recipients of error alerts, comma-separated.')
param alertToError string = ''
@description('Recipients of warning alerts, comma-separated.')
param alertToWarning string = ''
@description('Recipients of info alerts, comma-separated.')
param alertToInfo string = ''
@description('Recipients of the scheduled compliance report, comma-separated.')
param reportTo string = ''

@description('Where Communication Services stores email data at rest, e.g. Europe, United States, UK, Australia.')
param emailDataLocation string = 'Europe'

@description('builtin: Communication and Email Service Owner on the ACS resource. custom: a role with only the actions Learn lists for Entra-authenticated sending.')
@allowed(['builtin', 'custom'])
param emailSenderRole string = 'builtin'

@description('Resource id of an existing, verified custom email domain (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Communication/emailServices/<service>/domains/<domain>) to send from. Empty: an Azure-managed domain, whose sandbox quota (about 5 mails a minute and 10 an hour per subscription) one incident\'s alerts exceed. Its Email Communication Service must store data in emailDataLocation.')
param emailCustomDomainId string = ''

@description('Sender username on emailCustomDomainId (DoNotReply exists on every domain; others must be added to it first). Not used without emailCustomDomainId: an Azure-managed domain sends only as DoNotReply.')
param emailSenderUsername string = 'DoNotReply'

@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

var token = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName, application: 'peerguard' }
var appName = 'func-peerguard-${token}'
var deploymentContainerName = 'app-package-${take(token, 7)}'
var deadLetterContainerName = 'deadletter'
var subscriptionList = filter(map(split(subscriptions, ','), s => trim(s)), s => !empty(s))
var auditedSubscriptions = empty(subscriptionList) && empty(managementGroupId) ? [subscription().subscriptionId] : subscriptionList
var reader = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'

// What this environment writes outside its own resource group carries its token, so that a second
// environment auditing the same subscription has names of its own: the nested deployments in each
// audited subscription, the remediation role definition (modules/remediation-role.bicep), and the
// event subscriptions on the shared system topic (<prefix> and <prefix>-rg-deletes). The topic and
// its group are shared and tagged without azd-env-name (modules/eventgrid-subscription.bicep): no
// environment owns them, and infra/hooks/predown.mjs keeps `azd down` from deleting them while
// another environment uses them.
var eventSubscriptionPrefix = 'peerguard-${token}'

// environment().name -> PEERGUARD_CLOUD
var clouds = { AzureCloud: 'AzurePublicCloud', AzureUSGovernment: 'AzureUSGovernment', AzureChinaCloud: 'AzureChinaCloud' }

// ---------------------------------------------------------------------------------------------
// The app
// ---------------------------------------------------------------------------------------------

resource rg 'Microsoft.Resources/resourceGroups@2022-09-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
  location: location
  tags: tags
}

module appIdentity 'modules/identity.bicep' = {
  name: 'identity-app'
  scope: rg
  params: { name: 'id-peerguard-${token}', location: location, tags: tags }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'stpeerguard${take(token, 13)}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    deadLetterContainerName: deadLetterContainerName
    appPrincipalId: appIdentity.outputs.principalId
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-peerguard-${token}'
    applicationInsightsName: 'appi-peerguard-${token}'
    location: location
    tags: tags
    publisherPrincipalId: appIdentity.outputs.principalId
  }
}

module communication 'modules/communication.bicep' = {
  name: 'communication'
  scope: rg
  params: {
    communicationServiceName: 'acs-peerguard-${token}'
    emailServiceName: 'ecs-peerguard-${token}'
    dataLocation: emailDataLocation
    tags: tags
    senderPrincipalId: appIdentity.outputs.principalId
    senderRole: emailSenderRole
    environmentName: environmentName
    customDomainId: emailCustomDomainId
    senderUsername: emailSenderUsername
  }
}

// Every app setting. test/infra/contract.test.ts compares these keys with APP_SETTING_NAMES
// (src/config/app-settings.ts): the code's settings, less the local-only ones, plus the platform
// allow-list. Values that don't apply stay '' (the app treats empty as unset).
var appSettings = {
  // Platform: Application Insights with Entra ID auth (local auth is off on the component).
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.connectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${appIdentity.outputs.clientId};Authorization=AAD'

  // Scope of the audit
  PEERGUARD_SUBSCRIPTIONS: empty(managementGroupId) ? join(auditedSubscriptions, ',') : ''
  PEERGUARD_MANAGEMENT_GROUP: managementGroupId
  PEERGUARD_TENANT_ID: tenant().tenantId
  PEERGUARD_CLOUD: clouds[?environment().name] ?? 'AzurePublicCloud'
  AZURE_CLIENT_ID: appIdentity.outputs.clientId

  // Schedule and configuration
  PEERGUARD_REPORT_SCHEDULE: reportSchedule
  PEERGUARD_AUDIT_CONFIG: auditConfig

  // Mail (Communication Services with the app identity)
  PEERGUARD_EMAIL_ENDPOINT: communication.outputs.endpoint
  PEERGUARD_EMAIL_SENDER: communication.outputs.senderAddress
  PEERGUARD_ALERT_TO_ERROR: alertToError
  PEERGUARD_ALERT_TO_WARNING: alertToWarning
  PEERGUARD_ALERT_TO_INFO: alertToInfo
  PEERGUARD_ALERT_SETTLE_SECONDS: string(alertSettleSeconds)
  PEERGUARD_REPORT_TO: reportTo
  PEERGUARD_PORTAL_URL: environment().portal

  // Storage with the app identity: the Functions host and the app's own clients read these.
  AzureWebJobsStorage__blobServiceUri: storage.outputs.blobEndpoint
  AzureWebJobsStorage__queueServiceUri: storage.outputs.queueEndpoint
  AzureWebJobsStorage__tableServiceUri: storage.outputs.tableEndpoint
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: appIdentity.outputs.clientId
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    planName: 'asp-peerguard-${token}'
    appName: appName
    location: location
    tags: tags
    identityId: appIdentity.outputs.id
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: storage.outputs.deploymentContainerName
    appSettings: appSettings
    maximumInstanceCount: maximumInstanceCount
  }
}

// ---------------------------------------------------------------------------------------------
// Permissions at the audited scope
// ---------------------------------------------------------------------------------------------

// Reader on each audited subscription (management groups: infra/management-group.bicep).
module readerAssignments 'modules/role-assignment-subscription.bicep' = [for sub in (empty(managementGroupId) ? auditedSubscriptions : []): {
  name: 'peerguard-reader-${token}-${take(uniqueString(sub), 8)}'
  scope: subscription(sub)
  params: {
    principalId: appIdentity.outputs.principalId
    roleDefinitionGuid: reader
    description: 'peerguard: read the estate (Resource Graph, ARM).'
  }
}]

// Remediation: a custom role with only the peering actions, assigned separately, and only when
// remediationEnabled is true (default false).
// The definition lives in the first audited subscription (its first assignable scope).
module remediationRole 'modules/remediation-role.bicep' = if (remediationEnabled && empty(managementGroupId)) {
  name: 'peerguard-remediation-role-${token}'
  scope: subscription(empty(auditedSubscriptions) ? subscription().subscriptionId : auditedSubscriptions[0])
  params: {
    assignableScopes: [for sub in auditedSubscriptions: '/subscriptions/${sub}']
    environmentName: environmentName
    token: token
  }
}

module remediationAssignments 'modules/role-assignment-subscription.bicep' = [for sub in (remediationEnabled && empty(managementGroupId) ? auditedSubscriptions : []): {
  name: 'peerguard-remediator-${token}-${take(uniqueString(sub), 8)}'
  scope: subscription(sub)
  params: {
    principalId: appIdentity.outputs.principalId
    roleDefinitionGuid: remediationRole.outputs.roleDefinitionGuid
    description: 'peerguard: opt-in peering remediation.'
  }
}]

// ---------------------------------------------------------------------------------------------
// Events: per audited subscription, the shared system topic and this environment's event subscriptions
// ---------------------------------------------------------------------------------------------

module eventGrid 'modules/eventgrid-subscription.bicep' = [for sub in auditedSubscriptions: {
  name: 'peerguard-events-${token}-${take(uniqueString(sub), 8)}'
  scope: subscription(sub)
  params: {
    resourceGroupName: eventGridResourceGroupName
    location: empty(eventGridResourceGroupLocation) ? location : eventGridResourceGroupLocation
    eventSubscriptionPrefix: eventSubscriptionPrefix
    labels: ['peerguard', environmentName]
    functionAppId: functionApp.outputs.id
    functionName: eventGridFunctionName
    deadLetterStorageAccountId: storage.outputs.id
    deadLetterContainerName: storage.outputs.deadLetterContainerName
    createEventSubscription: deployEventSubscriptions
  }
}]

// ---------------------------------------------------------------------------------------------
// Outputs (azd stores them in the environment)
// ---------------------------------------------------------------------------------------------

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_PRINCIPAL_ID string = appIdentity.outputs.principalId
output AZURE_CLIENT_ID string = appIdentity.outputs.clientId
output PEERGUARD_EMAIL_SENDER string = communication.outputs.senderAddress
output AUDITED_SUBSCRIPTIONS array = auditedSubscriptions
// Read by infra/hooks/predown.mjs: the shared group `azd down` would delete, and which of the event
// subscriptions in it are this environment's.
output EVENT_GRID_RESOURCE_GROUP string = eventGridResourceGroupName
output EVENT_SUBSCRIPTION_PREFIX string = eventSubscriptionPrefix
output AZURE_RESOURCE_MANAGER_ENDPOINT string = environment().resourceManager
// Read by infra/hooks/event-subscriptions.mjs (preprovision): the function Event Grid validates, and
// what the app's token is made of, so that the next provisioning can tell whether it targets this app
// (and sets deployEventSubscriptions true only if the app has the function).
output EVENT_GRID_FUNCTION_ID string = '${functionApp.outputs.id}/functions/${eventGridFunctionName}'
output FUNCTION_APP_TOKEN_INPUTS string = '${subscription().subscriptionId}/${environmentName}/${location}'
