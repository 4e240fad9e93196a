import { TableClient } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type AzuriteInstance } from '../support/azurite';

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
