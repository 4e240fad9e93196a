// Adapters over the Azure SDKs: Resource Graph inventory, live ARM reads, credentials, clouds.

export { CLOUDS, CloudError, resolveCloud, type CloudName, type CloudSettings } from './clouds';
export { createCredential } from './credentials';
export { isCredentialError } from './errors';
export { DEFAULT_RETRY, type AzureConnection, type RetrySettings } from './connection';
export { ResourceGraphInventory, type ResourceGraphInventoryOptions } from './resource-graph';
export { ArmLiveReader, type ArmLiveReaderOptions } from './live';
export { listSubscriptions, type SubscriptionEntry } from './subscriptions';
export { listDescendantSubscriptions } from './management-groups';
