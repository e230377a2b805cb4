import type { DataflowConfig, LoadedConfig } from '../config';
import { openConnection } from '../connector/connection';
import { normalizeRemotePath } from '../connector/paths';
import { isDataflowError } from '../lib/errors';
import { silentLogger } from '../lib/logger';
import { type CheckReport, type ConfigYaml, emptyReport } from './check-report';
import { describeError } from './run-text';

/**
 * `validate --check`, the sources' part: each enabled dataflow's folder is listed as a run would
 * list it, so that a folder that does not exist or cannot be read is said before the first run.
 * Only the first entry is read: a folder of a million files is checked as fast as an empty one.
 * Dataflows whose connection already failed its check are passed over, said once, there.
 */
export async function checkFolders(config: LoadedConfig, yaml: ConfigYaml, failedConnections: ReadonlySet<string>, signal: AbortSignal): Promise<CheckReport> {
  const reports = await Promise.all(
    config.dataflows.filter((df) => df.enabled && !failedConnections.has(df.source.connection)).map((df) => checkFolder(config, df, yaml, signal)),
  );
  return reports.reduce((all, r) => ({ problems: [...all.problems, ...r.problems], lines: [...all.lines, ...r.lines] }), emptyReport());
}

async function checkFolder(config: LoadedConfig, df: DataflowConfig, yaml: ConfigYaml, signal: AbortSignal): Promise<CheckReport> {
  const folder = normalizeRemotePath(df.source.path);
  const shown = `"${folder || '/'}" of connection ${df.source.connection}`;
  const { connector } = await openConnection(config.connections, df.source.connection, { logger: silentLogger, baseDir: config.dir });
  try {
    let first: string | undefined;
    for await (const file of connector.list(folder, { recursive: false, signal })) {
      first = file.path;
      break;
    }
    const what = first === undefined ? 'nothing in it yet (on S3 and Azure Blob, also what a folder that does not exist looks like)' : 'readable';
    return { problems: [], lines: [`dataflow ${df.name}: folder ${shown}: ${what}`] };
  } catch (err) {
    const what = isDataflowError(err) && err.kind === 'not_found' ? 'does not exist' : isDataflowError(err) && err.kind === 'permission' ? 'cannot be read' : 'cannot be listed';
    return { problems: [yaml.dataflow(df.name).problem(['source', 'path'], `folder ${shown} ${what}: ${describeError(err)}`)], lines: [] };
  } finally {
    await connector.close().catch(() => undefined);
  }
}
