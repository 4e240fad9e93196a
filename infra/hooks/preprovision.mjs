// azd preprovision hook (plain Node, so one file serves sh and pwsh): refuses azd env values that
// would break infra/main.parameters.json. azd writes each `${NAME}` there as the text it holds, then
// parses the file as JSON (envsubst, then json.Unmarshal, in its Bicep provider), so a value with a
// double quote, a backslash or a line break fails `azd provision` with a JSON error that names no
// setting. This names the setting and the character before anything is deployed.
// It also refuses email settings the deployment could not use (emailProblems below): the Bicep
// composes the sender address from them, and a wrong one would deploy and fail only when mail is sent.
// Then it sets DEPLOY_EVENT_SUBSCRIPTIONS from the function app this provisioning targets
// (event-subscriptions.mjs): true only when that app already has the eventGridTrigger function.
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';
import { applyDecision } from './event-subscriptions.mjs';

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

/** A custom domain of an Email Communication Service, by resource id (the segments are ARM's, any case). */
const EMAIL_DOMAIN_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Communication\/emailServices\/[^/]+\/domains\/([^/]+)$/i;
/** A MailFrom username: the local part of an address, letters, digits, '.', '_' and '-'. */
const SENDER_USERNAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9])?$/;
const DEFAULT_SENDER_USERNAME = 'DoNotReply';

/**
 * One line per email setting the deployment could not use. The sender address is
 * <EMAIL_SENDER_USERNAME>@<the domain's resource name> (infra/modules/communication.bicep), which is
 * the domain itself for a custom domain and nothing sendable for an Azure-managed one.
 */
function emailProblems(env) {
  const domainId = (env.EMAIL_CUSTOM_DOMAIN_ID ?? '').trim();
  const username = (env.EMAIL_SENDER_USERNAME ?? '').trim();
  const found = [];
  if (domainId !== '') {
    const domain = EMAIL_DOMAIN_ID.exec(domainId)?.[1];
    if (domain === undefined) {
      found.push('EMAIL_CUSTOM_DOMAIN_ID: expected the resource id of a domain, /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Communication/emailServices/<service>/domains/<domain>');
    } else if (domain.toLowerCase() === 'azuremanageddomain') {
      found.push('EMAIL_CUSTOM_DOMAIN_ID: names an Azure-managed domain, which has the sandbox quota a custom domain avoids; leave it empty to use one of the deployment\'s own, or name a verified custom domain');
    }
  }
  if (username !== '' && !SENDER_USERNAME.test(username)) {
    found.push('EMAIL_SENDER_USERNAME: expected the part of an address before the @ (letters, digits, ".", "_" and "-"), e.g. DoNotReply');
  } else if (username !== '' && domainId === '' && username.toLowerCase() !== DEFAULT_SENDER_USERNAME.toLowerCase()) {
    found.push(`EMAIL_SENDER_USERNAME: needs EMAIL_CUSTOM_DOMAIN_ID; an Azure-managed domain sends only as ${DEFAULT_SENDER_USERNAME}`);
  }
  return found;
}

const found = problems(readFileSync(PARAMETERS_FILE, 'utf8'), process.env);
const email = emailProblems(process.env);
if (found.length > 0 || email.length > 0) {
  const lines = [];
  if (found.length > 0) {
    lines.push(
      'peerguard: azd writes these azd env values into infra/main.parameters.json unescaped, and the file would not be valid JSON:',
      ...found.map((line) => `  ${line}`),
    );
  }
  if (found.some((line) => line.startsWith('AUDIT_CONFIG:'))) {
    lines.push(
      'Write AUDIT_CONFIG as one line of YAML flow style, quoting with single quotes where needed, e.g.',
      "  azd env set AUDIT_CONFIG \"{rules: {peering-limit-near: off}, suppressions: [{rule: peering-one-sided, resource: '/subscriptions/<id>/*', expires: 2027-01-31, reason: 'migration, phase 2'}]}\"",
    );
  }
  if (email.length > 0) {
    lines.push('peerguard: the deployment could not send mail with these azd env values:', ...email.map((line) => `  ${line}`));
  }
  process.stderr.write(`${lines.join('\n')}\n`);
  process.exit(1);
}

const eventSubscriptions = await applyDecision(process.env);
if (eventSubscriptions.out.length > 0) process.stdout.write(`${eventSubscriptions.out.join('\n')}\n`);
if (eventSubscriptions.err.length > 0) process.stderr.write(`${eventSubscriptions.err.join('\n')}\n`);
if (!eventSubscriptions.ok) process.exit(1);
