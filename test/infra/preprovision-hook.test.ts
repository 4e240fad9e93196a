// The azd preprovision hook (infra/hooks/preprovision.mjs) refuses exactly the azd env values that
// azd's own substitution would turn into an invalid infra/main.parameters.json: azd replaces each
// `${NAME}` / `${NAME=default}` with the value's text and then parses the file as JSON. The hook
// runs as azd runs it, a Node process given the azd env values as its environment.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadAppSettings } from '../../src/config/app-settings';
import { ConfigError, parseAuditConfig } from '../../src/engine/config';
import { parseYamlDocument } from '../../src/config/yaml-document';
import { RULES } from '../../src/rules';

const ROOT = join(__dirname, '..', '..');
const HOOK = join(ROOT, 'infra', 'hooks', 'preprovision.mjs');
const PARAMETERS = readFileSync(join(ROOT, 'infra', 'main.parameters.json'), 'utf8');

function runHook(values: Record<string, string>): { status: number | null; stderr: string } {
  // Only PATH from this process: a value set where the tests run must not decide them.
  const result = spawnSync(process.execPath, [HOOK], { env: { PATH: process.env.PATH ?? '', ...values }, encoding: 'utf8' });
  return { status: result.status, stderr: result.stderr };
}

const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:=([^}]*))?\}/g;

/** azd's substitution of the forms the file uses: the value as it is, else the default, else nothing. */
function azdSubstitute(text: string, values: Record<string, string>): string {
  return text.replace(PLACEHOLDER, (_, name: string, fallback: string | undefined) => values[name] ?? fallback ?? '');
}

/** The parameter an azd env value feeds: the one whose template value is `${NAME}` or `${NAME=…}`. */
function parameterOf(name: string): string {
  const parameters = (JSON.parse(PARAMETERS) as { parameters: Record<string, { value: string }> }).parameters;
  const found = Object.entries(parameters).find(([, p]) => p.value.startsWith(`\${${name}}`) || p.value.startsWith(`\${${name}=`));
  if (!found) throw new Error(`no parameter takes ${name}`);
  return found[0];
}

/** Whether the substituted file parses and hands the value to its parameter unchanged. */
function survivesSubstitution(name: string, value: string): boolean {
  try {
    const parsed = JSON.parse(azdSubstitute(PARAMETERS, { [name]: value })) as { parameters: Record<string, { value: unknown }> };
    return parsed.parameters[parameterOf(name)]?.value === value;
  } catch {
    return false;
  }
}

const CASES: Array<{ name: string; value: string; refusal?: string }> = [
  { name: 'AUDIT_CONFIG', value: '{rules: {peering-limit-near: off}}' },
  { name: 'AUDIT_CONFIG', value: "{suppressions: [{rule: peering-one-sided, resource: '/subscriptions/1/*', expires: 2027-01-31, reason: 'a, b'}]}" },
  { name: 'ALERT_TO_ERROR', value: 'netops@contoso.com,audit@contoso.com' },
  { name: 'REPORT_SCHEDULE', value: '0 30 5 * * 1-5' },
  { name: 'AUDIT_CONFIG', value: '{"rules":{"peering-limit-near":"off"}}', refusal: 'AUDIT_CONFIG: holds a double quote (") at character 2' },
  { name: 'AUDIT_CONFIG', value: 'rules:\n  peering-limit-near: off', refusal: 'AUDIT_CONFIG: holds a line break at character 7' },
  { name: 'AUDIT_CONFIG', value: 'rules: {peering-limit-near: off}\r', refusal: 'AUDIT_CONFIG: holds a line break at character 33' },
  { name: 'AUDIT_CONFIG', value: 'rules:\t{}', refusal: 'AUDIT_CONFIG: holds a control character (U+0009) at character 7' },
  { name: 'AUDIT_CONFIG', value: "{suppressions: [{reason: 'C:\\temp'}]}", refusal: 'AUDIT_CONFIG: holds a backslash (\\) at character 29' },
  { name: 'ALERT_TO_ERROR', value: '"Net Ops" <netops@contoso.com>', refusal: 'ALERT_TO_ERROR: holds a double quote (") at character 1' },
];

describe('azd preprovision hook', () => {
  it('uses only the placeholder forms this test substitutes as azd does', () => {
    const names = [...PARAMETERS.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1] as string);
    expect(names.length).toBeGreaterThan(10);
    for (const inner of names) expect(inner).toMatch(/^[A-Za-z_][A-Za-z0-9_]*(=[^}]*)?$/);
  });

  it.each(CASES)('$name = $value', ({ name, value, refusal }) => {
    const { status, stderr } = runHook({ [name]: value });
    if (refusal) {
      expect(status).toBe(1);
      expect(stderr).toContain(`  ${refusal}\n`);
    } else {
      expect([status, stderr]).toEqual([0, '']);
    }
    // The hook refuses exactly what azd's substitution breaks.
    expect(survivesSubstitution(name, value)).toBe(refusal === undefined);
  });

  it('lists every refused value in one run', () => {
    const { status, stderr } = runHook({ AUDIT_CONFIG: '{"a":1}', REPORT_TO: 'a@b.c\n', ALERT_TO_INFO: 'ok@contoso.com' });
    expect(status).toBe(1);
    expect(stderr).toContain('AUDIT_CONFIG: holds a double quote');
    expect(stderr).toContain('REPORT_TO: holds a line break');
    expect(stderr).not.toContain('ALERT_TO_INFO');
  });

  it('gives the YAML advice only when AUDIT_CONFIG is refused', () => {
    expect(runHook({ ALERT_TO_ERROR: '"Net Ops" <netops@contoso.com>' }).stderr).not.toContain('AUDIT_CONFIG');
    expect(runHook({ AUDIT_CONFIG: '"' }).stderr).toContain('Write AUDIT_CONFIG as one line of YAML flow style');
  });

  it('suggests a configuration that the hook accepts and the app reads, as the README does', () => {
    const { stderr } = runHook({ AUDIT_CONFIG: '"' });
    const example = /azd env set AUDIT_CONFIG "(.*)"\n/.exec(stderr)?.[1];
    expect(example).toBeDefined();
    expect(runHook({ AUDIT_CONFIG: example as string }).status).toBe(0);
    const config = parseAuditConfig(parseYamlDocument(example as string, 'AUDIT_CONFIG', ConfigError), RULES.map((r) => r.meta.id), 'AUDIT_CONFIG');
    expect(config.rules['peering-limit-near']).toBe('off');
    expect(config.suppressions).toEqual([expect.objectContaining({ rule: 'peering-one-sided', reason: 'migration, phase 2' })]);
    // The README gives the same advice.
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(`azd env set AUDIT_CONFIG "${example}"`);
  });

  it('is registered in azure.yaml for sh and pwsh, and stops provisioning when it fails', () => {
    const azure = parseYaml(readFileSync(join(ROOT, 'azure.yaml'), 'utf8'));
    const hook = azure.hooks?.preprovision;
    for (const platform of ['posix', 'windows']) {
      expect(hook?.[platform]?.run).toBe('node ./infra/hooks/preprovision.mjs');
      expect(hook?.[platform]?.continueOnError).toBe(false);
    }
  });
});

