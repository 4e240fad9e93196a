// The email domain peerguard sends from. An Azure-managed domain (the default) has a sandbox quota
// (Communication Services service limits, Email: about 5 mails a minute and 10 an hour per
// subscription), and peerguard sends one alert per finding that opens or resolves: a verified custom
// domain, given by resource id, replaces it. Reads the Bicep text (test/infra/bicep-text.ts), and
// checks that the sender address each path composes is one the app accepts at start-up.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_REPORT_SCHEDULE } from '../../src/config/app-settings';
import { validateAtStartup } from '../../src/functions/composition';
import { declarationBody, declarations, objectProperty, objectValue, paramDefault, varBody } from './bicep-text';

const ROOT = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const mainBicep = read('infra/main.bicep');
const communication = read('infra/modules/communication.bicep');
const parameters = (JSON.parse(read('infra/main.parameters.json')) as { parameters: Record<string, { value: string }> }).parameters;

const CUSTOM_DOMAIN_ID = '/subscriptions/aaaaaaaa-0000-0000-0000-000000000001/resourceGroups/rg-mail/providers/Microsoft.Communication/emailServices/ecs-contoso/domains/notify.contoso.com';

/**
 * The sender address as communication.bicep's `output senderAddress` composes it (the test below
 * pins that expression): the managed domain's DoNotReply, or <username>@<the custom domain's name>.
 */
function senderAddress(customDomainId: string, senderUsername: string, managedMailFromDomain: string): string {
  return customDomainId !== '' ? `${senderUsername}@${customDomainId.split('/').at(-1)}` : `DoNotReply@${managedMailFromDomain}`;
}

/** The app settings an Azure deployment gives the app for mail, with the sender given. */
function deployedMail(sender: string): Record<string, string> {
  return {
    PEERGUARD_REPORT_SCHEDULE: DEFAULT_REPORT_SCHEDULE,
    AzureWebJobsStorage__tableServiceUri: 'https://stpeerguard.table.core.windows.net',
    AzureWebJobsStorage__blobServiceUri: 'https://stpeerguard.blob.core.windows.net',
    AzureWebJobsStorage__queueServiceUri: 'https://stpeerguard.queue.core.windows.net',
    AzureWebJobsStorage__credential: 'managedidentity',
    AzureWebJobsStorage__clientId: '00000000-0000-0000-0000-0000000000c1',
    PEERGUARD_EMAIL_ENDPOINT: 'https://acs-peerguard.europe.communication.azure.com',
    PEERGUARD_EMAIL_SENDER: sender,
    PEERGUARD_ALERT_TO_ERROR: 'netops@contoso.com',
  };
}

describe('a custom email domain instead of the Azure-managed one', () => {
  it('is an optional azd env value, wired like the others, the managed domain staying the default', () => {
    expect(parameters.emailCustomDomainId?.value).toBe('${EMAIL_CUSTOM_DOMAIN_ID=}');
    expect(parameters.emailSenderUsername?.value).toBe('${EMAIL_SENDER_USERNAME=DoNotReply}');
    expect(paramDefault(mainBicep, 'emailCustomDomainId')).toBe("''");
    expect(paramDefault(mainBicep, 'emailSenderUsername')).toBe("'DoNotReply'");
    const params = objectProperty(declarationBody(mainBicep, 'communication'), 'params');
    expect(objectValue(params, 'customDomainId')).toBe('emailCustomDomainId');
    expect(objectValue(params, 'senderUsername')).toBe('emailSenderUsername');
    expect(paramDefault(communication, 'customDomainId')).toBe("''");
    expect(paramDefault(communication, 'senderUsername')).toBe("'DoNotReply'");
  });

  it('creates the Email Communication Service and managed domain only without a custom domain', () => {
    expect(communication).toMatch(/^var useCustomDomain = !empty\(customDomainId\)$/m);
    const headers = Object.fromEntries(declarations(communication).map((d) => [d.symbol, d.header]));
    expect(headers.emailService).toBe('if (!useCustomDomain)');
    expect(headers.domain).toBe('if (!useCustomDomain)');
    expect(objectValue(objectProperty(declarationBody(communication, 'domain'), 'properties'), 'domainManagement')).toBe("'AzureManaged'");
    // Nothing is created or changed where the custom domain lives: it is only referenced by id.
    expect(communication).not.toMatch(/senderUsernames@|existing\s*=/);
    expect(declarations(communication).filter((d) => /^Microsoft\.Communication\//.test(d.target)).map((d) => d.symbol).sort())
      .toEqual(['communicationService', 'domain', 'emailService']);
  });

  it('links the one domain it sends from to the Communication Services resource', () => {
    const properties = objectProperty(declarationBody(communication, 'communicationService'), 'properties');
    expect(objectValue(properties, 'linkedDomains')).toBe('[useCustomDomain ? customDomainId : domain.id]');
    expect(objectValue(properties, 'dataLocation')).toBe('dataLocation');
  });

  it('sends as <username>@<custom domain>, or as the managed domain\'s DoNotReply, through PEERGUARD_EMAIL_SENDER', () => {
    expect(communication).toMatch(/^var customDomainName = last\(split\(customDomainId, '\/'\)\)$/m);
    expect(communication).toMatch(
      /^output senderAddress string = useCustomDomain \? '\$\{senderUsername\}@\$\{customDomainName\}' : 'DoNotReply@\$\{domain\.properties\.mailFromSenderDomain\}'$/m,
    );
    expect(objectValue(varBody(mainBicep, 'appSettings'), 'PEERGUARD_EMAIL_SENDER')).toBe('communication.outputs.senderAddress');
    expect(mainBicep).toMatch(/^output PEERGUARD_EMAIL_SENDER string = communication\.outputs\.senderAddress$/m);
  });

  it.each([
    ['the managed domain', '', 'DoNotReply', 'DoNotReply@0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0.azurecomm.net'],
    ['a custom domain, its default sender', CUSTOM_DOMAIN_ID, 'DoNotReply', 'DoNotReply@notify.contoso.com'],
    ['a custom domain, a sender added to it', CUSTOM_DOMAIN_ID, 'peerguard-alerts', 'peerguard-alerts@notify.contoso.com'],
  ])('the app starts with the sender of %s', (_, domainId, username, expected) => {
    const sender = senderAddress(domainId, username, '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0.azurecomm.net');
    expect(sender).toBe(expected);
    expect(() => validateAtStartup(deployedMail(sender))).not.toThrow();
  });
});
