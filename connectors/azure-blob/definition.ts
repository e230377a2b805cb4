import type { ConnectorDefinition } from '../../src/connector/types';
import { azureBlobConfigSchema } from './config';

export const azureBlobConnector: ConnectorDefinition<typeof azureBlobConfigSchema> = {
  type: 'azure-blob',
  configSchema: azureBlobConfigSchema,
  secretFields: ['connectionString', 'sasToken', 'accountKey'],
  // Azure gives every write a new etag, and Last-Modified in whole seconds (an HTTP date).
  traits: () => ({ etagTracksContent: true, mtimePrecisionMs: 1000 }),
  // The SDK and @azure/identity (~30 MB) are loaded with the first connection that needs them.
  create: async (config, ctx) => (await import('./open.js')).open(config, ctx),
};
