import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { ConnectorDefinition } from '../../src/connector/types';

/** Connector definitions of the shapes the loader must handle, defined here so that these tests
 *  depend on no real connector. */
const unused = (): never => {
  throw new Error('not used by config tests');
};

export const folderConnector: ConnectorDefinition = {
  type: 'folder',
  configSchema: z.strictObject({ type: z.literal('folder'), root: z.string().min(1) }),
  secretFields: [],
  traits: () => ({ etagTracksContent: false, mtimePrecisionMs: 1 }),
  create: unused,
};

export const netConnector: ConnectorDefinition = {
  type: 'net',
  configSchema: z.strictObject({
    type: z.literal('net'),
    host: z.string().min(1),
    port: z.int().min(1).max(65535).default(22),
    username: z.string().min(1),
    password: z.string().min(1).optional(),
    secure: z.boolean().default(false),
  }),
  secretFields: ['password'],
  traits: () => ({ etagTracksContent: false, mtimePrecisionMs: 1000 }),
  create: unused,
};

export const testConnectors: readonly ConnectorDefinition[] = [folderConnector, netConnector];

const tempDirs: string[] = [];

/** Writes `files` (relative path → content) into a new temporary folder and returns it. */
export async function writeTree(files: Record<string, string>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dataflowd-config-'));
  tempDirs.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, content);
  }
  return dir;
}

export async function removeTrees(): Promise<void> {
  await Promise.all(tempDirs.splice(0).map((d) => fs.rm(d, { recursive: true, force: true })));
}

export const SCHEMA_JSON = JSON.stringify({ type: 'object', properties: { _id: { type: 'string' } } });

/** A valid config: one embedded dataset, one folder connection, one dataflow. */
export const VALID_DAEMON = `platform:
  mode: embedded
  datasets:
    - id: orders
      name: Orders Dataset
      schema: schemas/orders.schema.json
state:
  url: sqlite:../data/state.db
connections:
  inbox: { type: folder, root: ../data/inbox }
`;

export const VALID_DATAFLOW = `name: orders
source:
  connection: inbox
  include: ["orders*.json"]
target:
  dataset: orders
`;

export function validTree(extra: Record<string, string> = {}): Record<string, string> {
  return {
    'dataflowd.yaml': VALID_DAEMON,
    'schemas/orders.schema.json': SCHEMA_JSON,
    'dataflows/orders.yaml': VALID_DATAFLOW,
    ...extra,
  };
}
