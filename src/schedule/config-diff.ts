import type { LoadedConfig } from '../config';

/**
 * Which dataflows a reload adds, removes or changes. A dataflow counts as changed when its own
 * definition or its connection's settings differ.
 */
export function changedDataflows(before: LoadedConfig, after: LoadedConfig): { added: string[]; removed: string[]; changed: string[] } {
  const key = (config: LoadedConfig, name: string) => {
    const df = config.dataflows.find((d) => d.name === name)!;
    return JSON.stringify({ df, connection: config.daemon.connections[df.source.connection] });
  };
  const old = new Set(before.dataflows.map((d) => d.name));
  const now = new Set(after.dataflows.map((d) => d.name));
  return {
    added: [...now].filter((n) => !old.has(n)),
    removed: [...old].filter((n) => !now.has(n)),
    changed: [...now].filter((n) => old.has(n) && key(before, n) !== key(after, n)),
  };
}
