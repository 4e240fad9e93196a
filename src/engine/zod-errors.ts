import type { z } from 'zod';

// How a failed validation reads to a user, shared by the audit configuration, the intent and the
// app settings: one issue per `path: message`, the path as written in the document.

/** `suppressions[0].expires`; `(top level)` for the document itself. */
function pathText(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(top level)';
}

/** Human text for zod issues: `suppressions[0].expires: not a real date`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const keys = issue.code === 'unrecognized_keys' ? ` (unknown key${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')})` : '';
      return `${pathText(issue.path)}: ${issue.message}${keys}`;
    })
    .join('; ');
}
