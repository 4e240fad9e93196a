import { z } from 'zod';
import { closedObject, describeZodError, shown } from '../engine/zod-errors';

// The intent file: groups of VNets and statements about which groups must (not) reach each other.
// Pure: the caller reads the file and hands the parsed YAML document here. Errors name the key.
//
//   groups:
//     hubs: { names: ["vnet-hub-*"] }
//     prod: { tags: ["env=prod"] }
//   statements:
//     - reach: { from: prod, to: hubs }
//     - reach-each-other: prod
//       via: firewall
//     - isolated: { between: [dev, prod] }
//     - on-premises: { group: prod, via: hubs }
//
// A group selects VNets by `ids`, `names` (globs: `*` and `?`, case-insensitive), `tags`
// (`name=value`, the name case-insensitive and the value exact, as Azure compares them; `name=*`
// for any value) and `subscriptions`: a VNet belongs when it matches every
// kind given, and within a kind any one entry.

const groupName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a group name: letters, digits, "-", "_", "."');

const tagSelector = z
  .string()
  .regex(/^[^=]+=.*$/, 'expected name=value')
  .transform((s) => {
    const at = s.indexOf('=');
    return { name: s.slice(0, at).trim(), value: s.slice(at + 1).trim() };
  });

// A selector list given empty would match nothing (or, left out of the check, everything): refused.
const selectors = <T extends z.ZodTypeAny>(item: T) => z.array(item).min(1, 'an empty list selects no VNet: give at least one entry, or leave the key out');

export const groupSchema = closedObject({
  description: z.string().optional(),
  ids: selectors(z.string().min(1)).optional(),
  names: selectors(z.string().min(1)).optional(),
  tags: selectors(tagSelector).optional(),
  subscriptions: selectors(z.string().min(1)).optional(),
}).refine((g) => g.ids || g.names || g.tags || g.subscriptions, 'a group needs at least one of ids, names, tags, subscriptions');

const via = z.enum(['firewall', 'appliance']);
const label = z.string().min(1).optional();

export const reachStatement = closedObject({ name: label, reach: closedObject({ from: groupName, to: groupName }), via: via.optional() });
export const reachEachOtherStatement = closedObject({ name: label, 'reach-each-other': groupName, via: via.optional() });
export const isolatedStatement = closedObject({ name: label, isolated: closedObject({ between: z.tuple([groupName, groupName]) }) });
export const onPremisesStatement = closedObject({ name: label, 'on-premises': closedObject({ group: groupName, via: groupName }) });

/** A statement's kind is the one of these keys it has; the kind picks the schema that checks the rest. */
const statementKinds = {
  reach: reachStatement,
  'reach-each-other': reachEachOtherStatement,
  isolated: isolatedStatement,
  'on-premises': onPremisesStatement,
} as const;
type StatementKind = keyof typeof statementKinds;
type StatementDocument = z.output<(typeof statementKinds)[StatementKind]>;

const kindNames = Object.keys(statementKinds) as StatementKind[];
const expectedKind = `expected one of ${kindNames.join(', ')}`;
/** Every key some statement may have: the rest are unknown. */
const statementKeys = new Set(Object.values(statementKinds).flatMap((schema) => Object.keys(schema.shape)));

// Chosen by its kind key, not tried against every kind: a bad `via` in a reach-each-other statement
// is named as `statements[0].via`, not reported as a statement of no kind.
const statementSchema = z.unknown().transform((value, ctx): StatementDocument => {
  const given = typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.keys(value) : undefined;
  const kinds = kindNames.filter((kind) => given?.includes(kind));
  if (kinds.length !== 1) {
    const unknown = given?.filter((key) => !statementKeys.has(key)) ?? [];
    const message =
      given === undefined
        ? `${expectedKind}; got ${shown(value)}`
        : kinds.length > 1
          ? `${expectedKind}; got ${kinds.slice(0, -1).join(', ')} and ${kinds.at(-1)} together`
          : `${expectedKind}${unknown.length ? ` (unknown key${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')})` : ''}`;
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  }
  const result = statementKinds[kinds[0]!].safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  for (const issue of result.error.issues) ctx.addIssue({ ...issue });
  return z.NEVER;
});

export const intentSchema = closedObject({
  groups: z.record(groupName, groupSchema),
  statements: z.array(statementSchema).min(1, 'say at least one statement'),
});

export type IntentGroup = z.infer<typeof groupSchema>;
export type Via = z.infer<typeof via>;

/** A statement in one shape, with its position and a label for messages. */
export type Statement =
  | { kind: 'reach'; index: number; label: string; from: string; to: string; via: Via | undefined }
  | { kind: 'reach-each-other'; index: number; label: string; group: string; via: Via | undefined }
  | { kind: 'isolated'; index: number; label: string; between: [string, string] }
  | { kind: 'on-premises'; index: number; label: string; group: string; via: string };

export interface Intent {
  groups: Record<string, IntentGroup>;
  statements: Statement[];
}

export class IntentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IntentError';
  }
}

