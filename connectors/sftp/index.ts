import type { ConnectorDefinition } from '../../src/connector/types';
import { sftpConfigSchema } from './config';
import { SftpConnector } from './sftp-connector';

export { SftpConnector } from './sftp-connector';
export { sftpConfigSchema, type SftpConfig } from './config';

export const sftpConnector: ConnectorDefinition<typeof sftpConfigSchema> = {
  type: 'sftp',
  configSchema: sftpConfigSchema,
  secretFields: ['password', 'privateKey', 'passphrase'],
  // SFTP v3 attributes carry whole seconds and no content tag: the core fingerprints size + mtime.
  traits: () => ({ etagTracksContent: false, mtimePrecisionMs: 1000 }),
  create: (config, ctx) => new SftpConnector({ config, logger: ctx.logger.child({ connector: 'sftp' }) }),
};
