import type * as ArmManagementGroups from '@azure/arm-managementgroups';
import type { DescendantInfo, ManagementGroupsAPI } from '@azure/arm-managementgroups';
import { clientOptions, type AzureConnection } from './connection';
import { backOffOrThrow, realSleep } from './errors';

// The subscriptions under a management group, whatever the identity may read in them, through the
// Management Groups API's Get Descendants (@azure/arm-managementgroups, api-version 2021-04-01):
// GET {ARM}/providers/Microsoft.Management/managementGroups/{groupId}/descendants, paged by an
// absolute nextLink. Resource Graph cannot tell this: it returns only what the caller may read, so
// a subscription under the group that the identity cannot read (no Reader on it, a deny
// assignment) is simply absent from its answer, with no error.
// - Resource Graph: without read permission on an object "results won't be returned", for the
//   subscriptions the caller can read "without any indication that the result may be partial":
//   https://learn.microsoft.com/azure/governance/resource-graph/overview#permissions-in-azure-resource-graph
// - Get Descendants ("List all entities that descend from a management group": child management
//   groups, type Microsoft.Management/managementGroups, and subscriptions, id /subscriptions/{id},
//   type Microsoft.Management/managementGroups/subscriptions; older versions say /subscriptions):
//   https://learn.microsoft.com/rest/api/managementgroups/management-groups/get-descendants
//   (example: Azure/azure-rest-api-specs, specification/managementgroups/resource-manager/
//   Microsoft.Management/ManagementGroups/stable/2023-04-01/examples/GetDescendants.json).
// - It is authorised at the group by Microsoft.Management/managementGroups/descendants/read ("Gets
//   all the descendants (Management Groups, Subscriptions) of a Management Group"):
//   https://learn.microsoft.com/azure/role-based-access-control/permissions/management-and-governance#microsoftmanagement
//   Reader (`*/read`) at the management group has it:
//   https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/general#reader ;
//   the built-in Management Group Reader role does not (managementGroups/read,
//   managementGroups/subscriptions/read and Microsoft.Authorization/*/read only):
//   https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/management-and-governance#management-group-reader
//   Roles on management groups: https://learn.microsoft.com/azure/governance/management-groups/overview#management-group-access
// - Client: https://learn.microsoft.com/javascript/api/@azure/arm-managementgroups/managementgroups
//   (listDescendants, a PagedAsyncIterableIterator; byPage({ continuationToken }) resumes at a page).

// Required on first use (not at start-up): see connection.ts. Only a management-group audit needs it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const armManagementGroups = () => require('@azure/arm-managementgroups') as typeof ArmManagementGroups;

/** A client on the connection's cloud: its Resource Manager endpoint (or the override), retry, CA, and tokens for the cloud's ARM audience. */
export function managementGroupsClient(connection: AzureConnection): ManagementGroupsAPI {
  // credentialScopes: without it the client asks for `${endpoint}/.default`, wrong for an endpoint override.
  return new (armManagementGroups().ManagementGroupsAPI)(connection.credential, { ...clientOptions(connection), credentialScopes: [connection.cloud.armScope] });
}

export interface DescendantSubscription {
  /** Lower-cased. */
  subscriptionId: string;
  displayName?: string;
}

export interface DescendantOptions {
  /** Defaults to a client built from the connection. */
  client?: ManagementGroupsAPI;
  /** Attempts per page on top of the SDK pipeline's own retries (timeouts, retries exhausted). Default 3. */
  pageAttempts?: number;
  /** Back-off between those attempts: base × 2^(attempt-1). Default 2,000 ms. */
  backoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
  signal?: AbortSignal | undefined;
}

const SUBSCRIPTION_ID = /^\/subscriptions\/([^/]+)\/?$/i;

function subscriptionOf(descendant: DescendantInfo): DescendantSubscription | undefined {
  const id = SUBSCRIPTION_ID.exec(descendant.id ?? '')?.[1]?.toLowerCase();
  if (!id) return undefined; // a management group below it: its subscriptions are listed too
  return {
    subscriptionId: id,
    ...(descendant.displayName ? { displayName: descendant.displayName } : {}),
  };
}

/**
 * Every subscription under `managementGroupId`, at any depth: one paged call. A refused page (403,
 * 404, ...) or one that keeps failing throws: the caller cannot then tell what the group holds.
 */
export async function listDescendantSubscriptions(connection: AzureConnection, managementGroupId: string, options: DescendantOptions = {}): Promise<DescendantSubscription[]> {
  const client = options.client ?? managementGroupsClient(connection);
  const attempts = Math.max(1, options.pageAttempts ?? 3);
  const backoffMs = options.backoffMs ?? 2_000;
  const sleep = options.sleep ?? realSleep;
  const signal = options.signal;
  const found = new Map<string, DescendantSubscription>();
  const { getContinuationToken } = armManagementGroups();
  // The next page to read (undefined: the first); a failed page is asked for again from there.
  let continuationToken: string | undefined;
  for (let failures = 0; ; ) {
    try {
      const pages = client.managementGroups
        .listDescendants(managementGroupId, { ...(signal ? { abortSignal: signal } : {}), requestOptions: { timeout: connection.requestTimeoutMs ?? 60_000 } })
        .byPage(continuationToken ? { continuationToken } : {});
      for await (const page of pages) {
        for (const descendant of page) {
          const subscription = subscriptionOf(descendant);
          if (subscription) found.set(subscription.subscriptionId, subscription);
        }
        continuationToken = getContinuationToken(page);
        failures = 0;
      }
      return [...found.values()].sort((a, b) => (a.subscriptionId < b.subscriptionId ? -1 : 1));
    } catch (error) {
      failures += 1;
      await backOffOrThrow(error, failures, { attempts, backoffMs, sleep, signal });
    }
  }
}
