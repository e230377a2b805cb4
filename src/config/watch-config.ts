import { FSWatcher, watch } from 'node:fs';
import path from 'node:path';
import { readConfigFile } from './config-file';
import { DAEMON_FILE, datasetSchemaRefs } from './load-daemon';
import { DATAFLOWS_FOLDER, listDataflowFiles, mappingSchemaRefs } from './load-dataflows';

/*
 * Reloading on config changes (`dataflowd start`, unless --no-watch). Only the config's own
 * files count: dataflowd.yaml, dataflows/*.yaml|yml, and the JSON Schema files they name
 * (platform.datasets[].schema, mapping.schema), wherever those live. Anything else written in
 * the config folder — a state database, an inbox, an editor's swap file, notes — is no reason
 * to reload: each reload re-reads and re-checks everything, and a busy folder would keep the
 * daemon reloading.
 */

export interface WatchOptions {
  /** A burst of changes (editors write a file in several steps) settles this long first. */
  settleMs?: number;
  /** A change seen and ignored (not a config file): for tests and debugging. */
  onIgnored?: (file: string) => void;
  /** The files watched, each time the set is worked out again (after each change). */
  onWatching?: (files: readonly string[]) => void;
}

/** The schema files the config names, absolute: read from the YAML as it is, valid or not. */
export async function namedSchemaFiles(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const root = path.resolve(dir);
  const listing = await listDataflowFiles(root);
  const files = await Promise.all([path.join(root, DAEMON_FILE), ...listing.files].map((f) => readConfigFile(f, env)));
  const refs = [...datasetSchemaRefs(files[0]), ...files.slice(1).flatMap(mappingSchemaRefs)];
  return [...new Set(refs.map((r) => r.file))].sort();
}

/**
 * Calls `onChange` once a burst of changes to the config's files has settled. Returns a
 * function that stops watching.
 */
export function watchConfig(dir: string, onChange: () => void, opts: WatchOptions = {}): () => void {
  const root = path.resolve(dir);
  const daemonFile = path.join(root, DAEMON_FILE);
  const dataflowsDir = path.join(root, DATAFLOWS_FOLDER);
  const settleMs = opts.settleMs ?? 300;
  const watchers = new Map<string, FSWatcher>();
  let schemas = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const isConfigFile = (file: string): boolean => {
    if (file === daemonFile || file === dataflowsDir || schemas.has(file)) return true;
    const name = path.basename(file);
    return path.dirname(file) === dataflowsDir && /\.ya?ml$/.test(name) && !name.startsWith('.');
  };

  const changed = (folder: string, name: string | null) => {
    // Without a name the platform cannot say which file changed: it may be one of ours.
    const file = name === null ? undefined : path.join(folder, name);
    if (file !== undefined && !isConfigFile(file)) {
      opts.onIgnored?.(file);
      return;
    }
    clearTimeout(timer);
    timer = setTimeout(() => {
      onChange();
      void sync();
    }, settleMs);
  };

  const watchFolder = (folder: string) => {
    if (watchers.has(folder)) return;
    try {
      const w = watch(folder, { persistent: false }, (_event, name) => changed(folder, name));
      w.on('error', () => undefined);
      watchers.set(folder, w);
    } catch {
      // A folder that does not exist yet cannot be watched; SIGHUP still reloads.
    }
  };

  /** Watches the folders of the schema files the config names now (they change with it). */
  const sync = async () => {
    const named = await namedSchemaFiles(root).catch(() => [...schemas]);
    if (closed) return;
    schemas = new Set(named);
    const folders = new Set([root, dataflowsDir, ...named.map((f) => path.dirname(f))]);
    for (const [folder, w] of watchers) {
      if (folders.has(folder)) continue;
      w.close();
      watchers.delete(folder);
    }
    for (const folder of folders) watchFolder(folder);
    opts.onWatching?.([daemonFile, dataflowsDir, ...named]);
  };

  watchFolder(root);
  watchFolder(dataflowsDir);
  void sync();
  return () => {
    closed = true;
    clearTimeout(timer);
    for (const w of watchers.values()) w.close();
    watchers.clear();
  };
}
