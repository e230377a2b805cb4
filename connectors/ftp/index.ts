export { ftpConnector } from './definition';
export { FtpConnector } from './ftp-connector';
export { ftpConfigSchema, type FtpConfig } from './config';
