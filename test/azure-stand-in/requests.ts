// The request log: every request the stand-in received, classified by kind, with its outcome.

export type RequestKind =
  /** POST /providers/Microsoft.ResourceGraph/resources */
  | 'resourceGraph'
  /** GET /subscriptions */
  | 'subscriptions'
  /** GET of one ARM resource */
  | 'armGet'
  /** GET of an ARM collection (e.g. a VNet's peerings), each page counts */
  | 'armList'
  | 'armPut'
  | 'armDelete'
  /** GET of an Azure-AsyncOperation or Location URL of a long-running ARM operation */
  | 'armOperation'
  /** GET /providers/Microsoft.Management/managementGroups/{groupId}/descendants, each page counts */
  | 'managementGroupDescendants'
  /** POST /emails:send */
  | 'emailSend'
  /** GET /emails/operations/{id} */
  | 'emailOperation'
  | 'unknown';

export interface LoggedRequest {
  kind: RequestKind;
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  /** Status answered; 0 when the connection was dropped. */
  status: number;
  /** Subscriptions a Resource Graph query named (lower-cased), or the subscription of an ARM path. */
  subscriptions: string[];
  /** Parsed JSON body, if any. */
  body?: unknown;
  headers: Record<string, string | string[] | undefined>;
  at: Date;
}

export class RequestLog {
  readonly entries: LoggedRequest[] = [];

  add(entry: LoggedRequest): void {
    this.entries.push(entry);
  }

  /** Number of requests of one kind (or of all kinds). */
  count(kind?: RequestKind): number {
    return kind === undefined ? this.entries.length : this.entries.filter((e) => e.kind === kind).length;
  }

  /** Counts per kind, e.g. `{ resourceGraph: 3, armGet: 5 }` (kinds never seen are absent). */
  counts(): Partial<Record<RequestKind, number>> {
    const result: Partial<Record<RequestKind, number>> = {};
    for (const e of this.entries) result[e.kind] = (result[e.kind] ?? 0) + 1;
    return result;
  }

  of(kind: RequestKind): LoggedRequest[] {
    return this.entries.filter((e) => e.kind === kind);
  }

  clear(): void {
    this.entries.length = 0;
  }
}
