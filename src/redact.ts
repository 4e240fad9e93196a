// Secrets out of text that leaves the process (logs, a failed event's answer to Event Grid, dead
// letters, report coverage, CLI stderr). The Azure SDKs already sanitize the headers and query
// strings they log; an error message is free text, though, and may quote a connection string or a
// token (a proxy's error page, a custom credential's message). Redacting there too costs a few
// regular expressions per failure.

const PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // `Authorization: Bearer eyJ...`, `Bearer abc.def`
  [/\b(Bearer|Basic|SharedKey|SharedAccessSignature)\s+[^\s"',;]+/gi, '$1 <redacted>'],
  // Connection strings and SAS query strings: `accesskey=...;`, `AccountKey=...`, `sig=...&`
  [/\b(accesskey|accountkey|sharedaccesskey|sig|client_secret|password|pwd)=[^;&\s"']+/gi, '$1=<redacted>'],
  // A JSON Web Token on its own (header.payload.signature, base64url)
  [/\beyJ[\w-]+\.[\w-]+\.[\w-]*/g, '<redacted token>'],
];

/** `text` with bearer tokens, keys, SAS signatures and passwords replaced by `<redacted>`. */
export function redactSecrets(text: string): string {
  let result = text;
  for (const [pattern, replacement] of PATTERNS) result = result.replace(pattern, replacement);
  return result;
}
