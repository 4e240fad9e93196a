import { z } from 'zod';
import { describeZodError } from '../engine/zod-errors';

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
// (`name=value`; `name=*` for any value) and `subscriptions`: a VNet belongs when it matches every
// kind given, and within a kind any one entry.

const groupName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a group name: letters, digits, "-", "_", "."');

const tagSelector = z
  .string()
  .regex(/^[^=]+=.*$/, 'expected name=value')
  .transform((s) => {
    const at = s.indexOf('=');
    return { name: s.slice(0, at).trim(), value: s.slice(at + 1).trim() };
  });

export const groupSchema = z
  .strictObject({
    description: z.string().optional(),
    ids: z.array(z.string().min(1)).optional(),
    names: z.array(z.string().min(1)).optional(),
    tags: z.array(tagSelector).optional(),
    subscriptions: z.array(z.string().min(1)).optional(),
  })
  .refine((g) => g.ids || g.names || g.tags || g.subscriptions, 'a group needs at least one of ids, names, tags, subscriptions');

const via = z.enum(['firewall', 'appliance']);
const label = z.string().min(1).optional();

export const reachStatement = z.strictObject({ name: label, reach: z.strictObject({ from: groupName, to: groupName }), via: via.optional() });
export const reachEachOtherStatement = z.strictObject({ name: label, 'reach-each-other': groupName, via: via.optional() });
export const isolatedStatement = z.strictObject({ name: label, isolated: z.strictObject({ between: z.tuple([groupName, groupName]) }) });
export const onPremisesStatement = z.strictObject({ name: label, 'on-premises': z.strictObject({ group: groupName, via: groupName }) });

const statementSchema = z.union([reachStatement, reachEachOtherStatement, isolatedStatement, onPremisesStatement], {
  error: 'expected one of reach, reach-each-other, isolated, on-premises',
});

export const intentSchema = z.strictObject({
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
  const result = intentSchema.safeParse(document ?? {});
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
  return { groups, statements };
}
