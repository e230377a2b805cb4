import type { ConnectorDefinition } from '../../src/connector/types';
import { sftpConfigSchema } from './config';

export const sftpConnector: ConnectorDefinition<typeof sftpConfigSchema> = {
  type: 'sftp',
  configSchema: sftpConfigSchema,
  secretFields: ['password', 'privateKey', 'passphrase'],
  // SFTP v3 attributes carry whole seconds and no content tag: the core fingerprints size + mtime.
  traits: () => ({ etagTracksContent: false, mtimePrecisionMs: 1000 }),
  // ssh2-sftp-client is loaded with the first connection that needs it.
  create: async (config, ctx) => {
    const { SftpConnector } = await import('./sftp-connector.js');
    return new SftpConnector({ config, logger: ctx.logger.child({ connector: 'sftp' }) });
  },
};
