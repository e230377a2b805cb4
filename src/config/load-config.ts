import path from 'node:path';
import type { ConnectorDefinition } from '../connector/types';
import { readConfigFile } from './config-file';
import { crossCheck } from './cross-checks';
import { mappingChecks } from './mapping-checks';
import { DAEMON_FILE, loadDaemon } from './load-daemon';
import { DataflowConfig, listDataflowFiles, loadDataflow } from './load-dataflows';
import { Problem, scrubProblems, sortProblems } from './problem';
import type { LoadedConfig } from './loaded-config';
import { loadSchemaFiles } from './schema-files';
import { declaredSecrets, rememberSecrets, usableSecrets } from './secret-values';

export type { LoadedConfig } from './loaded-config';

export interface LoadOptions {
  /** The connectors whose `configSchema` checks `connections` (connectors/index.ts). */
  connectors: readonly ConnectorDefinition[];
  /** Where ${env:NAME} looks; default process.env. */
  env?: NodeJS.ProcessEnv;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Reads dataflowd.yaml and dataflows/*.yaml, resolves references, validates everything and
 * reports every problem in every file. The config is returned, deep-frozen, only when there are
 * no problems. Problem messages never contain a secret value.
 */
export async function loadConfig(
  dir: string,
  opts: LoadOptions,
): Promise<{ config?: LoadedConfig; problems: Problem[] }> {
  const env = opts.env ?? process.env;
  const root = path.resolve(dir);
  const daemonPath = path.join(root, DAEMON_FILE);
  const [daemonFile, listing] = await Promise.all([readConfigFile(daemonPath, env), listDataflowFiles(root)]);
  const dataflowFiles = await Promise.all(listing.files.map((f) => readConfigFile(f, env)));
  const files = [daemonPath, ...listing.files];

  const daemon = loadDaemon(daemonFile, opts.connectors, env);
  const dataflows = dataflowFiles.map(loadDataflow);
  const schemaFiles = await loadSchemaFiles([...daemon.schemaRefs, ...dataflows.flatMap((d) => d.schemaRefs)]);

  const allFiles = [daemonFile, ...dataflowFiles];
  const secrets = usableSecrets([
    ...allFiles.flatMap((f) => f.refs.values),
    ...daemon.connectionSecrets,
    ...declaredSecrets(daemonFile.data, dataflowFiles.map((f) => f.data)),
  ]);
  const problems = [
    ...listing.problems,
    ...allFiles.flatMap((f) => f.problems),
    ...daemon.problems,
    ...dataflows.flatMap((d) => d.problems),
    ...crossCheck(daemonFile, dataflowFiles),
    ...schemaFiles.problems,
    ...mappingChecks(dataflowFiles, schemaFiles.schemas),
  ];
  if (problems.length > 0 || daemon.daemon === undefined || daemon.connections === undefined) {
    return { problems: sortProblems(scrubProblems(problems, secrets), files) };
  }

  const config = deepFreeze<LoadedConfig>({
    dir: root,
    daemon: daemon.daemon,
    connections: daemon.connections,
    dataflows: dataflows.map((d) => d.dataflow as DataflowConfig),
    schemas: schemaFiles.schemas,
    files,
  });
  rememberSecrets(config, secrets);
  return { config, problems: [] };
}
