import * as nodePath from 'node:path';
import type { ConnectorDefinition } from '../../src/connector/types';
import { localConfigSchema } from './config';
import { LocalConnector } from './local-connector';

export const localConnector: ConnectorDefinition<typeof localConfigSchema> = {
  type: 'local',
  configSchema: localConfigSchema,
  secretFields: [],
  // mtimes come from fs.stat in nanoseconds and are kept to the millisecond; no content tag.
  traits: () => ({ etagTracksContent: false, mtimePrecisionMs: 1 }),
  create: async (config, ctx) =>
    new LocalConnector({
      root: nodePath.resolve(ctx.baseDir, config.root),
      logger: ctx.logger.child({ connector: 'local' }),
    }),
};
