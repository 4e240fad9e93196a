import { z } from 'zod';

// How a failed validation reads to a user, shared by the audit configuration, the intent and the
// app settings: one issue per `path: message`, the path as written in the document.
//
// zod's own wording ("Invalid input: expected boolean, received string", "Invalid option: ...") is
// rewritten to say what is allowed: `expected boolean, got "no"`, `expected firewall or appliance`.
// The value given (`got ...`) is shown only when the parse kept it (safeParse with reportInput:
// the audit configuration and the intent do; the app settings, which hold connection strings,
// do not). A union names the bad key inside the one alternative the value was meant as (the only
// one whose type it has: an object for `{ enabled, severity }`); otherwise it says every
// alternative allowed, in its own `error` if it has one, and what was given.

type Issue = z.core.$ZodIssue;

/**
 * An object that takes only the keys of `shape`, and whose error for any other key names the keys
 * it does take: `unknown key "enabld"; allowed: enabled, severity` (a typo is found by eye).
 */
export function closedObject<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}; allowed: ${allowed}`
        : undefined,
  });
}

/** `suppressions[0].expires`; `(top level)` for the document itself. */
function pathText(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(top level)';
}

/** A YAML timestamp as written: `2027-06-30` for a date alone (midnight UTC), else the instant in ISO form. */
export function timestampText(date: Date): string {
  if (Number.isNaN(date.getTime())) return 'not a real date';
  const iso = date.toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
}

/** A value as a message shows it: `"critical"`, `false`, `a list`; long text cut short. */
export function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  // A `%YAML 1.1` document reads an unquoted date as a timestamp, not as text.
  if (value instanceof Date) return `a YAML timestamp (${timestampText(value)}; quote it to give text)`;
  if (typeof value === 'object' && value !== null) return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return String(value);
}

/** An allowed value: a word stays bare (`firewall`), other text is quoted. */
const word = (value: unknown): string => (typeof value !== 'string' ? String(value) : /^[\w.*-]+$/.test(value) ? value : JSON.stringify(value));

/** `firewall or appliance`; `error, warning or info`. */
function listOf(words: readonly string[]): string {
  const unique = [...new Set(words)];
  return unique.length > 1 ? `${unique.slice(0, -1).join(', ')} or ${unique.at(-1)}` : (unique[0] ?? 'nothing');
}

/** A type as a YAML or JSON author knows it: zod's `record` is an object. */
const typeName = (expected: string): string => (expected === 'record' ? 'object' : expected);

/** zod's default wording (a schema's own messages never start like this). */
const isZodDefault = (message: string): boolean => /^Invalid (input|option|key)\b/.test(message);

/** The alternatives a union branch wanted, from the issue it raised on the value itself. */
function branchExpects(branch: readonly Issue[]): string[] {
  return branch.flatMap((issue) => {
    if (issue.path.length > 0) return [];
    if (issue.code === 'invalid_value') return issue.values.map(word);
    if (issue.code === 'invalid_type') return [typeName(issue.expected)];
    return [];
  });
}

/** Whether a union branch rejected the value's type outright, rather than something inside it. */
const rejectsType = (branch: readonly Issue[]): boolean =>
  branch.some((issue) => issue.path.length === 0 && (issue.code === 'invalid_type' || issue.code === 'invalid_value' || issue.code === 'invalid_union'));

/** `expected X` plus what was given, when the parse kept it: `, got 5`; `; got 5` after a list. */
function withGot(expected: string, issue: Issue): string {
  if (!('input' in issue)) return expected;
  return `${expected}${expected.includes(',') ? ';' : ','} got ${shown(issue.input)}`;
}

/** One line per problem, the paths under `prefix`. */
function lines(issues: readonly Issue[], prefix: ReadonlyArray<PropertyKey>): string[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union') {
      const meant = issue.errors.filter((branch) => !rejectsType(branch));
      if (meant.length === 1) return lines(meant[0]!, path);
    }
    return [`${pathText(path)}: ${messageOf(issue)}`];
  });
}

function messageOf(issue: Issue): string {
  const own = !isZodDefault(issue.message);
  switch (issue.code) {
    case 'invalid_union': {
      const expects = issue.errors.flatMap(branchExpects);
      if (!own && expects.length === 0) return issue.message;
      return withGot(own ? issue.message : `expected ${listOf(expects)}`, issue);
    }
    case 'invalid_type':
      if (own) return issue.message;
      if ('input' in issue && issue.input === undefined) return `missing (expected ${typeName(issue.expected)})`;
      // Without the value, zod's `received <type>` is all there is to say what was given.
      return 'input' in issue ? withGot(`expected ${typeName(issue.expected)}`, issue) : issue.message.replace(/^Invalid input: /, '');
    case 'invalid_value':
      return own ? issue.message : withGot(`expected ${listOf(issue.values.map(word))}`, issue);
    case 'invalid_key':
      return own ? issue.message : `not a valid key: ${issue.issues.map((inner) => messageOf(inner)).join(', ')}`;
    default:
      return issue.message;
  }
}

/** Human text for zod issues: `suppressions[0].expires: not a real date`. */
export function describeZodError(error: z.ZodError): string {
  return lines(error.issues, []).join('; ');
}
