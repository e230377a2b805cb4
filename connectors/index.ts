import type { ConnectorDefinition } from '../src/connector/types';
import { azureBlobConnector } from './azure-blob/definition';
import { ftpConnector } from './ftp/definition';
import { localConnector } from './local/definition';
import { s3Connector } from './s3/definition';
import { sftpConnector } from './sftp/definition';

/** Every connector dataflowd knows, by explicit list: adding one is one import and one entry
 *  here (no registration by import side effects). */
export const connectorDefinitions: readonly ConnectorDefinition[] = [localConnector, s3Connector, ftpConnector, sftpConnector, azureBlobConnector];