describe('azd preprovision hook: the email domain and sender', () => {
  const DOMAIN_ID = '/subscriptions/aaaaaaaa-0000-0000-0000-000000000001/resourceGroups/rg-mail/providers/Microsoft.Communication/emailServices/ecs-contoso/domains/notify.contoso.com';

  it.each([
    ['EMAIL_SENDER_USERNAME', { EMAIL_SENDER_USERNAME: 'alerts' }, 'EMAIL_SENDER_USERNAME: needs EMAIL_CUSTOM_DOMAIN_ID; an Azure-managed domain sends only as DoNotReply'],
    ['EMAIL_SENDER_USERNAME', { EMAIL_SENDER_USERNAME: 'alerts@contoso.com', EMAIL_CUSTOM_DOMAIN_ID: DOMAIN_ID }, 'EMAIL_SENDER_USERNAME: expected the part of an address before the @'],
    ['EMAIL_SENDER_USERNAME', { EMAIL_SENDER_USERNAME: 'net ops', EMAIL_CUSTOM_DOMAIN_ID: DOMAIN_ID }, 'EMAIL_SENDER_USERNAME: expected the part of an address before the @'],
    ['EMAIL_CUSTOM_DOMAIN_ID', { EMAIL_CUSTOM_DOMAIN_ID: 'notify.contoso.com' }, 'EMAIL_CUSTOM_DOMAIN_ID: expected the resource id of a domain'],
    ['EMAIL_CUSTOM_DOMAIN_ID', { EMAIL_CUSTOM_DOMAIN_ID: DOMAIN_ID.replace('/domains/notify.contoso.com', '') }, 'EMAIL_CUSTOM_DOMAIN_ID: expected the resource id of a domain'],
    // Its resource name is not a mail domain (the Bicep composes the sender from the name).
    ['EMAIL_CUSTOM_DOMAIN_ID', { EMAIL_CUSTOM_DOMAIN_ID: DOMAIN_ID.replace('notify.contoso.com', 'AzureManagedDomain') }, 'EMAIL_CUSTOM_DOMAIN_ID: names an Azure-managed domain'],
  ])('refuses %s the deployment could not send with: %j', (_, values, refusal) => {
    const { status, stderr } = runHook(values);
    expect(status).toBe(1);
    expect(stderr).toContain('peerguard: the deployment could not send mail with these azd env values:\n');
    expect(stderr).toContain(`  ${refusal}`);
    expect(stderr).not.toContain('main.parameters.json');
  });

  it.each([
    [{}],
    [{ EMAIL_SENDER_USERNAME: 'DoNotReply' }],
    [{ EMAIL_SENDER_USERNAME: 'donotreply', EMAIL_CUSTOM_DOMAIN_ID: '' }],
    [{ EMAIL_CUSTOM_DOMAIN_ID: DOMAIN_ID }],
    [{ EMAIL_CUSTOM_DOMAIN_ID: DOMAIN_ID.toLowerCase(), EMAIL_SENDER_USERNAME: 'peerguard.alerts_1' }],
  ])('accepts %j, and the sender it makes is one the app accepts', (values: Record<string, string>) => {
    expect(runHook(values)).toEqual({ status: 0, stderr: '' });
    const domain = values.EMAIL_CUSTOM_DOMAIN_ID ? values.EMAIL_CUSTOM_DOMAIN_ID.split('/').at(-1) : 'x.azurecomm.net';
    const sender = `${values.EMAIL_CUSTOM_DOMAIN_ID ? (values.EMAIL_SENDER_USERNAME ?? 'DoNotReply') : 'DoNotReply'}@${domain}`;
    expect(loadAppSettings({ PEERGUARD_EMAIL_SENDER: sender }).PEERGUARD_EMAIL_SENDER).toBe(sender);
  });

  it('names JSON problems and email problems in one run', () => {
    const { status, stderr } = runHook({ REPORT_TO: 'a\nb', EMAIL_SENDER_USERNAME: 'alerts' });
    expect(status).toBe(1);
    expect(stderr).toContain('REPORT_TO: holds a line break');
    expect(stderr).toContain('EMAIL_SENDER_USERNAME: needs EMAIL_CUSTOM_DOMAIN_ID');
  });
});
