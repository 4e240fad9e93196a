#!/bin/sh
# azd postdeploy hook: after the first code deployment, create the Event Grid event subscriptions
# (they need the deployed eventGridTrigger function) by provisioning again with them enabled.
set -eu
if [ "${DEPLOY_EVENT_SUBSCRIPTIONS:-false}" = "true" ]; then
  echo "peerguard: Event Grid event subscriptions already enabled."
  exit 0
fi
echo "peerguard: code deployed; enabling the Event Grid event subscriptions and provisioning again."
azd env set DEPLOY_EVENT_SUBSCRIPTIONS true
azd provision --no-prompt
