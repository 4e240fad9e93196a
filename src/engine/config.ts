import { z } from 'zod';
import { parseIntent } from '../intent/schema';
import { GUID } from '../model/ids';
import { DEFAULT_RULE_OPTIONS } from '../rules/rule';
import { closedObject, describeZodError, shown, timestampText } from './zod-errors';

// The audit configuration (a JSON or YAML file): rules on/off and re-rated, the peering limit,
// suppressions with a reason and an expiry date. Validated once; errors name the bad key.

const severity = z.enum(['error', 'warning', 'info']);

// A word, or an object; a value that is neither gets the message saying both forms (`got ...` follows).
const ruleSetting = z.union(
  [z.enum(['off', ...severity.options]), closedObject({ enabled: z.boolean().optional(), severity: severity.optional() })],
  { error: `expected ${severity.options.join(', ')} or off, or { enabled: boolean, severity: ${severity.options.join('|')} }` },
);

/** Whether `2026-02-30` names a day of the calendar (Date.parse rolls it over to 2 March). */
function isCalendarDay(text: string): boolean {
  const [year, month, day] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

// A time needs its zone: without one, JavaScript reads it in the host's zone, so a suppression
// would end at different instants on a laptop and in Azure. A YAML timestamp (an unquoted date in a
// `%YAML 1.1` document) is refused, not converted: `2027-06-30` and `2027-06-30T00:00Z` read as the
// same instant, while the first means the end of that day.
const isoDate = z
  .string({
    error: (issue) =>
      issue.input instanceof Date
        ? `${timestampText(issue.input)} was read as a YAML timestamp, not as text (a %YAML 1.1 document reads an unquoted date so): quote it, expires: "${timestampText(issue.input)}"`
        : undefined,
  })
  .regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/i, 'expected a date such as 2026-12-31, or a date and time with its zone such as 2026-12-31T18:00Z')
  .refine((s) => !Number.isNaN(Date.parse(s)) && isCalendarDay(s), 'not a real date');

