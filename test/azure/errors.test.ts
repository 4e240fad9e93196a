import { RestError } from '@azure/core-rest-pipeline';
import { describe, expect, it } from 'vitest';
import { describeError } from '../../src/azure/errors';

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
