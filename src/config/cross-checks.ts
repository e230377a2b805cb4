import { ConfigFile, isRecord } from './config-file';
import { displayPath, Problem } from './problem';

/*
 * Rules that span files. They read the raw data (references resolved) rather than the parsed
 * config, so that they still run when a file has unrelated problems: every problem at once.
 */

interface DaemonFacts {
  connections: string[];
  embedded: boolean;
  datasets: Set<string>;
}

function daemonFacts(f: ConfigFile): DaemonFacts | undefined {
  if (f.data === undefined) return undefined;
  const data = isRecord(f.data) ? f.data : {};
  const platform = isRecord(data.platform) ? data.platform : {};
  const datasets = new Set<string>();
  for (const d of Array.isArray(platform.datasets) ? platform.datasets : []) {
    if (!isRecord(d)) continue;
    if (typeof d.id === 'string') datasets.add(d.id);
    if (typeof d.name === 'string') datasets.add(d.name);
  }
  return {
    connections: isRecord(data.connections) ? Object.keys(data.connections) : [],
    embedded: platform.mode === undefined || platform.mode === 'embedded',
    datasets,
  };
}

function stringAt(data: unknown, key1: string, key2?: string): string | undefined {
  if (!isRecord(data)) return undefined;
  const v = key2 === undefined ? data[key1] : isRecord(data[key1]) ? data[key1][key2] : undefined;
  return typeof v === 'string' ? v : undefined;
}

function known(list: readonly string[], what: string): string {
  return list.length === 0 ? `no ${what} are defined` : `known: ${list.join(', ')}`;
}

/** Duplicate dataflow names, connections that do not exist, datasets the emulator does not serve. */
export function crossCheck(daemon: ConfigFile, dataflows: readonly ConfigFile[]): Problem[] {
  const problems: Problem[] = [];
  const firstByName = new Map<string, ConfigFile>();
  for (const f of dataflows) {
    const name = stringAt(f.data, 'name');
    if (name === undefined) continue;
    const first = firstByName.get(name);
    if (first === undefined) firstByName.set(name, f);
    else problems.push(f.yaml.problem(['name'], `dataflow name "${name}" is also used by ${displayPath(first.yaml.file)}`));
  }

  const facts = daemonFacts(daemon);
  if (!facts) return problems;
  for (const f of dataflows) {
    const connection = stringAt(f.data, 'source', 'connection');
    if (connection !== undefined && !facts.connections.includes(connection)) {
      const msg = `connection "${connection}" is not defined in dataflowd.yaml (${known(facts.connections, 'connections')})`;
      problems.push(f.yaml.problem(['source', 'connection'], msg));
    }
    const dataset = stringAt(f.data, 'target', 'dataset');
    if (facts.embedded && dataset !== undefined && !facts.datasets.has(dataset)) {
      const msg = `dataset "${dataset}" is not in platform.datasets, which the embedded Platform serves (${known([...facts.datasets], 'datasets')})`;
      problems.push(f.yaml.problem(['target', 'dataset'], msg));
    }
  }
  return problems;
}