/** Validates a parsed YAML/JSON document; every group a statement names must exist. */
export function parseIntent(document: unknown, source = 'intent'): Intent {
  // reportInput: a message says what was given (`got "teleport"`).
  const result = intentSchema.safeParse(document ?? {}, { reportInput: true });
  if (!result.success) throw new IntentError(`${source}: ${describeZodError(result.error)}`);
  const { groups } = result.data;
  const statements: Statement[] = result.data.statements.map((s, index) => {
    const at = `statements[${index}]`;
    const need = (key: string, group: string): string => {
      if (!Object.prototype.hasOwnProperty.call(groups, group)) {
        throw new IntentError(`${source}: ${at}.${key}: unknown group "${group}" (groups: ${Object.keys(groups).join(', ') || 'none'})`);
      }
      return group;
    };
    if ('reach' in s) {
      const from = need('reach.from', s.reach.from);
      const to = need('reach.to', s.reach.to);
      return { kind: 'reach', index, from, to, via: s.via, label: s.name ?? `${from} reach ${to}${s.via ? ` via ${s.via}` : ''}` };
    }
    if ('reach-each-other' in s) {
      const group = need('reach-each-other', s['reach-each-other']);
      return { kind: 'reach-each-other', index, group, via: s.via, label: s.name ?? `${group} reach each other${s.via ? ` via ${s.via}` : ''}` };
    }
    if ('isolated' in s) {
      const between: [string, string] = [need('isolated.between[0]', s.isolated.between[0]), need('isolated.between[1]', s.isolated.between[1])];
      return { kind: 'isolated', index, between, label: s.name ?? `${between[0]} and ${between[1]} are isolated` };
    }
    const group = need('on-premises.group', s['on-premises'].group);
    const hubs = need('on-premises.via', s['on-premises'].via);
    return { kind: 'on-premises', index, group, via: hubs, label: s.name ?? `${group} reach on-premises through ${hubs}` };
  });
  const contradiction = firstContradiction(statements);
  if (contradiction) throw new IntentError(`${source}: ${contradiction}`);
  return { groups, statements };
}

/**
 * The two groups whose VNets a statement says must reach each other (`reach`, `reach-each-other`)
 * or must be isolated, as the statement names them; undefined for `on-premises`, which says nothing
 * about a pair of VNets. Compared unordered: the model's reach is symmetric, and so is isolation.
 */
function pairOf(statement: Statement): { expects: 'reach' | 'isolated'; named: [string, string] } | undefined {
  switch (statement.kind) {
    case 'reach':
      return { expects: 'reach', named: [statement.from, statement.to] };
    case 'reach-each-other':
      return { expects: 'reach', named: [statement.group, statement.group] };
    case 'isolated':
      return { expects: 'isolated', named: statement.between };
    case 'on-premises':
      return undefined;
  }
}

/**
 * A `reach` or `reach-each-other` statement and an `isolated` one over the same pair of groups
 * contradict each other in every estate: each pair of distinct VNets they both name must reach and
 * must not, so one of them is violated for as long as the groups hold two VNets. Judged by group names alone, without a topology:
 * groups that are different but overlap in some estate disagree only on the pairs they share, and
 * the audit reports each of those (docs/intent.md). The message names the later statement by its
 * key, and the earlier one it contradicts.
 */
function firstContradiction(statements: readonly Statement[]): string | undefined {
  const seen = new Map<string, Statement>();
  for (const statement of statements) {
    const pair = pairOf(statement);
    if (!pair) continue;
    // Group names hold no line break: a safe separator. Sorted: the pair is unordered.
    const [a, b] = pair.named;
    const groups = a <= b ? `${a}\n${b}` : `${b}\n${a}`;
    const other = seen.get(`${pair.expects === 'reach' ? 'isolated' : 'reach'}\n${groups}`);
    if (other) {
      const vnets = a === b ? `two VNets of "${a}"` : `a VNet of "${a}" and one of "${b}"`;
      return `statements[${statement.index}]: "${statement.label}" contradicts statements[${other.index}] ("${other.label}"): ${vnets} cannot both reach each other and be isolated; drop one of them`;
    }
    const own = `${pair.expects}\n${groups}`;
    if (!seen.has(own)) seen.set(own, statement);
  }
  return undefined;
}
