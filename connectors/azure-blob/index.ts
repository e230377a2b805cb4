import type { ConnectorDefinition } from '../../src/connector/types';
import { AzureBlobConnector } from './azure-blob-connector';
import { connectContainer, secretsOf } from './client';
import { azureBlobConfigSchema } from './config';

export { AzureBlobConnector, type AzureBlobConnectorOptions } from './azure-blob-connector';
export { connectContainer, PIPELINE_OPTIONS, secretsOf } from './client';
export { azureAuth, azureBlobConfigSchema, type AzureAuth, type AzureBlobConfig } from './config';

export const azureBlobConnector: ConnectorDefinition<typeof azureBlobConfigSchema> = {
  type: 'azure-blob',
  configSchema: azureBlobConfigSchema,
  secretFields: ['connectionString', 'sasToken', 'accountKey'],
  // Azure gives every write a new etag, and Last-Modified in whole seconds (an HTTP date).
  traits: () => ({ etagTracksContent: true, mtimePrecisionMs: 1000 }),
  create: (config, ctx) =>
    new AzureBlobConnector({
      container: connectContainer(config),
      prefix: config.prefix,
      logger: ctx.logger.child({ connector: 'azure-blob' }),
      secrets: secretsOf(config),
    }),
};
