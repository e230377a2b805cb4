import type { ConnectorDefinition } from '../../src/connector/types';
import { createS3Client } from './client';
import { S3_SECRET_FIELDS, s3ConfigSchema } from './config';
import { KeySpace } from './keys';
import { S3Connector } from './s3-connector';

export { S3Connector } from './s3-connector';
export { s3ConfigSchema, type S3Config } from './config';

export const s3Connector: ConnectorDefinition<typeof s3ConfigSchema> = {
  type: 's3',
  configSchema: s3ConfigSchema,
  secretFields: S3_SECRET_FIELDS,
  // The ETag changes with the content (an MD5, or a digest of the parts' MD5s for multipart
  // uploads), so it is the fingerprint. LastModified: HEAD gives whole seconds.
  traits: () => ({ etagTracksContent: true, mtimePrecisionMs: 1000 }),
  create: (config, ctx) =>
    new S3Connector({
      client: createS3Client(config),
      keys: new KeySpace(config.bucket, config.prefix),
      pageSize: config.pageSize,
      logger: ctx.logger.child({ connector: 's3' }),
    }),
};
