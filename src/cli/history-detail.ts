import { errorCodeInfo } from '../lib/error-codes';
import { describeRowError } from '../prep/row-errors';
import { runJson } from '../store/run-json';
import type { Store } from '../store/types';
import type { Layout } from './layout';
import { errorText, oneLine } from './run-text';
import { formatBytes, formatCount, formatDuration, formatLocalTime } from './human-units';
import { statusStyle } from './style';
import { renderTable, wrap } from './table';

/** `history --run ID`: the run, what became of each file and batch, and its row errors. */
export async function runDetail(store: Store, runId: string, rowErrorLimit: number) {
  const run = await store.getRun(runId);
  if (!run) return undefined;
  const [files, batches, rowErrors, notifications] = await Promise.all([
    store.filesOfRun(runId),
    store.batchesOfRun(runId),
    store.rowErrorsOfRun(runId, { limit: rowErrorLimit }),
    store.listNotifications({ runId, limit: 100 }),
  ]);
  return {
    ...runJson(run),
    files: files.map((f) => ({ path: f.path, state: f.state, size: f.size, records: f.records, batchId: f.batchId, error: f.error })),
    batches: batches.map((b) => ({ id: b.id, state: b.state, platformStatus: b.platformStatus, recordsIn: b.recordsIn, recordsOut: b.recordsOut, recordsFailed: b.recordsFailed, error: b.error })),
    rowErrors: rowErrors.map((e) => ({ file: e.file, rowNumber: e.rowNumber, lineNumber: e.lineNumber, column: e.column, field: e.field, code: e.code, message: e.message, batchId: e.batchId })),
    // Whether the webhooks heard of it (src/notify): delivered, retrying or given up, and why.
    notifications: notifications.map((x) => ({ id: x.id, event: x.event, endpoint: x.endpoint, state: x.state, attempts: x.attempts, lastStatus: x.lastStatus, lastError: x.lastError })),
  };
}

export type RunDetail = NonNullable<Awaited<ReturnType<typeof runDetail>>>;

const n = (x: number | null) => (x === null ? '-' : formatCount(x));

/**
 * One run for people: a heading, its figures in labelled lines, then its batches, its files as
 * a table, and its row errors; long texts wrapped to the terminal, never cut (piped: one line each).
 */
export function formatDetail(d: RunDetail, layout: Layout): string {
  const { paint } = layout;
  const width = layout.wrap ? layout.width : Infinity;
  const label = (name: string) => paint(name.padEnd(9), 'dim');
  const indent = ' '.repeat(2 + 9 + 1);
  const field = (name: string, value: string) => `  ${label(name)} ${wrap(oneLine(value), width, indent)}`;
  const took = d.durationMs === null ? 'still running' : `took ${formatDuration(d.durationMs)}`;
  const lines = [
    `${paint(`run ${d.id}`, 'bold')}  ${d.dataflow}  ${paint(d.status, statusStyle(d.status))}`,
    field('started', `${formatLocalTime(new Date(d.startedAt), { seconds: true })} (${d.trigger}), ${took}`),
    field('files', `${d.filesTaken} taken, ${d.filesIngested} ingested, ${d.filesFailed} failed`),
    field('records', `${formatCount(d.recordsIn)} in, ${formatCount(d.recordsOut)} out, ${formatCount(d.recordsFailed)} failed`),
    field('bytes', `${formatBytes(d.bytes)} (${formatCount(d.bytes)} bytes)`),
  ];
  if (d.error) lines.push(field(d.status === 'skipped' ? 'why' : 'error', errorText(d)));
  // What the code means, from the catalogue (a code of Platform's own is Platform's to explain).
  const meaning = d.error ? errorCodeInfo(d.errorCode) : undefined;
  if (meaning) lines.push(field('means', meaning.message));
  if (d.batches.length > 0) {
    lines.push('', paint('BATCHES', 'bold'));
    for (const b of d.batches) {
      const platform = b.platformStatus && b.platformStatus !== b.state ? ` (Platform: ${b.platformStatus})` : '';
      lines.push(`  ${b.id}  ${paint(b.state, statusStyle(b.state))}${platform}`);
      lines.push(`    ${wrap(`records ${n(b.recordsIn)} in, ${n(b.recordsOut)} out, ${n(b.recordsFailed)} failed`, width, '    ')}`);
      if (b.error) lines.push(`    ${wrap(oneLine(b.error), width, '    ')}`);
    }
  }
  if (d.files.length > 0) {
    lines.push('', paint('FILES', 'bold'));
    const table = renderTable(
      [{ header: 'STATE' }, { header: 'RECORDS', align: 'right' }, { header: 'SIZE', align: 'right' }, { header: 'PATH', elastic: true }],
      d.files.map((f) => [f.state, n(f.records), formatBytes(f.size), f.path]),
      { width: width - 2, paint: (text, column, row) => (column === 0 ? paint(text, fileStyle(d.files[row].state)) : text) },
    );
    lines.push(...table.split('\n').map((l) => `  ${l}`));
    for (const f of d.files.filter((x) => x.error)) lines.push(`  ${wrap(`${f.path}: ${oneLine(f.error as string)}`, width, '    ')}`);
  }
  if (d.notifications.length > 0) {
    lines.push('', paint('NOTIFICATIONS', 'bold'));
    for (const x of d.notifications) {
      const state = x.state === 'pending' ? (x.attempts > 0 ? 'retrying' : 'pending') : x.state;
      const why = x.state !== 'delivered' && x.lastError ? `: ${oneLine(x.lastError)}` : '';
      lines.push(`  ${wrap(`${x.event} to ${x.endpoint}: ${state} after ${x.attempts} attempt${x.attempts === 1 ? '' : 's'}${why}`, width, '    ')}`);
    }
  }
  lines.push('');
  if (d.rowErrors.length === 0) lines.push(paint('no row errors kept (none, or ingestion.errorDiagnostics is off)', 'dim'));
  else {
    lines.push(paint(`ROW ERRORS (the first ${d.rowErrors.length}; --limit N for more)`, 'bold'));
    for (const e of d.rowErrors) lines.push(`  ${wrap(`${e.file} ${describeRowError(e)}${e.field ? ` (field ${e.field})` : ''}`, width, '    ')}`);
  }
  return `${lines.join('\n')}\n`;
}

function fileStyle(state: string) {
  return state === 'ingested' ? 'green' : state === 'failed' || state === 'error' ? 'red' : state === 'vanished' ? 'dim' : undefined;
}
