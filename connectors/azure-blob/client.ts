import { DefaultAzureCredential } from '@azure/identity';
import { AnonymousCredential, BlobServiceClient, ContainerClient, StoragePipelineOptions, StorageSharedKeyCredential } from '@azure/storage-blob';
import { connectorError } from '../../src/connector/errors';
import { errorMessage } from '../../src/lib/errors';
import { AzureAuth, azureAuth, AzureBlobConfig } from './config';
import { scrub } from './errors';

/**
 * One try per SDK call: src/lib/retry is the only retry loop (STYLE.md rule 8), and the SDK's
 * own loop (4 tries, up to 2 min of backoff by default) would multiply with it and hide a
 * throttled account behind long silences. Our errors carry Retry-After for the core's loop.
 */
export const PIPELINE_OPTIONS: StoragePipelineOptions = {
  retryOptions: { maxTries: 1 },
  userAgentOptions: { userAgentPrefix: 'dataflowd' },
};

/** The container a connection names, with the credential its keys choose (config.ts). */
export function connectContainer(config: AzureBlobConfig, options: StoragePipelineOptions = PIPELINE_OPTIONS): ContainerClient {
  const auth = azureAuth(config);
  try {
    return serviceClient(auth, options).getContainerClient(config.container);
  } catch (err) {
    // The schema has already parsed these, so this is rare; still never echo a secret.
    throw connectorError('config', `azure-blob container ${config.container}: ${scrub(errorMessage(err), secretsOf(config))}`, { cause: err });
  }
}

function serviceClient(auth: AzureAuth, options: StoragePipelineOptions): BlobServiceClient {
  switch (auth.mode) {
    case 'connection-string':
      return BlobServiceClient.fromConnectionString(auth.connectionString, options);
    case 'sas':
      return new BlobServiceClient(`${trimSlash(auth.accountUrl)}?${auth.sasToken.replace(/^\?/, '')}`, new AnonymousCredential(), options);
    case 'account-key':
      return new BlobServiceClient(trimSlash(auth.accountUrl), new StorageSharedKeyCredential(auth.accountName, auth.accountKey), options);
    case 'default-credential':
      // Environment (AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET or a certificate),
      // workload identity, managed identity, then developer logins (az, azd, PowerShell).
      return new BlobServiceClient(trimSlash(auth.accountUrl), new DefaultAzureCredential(), options);
  }
}

/** The values to blank out of any message: the secret keys, and the key or SAS signature
 *  inside them, also as they appear URL-decoded. */
export function secretsOf(config: AzureBlobConfig): string[] {
  const values = [config.connectionString, config.sasToken, config.accountKey].filter((v): v is string => v !== undefined);
  const inner = `${config.connectionString ?? ''};${config.sasToken ?? ''}`;
  for (const match of inner.matchAll(/(?:^|[?&;])(?:sig|AccountKey)=([^&;]+)/gi)) values.push(match[1], safeDecode(match[1]));
  return [...new Set(values)];
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
