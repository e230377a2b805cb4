import type { ConnectorDefinition } from '../../src/connector/types';
import { ftpConfigSchema, ftpPort, ftpTimeoutMs } from './config';
import { FtpConnector } from './ftp-connector';

export { FtpConnector } from './ftp-connector';
export { ftpConfigSchema, type FtpConfig } from './config';

export const ftpConnector: ConnectorDefinition<typeof ftpConfigSchema> = {
  type: 'ftp',
  configSchema: ftpConfigSchema,
  secretFields: ['password'],
  // Until the server is known, the coarsest case: LIST times to the minute. A connector that
  // found MLSD reports seconds through its own traits() after listing.
  traits: () => ({ etagTracksContent: false, mtimePrecisionMs: 60_000 }),
  create: (config, ctx) => {
    const port = ftpPort(config);
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    return new FtpConnector({
      host: config.host,
      port,
      username: config.username,
      password: config.password ?? '',
      secure: config.secure,
      tls: { ca: config.ca, rejectUnauthorized: !config.insecureSkipVerify },
      timeoutMs: ftpTimeoutMs(config),
      maxConnections: config.maxConnections,
      where: `${config.secure === 'implicit' ? 'ftps' : 'ftp'}://${host}:${port}`,
      logger: ctx.logger.child({ connector: 'ftp' }),
    });
  },
};
