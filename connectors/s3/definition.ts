import type { ConnectorDefinition } from '../../src/connector/types';
import { S3_SECRET_FIELDS, s3ConfigSchema } from './config';

export const s3Connector: ConnectorDefinition<typeof s3ConfigSchema> = {
  type: 's3',
  configSchema: s3ConfigSchema,
  secretFields: S3_SECRET_FIELDS,
  // The ETag changes with the content (an MD5, or a digest of the parts' MD5s for multipart
  // uploads), so it is the fingerprint. LastModified: HEAD gives whole seconds.
  traits: () => ({ etagTracksContent: true, mtimePrecisionMs: 1000 }),
  // The SDK is loaded with the first connection that needs it, not by every process (~7 MB).
  create: async (config, ctx) => (await import('./open.js')).open(config, ctx),
};
