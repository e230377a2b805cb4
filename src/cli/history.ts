import type { Command } from 'commander';
import { openStore } from '../store/open-store';
import { runJson } from '../store/run-json';
import type { RunRecord, Store } from '../store/types';
import { describeRowError } from '../prep/row-errors';
import { commandLogger, EXIT, loadConfigOrExit, withConfigOption } from './common';
import { nextRuns } from './next-runs';

/** "[auth ERR_SFTP_AUTH] message": the kind and code in front of the message, when known. */
export function errorText(j: { error: string | null; errorKind: string | null; errorCode: string | null }): string {
  if (!j.error) return '';
  const tag = [j.errorKind, j.errorCode].filter(Boolean).join(' ');
  return tag ? `[${tag}] ${j.error}` : j.error;
}

/** `dataflowd history [NAME]`: past runs, newest first. */
export function registerHistory(program: Command): void {
  withConfigOption(program.command('history [name]').description('past runs: status, files, records, bytes, batches, errors'))
    .option('--json', 'print an array of run objects (with --run: the one run, its files, batches and row errors)')
    .option('-n, --limit <n>', 'how many runs (with --run: how many row errors)', '20')
    .option('--run <id>', 'one run in detail: its files, batches and the rows rejected before upload')
    .action(async (name: string | undefined, opts: { config: string; json?: boolean; limit: string; run?: string }) => {
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
        if (opts.run !== undefined) {
          const detail = await runDetail(store, opts.run, limit);
          if (!detail || (name !== undefined && detail.dataflow !== name)) {
            process.stderr.write(`no run ${opts.run}${name === undefined ? '' : ` of dataflow ${name}`}\n`);
            process.exitCode = EXIT.invalid;
            return;
          }
          process.stdout.write(opts.json ? `${JSON.stringify(detail, null, 2)}\n` : formatDetail(detail));
          return;
        }
        const runs = await store.listRuns({ dataflow: name, limit });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(runs.map(runJson), null, 2)}\n`);
          return;
        }
        process.stdout.write(formatTable(runs));
        const next = await nextRuns(config, store, new Date(), name);
        if (next.length > 0) process.stdout.write(`\nNEXT RUN\n${next.map((n) => `  ${n.dataflow}: ${n.next}`).join('\n')}\n`);
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
      errorText(j).slice(0, 100),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/** `history --run ID`: the run, what became of each file and batch, and its row errors. */
async function runDetail(store: Store, runId: string, rowErrorLimit: number) {
  const run = await store.getRun(runId);
  if (!run) return undefined;
  const [files, batches, rowErrors] = await Promise.all([store.filesOfRun(runId), store.batchesOfRun(runId), store.rowErrorsOfRun(runId, { limit: rowErrorLimit })]);
  return {
    ...runJson(run),
    files: files.map((f) => ({ path: f.path, state: f.state, size: f.size, records: f.records, batchId: f.batchId, error: f.error })),
    batches: batches.map((b) => ({ id: b.id, state: b.state, platformStatus: b.platformStatus, recordsIn: b.recordsIn, recordsOut: b.recordsOut, recordsFailed: b.recordsFailed, error: b.error })),
    rowErrors: rowErrors.map((e) => ({ file: e.file, rowNumber: e.rowNumber, lineNumber: e.lineNumber, column: e.column, field: e.field, code: e.code, message: e.message, batchId: e.batchId })),
  };
}

function formatDetail(d: NonNullable<Awaited<ReturnType<typeof runDetail>>>): string {
  const lines = [
    `run ${d.id} of ${d.dataflow}: ${d.status} (${d.trigger}, started ${d.startedAt}${d.durationMs === null ? '' : `, ${(d.durationMs / 1000).toFixed(1)}s`})`,
    `  files: ${d.filesTaken} taken, ${d.filesIngested} ingested, ${d.filesFailed} failed`,
    `  records: ${d.recordsIn} in, ${d.recordsOut} out, ${d.recordsFailed} failed; ${d.bytes} bytes`,
  ];
  if (d.error) lines.push(`  error: ${errorText(d)}`);
  for (const b of d.batches) lines.push(`  batch ${b.id}: ${b.state}${b.platformStatus ? ` (${b.platformStatus})` : ''}, records ${b.recordsIn ?? '-'}/${b.recordsOut ?? '-'}/${b.recordsFailed ?? '-'}${b.error ? `: ${b.error}` : ''}`);
  for (const f of d.files) lines.push(`  file ${f.path}: ${f.state}${f.records === null ? '' : `, ${f.records} records`}${f.error ? `: ${f.error}` : ''}`);
  if (d.rowErrors.length === 0) lines.push('  no row errors kept (none, or ingestion.errorDiagnostics is off)');
  else {
    lines.push(`  row errors (first ${d.rowErrors.length}):`);
    for (const e of d.rowErrors) lines.push(`    ${e.file} ${describeRowError(e)}${e.field ? ` (field ${e.field})` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
