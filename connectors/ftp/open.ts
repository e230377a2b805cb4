import type { ConnectorContext, SourceConnector } from '../../src/connector/types';
import { FtpConfig, ftpPort, ftpTimeoutMs } from './config';
import { FtpConnector } from './ftp-connector';

/** A connector to the server (loads basic-ftp: `definition.ts` imports this file only when a connection is opened). */
export function open(config: FtpConfig, ctx: ConnectorContext): SourceConnector {
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
}
