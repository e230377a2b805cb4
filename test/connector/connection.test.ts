import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { connectorDefinitions } from '../../connectors';
import { loadConfig, LoadedConfig } from '../../src/config';
import { openConnection } from '../../src/connector/connection';
import type { ConnectorDefinition, RemoteFile, SourceConnector } from '../../src/connector/types';
import { silentLogger } from '../../src/lib/logger';
import { removeTrees, SCHEMA_JSON, VALID_DATAFLOW, writeTree } from '../config/config-fixtures';

afterAll(removeTrees);

const DAEMON = `platform: { mode: embedded, datasets: [{ id: orders, schema: schemas/orders.schema.json }] }
connections:
  inbox: { type: local, root: ./inbox }
  net: { type: recording, host: example.test }
`;

/** A definition that hands back the options it was created with, to see what the loader parsed. */
const created: unknown[] = [];
const recording: ConnectorDefinition = {
  type: 'recording',
  configSchema: z.strictObject({ type: z.literal('recording'), host: z.string(), port: z.int().default(2121) }),
  secretFields: [],
  traits: (o: { port: number }) => ({ etagTracksContent: false, mtimePrecisionMs: o.port }),
  async create(options) {
    created.push(options);
    return { close: async () => undefined } as unknown as SourceConnector;
  },
};

async function load(): Promise<LoadedConfig> {
  const dir = await writeTree({ 'dataflowd.yaml': DAEMON, 'schemas/orders.schema.json': SCHEMA_JSON, 'dataflows/orders.yaml': VALID_DATAFLOW });
  const { config, problems } = await loadConfig(dir, { connectors: [...connectorDefinitions, recording], env: {} });
  if (!config) throw new Error(JSON.stringify(problems));
  return config;
}

describe('openConnection', () => {
  it('opens the named connection with the options the loader parsed, relative paths from the config folder', async () => {
    const config = await load();
    await mkdir(path.join(config.dir, 'inbox'), { recursive: true });
    await writeFile(path.join(config.dir, 'inbox', 'a.json'), '{}\n');
    const { connection, connector } = await openConnection(config.connections, 'inbox', { logger: silentLogger, baseDir: config.dir });
    try {
      expect(connection).toMatchObject({ name: 'inbox', type: 'local' });
      const listed: RemoteFile[] = [];
      for await (const f of connector.list('', { recursive: false, signal: AbortSignal.timeout(5000) })) listed.push(f);
      expect(listed.map((f) => f.path)).toEqual(['a.json']);
    } finally {
      await connector.close();
    }
  });

  it("gives the connector its options with the schema's defaults, and the definition's traits for them", async () => {
    const config = await load();
    created.length = 0;
    const { connection, connector } = await openConnection(config.connections, 'net', { logger: silentLogger, baseDir: config.dir });
    await connector.close();
    expect(created).toEqual([{ type: 'recording', host: 'example.test', port: 2121 }]);
    expect(connection.traits).toEqual({ etagTracksContent: false, mtimePrecisionMs: 2121 });
  });

  it('refuses a connection the config does not define, inherited names included', async () => {
    const config = await load();
    for (const name of ['nope', 'toString', '__proto__']) {
      await expect(openConnection(config.connections, name, { logger: silentLogger, baseDir: config.dir })).rejects.toThrow(
        expect.objectContaining({ code: 'ERR_CONFIG_CONNECTION', kind: 'config' }),
      );
    }
  });
});