export const suppressionSchema = closedObject({
  /** Rule id, or '*' for every rule. */
  rule: z.string().min(1),
  /** A resource id (case-insensitive); a trailing `/*` matches everything under it. */
  resource: z
    .string()
    // A trailing slash is dropped, as resource ids of the input are compared without one.
    .transform((id) => id.replace(/\/+$/, ''))
    .pipe(
      z
        .string()
        .regex(
          // Every finding is about a resource in a subscription: anything else (a bare name, `*`) would suppress nothing.
          /^\/subscriptions(\/\*|(\/[^/*]+)+(\/\*)?)$/i,
          'expected a resource id (/subscriptions/<id>/resourceGroups/<group>/providers/…), or a scope ending in /* such as /subscriptions/<id>/*; to silence a rule everywhere, set it to off under rules',
        ),
    ),
  reason: z.string().min(1, 'say why the finding is accepted'),
  expires: isoDate,
});

// Remediation (issue 5): off by default, dry run unless `apply`, scoped, bounded.
const tag = z
  .string()
  .regex(/^[^=]+=.*$/, 'expected name=value')
  .transform((s) => {
    const at = s.indexOf('=');
    return { name: s.slice(0, at), value: s.slice(at + 1) };
  });

/**
 * A subscription of the allow list: its id, a GUID, as `--subscription` takes it. Anything else (a
 * resource id `/subscriptions/<id>`, a name, a typo) matches no finding, so every fix would be
 * skipped as "not on the allow list" while the run looked fine.
 */
const subscriptionId = z.string().superRefine((id, ctx) => {
  if (GUID.test(id)) return;
  const inner = /^\/subscriptions\/([^/]+)\/?$/i.exec(id)?.[1];
  const hint = inner !== undefined && GUID.test(inner) ? `; this is a resource id: give its GUID, ${JSON.stringify(inner)}` : '';
  ctx.addIssue({ code: 'custom', message: `expected a subscription id (a GUID such as 00000000-0000-0000-0000-000000000000), got ${shown(id)}${hint}` });
});

/**
 * A section whose entries are all commented out (`rules:` then only `# x: off`) is YAML null: read
 * as absent (its default), as if the key were not written. Any other wrong type is still refused.
 */
function nullAsAbsent<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === null ? undefined : value), schema);
}

export const remediationConfigSchema = closedObject({
  enabled: z.boolean().default(false),
  /** Perform the writes; otherwise plan only (dry run). */
  apply: z.boolean().default(false),
  /** Permit deletes and re-creates (peering-disconnected, peering-remote-vnet-missing). */
  allowDestructive: z.boolean().default(false),
  /** Subscriptions peerguard may write to. Empty: none. */
  subscriptions: nullAsAbsent(z.array(subscriptionId).default([])),
  /** When set, only VNets carrying this tag (name=value) are written. */
  optInTag: tag.optional(),
  /** VNets carrying this tag are never written. */
  optOutTag: tag.default({ name: 'peerguard-remediation', value: 'opt-out' }),
  /** At most this many ARM writes per run. */
  maxWrites: z.number().int().min(1).max(100).default(5),
  /** Run remediation from the Event Grid path and from the scheduled audit (each off by default). */
  onEvent: z.boolean().default(false),
  onSchedule: z.boolean().default(false),
});


export const auditConfigSchema = closedObject({
  rules: nullAsAbsent(z.record(z.string(), ruleSetting).default({})),
  peeringLimit: z.number().int().positive().default(DEFAULT_RULE_OPTIONS.peeringLimit),
  suppressions: nullAsAbsent(z.array(suppressionSchema).default([])),
  remediation: nullAsAbsent(remediationConfigSchema.default(remediationConfigSchema.parse({}))),
  /** Declared intent (docs/intent.md), inline: how the Functions app gets it (PEERGUARD_AUDIT_CONFIG). */
  intent: z.unknown().optional().transform((doc, ctx) => {
    if (doc === undefined || doc === null) return undefined;
    try {
      return parseIntent(doc, 'intent');
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message.replace(/^intent: /, '') });
      return z.NEVER;
    }
  }),
});

export type AuditConfig = z.infer<typeof auditConfigSchema>;
export type Suppression = z.infer<typeof suppressionSchema>;
export type RemediationConfig = z.infer<typeof remediationConfigSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Validates a parsed config document against the schema and the known rule ids. */
export function parseAuditConfig(document: unknown, knownRuleIds: readonly string[], source = 'configuration'): AuditConfig {
  // The schema's record drops a `__proto__` key (a JSON or YAML document can hold one): refuse it by name.
  const rules = (document as { rules?: unknown } | null | undefined)?.rules;
  if (typeof rules === 'object' && rules !== null && Object.hasOwn(rules, '__proto__')) {
    throw new ConfigError(`${source}: rules.__proto__: unknown rule id (see \`peerguard rules\`)`);
  }
  // reportInput: a message says what was given (`got "critical"`); the configuration holds no secrets.
  const result = auditConfigSchema.safeParse(document ?? {}, { reportInput: true });
  if (!result.success) throw new ConfigError(`${source}: ${describeZodError(result.error)}`);
  const known = new Set(knownRuleIds);
  for (const id of Object.keys(result.data.rules)) {
    if (!known.has(id)) throw new ConfigError(`${source}: rules.${id}: unknown rule id (see \`peerguard rules\`)`);
  }
  result.data.suppressions.forEach((s, i) => {
    if (s.rule !== '*' && !known.has(s.rule)) {
      throw new ConfigError(`${source}: suppressions[${i}].rule: unknown rule id "${s.rule}"`);
    }
  });
  return result.data;
}

export const DEFAULT_CONFIG: AuditConfig = auditConfigSchema.parse({});
