#!/bin/sh
# azd postdeploy hook: once the code is deployed, create the Event Grid event subscriptions (they need
# the deployed eventGridTrigger function) by provisioning again with them enabled. The preprovision
# hook (infra/hooks/event-subscriptions.mjs) sets DEPLOY_EVENT_SUBSCRIPTIONS before every provisioning
# from the function app itself, true only when it has the function: true here means this deploy's
# provisioning already created them. It waits for the function this provisioning asks for.
set -eu
if [ "${DEPLOY_EVENT_SUBSCRIPTIONS:-false}" = "true" ]; then
  echo "peerguard: Event Grid event subscriptions already enabled."
  exit 0
fi
echo "peerguard: code deployed; enabling the Event Grid event subscriptions and provisioning again."
azd env set DEPLOY_EVENT_SUBSCRIPTIONS true
azd provision --no-prompt
