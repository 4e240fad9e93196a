import { TableClient } from '@azure/data-tables';
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startAzurite, type AzuriteInstance } from '../support/azurite';

describe('Azurite harness', () => {
  let azurite: AzuriteInstance;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  it('answers on free ports and keeps table data across a restart', async () => {
    const table = TableClient.fromConnectionString(azurite.connectionString, 'harness', { allowInsecureConnection: true });
    await table.createTable();
    await table.createEntity({ partitionKey: 'p', rowKey: 'r', value: 'kept' });
    await azurite.restart();
    const again = TableClient.fromConnectionString(azurite.connectionString, 'harness', { allowInsecureConnection: true });
    const entity = await again.getEntity<{ value: string }>('p', 'r');
    expect(entity.value).toBe('kept');
  });
});

describe('Azurite harness when a chosen port is taken before Azurite listens on it', () => {
  it('starts on other ports', async () => {
    // Another worker's test server listening on the port the harness chose: it answers HTTP,
    // but it is not Azurite.
    const squatter = createServer((_request, response) => response.end('not azurite'));
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const taken = (squatter.address() as { port: number }).port;
    let handedOut = 0;
    const azurite = await startAzurite({ choosePort: async () => (handedOut++ === 0 ? taken : freePort()) });
    try {
      expect(Object.values(azurite.ports)).not.toContain(taken);
      const table = TableClient.fromConnectionString(azurite.connectionString, 'harness', { allowInsecureConnection: true });
      await table.createTable();
      await table.createEntity({ partitionKey: 'p', rowKey: 'r', value: 'stored' });
      expect((await table.getEntity<{ value: string }>('p', 'r')).value).toBe('stored');
    } finally {
      await azurite.stop();
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});
