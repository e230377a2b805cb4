import type { Command } from 'commander';
import { openStore } from '../store/open-store';
import type { RunRecord } from '../store/types';
import { commandLogger, EXIT, loadConfigOrExit, withConfigOption } from './common';

/** The fields `history --json` prints for each run (issue: id … first error). */
export function runJson(run: RunRecord) {
  return {
    id: run.id,
    dataflow: run.dataflow,
    trigger: run.trigger,
    status: run.status,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
    durationMs: run.finishedAt ? run.finishedAt.getTime() - run.startedAt.getTime() : null,
    filesTaken: run.filesTaken,
    filesIngested: run.filesIngested,
    filesFailed: run.filesFailed,
    recordsIn: run.recordsIn,
    recordsOut: run.recordsOut,
    recordsFailed: run.recordsFailed,
    bytes: run.bytes,
    batchIds: run.batchIds,
    error: run.error,
  };
}

/** `dataflowd history [NAME]`: past runs, newest first. */
export function registerHistory(program: Command): void {
  withConfigOption(program.command('history [name]').description('past runs: status, files, records, bytes, batches, errors'))
    .option('--json', 'print an array of run objects')
    .option('-n, --limit <n>', 'how many runs', '20')
    .action(async (name: string | undefined, opts: { config: string; json?: boolean; limit: string }) => {
      const config = await loadConfigOrExit(opts.config);
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 1) {
        process.stderr.write(`--limit must be a positive integer, not ${opts.limit}\n`);
        process.exitCode = EXIT.invalid;
        return;
      }
      if (name !== undefined && !config.dataflows.some((d) => d.name === name)) {
        process.stderr.write(`note: no dataflow named ${name} in the config; showing its past runs if any\n`);
      }
      const store = await openStore(config.daemon.state.url, { baseDir: config.dir, logger: commandLogger(config) });
      try {
        const runs = await store.listRuns({ dataflow: name, limit });
        process.stdout.write(opts.json ? `${JSON.stringify(runs.map(runJson), null, 2)}\n` : formatTable(runs));
      } finally {
        await store.close();
      }
    });
}

function formatTable(runs: RunRecord[]): string {
  if (runs.length === 0) return 'no runs yet\n';
  const header = ['RUN', 'DATAFLOW', 'TRIGGER', 'STARTED', 'DURATION', 'STATUS', 'FILES t/i/f', 'RECORDS in/out/failed', 'BYTES', 'BATCHES', 'ERROR'];
  const rows = runs.map((r) => {
    const j = runJson(r);
    return [
      j.id,
      j.dataflow,
      j.trigger,
      j.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      j.durationMs === null ? '-' : `${(j.durationMs / 1000).toFixed(1)}s`,
      j.status,
      `${j.filesTaken}/${j.filesIngested}/${j.filesFailed}`,
      `${j.recordsIn}/${j.recordsOut}/${j.recordsFailed}`,
      String(j.bytes),
      j.batchIds.join(',') || '-',
      (j.error ?? '').slice(0, 80),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
