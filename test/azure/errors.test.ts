import { RestError } from '@azure/core-rest-pipeline';
import { describe, expect, it } from 'vitest';
import { describeError, isAccessDenied, isInAnotherTenant } from '../../src/azure/errors';

// The reason peerguard gives for a scope it could not read, from the SDK's error.

describe('describeError', () => {
  it("keeps the reason Resource Graph gives only in the error's inner details (its outer message is a support stub)", () => {
    // As @azure/arm-resourcegraph throws it: a RestError with the deserialized body as `details`.
    const body = {
      error: {
        code: 'BadRequest',
        message: 'Please provide below info when asking for support: timestamp = 2024-01-03T00:55:29Z, correlationId = 05f5e58e.',
        details: [{ code: 'NoValidSubscriptionsInQueryRequest', message: 'There must be at least one subscription that is eligible to contain resources.' }],
      },
    };
    const error = Object.assign(new RestError(body.error.message, { statusCode: 400, code: 'BadRequest' }), { details: body });
    expect(describeError(error)).toBe(
      '400 BadRequest: Please provide below info when asking for support: timestamp = 2024-01-03T00:55:29Z, correlationId = 05f5e58e.; ' +
        'NoValidSubscriptionsInQueryRequest: There must be at least one subscription that is eligible to contain resources.',
    );
  });

  it('gives an ARM error without inner details as before', () => {
    const error = Object.assign(new RestError('The client does not have authorization.', { statusCode: 403 }), {
      details: { error: { code: 'AuthorizationFailed', message: 'The client does not have authorization.' } },
    });
    expect(describeError(error)).toBe('403 AuthorizationFailed: The client does not have authorization.');
  });
});

describe('isInAnotherTenant', () => {
  /** As @azure/arm-network throws ARM's error: a RestError carrying the body's code. */
  const armError = (statusCode: number, code: string, message: string) => Object.assign(new RestError(message, { statusCode, code }), { details: { error: { code, message } } });

  it("reads ARM's 401 InvalidAuthenticationTokenTenant (a token from the wrong issuer for the subscription's tenant) as another tenant", () => {
    const error = armError(401, 'InvalidAuthenticationTokenTenant', "The access token is from the wrong issuer 'https://sts.windows.net/aaaa/'. It must match the tenant 'https://sts.windows.net/bbbb/' associated with this subscription.");
    expect(isInAnotherTenant(error)).toBe(true);
  });

  it('keeps every other 401 a refused token (access denied), and needs both the status and the code', () => {
    for (const code of ['ExpiredAuthenticationToken', 'InvalidAuthenticationToken', 'AuthenticationFailed']) {
      const error = armError(401, code, 'The access token is invalid.');
      expect([isInAnotherTenant(error), isAccessDenied(error)]).toEqual([false, true]);
    }
    expect(isInAnotherTenant(armError(403, 'InvalidAuthenticationTokenTenant', 'no'))).toBe(false);
    // GET /subscriptions (subscriptions.ts) lists the token's own tenant: its 401 keeps ARM's code in the message only.
    expect(isInAnotherTenant(new RestError('listing subscriptions failed: InvalidAuthenticationTokenTenant The access token is from the wrong issuer', { statusCode: 401 }))).toBe(false);
  });
});
