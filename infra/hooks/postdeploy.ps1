# azd postdeploy hook: after the first code deployment, create the Event Grid event subscriptions
# (they need the deployed eventGridTrigger function) by provisioning again with them enabled.
$ErrorActionPreference = 'Stop'
if ($env:DEPLOY_EVENT_SUBSCRIPTIONS -eq 'true') {
  Write-Host 'peerguard: Event Grid event subscriptions already enabled.'
  exit 0
}
Write-Host 'peerguard: code deployed; enabling the Event Grid event subscriptions and provisioning again.'
azd env set DEPLOY_EVENT_SUBSCRIPTIONS true
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
azd provision --no-prompt
exit $LASTEXITCODE
