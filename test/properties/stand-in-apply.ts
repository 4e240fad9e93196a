import { createHttpHeaders, createPipelineRequest } from '@azure/core-rest-pipeline';
import { networkClient } from '../../src/azure/connection';
import { subscriptionOf } from '../../src/model/ids';
import type { ArmOperation } from '../../src/rules/rule';
import type { StandIn } from '../azure-stand-in';
import { connectionTo } from '../azure/harness';

// A small test helper (issue 10): sends a fix plan's ARM operations through the real
// @azure/arm-network client's pipeline (auth, retries, TLS) to the stand-in. The remediation
// applier is being written in src/remediation at the same time; once it lands, the fix-plan
// property should drive it instead of this helper.

export interface Applied {
  operation: ArmOperation;
  status: number;
  error?: string;
}

export async function applyOperations(standIn: StandIn, operations: readonly ArmOperation[]): Promise<Applied[]> {
  const results: Applied[] = [];
  for (const operation of operations) {
    const client = networkClient(connectionTo(standIn), subscriptionOf(operation.resourceId) ?? '');
    const query = new URLSearchParams({ 'api-version': operation.apiVersion, ...(operation.query ?? {}) });
    const request = createPipelineRequest({
      url: `${standIn.endpoint}${operation.resourceId}?${query.toString()}`,
      method: operation.method,
      headers: createHttpHeaders({ 'content-type': 'application/json' }),
      ...(operation.body !== undefined ? { body: JSON.stringify(operation.body) } : {}),
    });
    const response = await client.sendRequest(request);
    results.push({ operation, status: response.status, ...(response.status >= 400 ? { error: response.bodyAsText ?? '' } : {}) });
  }
  return results;
}
