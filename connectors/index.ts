import type { ConnectorDefinition } from '../src/connector/types';
import { azureBlobConnector } from './azure-blob';
import { ftpConnector } from './ftp';
import { localConnector } from './local';
import { s3Connector } from './s3';
import { sftpConnector } from './sftp';

/** Every connector dataflowd knows, by explicit list: adding one is one import and one entry
 *  here (no registration by import side effects). */
export const connectorDefinitions: readonly ConnectorDefinition[] = [localConnector, s3Connector, ftpConnector, sftpConnector, azureBlobConnector];
