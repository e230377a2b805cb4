import type { ConnectorContext, SourceConnector } from '../../src/connector/types';
import { AzureBlobConnector } from './azure-blob-connector';
import { connectContainer, secretsOf } from './client';
import type { AzureBlobConfig } from './config';

/** A connector to the container (loads the Azure SDK: `definition.ts` imports this file only when a connection is opened). */
export function open(config: AzureBlobConfig, ctx: ConnectorContext): SourceConnector {
  return new AzureBlobConnector({
    container: connectContainer(config),
    prefix: config.prefix,
    logger: ctx.logger.child({ connector: 'azure-blob' }),
    secrets: secretsOf(config),
  });
}
