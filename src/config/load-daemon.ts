import path from 'node:path';
import { bindConnection, type Connection, type Connections } from '../connector/connection';
import type { ConnectorDefinition } from '../connector/types';
import { ConfigFile, isRecord, parseContext } from './config-file';
import { defaultStateUrl } from './data-dir';
import { ConnectionConfig, DaemonConfig, daemonSchema, StateConfig } from './daemon-schema';
import { Problem } from './problem';
import { SchemaRef } from './schema-files';
import { stringsAt } from './secret-fields';
import { parseNode } from './zod-issues';
import { absoluteStoreUrl } from '../store/store-url';

export const DAEMON_FILE = 'dataflowd.yaml';

export interface LoadedDaemon {
  /** Present when the file has no problems of its own. */
  daemon?: DaemonConfig;
  problems: Problem[];
  /** The JSON Schema files platform.datasets names, to be read and checked. */
  schemaRefs: SchemaRef[];
  /** Values at the connectors' secret fields. */
  connectionSecrets: string[];
  /** Each connection bound to its connector, options parsed (present with `daemon`). */
  connections?: Connections;
}

/**
 * `sqlite:PATH` relative to the folder of dataflowd.yaml becomes absolute, so that the store
 * opens the same file whatever the working directory. No url: the data folder's state.db.
 */
function resolveState(state: Omit<StateConfig, 'url'> & { url?: string }, dir: string, env: NodeJS.ProcessEnv): StateConfig {
  return { ...state, url: resolveStateUrl(state.url, dir, env) };
}

function resolveStateUrl(url: string | undefined, dir: string, env: NodeJS.ProcessEnv): string {
  return url === undefined ? defaultStateUrl(env) : absoluteStoreUrl(url, dir);
}

function rawDatasets(data: unknown): unknown[] {
  if (!isRecord(data) || !isRecord(data.platform) || !Array.isArray(data.platform.datasets)) return [];
  return data.platform.datasets;
}

/** The JSON Schema files platform.datasets names, absolute, whether or not the rest is valid. */
export function datasetSchemaRefs(f: ConfigFile): SchemaRef[] {
  return rawDatasets(f.data).flatMap((d, i): SchemaRef[] =>
    isRecord(d) && typeof d.schema === 'string' && d.schema !== ''
      ? [{ file: path.resolve(f.yaml.dir, d.schema), yaml: f.yaml, path: ['platform', 'datasets', i, 'schema'] }]
      : [],
  );
}

/**
 * Each connection is checked by the schema of the connector its `type` names. Its relative paths
 * (local's `root`) stay as written: connectors resolve them from ConnectorContext.baseDir, which
 * is the config folder (where dataflowd.yaml, the only file naming connections, lives).
 */
function loadConnections(
  f: ConfigFile,
  connectors: readonly ConnectorDefinition[],
): { connections: Record<string, ConnectionConfig>; bound: Record<string, Connection>; problems: Problem[]; secrets: string[] } {
  const out = { connections: {} as Record<string, ConnectionConfig>, bound: {} as Record<string, Connection>, problems: [] as Problem[], secrets: [] as string[] };
  const data = f.data;
  const raw = isRecord(data) && isRecord(data.connections) ? data.connections : {};
  for (const [name, conn] of Object.entries(raw)) {
    if (!isRecord(conn) || typeof conn.type !== 'string') continue;
    const def = connectors.find((c) => c.type === conn.type);
    if (!def) {
      const known = connectors.map((c) => c.type).join(', ') || 'none';
      const msg = `unknown connection type "${conn.type}" (known types: ${known})`;
      out.problems.push(f.yaml.problem(['connections', name, 'type'], msg));
      continue;
    }
    out.secrets.push(...def.secretFields.flatMap((field) => stringsAt(conn, [field])));
    const r = parseNode(def.configSchema, conn, parseContext(f, ['connections', name]));
    out.problems.push(...r.problems);
    if (r.data === undefined) continue;
    out.connections[name] = r.data as ConnectionConfig;
    out.bound[name] = bindConnection(name, def, r.data);
  }
  return out;
}

export function loadDaemon(f: ConfigFile, connectors: readonly ConnectorDefinition[], env: NodeJS.ProcessEnv = process.env): LoadedDaemon {
  if (f.data === undefined) return { problems: [], schemaRefs: [], connectionSecrets: [] };
  // An empty dataflowd.yaml is valid: every default.
  const data = f.data ?? {};
  const base = parseNode(daemonSchema, data, parseContext(f));
  const conns = loadConnections({ ...f, data }, connectors);
  const schemaRefs = datasetSchemaRefs(f);
  const problems = [...base.problems, ...conns.problems];
  const result: LoadedDaemon = { problems, schemaRefs, connectionSecrets: conns.secrets };
  if (problems.length > 0 || f.problems.length > 0 || base.data === undefined) return result;
  const platform = base.data.platform;
  const datasets = platform.datasets.map((d) => ({ ...d, schema: path.resolve(f.yaml.dir, d.schema) }));
  result.daemon = {
    ...base.data,
    platform: { ...platform, datasets },
    state: resolveState(base.data.state, f.yaml.dir, env),
    connections: conns.connections,
  };
  result.connections = conns.bound;
  return result;
}
