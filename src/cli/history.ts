import type { Command } from 'commander';
import { openStore } from '../store/open-store';
import { runJson } from '../store/run-json';
import type { RunStatus } from '../store/types';
import { type CliDeps, commandLogger, EXIT, loadConfigOrExit, withConfigOption } from './common';
import { formatDetail, runDetail } from './history-detail';
import { formatBytes, formatCount, formatDuration, formatLocalTime } from './human-units';
import { describeHolder } from '../run/lease';
import { nextRuns } from './next-runs';
import { type Layout, stdoutLayout } from './layout';
import { findRuns, parseSince, parseStatuses } from './run-query';
import { errorText, oneLine } from './run-text';
import { statusStyle } from './style';
import { type Column, renderTable } from './table';

export { errorText } from './run-text';

interface HistoryOptions {
  config: string;
  json?: boolean;
  limit: string;
  run?: string;
  status?: string;
  since?: string;
}

/** `dataflowd history [NAME]`: past runs, newest first. */
export function registerHistory(program: Command, deps: CliDeps): void {
  withConfigOption(program.command('history [name]').description('past runs: status, files, records, bytes, batches, errors'))
    .option('--json', 'print an array of run objects (with --run: the one run, its files, batches and row errors)')
    .option('-n, --limit <n>', 'how many runs (with --run: how many row errors)', '20')
    .option('--status <statuses>', 'only runs that ended so: succeeded, partial, failed, skipped, running (comma-separated)')
    .option('--since <when>', 'only runs started since: a duration back from now (30m, 2h, 7d) or a date (2026-05-01)')
    .option('--run <id>', 'one run in detail: its files, batches and the rows rejected before upload')
    .action(async (name: string | undefined, opts: HistoryOptions) => {
      const config = await loadConfigOrExit(opts.config, deps);
      let filters: { limit: number; statuses?: RunStatus[]; since?: Date };
      try {
        filters = parseFilters(opts, new Date());
      } catch (err) {
        process.stderr.write(`${(err as Error).message}\n`);
        process.exitCode = EXIT.invalid;
        return;
      }
      if (name !== undefined && !config.dataflows.some((d) => d.name === name)) {
        process.stderr.write(`note: no dataflow named ${name} in the config; showing its past runs if any\n`);
      }
      const store = await openStore(config.daemon.state.url, { baseDir: config.dir, logger: commandLogger(config, { quiet: true }) });
      try {
        if (opts.run !== undefined) {
          const detail = await runDetail(store, opts.run, filters.limit);
          if (!detail || (name !== undefined && detail.dataflow !== name)) {
            process.stderr.write(`no run ${opts.run}${name === undefined ? '' : ` of dataflow ${name}`}\n`);
            process.exitCode = EXIT.invalid;
            return;
          }
          process.stdout.write(opts.json ? `${JSON.stringify(detail, null, 2)}\n` : formatDetail(detail, stdoutLayout()));
          return;
        }
        const found = await findRuns(store, { dataflow: name, ...filters });
        if (found.cappedAt !== undefined) process.stderr.write(`note: only the last ${found.cappedAt} runs were searched\n`);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(found.runs.map(runJson), null, 2)}\n`);
          return;
        }
        const layout = stdoutLayout();
        process.stdout.write(formatTable(found.runs.map(runJson), { layout, oneDataflow: name !== undefined, filtered: opts.status !== undefined || opts.since !== undefined }));
        const now = new Date();
        const next = await nextRuns(config, store, now, name);
        const held = new Map((await store.listLeases()).filter((l) => l.releasedAt === null && l.expiresAt > now).map((l) => [l.dataflow, l]));
        const line = (n: { dataflow: string; next: string }) => {
          const lease = held.get(n.dataflow);
          return `  ${n.dataflow}: ${n.next}${lease ? `; now ${describeHolder(lease)}` : ''}`;
        };
        if (next.length > 0) process.stdout.write(`\n${layout.paint('NEXT RUN', 'bold')}\n${next.map(line).join('\n')}\n`);
      } finally {
        await store.close();
      }
    });
}

function parseFilters(opts: HistoryOptions, now: Date): { limit: number; statuses?: RunStatus[]; since?: Date } {
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`--limit must be a positive integer, not ${opts.limit}`);
  return {
    limit,
    statuses: opts.status === undefined ? undefined : parseStatuses(opts.status),
    since: opts.since === undefined ? undefined : parseSince(opts.since, now),
  };
}

type RunRow = ReturnType<typeof runJson>;

/** Status words short enough for a column; `--json` and `--run` keep the full ones. */
const SHORT_STATUS: Record<string, string> = { partially_succeeded: 'partial' };

/**
 * The runs as a table that fits the terminal: columns give way in the order of `keep` (trigger
 * first), the error takes the width left. Counts and sizes in human units; `--json` has them raw.
 */
export function formatTable(runs: readonly RunRow[], opts: { layout: Layout; oneDataflow?: boolean; filtered?: boolean }): string {
  if (runs.length === 0) return opts.filtered ? 'no runs match\n' : 'no runs yet\n';
  const { paint, width } = opts.layout;
  const columns: Array<Column & { value: (r: RunRow) => string }> = [
    { header: 'RUN', value: (r) => r.id },
    { header: 'DATAFLOW', keep: 9, value: (r) => r.dataflow },
    { header: 'STATUS', value: (r) => SHORT_STATUS[r.status] ?? r.status },
    { header: 'STARTED', keep: 2, value: (r) => formatLocalTime(new Date(r.startedAt)) },
    { header: 'TOOK', align: 'right', keep: 6, value: (r) => (r.durationMs === null ? '-' : formatDuration(r.durationMs)) },
    { header: 'FILES', align: 'right', keep: 7, value: (r) => filesCell(r) },
    { header: 'RECORDS', align: 'right', keep: 8, value: (r) => recordsCell(r) },
    { header: 'BYTES', align: 'right', keep: 5, value: (r) => (r.bytes === 0 ? '-' : formatBytes(r.bytes)) },
    { header: 'TRIGGER', keep: 1, value: (r) => r.trigger },
    { header: 'BATCHES', align: 'right', keep: 3, value: (r) => String(r.batchIds.length) },
    // Which process ran it: with replicas, which one (host:pid).
    { header: 'BY', keep: 4, value: (r) => (r.ranBy ? `${r.ranBy.host}:${r.ranBy.pid}` : '-') },
    { header: 'ERROR', elastic: true, value: (r) => oneLine(errorText(r)) },
  ];
  const shown = opts.oneDataflow ? columns.filter((c) => c.header !== 'DATAFLOW') : columns;
  const status = shown.findIndex((c) => c.header === 'STATUS');
  const error = shown.findIndex((c) => c.header === 'ERROR');
  const table = renderTable(
    shown,
    runs.map((r) => shown.map((c) => c.value(r))),
    {
      width,
      paintHeader: (h) => paint(h, 'bold'),
      paint: (text, column, row) => {
        const run = runs[row];
        if (column === status) return paint(text, statusStyle(run.status));
        if (column === error && run.status === 'skipped') return paint(text, 'dim');
        if (column === error) return paint(text, run.status === 'failed' ? 'red' : 'yellow');
        return text;
      },
    },
  );
  return `${table}\n`;
}

/** Files that went in, of those taken: `3` when all did, else `2/3`. */
function filesCell(r: RunRow): string {
  if (r.filesTaken === 0) return '-';
  return r.filesIngested === r.filesTaken ? String(r.filesTaken) : `${r.filesIngested}/${r.filesTaken}`;
}

/** Records that went in, of those read: `1.2M` when all did, else `1,150/1,200`. */
function recordsCell(r: RunRow): string {
  if (r.recordsIn === 0 && r.recordsOut === 0) return '-';
  const out = formatCount(r.recordsOut, { compact: true });
  return r.recordsOut === r.recordsIn ? out : `${out}/${formatCount(r.recordsIn, { compact: true })}`;
}
