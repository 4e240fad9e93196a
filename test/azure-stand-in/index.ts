// A local HTTPS stand-in for the Azure APIs peerguard calls: Resource Graph, ARM (network
// resources, subscriptions, long-running operations) and Communication Services email.
// See README.md in this folder.

export { startStandIn, type StandIn, type StandInConfig } from './server';
export type { StandInOptions } from './http';
export type { FaultAction, FaultMatch } from './faults';
export type { LoggedRequest, RequestKind } from './requests';
export type { SentEmail, StoredResource, StandInState } from './state';
export type { EmailControl } from './email';
