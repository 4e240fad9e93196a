import { describe, expect, it } from 'vitest';
import { createOnce } from '../../src/azure/create-once';

describe('createOnce', () => {
  it('creates once while it succeeds, sharing the pending call', async () => {
    let calls = 0;
    const ensure = createOnce(async () => {
      calls += 1;
    });
    await Promise.all([ensure(), ensure()]);
    await ensure();
    expect(calls).toBe(1);
  });

  it('tries again after a failure (a storage outage is not remembered)', async () => {
    let calls = 0;
    const ensure = createOnce(async () => {
      calls += 1;
      if (calls === 1) throw new Error('storage down');
    });
    await expect(ensure()).rejects.toThrow('storage down');
    await ensure();
    await ensure();
    expect(calls).toBe(2);
  });
});
