export { azureBlobConnector } from './definition';
export { AzureBlobConnector, type AzureBlobConnectorOptions } from './azure-blob-connector';
export { connectContainer, PIPELINE_OPTIONS, secretsOf } from './client';
export { azureAuth, azureBlobConfigSchema, type AzureAuth, type AzureBlobConfig } from './config';
