import type { ConnectorDefinition } from '../../src/connector/types';
import { ftpConfigSchema } from './config';

export const ftpConnector: ConnectorDefinition<typeof ftpConfigSchema> = {
  type: 'ftp',
  configSchema: ftpConfigSchema,
  secretFields: ['password'],
  // Until the server is known, the coarsest case: LIST times to the minute. A connector that
  // found MLSD reports seconds through its own traits() after listing.
  traits: () => ({ etagTracksContent: false, mtimePrecisionMs: 60_000 }),
  create: async (config, ctx) => (await import('./open.js')).open(config, ctx),
};
