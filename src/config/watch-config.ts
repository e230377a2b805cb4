import { FSWatcher, watch } from 'node:fs';
import path from 'node:path';

/**
 * Calls `onChange` once a burst of changes to the config folder or its dataflows/ folder has
 * settled (editors write a file in several steps). Returns a function that stops watching.
 */
export function watchConfig(dir: string, onChange: () => void, settleMs = 300): () => void {
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, settleMs);
  };
  for (const folder of [dir, path.join(dir, 'dataflows')]) {
    try {
      const w = watch(folder, { persistent: false }, changed);
      w.on('error', () => undefined);
      watchers.push(w);
    } catch {
      // A folder that does not exist yet cannot be watched; SIGHUP still reloads.
    }
  }
  return () => {
    clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
