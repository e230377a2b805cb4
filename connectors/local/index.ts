export { localConnector } from './definition';
export { LocalConnector } from './local-connector';
export { localConfigSchema, type LocalConfig } from './config';
