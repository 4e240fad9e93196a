import { listPage } from './arm';
import { armError, hasApiVersion, type Ctx, type Reply, type Route } from './http';

// The Management Groups API's Get Descendants, as @azure/arm-managementgroups calls it:
// GET /providers/Microsoft.Management/managementGroups/{groupId}/descendants?api-version=…, paged
// by `armPageSize` with an absolute nextLink ($skiptoken). It lists what the hierarchy holds under
// the group, whatever the caller may read in it: a forbidden subscription (faults.forbid) is listed
// like any other, where Resource Graph leaves it out. Shapes as in Azure's example
// (azure-rest-api-specs, Microsoft.Management stable/2023-04-01/examples/GetDescendants.json):
// child groups first, then subscriptions, each `{ id, type, name, properties: { displayName,
// parent: { id } } }`. An unknown group is 403 AuthorizationFailed, as Resource Graph answers it.

const groupId = (name: string): string => `/providers/Microsoft.Management/managementGroups/${name}`;

function handleDescendants(ctx: Ctx, group: string): Reply {
  const missing = hasApiVersion(ctx);
  if (missing) return missing;
  const key = group.toLowerCase();
  const subscriptions = ctx.state.managementGroups.get(key);
  if (!subscriptions) {
    return armError(
      403,
      'AuthorizationFailed',
      `The client 'stand-in-client' with object id '00000000-0000-0000-0000-000000000000' does not have authorization to perform action 'Microsoft.Management/managementGroups/descendants/read' over scope '${groupId(group)}' or the scope is invalid.`,
    );
  }
  const groups = ctx.state.managementGroupsBelow(key).map((g) => ({
    id: groupId(g),
    type: 'Microsoft.Management/managementGroups',
    name: g,
    properties: { displayName: g, parent: { id: groupId(ctx.state.managementGroupParents.get(g) ?? key) } },
  }));
  const subs = [...subscriptions].sort().map((s) => ({
    id: `/subscriptions/${s}`,
    type: 'Microsoft.Management/managementGroups/subscriptions',
    name: s,
    properties: { displayName: ctx.state.subscriptions.get(s)?.displayName ?? s, parent: { id: groupId(ctx.state.managementGroupHolding(key, s)) } },
  }));
  return listPage(ctx, [...groups, ...subs]);
}

/** The route for a management group's descendants, or undefined for any other request. */
export function managementGroupsRoute(method: string, path: string): Route | undefined {
  const m = /^\/providers\/Microsoft\.Management\/managementGroups\/([^/]+)\/descendants\/?$/i.exec(path);
  if (!m || method !== 'GET') return undefined;
  const group = m[1] ?? '';
  return { kind: 'managementGroupDescendants', subscriptions: [], handle: (ctx) => handleDescendants(ctx, group) };
}
