import { definitionHash, LoadedConfig } from '../config';
import { scheduleOf } from '../schedule/next-run';
import type { Store } from '../store/types';

/**
 * When each dataflow runs next, as a running daemon would schedule it from `now`: the answer to
 * "when will my file be picked up?" next to the runs that already happened.
 */
export async function nextRuns(config: LoadedConfig, store: Store, now: Date, only?: string): Promise<Array<{ dataflow: string; next: string }>> {
  const out: Array<{ dataflow: string; next: string }> = [];
  for (const df of config.dataflows.filter((d) => only === undefined || d.name === only)) {
    const { startTime, ...spec } = df.schedule;
    const start = startTime === undefined ? undefined : new Date(startTime);
    let next: string;
    if (!df.enabled) next = 'never (disabled)';
    else if (!spec.cron && spec.frequency === 'once') {
      const record = await store.onceRun(df.name);
      const done = record !== undefined && record.hash === definitionHash(df);
      next = done ? `never (once: ran in run ${record.runId})` : start && start > now ? `${start.toISOString()} (once)` : 'at the next start (once)';
    } else {
      const neverRan = (await store.listRuns({ dataflow: df.name, limit: 1 })).length === 0;
      const at = neverRan && (!start || start <= now) ? undefined : scheduleOf({ ...spec, startTime: start }).next(now);
      next = at ? at.toISOString() : neverRan ? 'at the next start (first run)' : 'never (no time matches)';
    }
    out.push({ dataflow: df.name, next });
  }
  return out;
}
