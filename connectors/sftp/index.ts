export { sftpConnector } from './definition';
export { SftpConnector } from './sftp-connector';
export { sftpConfigSchema, type SftpConfig } from './config';
