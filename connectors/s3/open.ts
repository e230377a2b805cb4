import type { ConnectorContext, SourceConnector } from '../../src/connector/types';
import { createS3Client } from './client';
import type { S3Config } from './config';
import { KeySpace } from './keys';
import { S3Connector } from './s3-connector';

/** A connector to the bucket (loads the AWS SDK: `definition.ts` imports this file only when a connection is opened). */
export function open(config: S3Config, ctx: ConnectorContext): SourceConnector {
  return new S3Connector({
    client: createS3Client(config),
    keys: new KeySpace(config.bucket, config.prefix),
    pageSize: config.pageSize,
    logger: ctx.logger.child({ connector: 's3' }),
  });
}
