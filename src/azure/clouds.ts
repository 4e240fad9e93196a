// Azure clouds: the Resource Manager endpoint (also Resource Graph's), the Entra authority, and the
// token scope of Resource Manager. An endpoint override redirects requests (private endpoints,
// proxies, the local stand-in in tests) while tokens are still asked for the cloud's audience.

export type CloudName = 'AzurePublicCloud' | 'AzureUSGovernment' | 'AzureChinaCloud';

export interface CloudSettings {
  name: CloudName;
  /** Resource Manager endpoint, no trailing slash. */
  armEndpoint: string;
  /** Entra ID authority host. */
  authorityHost: string;
  /** Token scope for Resource Manager (and Resource Graph). */
  armScope: string;
}

export const CLOUDS: Readonly<Record<CloudName, CloudSettings>> = {
  AzurePublicCloud: {
    name: 'AzurePublicCloud',
    armEndpoint: 'https://management.azure.com',
    authorityHost: 'https://login.microsoftonline.com',
    armScope: 'https://management.azure.com/.default',
  },
  AzureUSGovernment: {
    name: 'AzureUSGovernment',
    armEndpoint: 'https://management.usgovcloudapi.net',
    authorityHost: 'https://login.microsoftonline.us',
    armScope: 'https://management.usgovcloudapi.net/.default',
  },
  AzureChinaCloud: {
    name: 'AzureChinaCloud',
    armEndpoint: 'https://management.chinacloudapi.cn',
    authorityHost: 'https://login.chinacloudapi.cn',
    armScope: 'https://management.chinacloudapi.cn/.default',
  },
};

const ALIASES: Record<string, CloudName> = {
  azurepubliccloud: 'AzurePublicCloud',
  azurecloud: 'AzurePublicCloud',
  public: 'AzurePublicCloud',
  azureusgovernment: 'AzureUSGovernment',
  azureusgovernmentcloud: 'AzureUSGovernment',
  usgov: 'AzureUSGovernment',
  usgovernment: 'AzureUSGovernment',
  azurechinacloud: 'AzureChinaCloud',
  china: 'AzureChinaCloud',
};

export class CloudError extends Error {
  /**
   * @param subject what was wrong: the cloud's name or the endpoint override, so that a caller can
   * name where that value came from (a flag, an environment variable, an app setting).
   */
  constructor(
    message: string,
    readonly subject: 'cloud' | 'endpoint',
  ) {
    super(message);
    this.name = 'CloudError';
  }
}

/** The cloud by name (case-insensitive; `public`, `AzureCloud`, `usgov`, `china` accepted), with an optional endpoint override. */
export function resolveCloud(name: string | undefined = 'AzurePublicCloud', endpointOverride?: string): CloudSettings {
  const cloudName = ALIASES[name.trim().toLowerCase()];
  if (!cloudName) throw new CloudError(`unknown Azure cloud "${name}": expected AzurePublicCloud, AzureUSGovernment or AzureChinaCloud`, 'cloud');
  const cloud = CLOUDS[cloudName];
  if (endpointOverride === undefined || endpointOverride === '') return cloud;
  let url: URL;
  try {
    url = new URL(endpointOverride);
  } catch {
    // Not echoed: a mistyped value may still hold a password.
    throw new CloudError('the Resource Manager endpoint is not a URL', 'endpoint');
  }
  if (url.protocol !== 'https:') throw new CloudError(`the Resource Manager endpoint must use https (access tokens are never sent over http): "${withoutCredentials(url)}"`, 'endpoint');
  return { ...cloud, armEndpoint: url.toString().replace(/\/+$/, '') };
}

/** A URL for a message: its user name and password, if any, replaced. */
function withoutCredentials(url: URL): string {
  if (!url.username && !url.password) return url.toString();
  const shown = new URL(url.toString());
  shown.username = '***';
  shown.password = '';
  return shown.toString();
}
