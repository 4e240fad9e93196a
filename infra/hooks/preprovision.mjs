// azd preprovision hook (plain Node, so one file serves sh and pwsh): refuses azd env values that
// would break infra/main.parameters.json. azd writes each `${NAME}` there as the text it holds, then
// parses the file as JSON (envsubst, then json.Unmarshal, in its Bicep provider), so a value with a
// double quote, a backslash or a line break fails `azd provision` with a JSON error that names no
// setting. This names the setting and the character before anything is deployed.
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

const PARAMETERS_FILE = new URL('../main.parameters.json', import.meta.url);

/** What JSON would have to escape inside a string: the first such character of `value`, described. */
function unescapedProblem(value) {
  for (let i = 0; i < value.length; i += 1) {
    const code = value.charCodeAt(i);
    if (code === 0x22) return `a double quote (") at character ${i + 1}`;
    if (code === 0x5c) return `a backslash (\\) at character ${i + 1}`;
    if (code === 0x0a || code === 0x0d) return `a line break at character ${i + 1}`;
    if (code < 0x20) return `a control character (U+${code.toString(16).toUpperCase().padStart(4, '0')}) at character ${i + 1}`;
  }
  return undefined;
}

/** The azd env values the parameters file names (`${NAME}` or `${NAME=default}`), in file order. */
function substitutedNames(parametersText) {
  return [...new Set([...parametersText.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]))];
}

/** One line per set value that azd cannot write into the parameters file. */
function problems(parametersText, env) {
  return substitutedNames(parametersText).flatMap((name) => {
    const value = env[name];
    const problem = value === undefined ? undefined : unescapedProblem(value);
    return problem ? [`${name}: holds ${problem}`] : [];
  });
}

const found = problems(readFileSync(PARAMETERS_FILE, 'utf8'), process.env);
if (found.length > 0) {
  const lines = [
    'peerguard: azd writes these azd env values into infra/main.parameters.json unescaped, and the file would not be valid JSON:',
    ...found.map((line) => `  ${line}`),
  ];
  if (found.some((line) => line.startsWith('AUDIT_CONFIG:'))) {
    lines.push(
      'Write AUDIT_CONFIG as one line of YAML flow style, quoting with single quotes where needed, e.g.',
      "  azd env set AUDIT_CONFIG \"{rules: {peering-limit-near: off}, suppressions: [{rule: peering-one-sided, resource: '/subscriptions/<id>/*', expires: 2027-01-31, reason: 'migration, phase 2'}]}\"",
    );
  }
  process.stderr.write(`${lines.join('\n')}\n`);
  process.exit(1);
}
