import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../src/redact';

describe('redactSecrets', () => {
  const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJvaWQiOiJjYW5hcnkifQ.c2lnbmF0dXJl';
  it.each([
    ['a bearer token', `request had Authorization: Bearer ${TOKEN}`, 'request had Authorization: Bearer <redacted>', TOKEN],
    ['a token that is no JWT', 'Bearer opaque-token_123 was refused', 'Bearer <redacted> was refused', 'opaque-token_123'],
    ['a JWT on its own', `token ${TOKEN} expired`, 'token <redacted token> expired', TOKEN],
    ['an email connection string', 'endpoint=https://x.communication.azure.com/;accesskey=QUJD+/ZGVm==', 'endpoint=https://x.communication.azure.com/;accesskey=<redacted>', 'QUJD+/ZGVm=='],
    ['a storage connection string', 'DefaultEndpointsProtocol=https;AccountName=st;AccountKey=a2V5+/==;EndpointSuffix=core.windows.net', 'DefaultEndpointsProtocol=https;AccountName=st;AccountKey=<redacted>;EndpointSuffix=core.windows.net', 'a2V5+/=='],
    ['a SAS signature', 'GET https://st.blob.core.windows.net/c/b?sv=2024-08-04&sig=c2ln%2Bbg%3D&se=2026', 'GET https://st.blob.core.windows.net/c/b?sv=2024-08-04&sig=<redacted>&se=2026', 'c2ln%2Bbg%3D'],
    ['a client secret', 'client_secret=s3cr3t&grant_type=client_credentials', 'client_secret=<redacted>&grant_type=client_credentials', 's3cr3t'],
  ])('redacts %s', (_, text, expected, secret) => {
    const result = redactSecrets(text);
    expect(result).toBe(expected);
    expect(result).not.toContain(secret);
  });

  it('leaves text without secrets alone, and redacted text as it is', () => {
    const text = '403 AuthorizationFailed: The client "5f1c..." has no authorization to perform action Microsoft.Network/virtualNetworks/read';
    expect(redactSecrets(text)).toBe(text);
    expect(redactSecrets('Bearer <redacted>')).toBe('Bearer <redacted>');
  });
});
