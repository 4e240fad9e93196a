import type { NetworkManagementClient, VirtualNetworkPeering } from '@azure/arm-network';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { parseResourceId, subscriptionOf } from '../model/ids';
import { propsOf } from '../remediation/plan';
import type { LiveResource, RemediationWriter, WriteCondition } from '../remediation/ports';
import type { ArmOperation } from '../rules/rule';
import { networkClient, type AzureConnection } from './connection';
import { statusOf, untilAborted } from './errors';

// The remediation writer over @azure/arm-network: GET a peering with its ETag, PUT it with
// If-Match (or If-None-Match: * to create) and `syncRemoteAddressSpace`, DELETE it with If-Match,
// each waiting for the long-running operation. The conditions travel as the operation's custom
// headers (`requestOptions.customHeaders`); the SDK's poller re-sends the same options on its
// status polls and final GET, so a pipeline policy keeps the conditions on the write alone (a GET
// with a stale If-Match could answer 412 after our own write changed the ETag).
// A write takes an AbortSignal: it goes to the SDK as `abortSignal` (the initial request and every
// status poll), and the wait itself ends when it aborts (the poller's pause between polls does not
// listen to it), so a given-up write returns at once. ARM may still finish the operation.
// The SDK sends its own api-version (a constant of the generated client, not an option); the plan
// and the journal name the operation's. A second policy refuses a write whose wire api-version is
// not the operation's, so the journal never records a version the write did not use.

export interface ArmRemediationWriterOptions extends AzureConnection {
  /** Poll interval of long-running operations when ARM sends no Retry-After (default 2 s). */
  pollIntervalMs?: number;
}

const CONDITIONS_ON_WRITES_ONLY: PipelinePolicy = {
  name: 'peerguardConditionsOnWritesOnly',
  sendRequest(request, next) {
    if (request.method === 'GET') {
      request.headers.delete('If-Match');
      request.headers.delete('If-None-Match');
    }
    return next(request);
  },
};

/** Carries the operation's api-version to PLANNED_API_VERSION_ON_WRITES; never sent. */
const PLANNED_API_VERSION = 'x-peerguard-planned-api-version';

const PLANNED_API_VERSION_ON_WRITES: PipelinePolicy = {
  name: 'peerguardPlannedApiVersionOnWrites',
  async sendRequest(request, next) {
    const planned = request.headers.get(PLANNED_API_VERSION);
    request.headers.delete(PLANNED_API_VERSION);
    // Only the write itself: status polls carry the operation URL's own api-version.
    if (planned !== undefined && request.method !== 'GET') {
      const sent = new URL(request.url).searchParams.get('api-version');
      if (sent !== planned) {
        throw new Error(
          `refusing ${request.method} ${new URL(request.url).pathname}: the operation names api-version ${planned}, but @azure/arm-network sends api-version ${sent ?? '(none)'}; NETWORK_API_VERSION (src/rules/describe.ts) must be the SDK's`,
        );
      }
    }
    return next(request);
  },
};

interface PeeringRef {
  subscriptionId: string;
  resourceGroup: string;
  vnetName: string;
  peeringName: string;
}

function peeringRef(resourceId: string): PeeringRef {
  const parsed = parseResourceId(resourceId);
  const subscriptionId = subscriptionOf(resourceId);
  const type = parsed?.type?.toLowerCase();
  if (!parsed?.parentId || !parsed.resourceGroup || !subscriptionId || type !== 'microsoft.network/virtualnetworks/virtualnetworkpeerings') {
    throw new Error(`remediation writes only virtual network peerings, not ${resourceId}`);
  }
  return { subscriptionId, resourceGroup: parsed.resourceGroup, vnetName: parsed.parentId.slice(parsed.parentId.lastIndexOf('/') + 1), peeringName: parsed.name };
}

/** The SDK's flattened peering → wire JSON (`properties` nested), as the planner and the journal hold it. */
function toLive(model: VirtualNetworkPeering, fallbackId: string): LiveResource {
  const { id, name, type, etag, ...properties } = model as VirtualNetworkPeering & { type?: string };
  void name;
  void type;
  return { id: id ?? fallbackId, etag, properties: properties as Record<string, unknown> };
}

export class ArmRemediationWriter implements RemediationWriter {
  private readonly clients = new Map<string, NetworkManagementClient>();

  constructor(private readonly options: ArmRemediationWriterOptions) {}

  private client(subscriptionId: string): NetworkManagementClient {
    let c = this.clients.get(subscriptionId);
    if (!c) {
      c = networkClient(this.options, subscriptionId);
      c.pipeline.addPolicy(CONDITIONS_ON_WRITES_ONLY);
      c.pipeline.addPolicy(PLANNED_API_VERSION_ON_WRITES);
      this.clients.set(subscriptionId, c);
    }
    return c;
  }

  private get timeout() {
    return this.options.requestTimeoutMs ?? 60_000;
  }

  async read(resourceId: string): Promise<LiveResource | undefined> {
    const ref = peeringRef(resourceId);
    try {
      const model = await this.client(ref.subscriptionId).virtualNetworkPeerings.get(ref.resourceGroup, ref.vnetName, ref.peeringName, {
        requestOptions: { timeout: this.timeout },
      });
      return toLive(model, resourceId);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async write(operation: ArmOperation, condition: WriteCondition, signal?: AbortSignal): Promise<LiveResource | undefined> {
    const ref = peeringRef(operation.resourceId);
    const client = this.client(ref.subscriptionId);
    const customHeaders: Record<string, string> = {
      ...('ifMatch' in condition ? { 'If-Match': condition.ifMatch } : { 'If-None-Match': condition.ifNoneMatch }),
      [PLANNED_API_VERSION]: operation.apiVersion,
    };
    const common = {
      requestOptions: { timeout: this.timeout, customHeaders },
      updateIntervalInMs: this.options.pollIntervalMs ?? 2_000,
      ...(signal ? { abortSignal: signal } : {}),
    };
    if (operation.method === 'DELETE') {
      await untilAborted(() => client.virtualNetworkPeerings.beginDeleteAndWait(ref.resourceGroup, ref.vnetName, ref.peeringName, common), signal);
      return undefined;
    }
    if (operation.method !== 'PUT') throw new Error(`remediation does not perform ${operation.method} (only PUT and DELETE of peerings)`);
    const unknownQuery = Object.keys(operation.query ?? {}).filter((k) => k !== 'syncRemoteAddressSpace');
    if (unknownQuery.length > 0) throw new Error(`unsupported query parameter(s) for a peering PUT: ${unknownQuery.join(', ')}`);
    const properties = propsOf(operation);
    const sync = operation.query?.syncRemoteAddressSpace;
    const model = await untilAborted(
      () =>
        client.virtualNetworkPeerings.beginCreateOrUpdateAndWait(ref.resourceGroup, ref.vnetName, ref.peeringName, properties as VirtualNetworkPeering, {
        ...common,
        ...(sync !== undefined ? { syncRemoteAddressSpace: sync } : {}),
      }),
      signal,
    );
    return toLive(model, operation.resourceId);
  }
}
